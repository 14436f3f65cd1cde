"""The staff duplicate-candidates endpoint: only people who may see the case, only cases they may see."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from civicgrid.cases import services as case_services
from civicgrid.portal.tests.fixtures import IN_GRID_A1_1, IN_GRID_A1_2

pytestmark = pytest.mark.django_db


def make(title: str, point: tuple[float, float]) -> Any:
    return case_services.case_create(
        user=None, title=title, category="LAMP", channel="resident", lon=point[0], lat=point[1], attributes={"count": 1}
    )


def test_duplicates_for_the_accepting_staff(categories: Any, personas: Any) -> None:
    older = make("幸福路路灯不亮", IN_GRID_A1_1)
    far = make("路灯不亮", IN_GRID_A1_2)
    newer = make("幸福路的路灯晚上不亮", (IN_GRID_A1_1[0] + 0.0002, IN_GRID_A1_1[1]))
    api = APIClient()
    api.force_authenticate(personas.village_center)
    response = api.get(f"/api/v1/intake/cases/{newer.number}/duplicates/")
    assert response.status_code == 200
    assert [(c["number"], c["distance_m"]) for c in response.json()["candidates"]] == [(older.number, 18.8)]
    assert far.number not in str(response.json())

    for name, status in (("other_town_center", 404), ("outsider", 404), ("system_admin", 404)):
        api.force_authenticate(personas[name])
        assert api.get(f"/api/v1/intake/cases/{newer.number}/duplicates/").status_code == status
    api.force_authenticate(None)
    assert api.get(f"/api/v1/intake/cases/{newer.number}/duplicates/").status_code in (401, 403)
