"""The demo city (示范市): a deterministic synthetic county-level city as a GeoJSON FeatureCollection.

``city_features(seed)`` is pure: the same seed always gives the same city. Shapes are made in a local
kilometre plane (Voronoi cells of seed points clipped to their parent), moved to WGS-84 lon/lat, made
into an exact coverage at grid level, and every higher level is the union of its children, so children
tile their parent exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import Point, Polygon, mapping

DEFAULT_SEED = 2026

CITY_CODE = "420683"
CITY_NAME = "溪山市"  # invented; no real county goes by this name
STREET_COUNT = 4
TOWN_COUNT = 14
INNER_TOWNS = 5
COMMUNITY_COUNT = 36
VILLAGE_COUNT = 500
GRID_COUNT = 655
# Communities are denser than villages, so they hold more grids each.
COMMUNITY_GRIDS = (2, 5)  # min, max per community
VILLAGE_GRIDS = (1, 3)  # min, max per village
COMMUNITY_GRID_TOTAL = 108

# The outline sits around 112.0–112.9 E, 31.9–32.5 N and covers about 3,300–3,700 km².
CENTER_LON, CENTER_LAT = 112.45, 32.2
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(CENTER_LAT))
KM_PER_DEG_LAT = 110.57

STREET_NAMES = ["城关", "文昌", "鼓楼", "新华", "东城", "西城", "南城", "北城"]
TOWN_NAMES = [
    "东湖", "清河", "石门", "龙泉", "桃园", "白水", "青山", "双河", "柳林", "黄岗", "三里", "金鸡",
    "凤凰", "古城", "长岭", "梅林", "松坪", "马坪", "高庙", "河口", "大堰", "安乐", "永兴", "洪山",
]  # fmt: skip
COMMUNITY_NAMES = [
    "文昌", "和平", "建设", "幸福", "光明", "胜利", "友谊", "春晖", "阳光", "滨江", "锦绣", "紫荆",
    "朝阳", "团结", "东风", "民主", "青年", "育才", "学府", "花园", "翠湖", "金桥", "丽景", "凤鸣",
    "惠民", "安居", "同心", "康宁", "永安", "长春", "书院", "府前", "望江", "建华", "兴华", "振兴",
    "南关", "北关", "东关", "西关", "公园", "光华", "红星", "解放", "体育", "车站", "银河", "广场",
]  # fmt: skip
VILLAGE_FIRST = list(
    "石柳杨桃梅松竹荷黄白青红新老东西南北大小上下高马龙凤金双三王李张刘陈赵周吴郭何罗胡邓鲁宋唐许万余汪"
)
VILLAGE_SECOND = list("桥湾岗山河湖塘堰坪岭冲店集庄营寨铺沟坡林园港洼畈垱楼台井家岔")


@dataclass
class _Area:
    """One region while the city is being made; ``shape`` is in the kilometre plane until the end."""

    kind: str
    shape: Any
    children: list[_Area] = field(default_factory=list)
    code: str = ""
    name: str = ""


def city_features(seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The whole demo city as a GeoJSON FeatureCollection, parents before children."""
    rng = np.random.default_rng(seed)
    city = _make_tree(rng)
    _to_lonlat_coverage(city)
    _assign_codes_and_names(city, rng)
    features: list[dict[str, Any]] = []

    def add(area: _Area, parent_code: str) -> None:
        features.append(
            {
                "type": "Feature",
                "properties": {"code": area.code, "name": area.name, "kind": area.kind, "parent_code": parent_code},
                "geometry": mapping(area.shape),
            }
        )

    add(city, "")
    for town in city.children:
        add(town, city.code)
    for town in city.children:
        for village in town.children:
            add(village, town.code)
    for town in city.children:
        for village in town.children:
            for grid in village.children:
                add(grid, village.code)
    return {"type": "FeatureCollection", "features": features}


# --- shapes in the kilometre plane ------------------------------------------------------------


