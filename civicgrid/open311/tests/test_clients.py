"""Independent client libraries from PyPI against a live server on 127.0.0.1: ``civicbot`` (0.4.0) files a
request with its own form encoding (``attribute[code][]`` for lists), ``georeport`` (0.3.1) reads the
service list, the definition and the requests back, in JSON and XML (parsed by xmltodict).
"""

from __future__ import annotations

from typing import Any

import pytest
from civicbot import Endpoint, Open311Client
from civicbot.http import HttpTransport, RateLimiter
from georeport import GeoReport

from civicgrid.cases.models import Case, Channel
from civicgrid.open311.services import open311_client_add
from civicgrid.portal.tests.fixtures import IN_GRID_A1_1

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_civicbot_files_and_georeport_reads_back(live_server: Any, categories: Any, world: Any) -> None:
    key = open311_client_add(name="civicbot").key
    base = f"http://127.0.0.1:{live_server.thread.port}/open311/v2"

    endpoint = Endpoint(id="civicgrid-test", name="civicgrid", base_url=base, write=True)
    bot = Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(min_interval=0.0)))
    services = bot.list_services()
    assert [s["service_code"] for s in services] == ["LAMP", "TRASH"]
    lon, lat = IN_GRID_A1_1
    prepared = bot.create_request(
        "LAMP",
        dry_run=False,
        confirm="SEND",
        api_key=key,
        validate_remote=True,  # fetches the definition and checks the attributes against it
        lat=lat,
        lng=lon,
        description="小区东门路灯不亮",
        attributes={"count": 2, "when": ["dusk", "night"], "kind": "yard"},
        email="resident@example.com",
    )
    (answer,) = prepared.response
    case = Case.objects.get(number=answer["service_request_id"])
    assert (case.channel, case.attributes["when"], case.attributes["kind"], case.attributes["count"]) == (
        Channel.OPEN311, ["dusk", "night"], "yard", 2,
    )  # fmt: skip
    assert bot.get_token(answer["token"]) == [{"service_request_id": case.number, "token": answer["token"]}]
    assert bot.get_request(case.number)["status"] == "open"

    for fmt in ("json", "xml"):
        reader = GeoReport(base, output_format=fmt)
        listed = reader.get_service_list()
        if fmt == "xml":
            assert [s["service_code"] for s in listed] == ["LAMP", "TRASH"]
            assert listed[0]["metadata"] == "true"
        else:
            assert [s["service_code"] for s in listed] == ["LAMP", "TRASH"]
        definition = reader.get_service_definition("LAMP")
        assert definition["service_code"] == "LAMP"
        request = reader.get_service_request(case.number)
        assert request["service_request_id"] == case.number
        assert request["status"] == "open"
        assert request["service_code"] == "LAMP"
        many = reader.get_service_requests(service_code="LAMP", status="open")
        # xmltodict gives one dict for a single <request>, a list for several.
        rows = many if isinstance(many, list) else [many]
        assert [r["service_request_id"] for r in rows] == [case.number]
