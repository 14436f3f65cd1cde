"""Routing a point to its grid: inside, shared edges, snapping, unrouted, freshness after writes, bulk."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from civicgrid.regions import routing
from civicgrid.regions.coords import CoordinateError, wgs84_to_bd09, wgs84_to_gcj02
from civicgrid.regions.gridindex import METRES_PER_DEGREE
from civicgrid.regions.models import Region, RegionGeneration
from civicgrid.regions.routing import route_point, route_points
from civicgrid.regions.services import regions_import

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.django_db


@pytest.fixture
def ids() -> dict[str, int]:
    """The basic city imported; code → id."""
    regions_import(data=DATA / "basic.geojson")
    return dict(Region.objects.values_list("code", "id"))


def chain_codes(result: routing.RouteResult) -> list[str]:
    return [region.code for region in result.regions()]


def test_point_inside_a_grid(ids: dict[str, int]) -> None:
    result = route_point(112.05, 32.3)

    assert result.status == "inside"
    assert result.grid_id == ids["420683100200001"]
    assert result.chain_ids == (ids["420683"], ids["420683100"], ids["420683100200"], ids["420683100200001"])
    assert chain_codes(result) == ["420683", "420683100", "420683100200", "420683100200001"]
    assert (result.distance_m, result.lon, result.lat) == (0.0, 112.05, 32.3)


def test_point_on_a_shared_edge_goes_to_the_lowest_code(ids: dict[str, int]) -> None:
    # 112.1 is the edge between grids 001 and 002 of 甲一村.
    assert route_point(112.1, 32.3).grid_id == ids["420683100200001"]
    # 32.2 between 甲一村 002 (north) and 甲二村 001 (south).
    assert route_point(112.15, 32.2).grid_id == ids["420683100200002"]
    # The corner 112.2, 32.2 touches three grids; the street's community grid has the lowest code.
    assert route_point(112.2, 32.2).grid_id == ids["420683001001001"]


def test_point_near_a_grid_is_snapped_to_it(ids: dict[str, int]) -> None:
    result = route_point(111.999, 32.3)  # 0.001° west of the city edge: about 94 m

    assert result.status == "snapped"
    assert result.grid_id == ids["420683100200001"]
    assert result.chain_ids[-1] == ids["420683100200001"]
    # Metres on the index's plane, at the grids' middle latitude 32.2°.
    assert result.distance_m == pytest.approx(0.001 * METRES_PER_DEGREE * math.cos(math.radians(32.2)), abs=1e-6)


def test_snap_distance_follows_the_setting(ids: dict[str, int], settings: Any) -> None:
    settings.CIVICGRID = {**settings.CIVICGRID, "ROUTING_SNAP_METRES": 50.0}
    routing.invalidate()

    assert route_point(111.999, 32.3).status == "unrouted"


def test_point_farther_than_the_snap_distance_is_unrouted(ids: dict[str, int]) -> None:
    result = route_point(111.99, 32.3)  # about 941 m west of the city

    assert result.status == "unrouted"
    assert (result.grid_id, result.chain_ids) == (None, ())
    assert result.regions() == []
    assert result.distance_m == pytest.approx(0.01 * METRES_PER_DEGREE * math.cos(math.radians(32.2)), abs=1e-6)


def test_point_far_outside_the_city_is_rejected(ids: dict[str, int]) -> None:
    with pytest.raises(CoordinateError) as info:
        route_point(113.5, 32.3)  # about 104 km east of the city's box; the limit is 50 km

    assert info.value.code == "far_outside"
    assert "50 公里" in info.value.messages[0]


def test_no_regions_at_all_means_unrouted() -> None:
    result = route_point(112.05, 32.3)

    assert (result.status, result.grid_id, result.distance_m) == ("unrouted", None, math.inf)


def test_gcj02_and_bd09_input_is_converted_first(ids: dict[str, int]) -> None:
    gcj = wgs84_to_gcj02(112.05, 32.3)
    bd = wgs84_to_bd09(112.05, 32.3)

    # GCJ-02 is inverted exactly; the published BD-09 → GCJ-02 formula itself is off by ~1e-7° (~1 cm).
    for crs, (lon, lat), tolerance in (("gcj02", gcj, 1e-9), ("bd09", bd, 1e-6)):
        result = route_point(lon, lat, crs=crs)
        assert result.grid_id == ids["420683100200001"]
        assert result.lon == pytest.approx(112.05, abs=tolerance)
        assert result.lat == pytest.approx(32.3, abs=tolerance)


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        (float("nan"), 32.3, "not_finite"),
        (112.05, float("inf"), "not_finite"),
        ("112.05", 32.3, "not_a_number"),
        (None, 32.3, "not_a_number"),
        (True, 32.3, "not_a_number"),
        (181.0, 32.3, "out_of_range"),
        (112.05, -90.5, "out_of_range"),
    ],
)
def test_bad_coordinates_are_rejected(ids: dict[str, int], lon: Any, lat: Any, code: str) -> None:
    with pytest.raises(CoordinateError) as info:
        route_point(lon, lat)
    assert info.value.code == code


def test_unknown_crs_is_rejected(ids: dict[str, int]) -> None:
    with pytest.raises(CoordinateError) as info:
        route_point(112.05, 32.3, crs="epsg3857")
    assert info.value.code == "unknown_crs"


def test_import_of_changed_shapes_gives_the_new_answer_at_once(ids: dict[str, int]) -> None:
    assert route_point(112.12, 32.3).grid_id == ids["420683100200002"]

    regions_import(data=DATA / "changed.geojson")  # the edge moves from 112.1 to 112.15

    assert route_point(112.12, 32.3).grid_id == ids["420683100200001"]
    assert route_points(np.array([112.12]), np.array([32.3])).tolist() == [ids["420683100200001"]]


def test_a_write_by_another_process_is_seen_on_the_next_call(ids: dict[str, int]) -> None:
    """Another process writes without telling this one: the version row, bumped by triggers, tells."""
    assert route_point(112.12, 32.3).grid_id == ids["420683100200002"]
    token = RegionGeneration.objects.get(pk=1).token
    moved = Region(code="x")
    moved.set_shape(shapely.box(112.0, 32.2, 112.15, 32.4))
    Region.objects.filter(code="420683100200001").update(
        geometry=moved.geometry, max_lon=moved.max_lon, label_lon=moved.label_lon
    )
    moved.set_shape(shapely.box(112.15, 32.2, 112.2, 32.4))
    Region.objects.filter(code="420683100200002").update(geometry=moved.geometry, min_lon=moved.min_lon)

    assert RegionGeneration.objects.get(pk=1).token != token
    assert route_point(112.12, 32.3).grid_id == ids["420683100200001"]


def test_with_a_check_interval_in_process_imports_are_still_seen_at_once(ids: dict[str, int], settings: Any) -> None:
    settings.CIVICGRID = {**settings.CIVICGRID, "ROUTING_GENERATION_CHECK_SECONDS": 3600.0}
    routing.invalidate()
    assert route_point(112.12, 32.3).grid_id == ids["420683100200002"]
    # A write this process did not announce stays unseen until the interval passes (the documented trade).
    Region.objects.filter(code="420683100200002").update(name="改名")
    assert route_point(112.12, 32.3).grid_id == ids["420683100200002"]

    regions_import(data=DATA / "changed.geojson")

    assert route_point(112.12, 32.3).grid_id == ids["420683100200001"]


def test_regions_written_with_the_orm_are_routed(world: Any) -> None:
    """The shared persona world is written with the ORM directly, not through the import."""
    result = route_point(112.05, 32.3)

    assert result.grid_id == world.grid_a1_1.pk
    assert result.chain_ids == (world.city.pk, world.town_a.pk, world.village_a1.pk, world.grid_a1_1.pk)
    assert route_point(112.1, 32.3).grid_id == world.grid_a1_1.pk  # shared edge: lowest code


def test_bulk_gives_the_same_answers_as_single(ids: dict[str, int]) -> None:
    lons = np.array([112.05, 112.1, 112.2, 111.999, 111.99, 113.5, np.nan, 112.3, 200.0])
    lats = np.array([32.3, 32.3, 32.2, 32.3, 32.3, 32.3, 32.3, 32.1, 32.3])

    got = route_points(lons, lats)

    expected = []
    for lon, lat in zip(lons.tolist(), lats.tolist(), strict=True):
        try:
            expected.append(route_point(lon, lat).grid_id or -1)
        except CoordinateError:
            expected.append(-1)
    assert got.tolist() == expected
    assert got.tolist() == [
        ids["420683100200001"],
        ids["420683100200001"],
        ids["420683001001001"],
        ids["420683100200001"],
        -1,
        -1,
        -1,
        ids["420683001001001"],
        -1,
    ]


def test_bulk_keeps_the_shape_and_converts_crs(ids: dict[str, int]) -> None:
    lon, lat = wgs84_to_gcj02(np.array([[112.05, 112.3]]), np.array([[32.3, 32.1]]))

    got = route_points(lon, lat, crs="gcj02")

    assert got.tolist() == [[ids["420683100200001"], ids["420683001001001"]]]


def test_bulk_rejects_arrays_of_different_lengths(ids: dict[str, int]) -> None:
    with pytest.raises(CoordinateError) as info:
        route_points(np.array([112.0, 112.1]), np.array([32.3]))
    assert info.value.code == "shape_mismatch"


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            # Round to a 0.05° lattice often, so shared edges and corners are hit, not only interiors.
            st.one_of(st.floats(111.95, 112.45), st.integers(2239, 2249).map(lambda i: i / 20)),
            st.one_of(st.floats(31.95, 32.45), st.integers(639, 649).map(lambda i: i / 20)),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_bulk_equals_single_on_random_points(ids: dict[str, int], points: list[tuple[float, float]]) -> None:
    lons = np.array([p[0] for p in points])
    lats = np.array([p[1] for p in points])

    got = route_points(lons, lats).tolist()

    assert got == [route_point(lon, lat).grid_id or -1 for lon, lat in points]