def _make_tree(rng: np.random.Generator) -> _Area:
    outline = _outline(rng)
    core_center = rng.uniform(-3.0, 3.0, size=2)
    core = shapely.intersection(_blob(rng, core_center, radius=6.5, roughness=0.12, vertices=48), outline)
    rural = shapely.difference(outline, core)

    street_angles = np.arange(STREET_COUNT) * (2 * math.pi / STREET_COUNT) + rng.uniform(0, 2 * math.pi)
    street_angles += rng.uniform(-0.3, 0.3, STREET_COUNT)
    street_seeds = core_center + np.column_stack([np.cos(street_angles), np.sin(street_angles)]) * rng.uniform(
        2.0, 3.5, (STREET_COUNT, 1)
    )
    streets = _split(core, street_seeds)

    # Two rings of towns, an inner one around the core and an outer one along the border.
    town_seeds = []
    for count, (near, far) in ((INNER_TOWNS, (0.3, 0.45)), (TOWN_COUNT - INNER_TOWNS, (0.7, 0.85))):
        angles = np.arange(count) * (2 * math.pi / count) + rng.uniform(0, 2 * math.pi)
        for angle in angles + rng.uniform(-0.25, 0.25, count) * (2 * math.pi / count):
            direction = np.array([math.cos(angle), math.sin(angle)])
            ray = shapely.LineString([core_center, core_center + 200 * direction])
            reach = shapely.intersection(ray, outline).length
            town_seeds.append(core_center + direction * reach * rng.uniform(near, far))
    towns = _split(rural, np.array(town_seeds))

    city = _Area("county", outline)
    city.children = [_Area("street", shape) for shape in streets] + [_Area("town", shape) for shape in towns]

    community_counts = _allocate(COMMUNITY_COUNT, [s.area for s in streets], rng, minimum=3, maximum=20)
    village_counts = _allocate(VILLAGE_COUNT, [t.area for t in towns], rng, minimum=10, maximum=80)
    for area, count in zip(city.children, community_counts + village_counts, strict=True):
        kind = "community" if area.kind == "street" else "village"
        area.children = [_Area(kind, shape) for shape in _split(area.shape, _seeds(rng, area.shape, count))]

    communities = [v for t in city.children for v in t.children if v.kind == "community"]
    villages = [v for t in city.children for v in t.children if v.kind == "village"]
    grid_counts = _allocate(
        COMMUNITY_GRID_TOTAL, [c.shape.area for c in communities], rng, *COMMUNITY_GRIDS
    ) + _allocate(GRID_COUNT - COMMUNITY_GRID_TOTAL, [v.shape.area for v in villages], rng, *VILLAGE_GRIDS)
    for area, count in zip(communities + villages, grid_counts, strict=True):
        area.children = [_Area("grid", shape) for shape in _split(area.shape, _seeds(rng, area.shape, count))]
    return city


def _blob(rng: np.random.Generator, center: np.ndarray, *, radius: float, roughness: float, vertices: int) -> Polygon:
    """An irregular closed shape: a circle whose radius wobbles with a few random harmonics."""
    theta = np.linspace(0, 2 * math.pi, vertices, endpoint=False)
    wobble = np.ones_like(theta)
    for k in range(2, 9):
        wobble += rng.uniform(0, roughness / k**0.5) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    r = radius * wobble
    return Polygon(np.column_stack([center[0] + r * np.cos(theta), center[1] + r * np.sin(theta)]))


def _outline(rng: np.random.Generator) -> Polygon:
    """The city's border: a wobbly ellipse wider east–west, scaled to 3,300–3,700 km²."""
    theta = np.linspace(0, 2 * math.pi, 160, endpoint=False)
    wobble = np.ones_like(theta)
    for k in range(2, 13):
        wobble += rng.uniform(0.02, 0.12 / k**0.6) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    shape = Polygon(np.column_stack([36 * wobble * np.cos(theta), 28 * wobble * np.sin(theta)]))
    scale = math.sqrt(rng.uniform(3300, 3700) / shape.area)
    return affinity.scale(shape, scale, scale, origin=(0, 0))


def _seeds(rng: np.random.Generator, shape: Any, count: int) -> np.ndarray:
    """``count`` points spread over ``shape``: random, then two Lloyd steps so cells are even-ish."""
    if count == 1:
        return np.array([[shape.representative_point().x, shape.representative_point().y]])
    min_x, min_y, max_x, max_y = shape.bounds
    points = np.empty((0, 2))
    while len(points) < count:
        batch = rng.uniform((min_x, min_y), (max_x, max_y), size=(4 * count, 2))
        points = np.vstack([points, batch[shapely.contains_xy(shape, batch[:, 0], batch[:, 1])]])
    points = points[:count]
    for _ in range(2):
        cells = _split(shape, points)
        points = np.array([_inner_point(cell) for cell in cells])
    return points


def _inner_point(shape: Any) -> tuple[float, float]:
    point = shape.centroid
    if not shape.contains(point):
        point = shape.representative_point()
    return point.x, point.y


def _split(parent: Any, seeds: np.ndarray) -> list[Any]:
    """Voronoi cells of ``seeds`` clipped to ``parent``; one single polygon per seed, in seed order.

    A cell clipped by a concave parent can fall apart; the piece without the seed joins the
    neighbour it shares the longest border with, so every child stays one polygon.
    """
    if len(seeds) == 1:
        return [parent]
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=parent.envelope.buffer(1.0), ordered=True)
    )
    pieces: list[Any] = []
    orphans: list[Any] = []
    for seed, cell in zip(seeds, cells, strict=True):
        parts = [p for p in shapely.get_parts(shapely.intersection(cell, parent)) if p.geom_type == "Polygon"]
        seed_point = Point(seed)
        main = max(parts, key=lambda p: (p.covers(seed_point), p.area))
        pieces.append(main)
        orphans.extend(p for p in parts if p is not main)
    while orphans:
        remaining = []
        for orphan in orphans:
            shared = [shapely.intersection(piece.boundary, orphan.boundary).length for piece in pieces]
            best = int(np.argmax(shared))
            if shared[best] > 0:
                pieces[best] = shapely.union(pieces[best], orphan)
            else:
                remaining.append(orphan)
        if len(remaining) == len(orphans):
            raise RuntimeError("an orphaned piece of a Voronoi cell touches no other cell")
        orphans = remaining
    return pieces


