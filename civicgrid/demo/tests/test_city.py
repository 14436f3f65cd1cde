"""The demo city generator: deterministic, the figures of DOMAIN.md, exact tiling, well-formed codes."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from civicgrid.demo.city import DEFAULT_SEED, KM_PER_DEG_LAT, KM_PER_DEG_LON, city_features


@pytest.fixture(scope="module")
def features() -> list[dict[str, Any]]:
    return city_features(DEFAULT_SEED)["features"]


@pytest.fixture(scope="module")
def shapes(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {f["properties"]["code"]: shape(f["geometry"]) for f in features}


def _children(features: list[dict[str, Any]]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = defaultdict(list)
    for f in features:
        children[f["properties"]["parent_code"]].append(f["properties"]["code"])
    return children


def test_same_seed_gives_the_same_city() -> None:
    assert city_features(DEFAULT_SEED) == city_features(DEFAULT_SEED)


def test_another_seed_gives_another_city(features: list[dict[str, Any]]) -> None:
    other = city_features(DEFAULT_SEED + 1)["features"]
    assert [f["geometry"] for f in other] != [f["geometry"] for f in features]
    assert [f["properties"]["name"] for f in other] != [f["properties"]["name"] for f in features]


def test_counts_per_kind(features: list[dict[str, Any]]) -> None:
    kinds = Counter(f["properties"]["kind"] for f in features)
    assert kinds == {"county": 1, "street": 4, "town": 14, "community": 36, "village": 500, "grid": 655}


def test_every_village_has_a_grid_and_communities_have_more(features: list[dict[str, Any]]) -> None:
    children = _children(features)
    kind = {f["properties"]["code"]: f["properties"]["kind"] for f in features}
    villages = [code for code, k in kind.items() if k == "village"]
    communities = [code for code, k in kind.items() if k == "community"]
    assert min(len(children[v]) for v in villages) == 1
    assert min(len(children[c]) for c in communities) >= 2
    assert np.mean([len(children[c]) for c in communities]) > np.mean([len(children[v]) for v in villages])
    # communities sit in streets, villages in towns
    assert {kind[f["properties"]["parent_code"]] for f in features if f["properties"]["kind"] == "community"} == {
        "street"
    }
    assert {kind[f["properties"]["parent_code"]] for f in features if f["properties"]["kind"] == "village"} == {"town"}


def test_parents_come_before_children(features: list[dict[str, Any]]) -> None:
    seen = {""}
    for f in features:
        assert f["properties"]["parent_code"] in seen
        seen.add(f["properties"]["code"])


def test_codes_have_the_standard_shapes_and_nest(features: list[dict[str, Any]]) -> None:
    patterns = {
        "county": r"420683",
        "street": r"4206830(0[1-9]|[1-9]\d)",  # GB/T 10114: 001–099 street offices
        "town": r"4206831\d\d",  # 100–199 towns
        "community": r"4206830\d\d(0\d\d|1\d\d)",  # communities numbered from 001
        "village": r"4206831\d\d[2-3]\d\d",  # villages numbered from 200
        "grid": r"\d{12}\d{3}",
    }
    codes = [f["properties"]["code"] for f in features]
    assert len(set(codes)) == len(codes)
    for f in features:
        props = f["properties"]
        assert re.fullmatch(patterns[props["kind"]], props["code"]), props
        assert props["code"].startswith(props["parent_code"])
    assert sorted(c for c in codes if len(c) == 9 and c[6] == "0") == [f"420683{n:03d}" for n in range(1, 5)]
    assert sorted(c for c in codes if len(c) == 9 and c[6] == "1") == [f"420683{n}" for n in range(100, 114)]


def test_children_are_numbered_without_gaps(features: list[dict[str, Any]]) -> None:
    for parent, codes in _children(features).items():
        if len(parent) in (9, 12):
            first = int(codes[0][-3:])
            assert first in (1, 200)
            assert [int(c[-3:]) for c in codes] == list(range(first, first + len(codes)))


def test_grids_are_numbered_west_to_east_then_north_to_south(shapes: dict[str, Any]) -> None:
    # In reading order, of two grids the first is either in a row further north or further west in its row.
    pairs = 0
    for code in shapes:
        if len(code) == 12 and f"{code}002" in shapes and f"{code}003" not in shapes:
            first, second = (shapes[f"{code}{n:03d}"].representative_point() for n in (1, 2))
            assert first.y > second.y or first.x < second.x, code
            pairs += 1
    assert pairs > 20


def test_names_are_chinese_and_unique_within_each_parent(features: list[dict[str, Any]]) -> None:
    suffix = {"county": "市", "street": "街道", "town": "镇", "community": "社区", "village": "村"}
    for parent, codes in _children(features).items():
        names = [f["properties"]["name"] for f in features if f["properties"]["code"] in set(codes)]
        assert len(set(names)) == len(names), parent
    for f in features:
        props = f["properties"]
        if props["kind"] == "grid":
            assert re.fullmatch(r".+(村|社区)第\d+网格", props["name"])
        else:
            assert props["name"].endswith(suffix[props["kind"]])
            assert re.fullmatch(r"[\u4e00-\u9fff]{3,6}", props["name"])
    names = {f["properties"]["code"]: f["properties"]["name"] for f in features}
    second_grids = [code for code in names if len(code) == 15 and code.endswith("002")]
    assert second_grids
    for code in second_grids:
        assert names[code] == f"{names[code[:12]]}第2网格"


def test_city_outline_is_where_and_as_large_as_it_should_be(shapes: dict[str, Any]) -> None:
    city = shapes["420683"]
    min_lon, min_lat, max_lon, max_lat = city.bounds
    assert 111.9 < min_lon < max_lon < 113.0
    assert 31.8 < min_lat < max_lat < 32.6
    assert 3000 < city.area * KM_PER_DEG_LON * KM_PER_DEG_LAT < 4000
    streets = [g for code, g in shapes.items() if len(code) == 9 and code[6] == "0"]
    towns = [g for code, g in shapes.items() if len(code) == 9 and code[6] == "1"]
    assert max(s.area for s in streets) < min(t.area for t in towns)  # streets are the small urban core


def test_every_polygon_is_a_valid_single_polygon(shapes: dict[str, Any]) -> None:
    assert {g.geom_type for g in shapes.values()} == {"Polygon"}
    assert all(g.is_valid and not g.is_empty for g in shapes.values())


@pytest.mark.parametrize("level_length", [9, 12, 15])
def test_children_tile_their_parent_exactly(
    features: list[dict[str, Any]], shapes: dict[str, Any], level_length: int
) -> None:
    children = _children(features)
    for parent, codes in children.items():
        if not codes or len(codes[0]) != level_length:
            continue
        parts = np.array([shapes[c] for c in codes])
        assert shapely.coverage_is_valid(parts), parent  # no overlaps, shared edges identical
        assert sum(p.area for p in parts) == pytest.approx(shapes[parent].area, rel=1e-9)
        assert shapely.coverage_union_all(parts).symmetric_difference(shapes[parent]).area < 1e-12


def test_all_grids_form_one_coverage_of_the_city(shapes: dict[str, Any]) -> None:
    grids = np.array([g for code, g in shapes.items() if len(code) == 15])
    assert shapely.coverage_is_valid(grids)
    assert sum(g.area for g in grids) == pytest.approx(shapes["420683"].area, rel=1e-9)
