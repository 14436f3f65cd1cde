"""GeoReport v2 conformance: every endpoint in XML and JSON, every filter, every error case of the spec.

Element names and shapes follow the spec (wiki.open311.org/GeoReport_v2) and mySociety's
servicerequestupdates extension.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case, CaseEvent, Channel, State
from civicgrid.open311.models import ClientApplication, Submission
from civicgrid.open311.services import open311_client_add
from civicgrid.portal.tests.fixtures import IN_GRID_A1_1, IN_GRID_B1_1

BJ = ZoneInfo("Asia/Shanghai")
BASE = "/open311/v2"
pytestmark = pytest.mark.django_db


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314


def js(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


@pytest.fixture
def api_key(db: None) -> str:
    return open311_client_add(name="市民通App", contact="dev@example.com").key


@pytest.fixture
def client() -> Client:
    return Client()


def post(client: Client, fmt: str = "json", **form: Any) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", form)


def valid_form(key: str, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "api_key": key,
        "service_code": "LAMP",
        "lat": str(IN_GRID_A1_1[1]),
        "long": str(IN_GRID_A1_1[0]),
        "description": "幸福路的路灯连续三晚不亮",
        "attribute[count]": "3",
        "first_name": "小明",
        "last_name": "王",
        "email": "wang@example.com",
        "phone": "13900001111",
    }
    form.update(overrides)
    return form


# --- discovery ---------------------------------------------------------------------------------


def test_discovery_xml_and_json(client: Client, categories: Any) -> None:
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
    assert root.findtext("changeset") == "2025-11-28T08:00:00+08:00"

    data = js(client.get(f"{BASE}/discovery.json"))
    assert data["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert data["contact"] == "服务热线 12345"


# --- services ----------------------------------------------------------------------------------


def test_service_list_is_public_categories_with_group_keywords_metadata(client: Client, categories: Any) -> None:
    data = js(client.get(f"{BASE}/services.json"))
    assert [s["service_code"] for s in data] == ["LAMP", "TRASH"]  # not URB's staff-only sibling, not disputes
    lamp, trash = data
    assert lamp == {
        "service_code": "LAMP",
        "service_name": "路灯不亮",
        "description": "路灯、庭院灯不亮或损坏",
        "metadata": True,
        "type": "realtime",
        "keywords": lamp["keywords"],
        "group": "城市管理",
    }
    assert "路灯" in lamp["keywords"].split(", ")
    assert trash["metadata"] is False

    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    first = root.find("service")
    assert first is not None
    assert [c.tag for c in first] == [
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
    ]  # fmt: skip
    assert first.findtext("metadata") == "true"
    assert root.findall("service")[1].findtext("metadata") == "false"


def test_a_group_with_active_children_is_not_a_service(client: Client, categories: Any) -> None:
    from civicgrid.cases.models import Category

    Category.objects.filter(code="URB").update(is_public=True)
    assert [s["service_code"] for s in js(client.get(f"{BASE}/services.json"))] == ["LAMP", "TRASH"]
    Category.objects.filter(code="TRASH").update(is_active=False)
    assert [s["service_code"] for s in js(client.get(f"{BASE}/services.json"))] == ["LAMP"]


def test_service_definition_has_every_datatype(client: Client, categories: Any) -> None:
    data = js(client.get(f"{BASE}/services/LAMP.json"))
    assert data["service_code"] == "LAMP"
    assert [(a["code"], a["datatype"], a["required"], a["order"]) for a in data["attributes"]] == [
        ("lamp_no", "string", False, 1),
        ("count", "number", True, 2),
        ("since", "datetime", False, 3),
        ("detail", "text", False, 4),
        ("kind", "singlevaluelist", False, 5),
        ("when", "multivaluelist", False, 6),
    ]
    assert data["attributes"][4]["values"] == [{"key": "street", "name": "路灯"}, {"key": "yard", "name": "庭院灯"}]
    assert all(a["variable"] is True for a in data["attributes"])
    assert data["attributes"][1]["description"] == "不亮的盏数"

    root = xml(client.get(f"{BASE}/services/LAMP.xml"))
    assert root.tag == "service_definition"
    attribute = root.findall("attributes/attribute")[5]
    assert [c.tag for c in attribute] == [
        "variable", "code", "datatype", "required", "datatype_description", "order", "description", "values",
    ]  # fmt: skip
    assert [(v.findtext("key"), v.findtext("name")) for v in attribute.findall("values/value")] == [
        ("dusk", "傍晚"), ("night", "深夜"), ("dawn", "凌晨"),
    ]  # fmt: skip


@pytest.mark.parametrize("code", ["NOPE", "INTERNAL", "DISP"])
def test_service_definition_unknown_or_not_public_is_404(client: Client, categories: Any, code: str) -> None:
    response = client.get(f"{BASE}/services/{code}.xml")
    assert response.status_code == 404
    root = xml(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
    assert code in (root.findtext("error/description") or "")
    assert js(client.get(f"{BASE}/services/{code}.json")) == [
        {"code": 404, "description": f"service_code {code} 不存在。"}
    ]


# --- POST requests -----------------------------------------------------------------------------


def test_post_creates_an_ordinary_case_with_channel_open311(
    client: Client, categories: Any, api_key: str, world: Any
) -> None:
    form = valid_form(
        api_key,
        **{
            "attribute[kind]": "street",
            "attribute[when]": ["dusk", "night"],
            "attribute[since]": "2025-11-20T19:00:00",
            "media_url": "https://img.example.com/lamp.jpg",
            "account_id": "acct-7",
            "device_id": "dev-1",
        },
    )
    response = post(client, "json", **form)
    assert response.status_code == 201, response.content
    (body,) = js(response)
    case = Case.objects.get()
    assert body == {
        "service_request_id": case.number,
        "token": body["token"],
        "service_notice": "",
        "account_id": "acct-7",
    }
    assert (case.channel, case.category.code, case.state, case.grid, case.created_by) == (
        Channel.OPEN311, "LAMP", State.REPORTED, world.grid_a1_1, None,
    )  # fmt: skip
    assert case.attributes["count"] == 3
    assert case.attributes["kind"] == "street"
    assert case.attributes["when"] == ["dusk", "night"]
    # No zone given: read as Asia/Shanghai.
    assert case.attributes["since"] == "2025-11-20T19:00:00+08:00"
    assert case.attributes["open311"] == {
        "client": "市民通App", "device_id": "dev-1", "account_id": "acct-7", "media_url": "https://img.example.com/lamp.jpg",
    }  # fmt: skip
    assert (case.reporter.name, case.reporter.phone, case.reporter.email) == (
        "小明 王",
        "13900001111",
        "wang@example.com",
    )
    assert Submission.objects.get().client.name == "市民通App"
    # The token is a tracking code for this case.
    assert js(client.get(f"{BASE}/tokens/{body['token']}.json")) == [
        {"service_request_id": case.number, "token": body["token"]}
    ]


def test_post_xml_response_and_bracketed_multivalue_keys(client: Client, categories: Any, api_key: str) -> None:
    form = valid_form(api_key, **{"attribute[when][]": ["dawn", "night"]})
    response = post(client, "xml", **form)
    assert response.status_code == 201
    root = xml(response)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request is not None
    assert [c.tag for c in request] == ["service_request_id", "token", "service_notice", "account_id"]
    assert Case.objects.get().attributes["when"] == ["dawn", "night"]


def test_post_by_address_only_goes_to_the_city_center(
    client: Client, categories: Any, api_key: str, world: Any
) -> None:
    form = valid_form(api_key, lat="", long="", address_string="甲镇幸福路12号")
    response = post(client, **form)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert (case.lat, case.lon, case.address, case.location_status, case.region) == (
        None, None, "甲镇幸福路12号", "none", world.city,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"api_key": ""}, 403, "api_key 缺失或无效。"),
        ({"api_key": "not-a-key"}, 403, "api_key 无效或已停用。"),
        ({"service_code": ""}, 400, "缺少 service_code。"),
        ({"service_code": "NOPE"}, 404, "service_code NOPE 不存在。"),
        ({"service_code": "INTERNAL"}, 404, "service_code INTERNAL 不存在。"),
        ({"lat": "", "long": ""}, 400, "必须提供位置：lat 和 long，或 address_string，或 address_id。"),
        ({"long": ""}, 400, "lat 和 long 必须同时提供。"),
        ({"lat": "abc"}, 400, "lat 必须是数字。"),
        ({"lat": "nan"}, 400, "lat 必须是有限的数字。"),
        ({"lat": "95"}, 400, "lat/long 超出范围：纬度 -90～90，经度 -180～180。"),
        ({"lat": "10", "long": "10"}, 400, None),  # far outside the city: routing refuses
        ({"attribute[count]": ""}, 400, "缺少必填属性 count（不亮的盏数）。"),
        ({"attribute[count]": "three"}, 400, "属性 count 必须是数字。"),
        ({"attribute[since]": "yesterday"}, 400, "属性 since 必须是 ISO 8601 时间，如 2025-03-04T10:22:00+08:00。"),
        ({"attribute[kind]": "moon"}, 400, "属性 kind 的取值无效：moon。"),
        ({"attribute[kind]": ["street", "yard"]}, 400, "属性 kind 只能有一个值。"),
        ({"attribute[when]": ["dusk", "noon"]}, 400, "属性 when 的取值无效：noon。"),
        ({"attribute[colour]": "red"}, 400, "该服务没有这些属性：colour。"),
        ({"attributes": "x"}, 400, "无法识别的参数 attributes：应为 attribute[代码]。"),
        ({"description": "长" * 4001}, 400, "description 过长：最多 4000 个字符。"),
        ({"email": "not-an-email"}, 400, "email 格式不正确。"),
        ({"phone": "call me"}, 400, "phone 只能包含数字、空格和 + - ( )。"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url 不是有效的 http(s) 链接。"),
        ({"jurisdiction_id": "999999"}, 404, "jurisdiction_id 999999 不存在。"),
    ],
)
def test_post_errors(
    client: Client, categories: Any, api_key: str, overrides: dict[str, Any], status: int, message: str | None
) -> None:
    response = post(client, "json", **valid_form(api_key, **overrides))
    assert response.status_code == status, response.content
    errors = js(response)
    assert len(errors) >= 1
    assert errors[0]["code"] == status
    if message is not None:
        assert errors[0]["description"] == message
    else:
        assert errors[0]["description"]
    assert Case.objects.count() == 0
    # The same error in XML.
    response = post(client, "xml", **valid_form(api_key, **overrides))
    root = xml(response)
    assert (response.status_code, root.tag, root.findtext("error/code")) == (status, "errors", str(status))


def test_post_with_disabled_client_is_403(client: Client, categories: Any, api_key: str) -> None:
    ClientApplication.objects.update(is_active=False)
    assert post(client, **valid_form(api_key)).status_code == 403


def test_post_huge_body_is_400_not_500(client: Client, categories: Any, api_key: str, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = post(client, **valid_form(api_key, description="长" * 20_000))
    assert response.status_code == 400
    assert js(response) == [{"code": 400, "description": "请求体过大或字段过多。"}]


def test_post_rate_limited_per_address(client: Client, categories: Any, api_key: str) -> None:
    from civicgrid.portal.models import RateLimit

    RateLimit.objects.filter(scope="open311-post").update(max_requests=2)
    assert [post(client, **valid_form(api_key)).status_code for _i in range(3)] == [201, 201, 429]
    response = post(client, **valid_form(api_key))
    assert js(response)[0]["code"] == 429
    assert int(response["Retry-After"]) > 0
    assert Case.objects.count() == 2


def test_wrong_method_and_unknown_paths(client: Client, categories: Any) -> None:
    response = client.delete(f"{BASE}/requests.json")
    assert (response.status_code, response["Allow"]) == (405, "GET, POST")
    response = client.post(f"{BASE}/services.xml")
    assert response.status_code == 405
    assert xml(response).findtext("error/code") == "405"
    response = client.get(f"{BASE}/services.yaml")
    assert response.status_code == 404
    assert xml(response).findtext("error/code") == "404"
    response = client.get(f"{BASE}/nothing.json")
    assert js(response)[0]["code"] == 404


# --- GET requests ------------------------------------------------------------------------------


@pytest.fixture
def filed(client: Client, categories: Any, api_key: str, personas: Any) -> dict[str, Case]:
    """Four listed cases on named days (Beijing time) and one hotline case that is never listed:
    lamp1 2025-11-03 (closed), lamp2 2025-11-10, trash 2025-11-17, lamp3 2025-11-24 (in town_b)."""
    made: dict[str, Case] = {}
    plan = [
        ("lamp1", "LAMP", dt.datetime(2025, 11, 3, 9, 0, tzinfo=BJ), IN_GRID_A1_1),
        ("lamp2", "LAMP", dt.datetime(2025, 11, 10, 9, 0, tzinfo=BJ), IN_GRID_A1_1),
        ("trash", "TRASH", dt.datetime(2025, 11, 17, 9, 0, tzinfo=BJ), IN_GRID_A1_1),
        ("lamp3", "LAMP", dt.datetime(2025, 11, 24, 9, 0, tzinfo=BJ), IN_GRID_B1_1),
    ]
    for name, code, at, (lon, lat) in plan:
        with time_machine.travel(at, tick=False):
            form = valid_form(api_key, service_code=code, long=str(lon), lat=str(lat), description=f"{name} 描述")
            if code == "TRASH":
                del form["attribute[count]"]
            response = post(client, **form)
            assert response.status_code == 201, response.content
            made[name] = Case.objects.get(number=js(response)[0]["service_request_id"])
    with time_machine.travel(dt.datetime(2025, 11, 3, 10, 0, tzinfo=BJ), tick=False):
        case = made["lamp1"]
        case = case_services.case_reject(
            user=personas.village_center, case=case, expected_version=case.version, reason="重复"
        )
        made["lamp1"] = case
        made["hotline"] = case_services.case_create(
            user=None, title="热线", category="LAMP", channel=Channel.HOTLINE, lon=IN_GRID_A1_1[0], lat=IN_GRID_A1_1[1],
            attributes={"count": 1},
        )  # fmt: skip
    return made


def numbers(data: list[dict[str, Any]]) -> list[str]:
    return [row["service_request_id"] for row in data]


@time_machine.travel(dt.datetime(2025, 11, 28, 12, 0, tzinfo=BJ), tick=False)
def test_get_requests_default_is_last_90_days_newest_first(client: Client, filed: dict[str, Case]) -> None:
    data = js(client.get(f"{BASE}/requests.json"))
    assert numbers(data) == [filed[n].number for n in ("lamp3", "trash", "lamp2", "lamp1")]
    lamp1 = data[3]
    assert lamp1 == {
        "service_request_id": filed["lamp1"].number,
        "status": "closed",
        "status_notes": "不予立案",
        "service_name": "路灯不亮",
        "service_code": "LAMP",
        "description": "lamp1 描述",
        "agency_responsible": "甲一村综治中心",
        "service_notice": "",
        "requested_datetime": "2025-11-03T09:00:00+08:00",
        "updated_datetime": "2025-11-03T10:00:00+08:00",
        "expected_datetime": None,
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": IN_GRID_A1_1[1],
        "long": IN_GRID_A1_1[0],
        "media_url": "",
    }
    lamp2 = data[2]
    assert (lamp2["status"], lamp2["status_notes"]) == ("open", "待受理")
    # 4 working hours after 09:00 Monday: 09:00–12:00, then 14:00–15:00.
    assert lamp2["expected_datetime"] == "2025-11-10T15:00:00+08:00"

    root = xml(client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    request = root.findall("request")[3]
    assert [c.tag for c in request] == [
        "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
        "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
        "address", "address_id", "zipcode", "lat", "long", "media_url",
    ]  # fmt: skip
    assert request.findtext("expected_datetime") == ""


@time_machine.travel(dt.datetime(2025, 11, 28, 12, 0, tzinfo=BJ), tick=False)
def test_get_requests_filters(client: Client, filed: dict[str, Case]) -> None:
    def get(**params: Any) -> list[str]:
        response = client.get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return numbers(js(response))

    n = {k: v.number for k, v in filed.items()}
    assert get(service_code="TRASH") == [n["trash"]]
    assert get(service_code="TRASH,LAMP", status="closed") == [n["lamp1"]]
    assert get(status="open") == [n["lamp3"], n["trash"], n["lamp2"]]
    assert get(status="open,closed") == [n["lamp3"], n["trash"], n["lamp2"], n["lamp1"]]
    assert get(start_date="2025-11-10T00:00:00+08:00", end_date="2025-11-17T23:59:59+08:00") == [n["trash"], n["lamp2"]]
    assert get(start_date="2025-11-16T17:00:00Z") == [n["lamp3"], n["trash"]]  # = 2025-11-17 01:00 Beijing
    # service_request_id overrides everything else, in the order asked; unknown and unlisted ids are absent.
    asked = f"{n['lamp1']},{n['trash']},nope,{n['hotline']}"
    assert get(service_request_id=asked, service_code="LAMP", status="open") == [n["lamp1"], n["trash"]]
    # Paging.
    assert get(page_size="2") == [n["lamp3"], n["trash"]]
    assert get(page_size="2", page="2") == [n["lamp2"], n["lamp1"]]
    assert get(page_size="2", page="3") == []


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"start_date": "last week"}, 400, "start_date 不是 ISO 8601 时间，如 2010-01-01T00:00:00Z。"),
        ({"end_date": "2025-13-01"}, 400, "end_date 不是 ISO 8601 时间，如 2010-01-01T00:00:00Z。"),
        (
            {"start_date": "2025-11-20T00:00:00Z", "end_date": "2025-11-01T00:00:00Z"},
            400,
            "start_date 不能晚于 end_date。",
        ),
        (
            {"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-11-01T00:00:00Z"},
            400,
            "start_date 到 end_date 不能超过 90 天。",
        ),
        ({"status": "pending"}, 400, "status 只能是 open 或 closed。"),
        ({"page": "0"}, 400, "page 必须是正整数。"),
        ({"page_size": "abc"}, 400, "page_size 必须是正整数。"),
        ({"page_size": "501"}, 400, "page_size 不能大于 500。"),
        ({"service_code": "LAMP,NOPE"}, 404, "service_code NOPE 不存在。"),
        ({"service_request_id": ",".join(str(i) for i in range(101))}, 400, "一次最多查询 100 个 service_request_id。"),
        ({"jurisdiction_id": "nowhere"}, 404, "jurisdiction_id nowhere 不存在。"),
    ],
)
def test_get_requests_errors(
    client: Client, categories: Any, params: dict[str, str], status: int, message: str
) -> None:
    response = client.get(f"{BASE}/requests.json", params)
    assert (response.status_code, js(response)) == (status, [{"code": status, "description": message}])


@time_machine.travel(dt.datetime(2025, 11, 28, 12, 0, tzinfo=BJ), tick=False)
def test_get_single_request_and_unknown(client: Client, filed: dict[str, Case], world: Any) -> None:
    number = filed["lamp3"].number
    data = js(client.get(f"{BASE}/requests/{number}.json"))
    assert numbers(data) == [number]
    assert data[0]["agency_responsible"] == "乙镇综治中心" or data[0]["agency_responsible"].endswith("综治中心")
    root = xml(client.get(f"{BASE}/requests/{number}.xml"))
    assert root.findtext("request/service_request_id") == number
    for missing in ("420683-20990101-00001", filed["hotline"].number):
        response = client.get(f"{BASE}/requests/{missing}.json")
        assert (response.status_code, js(response)[0]["code"]) == (404, 404)


def test_token_unknown_is_404_and_guessing_is_throttled(client: Client, categories: Any) -> None:
    from civicgrid.portal.models import RateLimit

    RateLimit.objects.filter(scope="track-lookup").update(max_requests=2)
    response = client.get(f"{BASE}/tokens/ABCDEFGHJKMN.xml")
    assert response.status_code == 404
    assert xml(response).findtext("error/description") == "token 不存在。"
    assert client.get(f"{BASE}/tokens/ABCDEFGHJKMP.json").status_code == 404
    response = client.get(f"{BASE}/tokens/ABCDEFGHJKMQ.json")
    assert (response.status_code, js(response)[0]["code"]) == (429, 429)


@time_machine.travel(dt.datetime(2025, 11, 28, 12, 0, tzinfo=BJ), tick=False)
def test_merged_case_status_notes_name_the_surviving_case(
    client: Client, filed: dict[str, Case], personas: Any
) -> None:
    lamp2 = filed["lamp2"]
    case_services.case_merge(
        user=personas.village_center, case=lamp2, expected_version=lamp2.version, into=filed["trash"]
    )
    data = js(client.get(f"{BASE}/requests/{lamp2.number}.json"))[0]
    assert (data["status"], data["status_notes"]) == ("closed", f"已合并：与 {filed['trash'].number} 合并办理")


# --- servicerequestupdates ---------------------------------------------------------------------


@time_machine.travel(dt.datetime(2025, 11, 28, 12, 0, tzinfo=BJ), tick=False)
def test_service_request_updates(client: Client, filed: dict[str, Case]) -> None:
    params = {"start_date": "2025-11-03T00:00:00+08:00", "end_date": "2025-11-03T23:59:59+08:00"}
    data = js(client.get(f"{BASE}/servicerequestupdates.json", params))
    number = filed["lamp1"].number
    events = list(CaseEvent.objects.filter(case=filed["lamp1"]).order_by("at", "id"))
    assert data == [
        {
            "update_id": str(events[0].pk),
            "service_request_id": number,
            "status": "open",
            "updated_datetime": "2025-11-03T09:00:00+08:00",
            "description": "收到上报（村（社区）级 · 甲一村综治中心）",
            "media_url": "",
        },
        {
            "update_id": str(events[1].pk),
            "service_request_id": number,
            "status": "closed",
            "updated_datetime": "2025-11-03T10:00:00+08:00",
            "description": "不予立案",
            "media_url": "",
        },
    ]
    root = xml(client.get(f"{BASE}/servicerequestupdates.xml", params))
    assert root.tag == "service_request_updates"
    update = root.find("request_update")
    assert update is not None
    assert [c.tag for c in update] == [
        "update_id", "service_request_id", "status", "updated_datetime", "description", "media_url",
    ]  # fmt: skip
    # The hotline case's rows never appear; neither do notes or names.
    assert filed["hotline"].number.encode() not in client.get(f"{BASE}/servicerequestupdates.xml").content
    assert b"\xe9\x87\x8d\xe5\xa4\x8d" not in client.get(f"{BASE}/servicerequestupdates.json", params).content  # 重复


def test_service_request_updates_bad_dates(client: Client, categories: Any) -> None:
    response = client.get(f"{BASE}/servicerequestupdates.xml", {"start_date": "nope"})
    assert response.status_code == 400
    assert xml(response).findtext("error/code") == "400"