def _allocate(total: int, weights: list[float], rng: np.random.Generator, minimum: int, maximum: int) -> list[int]:
    """Split ``total`` into integers roughly proportional to ``weights`` (jittered), within bounds."""
    w = np.asarray(weights) * rng.uniform(0.8, 1.25, len(weights))
    counts = np.full(len(w), minimum)
    for _ in range(total - counts.sum()):
        # Give the next unit to whoever is furthest below their fair share and still has room.
        deficit = w / w.sum() * total - counts
        deficit[counts >= maximum] = -np.inf
        counts[int(np.argmax(deficit))] += 1
    if counts.sum() != total:
        raise ValueError("cannot allocate within the bounds")
    return [int(c) for c in counts]


# --- to lon/lat, exactly tiled ----------------------------------------------------------------


def _to_lonlat(geometry: Any) -> Any:
    return shapely.transform(
        geometry,
        lambda xy: np.column_stack([CENTER_LON + xy[:, 0] / KM_PER_DEG_LON, CENTER_LAT + xy[:, 1] / KM_PER_DEG_LAT]),
    )


def _to_lonlat_coverage(city: _Area) -> None:
    """Grids become an exact coverage (shared edges identical); every parent is its children's union."""
    grids = [g for town in city.children for village in town.children for g in village.children]
    cleaned = shapely.coverage_clean(
        shapely.set_precision(np.array([_to_lonlat(g.shape) for g in grids]), 1e-7),
        gap_width=1e-6,
        snapping_distance=1e-7,
    )
    if not shapely.coverage_is_valid(cleaned):
        raise RuntimeError("the demo grids do not form an exact coverage")
    for grid, shape in zip(grids, cleaned, strict=True):
        grid.shape = shapely.normalize(shape)
    for town in city.children:
        for village in town.children:
            village.shape = _union(village.children)
        town.shape = _union(town.children)
    city.shape = _union(city.children)


def _union(children: list[_Area]) -> Any:
    return shapely.normalize(shapely.coverage_union_all([c.shape for c in children]))


# --- codes and names --------------------------------------------------------------------------


def _reading_order(areas: list[_Area]) -> list[_Area]:
    """West→east within rows, rows north→south, over the areas' label points."""
    points = np.array([[a.shape.representative_point().x, a.shape.representative_point().y] for a in areas])
    min_x, min_y = points.min(axis=0)
    max_x, max_y = points.max(axis=0)
    width, height = max(max_x - min_x, 1e-9), max(max_y - min_y, 1e-9)
    rows = max(1, round(math.sqrt(len(areas) * height / width)))
    row = np.minimum(((max_y - points[:, 1]) / height * rows).astype(int), rows - 1)
    order = sorted(range(len(areas)), key=lambda i: (row[i], points[i, 0]))
    return [areas[i] for i in order]


def _assign_codes_and_names(city: _Area, rng: np.random.Generator) -> None:
    city.code, city.name = CITY_CODE, CITY_NAME
    streets = _reading_order([a for a in city.children if a.kind == "street"])
    towns = _reading_order([a for a in city.children if a.kind == "town"])
    city.children = streets + towns
    street_names = rng.permutation(STREET_NAMES)[:STREET_COUNT]
    town_names = rng.permutation(TOWN_NAMES)[:TOWN_COUNT]
    for number, (street, name) in enumerate(zip(streets, street_names, strict=True), start=1):
        street.code, street.name = f"{CITY_CODE}{number:03d}", f"{name}街道"
    for number, (town, name) in enumerate(zip(towns, town_names, strict=True), start=100):
        town.code, town.name = f"{CITY_CODE}{number:03d}", f"{name}镇"

    community_names = iter(rng.permutation(COMMUNITY_NAMES))
    village_pairs = [a + b for a in VILLAGE_FIRST for b in VILLAGE_SECOND]
    village_names = iter(rng.permutation(village_pairs))
    for town in city.children:
        town.children = _reading_order(town.children)
        first = 1 if town.kind == "street" else 200  # GB/T 10114 style: communities 001–, villages 200–
        for number, village in enumerate(town.children, start=first):
            village.code = f"{town.code}{number:03d}"
            if village.kind == "community":
                village.name = f"{next(community_names)}社区"
            else:
                village.name = f"{next(village_names)}村"
            village.children = _reading_order(village.children)
            for sequence, grid in enumerate(village.children, start=1):
                grid.code = f"{village.code}{sequence:03d}"
                grid.name = f"{village.name}第{sequence}网格"
