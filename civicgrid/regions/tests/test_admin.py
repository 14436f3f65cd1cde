"""The region admin: browse, filter, search, see the shape summary, rename; never add or delete."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from civicgrid.regions.models import Region, RegionGeneration

pytestmark = pytest.mark.django_db


def admin_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_changelist_filters_by_level_and_searches(personas: Any) -> None:
    client = admin_client(personas.system_admin)

    grids = client.get("/admin/regions/region/", {"level__exact": "4"})
    found = client.get("/admin/regions/region/", {"q": "甲一村"})

    assert grids.status_code == 200
    assert [r.code for r in grids.context["cl"].result_list] == [
        "420683100200001",
        "420683100200002",
        "420683100201001",
        "420683101200001",
    ]
    assert [r.code for r in found.context["cl"].result_list] == ["420683100200", "420683100200001", "420683100200002"]


def test_change_page_shows_the_shape_read_only_and_renames(personas: Any, world: Any) -> None:
    client = admin_client(personas.system_admin)
    url = f"/admin/regions/region/{world.grid_a1_1.pk}/change/"
    token = RegionGeneration.objects.get(pk=1).token

    page = client.get(url)
    response = client.post(url, {"name": "甲一村一号网格", "code": "999", "level": "1"})

    assert (
        "Polygon，1 块，5 个顶点，约 209.022 平方公里；范围 112.00000, 32.20000 – 112.10000, 32.40000"
        in page.content.decode()
    )
    assert response.status_code == 302
    grid = Region.objects.get(pk=world.grid_a1_1.pk)
    assert (grid.name, grid.code, grid.level) == ("甲一村一号网格", "420683100200001", 4)
    assert RegionGeneration.objects.get(pk=1).token != token


def test_no_adding_or_deleting_in_the_admin(personas: Any, world: Any) -> None:
    client = admin_client(personas.system_admin)

    assert client.get("/admin/regions/region/add/").status_code == 403
    assert client.get(f"/admin/regions/region/{world.city.pk}/delete/").status_code == 403


def test_people_without_the_right_role_cannot_change_regions(personas: Any, world: Any) -> None:
    client = admin_client(personas.town_center)  # staff, but region changes are the system administrator's

    response = client.post(f"/admin/regions/region/{world.town_a.pk}/change/", {"name": "改名"})

    assert response.status_code == 403
    assert Region.objects.get(pk=world.town_a.pk).name == "甲镇"
