"""/api/v1/regions/ (list, detail, filters, GeoJSON) and /api/v1/regions/route."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def codes(response: Any) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


def test_anonymous_callers_are_refused(world: Any) -> None:
    assert Client().get("/api/v1/regions/").status_code == 403
    assert Client().get("/api/v1/regions/route", {"lon": "112.05", "lat": "32.3"}).status_code == 403


def test_list_shows_the_regions_the_user_may_see(personas: Any) -> None:
    everything = client_for(personas.system_admin).get("/api/v1/regions/")
    own_branch = client_for(personas.grid_worker).get("/api/v1/regions/")
    nothing = client_for(personas.outsider).get("/api/v1/regions/")

    assert codes(everything) == [
        "420683",
        "420683100",
        "420683100200",
        "420683100200001",
        "420683100200002",
        "420683100201",
        "420683100201001",
        "420683101",
        "420683101200",
        "420683101200001",
    ]
    assert codes(own_branch) == ["420683", "420683100", "420683100200", "420683100200001"]
    assert codes(nothing) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"level": "4"}, ["420683100200001", "420683100200002", "420683100201001", "420683101200001"]),
        ({"code_prefix": "420683101"}, ["420683101", "420683101200", "420683101200001"]),
        ({"kind": "village"}, ["420683100200", "420683100201", "420683101200"]),
    ],
)
def test_list_filters(personas: Any, query: dict[str, str], expected: list[str]) -> None:
    response = client_for(personas.system_admin).get("/api/v1/regions/", query)

    assert response.status_code == 200
    assert codes(response) == expected


def test_list_filters_by_parent(personas: Any, world: Any) -> None:
    response = client_for(personas.system_admin).get("/api/v1/regions/", {"parent": world.village_a1.pk})
    assert codes(response) == ["420683100200001", "420683100200002"]


@pytest.mark.parametrize("parent", ["9" * 30, "1e400", "1.5", "0", "abc"])
def test_parent_filter_rejects_what_is_not_an_id_with_400(personas: Any, parent: str) -> None:
    response = client_for(personas.system_admin).get("/api/v1/regions/", {"parent": parent})

    assert response.status_code == 400
    assert list(response.json()) == ["parent"]


def test_geometry_only_on_request(personas: Any, world: Any) -> None:
    client = client_for(personas.city_center)
    url = f"/api/v1/regions/{world.grid_a1_1.pk}/"

    plain = client.get(url).json()
    shaped = client.get(url, {"geometry": "1"}).json()

    assert plain == {
        "id": world.grid_a1_1.pk,
        "code": "420683100200001",
        "name": "甲一村第1网格",
        "level": 4,
        "kind": "grid",
        "parent": world.village_a1.pk,
        "parent_code": "420683100200",
        "bbox": [112.0, 32.2, 112.1, 32.4],
        "label_lon": world.grid_a1_1.label_lon,
        "label_lat": world.grid_a1_1.label_lat,
        "geometry": None,
        "updated_at": plain["updated_at"],
    }
    assert shaped["geometry"]["type"] == "Polygon"
    assert sorted(map(tuple, shaped["geometry"]["coordinates"][0])) == sorted(
        [(112.1, 32.2), (112.1, 32.4), (112.0, 32.4), (112.0, 32.2), (112.1, 32.2)]
    )


def test_detail_outside_the_users_branch_is_not_found(personas: Any, world: Any) -> None:
    response = client_for(personas.grid_worker).get(f"/api/v1/regions/{world.grid_b1_1.pk}/")
    assert response.status_code == 404


def test_route(personas: Any, world: Any) -> None:
    response = client_for(personas.grid_worker).get("/api/v1/regions/route", {"lon": "112.1", "lat": "32.3"})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "inside"
    assert body["grid_id"] == world.grid_a1_1.pk
    assert [row["code"] for row in body["chain"]] == ["420683", "420683100", "420683100200", "420683100200001"]
    assert body["chain"][-1] == {
        "id": world.grid_a1_1.pk,
        "code": "420683100200001",
        "name": "甲一村第1网格",
        "level": 4,
        "kind": "grid",
    }
    assert (body["distance_m"], body["lon"], body["lat"]) == (0.0, 112.1, 32.3)


def test_route_unrouted_has_an_empty_chain(personas: Any) -> None:
    body = client_for(personas.grid_worker).get("/api/v1/regions/route", {"lon": "111.99", "lat": "32.3"}).json()

    assert (body["status"], body["grid_id"], body["chain"]) == ("unrouted", None, [])
    assert round(body["distance_m"]) == 941


@pytest.mark.parametrize("name", ["outsider", "audit_admin"])
def test_route_is_refused_to_those_who_may_see_no_region(personas: Any, name: str) -> None:
    """The answer names regions and grids: the outsider and the audit administrator see none."""
    response = client_for(personas[name]).get("/api/v1/regions/route", {"lon": "112.05", "lat": "32.3"})

    assert response.status_code == 403
    assert response.json()["detail"] == "您没有权限执行此操作（region.view）。"


def test_route_accepts_gcj02(personas: Any, world: Any) -> None:
    body = (
        client_for(personas.grid_worker)
        .get("/api/v1/regions/route", {"lon": "112.13", "lat": "32.3", "crs": "gcj02"})
        .json()
    )
    assert body["grid_id"] == world.grid_a1_2.pk
    assert round(body["lon"], 7) == 112.1238934


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"lon": "abc", "lat": "32.3"}, "经纬度必须是数字。"),
        ({"lat": "32.3"}, "经纬度必须是数字。"),
        ({"lon": "NaN", "lat": "32.3"}, "经纬度必须是有限的数字（不能是 NaN 或无穷大）。"),
        (
            {"lon": "112", "lat": "95"},
            "坐标超出范围：经度应在 -180 到 180 之间，纬度应在 -90 到 90 之间（收到经度 112.0，纬度 95.0）。",
        ),
        ({"lon": "112.05", "lat": "32.3", "crs": "mercator"}, "不支持的坐标系“mercator”，可用：wgs84、gcj02、bd09。"),
        (
            {"lon": "115", "lat": "32.3"},
            "该点离本市超过 50 公里（经度 115.0，纬度 32.3）：请检查经纬度是否写反、坐标系是否选对。",
        ),
    ],
)
def test_route_rejects_bad_input_with_400(personas: Any, query: dict[str, str], message: str) -> None:
    response = client_for(personas.grid_worker).get("/api/v1/regions/route", query)

    assert response.status_code == 400
    assert response.json() == [message]


def test_schema_documents_the_route_parameters(personas: Any) -> None:
    response = client_for(personas.system_admin).get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    route = paths["/api/v1/regions/route"]["get"]
    assert [p["name"] for p in route["parameters"]] == ["crs", "lat", "lon"]
    assert {"geometry", "level", "kind", "parent", "code_prefix", "page"} <= {
        p["name"] for p in paths["/api/v1/regions/"]["get"]["parameters"]
    }
    assert "/api/v1/regions/{id}/" in paths
