"""Property-based check of the cases API against its own OpenAPI schema (schemathesis 4.32.5).

Every /api/v1/cases/ operation gets a bounded number of generated requests (valid and invalid ones),
sent through the WSGI application as the town center persona with its token. The checks: no 5xx, every
status code and content type is documented, and every response body matches its documented schema.

Generated case numbers rarely exist, so most requests use one of a few real cases in the town center's
queue (chosen from the request itself, so Hypothesis can replay and shrink), and half the transition
bodies carry the case's current version so that transitions really happen.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from civicgrid.cases.models import Case
from civicgrid.cases.tests.conftest import IN_GRID_A2_1

# Generated requests per operation (27 operations): the whole test stays well under two minutes here.
EXAMPLES_PER_OPERATION = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def _same_connection() -> Iterator[None]:
    """Requests go through the WSGI handler in this thread; keep Django from closing the test's connection
    at request boundaries (what django.test.Client does too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def town_world(personas: Any, category: Any, settings_row: Any) -> dict[str, Any]:
    """Three cases in town_a's queue (grid_a2_1: village_a2 has no center) and the town center's token."""
    from civicgrid.cases.services import case_create

    numbers = [
        case_create(
            user=personas.town_center,
            title=f"测试事件 {i}",
            category=category,
            channel="walk_in",
            lon=IN_GRID_A2_1[0],
            lat=IN_GRID_A2_1[1],
            reporter_name="李四",
            reporter_phone="13900001111",
        ).number
        for i in range(3)
    ]
    return {"token": Token.objects.create(user=personas.town_center).key, "numbers": numbers}


@pytest.fixture
def cases_api(_same_connection: None, town_world: dict[str, Any]) -> Any:
    app = get_wsgi_application()
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)


# Only this app's operations: the other apps' endpoints are their owners' to check.
schema = schemathesis.pytest.from_fixture("cases_api").include(path_regex=r"^/api/v1/cases/")


def _steer(case: Any, numbers: list[str]) -> None:
    """Point three requests in four at a real case; give half the bodies the current version; give half
    the new cases a real category and a point in a grid (random codes and points are all refused)."""
    params = case.path_parameters or {}
    seed = zlib.crc32(repr((sorted(params.items()), repr(case.body))).encode())
    if case.operation.path == "/api/v1/cases/" and case.method == "POST" and isinstance(case.body, dict) and seed % 2:
        case.body.update(title="巡查发现", category="T01", lon=IN_GRID_A2_1[0], lat=IN_GRID_A2_1[1])
        for name in ("reporter_phone", "reporter_email", "priority"):
            case.body.pop(name, None)
    if "number" in params and seed % 4:
        params["number"] = numbers[seed % len(numbers)]
        if isinstance(case.body, dict) and "expected_version" in case.body and seed % 2:
            row = Case.objects.filter(number=params["number"]).only("version").first()
            if row is not None:
                case.body["expected_version"] = row.version


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
def test_cases_api_matches_its_schema(case: Any, town_world: dict[str, Any]) -> None:
    _steer(case, town_world["numbers"])
    case.call_and_validate(headers={"Authorization": f"Token {town_world['token']}"}, checks=CHECKS)
