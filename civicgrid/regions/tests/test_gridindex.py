"""The raster-fronted grid index gives exactly the answers of a plain shapely reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.regions.gridindex import METRES_PER_DEGREE, GridIndex

SNAP = 200.0


def voronoi_city(count: int, seed: int) -> np.ndarray:
    """``count`` Voronoi cells clipped to a round outline around 112.2 E, 32.2 N (about 30 km across)."""
    rng = np.random.default_rng(seed)
    outline = shapely.Point(112.2, 32.2).buffer(0.15, quad_segs=32)
    x = rng.uniform(112.05, 112.35, count * 3)
    y = rng.uniform(32.05, 32.35, count * 3)
    inside = shapely.contains_xy(outline, x, y)
    seeds = shapely.multipoints(np.column_stack([x[inside][:count], y[inside][:count]]))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=outline))
    return shapely.intersection(cells, outline)


def reference(index: GridIndex, lons: np.ndarray, lats: np.ndarray) -> list[int]:
    """Plain shapely: covering grids, lowest code; else nearest within SNAP metres, lowest code; else -1."""
    answers = []
    for lon, lat in zip(lons.tolist(), lats.tolist(), strict=True):
        covering = [p for p, geom in enumerate(index.geoms) if shapely.intersects_xy(geom, lon, lat)]
        if covering:
            answers.append(index.grid_id(min(covering)))
            continue
        x, y = index.project(lon, lat)
        distances = shapely.distance(index.geoms_m, shapely.Point(x, y))
        best = float(distances.min())
        if best <= SNAP:
            answers.append(index.grid_id(int(np.flatnonzero(distances == best).min())))
        else:
            answers.append(-1)
    return answers


@pytest.fixture(scope="module")
def city() -> GridIndex:
    polygons = voronoi_city(300, seed=7)
    codes = [f"420683100200{i:03d}" for i in range(len(polygons))][::-1]  # ids not in code order on purpose
    return GridIndex(np.arange(len(polygons)) * 10 + 5, codes, polygons, snap_metres=SNAP, cells_per_grid=64)


def test_random_points_match_the_reference(city: GridIndex) -> None:
    rng = np.random.default_rng(3)
    lons = rng.uniform(112.03, 112.37, 3000)
    lats = rng.uniform(32.03, 32.37, 3000)

    expected = reference(city, lons, lats)

    assert city.lookup_many(lons, lats).tolist() == expected
    assert [city.lookup(lon, lat) for lon, lat in zip(lons, lats, strict=True)] == expected
    assert 1500 < sum(1 for e in expected if e >= 0) < 3000  # mostly routed, some unrouted


def test_vertices_and_edge_midpoints_match_the_reference(city: GridIndex) -> None:
    coords = shapely.get_coordinates(city.geoms[:60])
    points = np.vstack([coords, (coords[:-1] + coords[1:]) / 2])

    expected = reference(city, points[:, 0], points[:, 1])

    assert city.lookup_many(points[:, 0], points[:, 1]).tolist() == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(112.0, 112.4), st.floats(32.0, 32.4)), min_size=1, max_size=30))
def test_bulk_and_single_agree_with_the_reference(city: GridIndex, city_points: list[tuple[float, float]]) -> None:
    index = city
    lons = np.array([p[0] for p in city_points])
    lats = np.array([p[1] for p in city_points])

    expected = reference(index, lons, lats)

    assert index.lookup_many(lons, lats).tolist() == expected
    assert [index.lookup(lon, lat) for lon, lat in city_points] == expected


def test_overlapping_grids_go_to_the_lowest_code() -> None:
    # Two squares overlapping by a whole band (more than any raster cell): lowest code in the band.
    a = shapely.box(112.0, 32.0, 112.1, 32.1)
    b = shapely.box(112.05, 32.0, 112.15, 32.1)
    index = GridIndex([1, 2], ["420683100200002", "420683100200001"], [a, b], snap_metres=0)

    assert index.lookup(112.02, 32.05) == 1
    assert index.lookup(112.07, 32.05) == 2
    assert index.lookup(112.12, 32.05) == 2
    assert index.lookup_many(np.array([112.02, 112.07, 112.12]), np.array([32.05] * 3)).tolist() == [1, 2, 2]


def test_holes_and_multipolygons() -> None:
    ring = shapely.box(112.0, 32.0, 112.3, 32.3).difference(shapely.box(112.1, 32.1, 112.2, 32.2))
    island = shapely.box(112.1, 32.1, 112.2, 32.2)
    pair = shapely.MultiPolygon([shapely.box(112.4, 32.0, 112.5, 32.1), shapely.box(112.6, 32.0, 112.7, 32.1)])
    index = GridIndex([1, 2, 3], ["a1", "a2", "a3"], [ring, island, pair], snap_metres=0)

    assert index.lookup(112.05, 32.05) == 1
    assert index.lookup(112.15, 32.15) == 2
    assert index.lookup(112.1, 32.15) == 1  # on the hole's edge: shared by both, lowest code
    assert index.lookup(112.65, 32.05) == 3
    assert index.lookup(112.55, 32.05) == -1


def test_snap_distance_and_status() -> None:
    index = GridIndex([9], ["g"], [shapely.box(112.0, 32.0, 112.1, 32.1)], snap_metres=SNAP)
    metres_per_lon_degree = METRES_PER_DEGREE * math.cos(math.radians(32.05))

    near = index.locate(112.1 + 100 / metres_per_lon_degree, 32.05)
    far = index.locate(112.1 + 300 / metres_per_lon_degree, 32.05)

    assert (near.position, near.status) == (0, "snapped")
    assert near.distance_m == pytest.approx(100.0, abs=1e-6)
    assert (far.position, far.status) == (-1, "unrouted")
    assert far.distance_m == pytest.approx(300.0, abs=1e-6)
    assert index.lookup(float("nan"), 32.05) == -1
    assert index.lookup_many(np.array([np.nan, np.inf]), np.array([32.05, 32.05])).tolist() == [-1, -1]


def test_empty_index() -> None:
    index = GridIndex([], [], [], snap_metres=SNAP)

    assert len(index) == 0
    assert index.lookup(112.0, 32.0) == -1
    assert index.locate(112.0, 32.0).status == "unrouted"
    assert index.lookup_many(np.array([112.0]), np.array([32.0])).tolist() == [-1]
