"""Writes to the region tree: import from GeoJSON or CSV (导入区划与网格), and renaming.

``regions_import`` validates the whole file against itself and the database first and writes nothing
if anything is wrong; then it creates and updates in one transaction, parents before children. A region
whose row already says exactly what the file says is left alone (its ``updated_at`` too), so importing
the same file twice changes nothing. Regions missing from the file are kept: import adds and updates.

Rules checked (every offending feature is reported, with its reason):

- properties: ``code``, ``name``, ``kind`` (a ``Kind`` value; the level follows), ``parent_code``;
- codes: digits in the format of the level — GB/T 2260 six digits for a city or county (a root); the
  parent's code plus three digits for a town or street (GB/T 10114: streets 001–099, towns 100–199,
  townships 200–399) and for a village or community (001–399, the 12-digit statistical code); the
  parent's code plus ``GRID_SEQUENCE_WIDTH`` digits for a grid; the parent grid's code plus 1–5 digits
  for a building or lane. No duplicates in the file;
- parents: in the file or the database, one level up;
- shapes: Polygon or MultiPolygon, valid, lon/lat in range; required for grids;
- a shape must lie inside the nearest ancestor that has its own shape (give or take
  ``IMPORT_CONTAINMENT_TOLERANCE_M``, default 1 m); an ancestor without a shape is the union of its
  children, so the test moves up to the next one that has a shape;
- grids may not overlap each other (file or database) by more than ``IMPORT_OVERLAP_TOLERANCE_M2``.

A feature without a shape (every CSV row, or ``"geometry": null``) keeps the shape its region already has
(so a grid may come without one only when it is already stored with one), and a new shape must still hold
the stored regions below it that the file does not reshape. An import that writes appends one audit row
(``region.import``, by "system": the import runs from the command line).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.audit.services import audit_record
from civicgrid.regions import routing
from civicgrid.regions.gridindex import METRES_PER_DEGREE
from civicgrid.regions.models import Kind, Level, Region, RegionGeneration

LEVEL_OF_KIND: dict[str, int] = {
    Kind.CITY: Level.CITY,
    Kind.COUNTY: Level.CITY,
    Kind.STREET: Level.TOWN,
    Kind.TOWN: Level.TOWN,
    Kind.TOWNSHIP: Level.TOWN,
    Kind.COMMUNITY: Level.VILLAGE,
    Kind.VILLAGE: Level.VILLAGE,
    Kind.GRID: Level.GRID,
    Kind.BUILDING: Level.BUILDING,
    Kind.LANE: Level.BUILDING,
}

# GB/T 10114: the three digits after the county code, by kind of town-level unit.
TOWN_RANGES: dict[str, tuple[int, int]] = {
    Kind.STREET: (1, 99),
    Kind.TOWN: (100, 199),
    Kind.TOWNSHIP: (200, 399),
}

CSV_COLUMNS = ("code", "name", "kind", "parent_code")

#: How many created and updated codes an import's audit row lists.
AUDIT_CODES_MAX = 200
#: Codes per ``IN (…)`` query (SQLite's limit on bound parameters is far above, a province's file is not).
_QUERY_CHUNK = 500


@dataclass(frozen=True)
class ImportProblem:
    """One offending feature: its position in the file (1-based; CSV: line number), code and reason."""

    feature: int
    code: str
    reason: str

    def __str__(self) -> str:
        return _("第 %(number)s 项（%(code)s）：%(reason)s") % {
            "number": self.feature,
            "code": self.code or "-",
            "reason": self.reason,
        }


class RegionImportError(ValidationError):
    """The file was rejected; ``problems`` lists every offending feature. Nothing was written."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__([str(problem) for problem in problems], code="region_import")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    created_codes: list[str] = field(default_factory=list)
    updated_codes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = _("新增 %(created)s，更新 %(updated)s，未变 %(unchanged)s") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
        return text + (_("（试运行，未写入）") if self.dry_run else "")


@dataclass
class _Item:
    """One feature as read from the file, then as checked."""

    number: int
    code: str
    name: str
    kind: str
    parent_code: str
    geometry: Any = None  # shapely geometry, lon/lat
    level: int = 0
    wkb: bytes | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class _Node:
    """A region as the import sees it: from the file, else from the database."""

    code: str
    level: int
    parent_code: str
    geometry: Any
    item: _Item | None = None
    region_id: int | None = None


def _knob(name: str, default: float) -> float:
    """A number from settings.CIVICGRID (see settings.py for what each means)."""
    value: Any = getattr(settings, "CIVICGRID", {}).get(name, default)
    return float(value)


# --- reading ------------------------------------------------------------------------------------


def _read(data: dict[str, Any] | str | Path) -> list[_Item]:
    if isinstance(data, dict):
        return _read_geojson(data)
    path = Path(data)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegionImportError([ImportProblem(0, "", _("无法读取文件：%(error)s") % {"error": exc})]) from None
    is_csv = path.suffix.lower() == ".csv"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if not is_csv:
            raise RegionImportError([ImportProblem(0, "", _("文件不是 UTF-8 编码。"))]) from None
        try:
            text = raw.decode("gb18030")  # CSV saved by Excel on a Chinese system
        except UnicodeDecodeError:
            raise RegionImportError([ImportProblem(0, "", _("CSV 文件既不是 UTF-8 也不是 GB18030 编码。"))]) from None
    if is_csv:
        return _read_csv(text)
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise RegionImportError([ImportProblem(0, "", _("不是有效的 JSON：%(error)s") % {"error": exc})]) from None
    if not isinstance(parsed, dict):
        raise RegionImportError([ImportProblem(0, "", _("文件必须是 GeoJSON FeatureCollection。"))])
    return _read_geojson(parsed)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return value.strip() if isinstance(value, str) else str(value)


def _read_geojson(data: dict[str, Any]) -> list[_Item]:
    features = data.get("features")
    if data.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise RegionImportError([ImportProblem(0, "", _("文件必须是 GeoJSON FeatureCollection。"))])
    items: list[_Item] = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            item = _Item(number, "", "", "", "")
            item.problems.append(_("不是 GeoJSON Feature。"))
            items.append(item)
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        item = _Item(
            number,
            _text(props.get("code")),
            _text(props.get("name")),
            _text(props.get("kind")),
            _text(props.get("parent_code")),
        )
        if isinstance(props.get("code"), float | bool):
            item.problems.append(_("代码必须写成字符串。"))
        geometry = feature.get("geometry")
        if geometry is not None:
            try:
                geom = shapely.geometry.shape(geometry)
            except Exception:  # shapely raises several kinds for malformed GeoJSON
                item.problems.append(_("边界不是有效的 GeoJSON 几何。"))
            else:
                item.geometry = shapely.force_2d(geom)
        items.append(item)
    return items


def _read_csv(text: str) -> list[_Item]:
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        raise RegionImportError(
            [
                ImportProblem(
                    1, "", _("CSV 缺少列：%(columns)s") % {"columns": pgettext("列表分隔符", "、").join(missing)}
                )
            ]
        )
    items: list[_Item] = []
    for row in reader:
        clean = {(key or "").strip(): value for key, value in row.items()}
        items.append(
            _Item(
                reader.line_num,
                _text(clean.get("code")),
                _text(clean.get("name")),
                _text(clean.get("kind")),
                _text(clean.get("parent_code")),
            )
        )
    return items


# --- checking -----------------------------------------------------------------------------------


def _code_problem(item: _Item, parent: _Node | None) -> str | None:
    code, level = item.code, item.level
    if not code.isascii() or not code.isdigit():
        return _("代码只能由数字组成。")
    if level == Level.CITY:
        if len(code) != 6 or code[0] == "0":
            return _("市/县代码必须是 6 位 GB/T 2260 代码。")
        return None
    if parent is None:
        return None  # reported as a parent problem
    if not code.startswith(parent.code):
        return _("代码必须以上级代码 %(parent)s 开头。") % {"parent": parent.code}
    suffix = code[len(parent.code) :]
    if level == Level.TOWN:
        low, high = TOWN_RANGES[item.kind]
        if len(suffix) != 3 or not low <= int(suffix) <= high:
            return _("%(kind)s代码应为上级代码加 3 位 %(low)03d–%(high)03d（GB/T 10114）。") % {
                "kind": Kind(item.kind).label,
                "low": low,
                "high": high,
            }
    elif level == Level.VILLAGE:
        if len(suffix) != 3 or not 1 <= int(suffix) <= 399:
            return _("村/社区代码应为上级代码加 3 位 001–399（12 位统计用区划代码）。")
    elif level == Level.GRID:
        width = int(_knob("GRID_SEQUENCE_WIDTH", 3))
        if len(suffix) != width or int(suffix) == 0:
            return _("网格代码应为村/社区代码加 %(width)s 位序号（不能全为 0）。") % {"width": width}
    elif level == Level.BUILDING and (not 1 <= len(suffix) <= 5 or int(suffix) == 0 or len(code) > 20):
        return _("楼栋/巷代码应为网格代码加 1–5 位序号。")
    return None


def _geometry_problem(geom: Any) -> str | None:
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return _("边界必须是 Polygon 或 MultiPolygon，收到 %(type)s。") % {"type": geom.geom_type}
    if geom.is_empty:
        return _("边界为空。")
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        return _("边界含有非数字坐标。")
    if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
        return _("边界坐标超出经纬度范围（应为 WGS-84 经度、纬度）。")
    if not geom.is_valid:
        return _("边界无效：%(reason)s") % {"reason": shapely.is_valid_reason(geom)}
    return None


class _Plane:
    """Metres on an equirectangular plane around the file's shapes, for tolerances."""

    def __init__(self, geoms: Iterable[Any]) -> None:
        shapes = [g for g in geoms if g is not None]
        if shapes:
            min_x, min_y, max_x, max_y = shapely.total_bounds(np.array(shapes, dtype=object))
        else:
            min_x = min_y = max_x = max_y = 0.0
        self.offset = np.array([(min_x + max_x) / 2, (min_y + max_y) / 2])
        self.scale = np.array([METRES_PER_DEGREE * math.cos(math.radians(self.offset[1])), METRES_PER_DEGREE])

    def project(self, geoms: Any) -> Any:
        return shapely.transform(geoms, lambda c: (c - self.offset) * self.scale)


def _load_database_nodes(items: list[_Item]) -> dict[str, _Node]:
    """The database regions the file refers to: its own codes and every prefix of them (ancestors)."""
    wanted: set[str] = set()
    for item in items:
        for code in (item.code, item.parent_code):
            wanted.update(code[:size] for size in range(6, len(code) + 1))
    nodes: dict[str, _Node] = {}
    rows = Region.objects.filter(code__in=wanted).values_list("id", "code", "level", "parent__code", "geometry")
    for region_id, code, level, parent_code, wkb in rows:
        geom = shapely.from_wkb(bytes(wkb)) if wkb else None
        nodes[code] = _Node(code, level, parent_code or "", geom, region_id=region_id)
    return nodes


def _check(items: list[_Item]) -> dict[str, _Node]:
    """Fill ``problems`` on every item; return the merged tree (file over database) by code."""
    by_code: dict[str, list[_Item]] = {}
    unshaped_grids: list[_Item] = []
    for item in items:
        if item.code:
            by_code.setdefault(item.code, []).append(item)
    for item in items:
        if not item.code:
            item.problems.append(_("缺少代码（code）。"))
        elif len(by_code[item.code]) > 1:
            others = [str(other.number) for other in by_code[item.code] if other is not item]
            item.problems.append(
                _("代码重复（另见第 %(others)s 项）。") % {"others": pgettext("列表分隔符", "、").join(others)}
            )
        if not item.name:
            item.problems.append(_("缺少名称（name）。"))
        elif len(item.name) > 100:
            item.problems.append(_("名称超过 100 个字。"))
        if item.kind not in LEVEL_OF_KIND:
            item.problems.append(
                _("类型（kind）“%(kind)s”无效，可用：%(choices)s。")
                % {"kind": item.kind, "choices": pgettext("列表分隔符", "、").join(Kind.values)}
            )
        else:
            item.level = LEVEL_OF_KIND[item.kind]
        if item.geometry is not None:
            problem = _geometry_problem(item.geometry)
            if problem:
                item.problems.append(problem)
                item.geometry = None
            else:
                item.wkb = shapely.to_wkb(item.geometry)
        elif item.level == Level.GRID and not item.problems:
            unshaped_grids.append(item)

    db_nodes = _load_database_nodes(items)
    for item in unshaped_grids:  # a grid already stored with a shape keeps it (CSV renames)
        stored = db_nodes.get(item.code)
        if stored is None or stored.geometry is None or stored.level != Level.GRID:
            item.problems.append(_("网格必须有边界（Polygon 或 MultiPolygon）。"))
    nodes: dict[str, _Node] = dict(db_nodes)
    for item in items:
        if item.code and len(by_code[item.code]) == 1 and item.level:
            # No shape in the file (CSV, or null in GeoJSON) keeps the shape the database has.
            stored = db_nodes.get(item.code)
            geometry = item.geometry if item.geometry is not None or stored is None else stored.geometry
            nodes[item.code] = _Node(item.code, item.level, item.parent_code, geometry, item=item)

    for item in items:
        if not item.level or not item.code:
            continue
        existing = db_nodes.get(item.code)
        if existing is not None and existing.level != item.level:
            item.problems.append(
                _("该代码已存在且层级为“%(old)s”，导入不能改变层级。") % {"old": Level(existing.level).label}
            )
        parent: _Node | None = None
        if item.level == Level.CITY:
            if item.parent_code:
                item.problems.append(_("市/县是最上级，不能有上级代码。"))
        elif not item.parent_code:
            item.problems.append(_("缺少上级代码（parent_code）。"))
        else:
            parent = nodes.get(item.parent_code)
            if parent is None:
                item.problems.append(_("上级 %(parent)s 既不在文件中，也不在数据库中。") % {"parent": item.parent_code})
            elif parent.level != item.level - 1:
                item.problems.append(
                    _("上级 %(parent)s 的层级是“%(got)s”，应为“%(want)s”。")
                    % {
                        "parent": parent.code,
                        "got": Level(parent.level).label,
                        "want": Level(item.level - 1).label,
                    }
                )
                parent = None
        problem = _code_problem(item, parent)
        if problem:
            item.problems.append(problem)
    _check_shapes(items, nodes)
    return nodes


def _check_shapes(items: list[_Item], nodes: dict[str, _Node]) -> None:
    shaped = [item for item in items if item.geometry is not None]
    if not shaped:
        return
    plane = _Plane(item.geometry for item in shaped)
    tolerance_m = _knob("IMPORT_CONTAINMENT_TOLERANCE_M", 1.0)

    # Inside the nearest ancestor with a shape of its own (all shapes projected in one call).
    projected_items = plane.project(np.array([item.geometry for item in shaped], dtype=object))
    buffered: dict[str, Any] = {}
    checks: list[tuple[int, str]] = []
    for position, item in enumerate(shaped):
        node = nodes.get(item.parent_code)
        seen = 0
        while node is not None and node.geometry is None and seen < 8:
            node = nodes.get(node.parent_code)
            seen += 1
        if node is None or node.geometry is None:
            continue
        if node.code not in buffered:
            buffered[node.code] = plane.project(node.geometry).buffer(tolerance_m)
            shapely.prepare(buffered[node.code])
        checks.append((position, node.code))
    if checks:
        children = projected_items[[position for position, _code in checks]]
        ancestors = np.array([buffered[code] for _position, code in checks], dtype=object)
        for k in np.flatnonzero(~shapely.covers(ancestors, children)).tolist():
            position, code = checks[k]
            outside = shapely.area(shapely.difference(children[k], ancestors[k]))
            shaped[position].problems.append(
                _("边界超出上级 %(ancestor)s 的范围（约 %(area).0f 平方米在外）。")
                % {"ancestor": code, "area": outside}
            )
    _check_stored_descendants(shaped, plane, tolerance_m)

    # Grids against every other grid, in the file or in the database near it.
    overlap_m2 = _knob("IMPORT_OVERLAP_TOLERANCE_M2", 1.0)
    file_grids = [item for item in shaped if item.level == Level.GRID]
    if not file_grids:
        return
    file_codes = {item.code for item in file_grids}
    min_x, min_y, max_x, max_y = shapely.total_bounds(np.array([i.geometry for i in file_grids], dtype=object))
    db_rows = Region.objects.filter(
        Q(level=Level.GRID, geometry__isnull=False)
        & Q(max_lon__gte=min_x, min_lon__lte=max_x, max_lat__gte=min_y, min_lat__lte=max_y)
    ).values_list("code", "geometry")
    codes = [item.code for item in file_grids]
    geoms = [item.geometry for item in file_grids]
    for code, wkb in db_rows:
        if code not in file_codes:
            codes.append(code)
            geoms.append(shapely.from_wkb(bytes(wkb or b"")))
    projected = plane.project(np.array(geoms, dtype=object))
    tree = shapely.STRtree(projected)
    left, right = tree.query(projected[: len(file_grids)], predicate="intersects")
    keep = (left != right) & ((right >= len(file_grids)) | (left < right))
    left, right = left[keep], right[keep]
    if not left.size:
        return
    # Neighbours in a clean partition only touch: skip them before the costly overlay.
    crossing = ~shapely.touches(projected[left], projected[right])
    left, right = left[crossing], right[crossing]
    areas = shapely.area(shapely.intersection(projected[left], projected[right]))
    for i, j, area in zip(left.tolist(), right.tolist(), areas.tolist(), strict=True):
        if area <= overlap_m2:
            continue
        message = _("与网格 %(other)s 重叠约 %(area).1f 平方米（允许 %(limit)s 平方米）。")
        file_grids[i].problems.append(message % {"other": codes[j], "area": area, "limit": f"{overlap_m2:g}"})
        if j < len(file_grids):
            file_grids[j].problems.append(message % {"other": codes[i], "area": area, "limit": f"{overlap_m2:g}"})


def _check_stored_descendants(shaped: list[_Item], plane: _Plane, tolerance_m: float) -> None:
    """A new shape for a region must still hold the stored regions below it that the file leaves alone.

    Walks down from every region the file gives a shape, level by level through the stored tree, to the
    first stored region with a shape of its own on each branch: that one answers to the new shape (the
    ones below it answer to it, and it does not change). Regions the file reshapes are checked upwards.
    """
    new_shapes = {item.code: item for item in shaped}
    anchor_of = {code: code for code in new_shapes}  # region → the new shape its branch answers to
    below: dict[str, list[tuple[str, bytes]]] = {}
    frontier = list(new_shapes)
    while frontier:
        children: list[tuple[str, str, bytes | None]] = []
        for start in range(0, len(frontier), _QUERY_CHUNK):
            chunk = frontier[start : start + _QUERY_CHUNK]
            children += Region.objects.filter(parent__code__in=chunk).values_list("code", "parent__code", "geometry")
        frontier = []
        for code, parent_code, wkb in children:
            if code in new_shapes:
                continue  # its own branch, and checked against its ancestors as a feature of the file
            anchor_of[code] = anchor_of[parent_code]
            if wkb is None:
                frontier.append(code)
            else:
                below.setdefault(anchor_of[code], []).append((code, bytes(wkb)))
    for anchor, rows in sorted(below.items()):
        rows.sort()
        area = plane.project(new_shapes[anchor].geometry).buffer(tolerance_m)
        shapely.prepare(area)
        inside = shapely.covers(area, plane.project(shapely.from_wkb([wkb for _code, wkb in rows])))
        outside = [code for (code, _wkb), ok in zip(rows, inside, strict=True) if not ok]
        if outside:
            codes = pgettext("列表分隔符", "、").join(outside[:10])
            if len(outside) > 10:
                codes = _("%(codes)s等") % {"codes": codes}
            new_shapes[anchor].problems.append(
                _("已有的下级 %(codes)s 的边界会超出这一新边界（共 %(count)s 个）。")
                % {"codes": codes, "count": len(outside)}
            )


# --- writing ------------------------------------------------------------------------------------


def _bump_generation() -> None:
    """Also done by database triggers; done here too so a database without them stays correct."""
    import secrets

    updated = RegionGeneration.objects.filter(pk=1).update(generation=F("generation") + 1, token=secrets.token_hex(16))
    if not updated:
        RegionGeneration.objects.create(pk=1, generation=1, token=secrets.token_hex(16))


def regions_import(*, data: dict[str, Any] | str | Path, dry_run: bool = False) -> ImportReport:
    """Import regions from a GeoJSON FeatureCollection (dict or file path) or a CSV file path.

    Raises RegionImportError listing every offending feature; then nothing is written.
    """
    items = _read(data)
    with transaction.atomic():
        # One import at a time: the version row is the lock (PostgreSQL; SQLite serialises writers anyway).
        RegionGeneration.objects.select_for_update().filter(pk=1).first()
        _check(items)
        problems = [ImportProblem(item.number, item.code, reason) for item in items for reason in item.problems]
        if problems:
            raise RegionImportError(problems)
        report = _apply(items, dry_run=dry_run)
        if dry_run or not (report.created or report.updated):
            return report
        _bump_generation()
        audit_record(
            actor=None,
            actor_name="system",
            action="region.import",
            detail={
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                # The codes, up to a screenful: a whole province's would swell the log for nothing.
                "created_codes": report.created_codes[:AUDIT_CODES_MAX],
                "updated_codes": report.updated_codes[:AUDIT_CODES_MAX],
            },
        )
        transaction.on_commit(routing.invalidate)
    routing.invalidate()
    return report


def _apply(items: list[_Item], *, dry_run: bool) -> ImportReport:
    report = ImportReport(dry_run=dry_run)
    existing = {
        region.code: region
        for region in Region.objects.filter(code__in=[item.code for item in items]).select_related("parent")
    }
    ids: dict[str, int] = {code: region.pk for code, region in existing.items()}
    parent_codes = {item.parent_code for item in items if item.parent_code}
    ids.update(dict(Region.objects.filter(code__in=parent_codes).values_list("code", "id")))
    now = timezone.now()
    for level in sorted(Level.values):
        creates: list[Region] = []
        updates: list[Region] = []
        for item in sorted((i for i in items if i.level == level), key=lambda i: i.code):
            parent_id = ids.get(item.parent_code) if item.parent_code else None
            region = existing.get(item.code)
            if region is None:
                region = Region(code=item.code, name=item.name, kind=item.kind, level=item.level, parent_id=parent_id)
                region.set_shape(item.geometry)
                creates.append(region)
                report.created_codes.append(item.code)
                continue
            old_wkb = bytes(region.geometry) if region.geometry is not None else None
            new_shape = item.wkb is not None and item.wkb != old_wkb  # no shape given: keep the stored one
            if (
                region.name == item.name
                and region.kind == item.kind
                and region.parent_id == parent_id
                and not new_shape
            ):
                report.unchanged += 1
                continue
            region.name, region.kind, region.parent_id = item.name, item.kind, parent_id
            if new_shape:
                region.set_shape(item.geometry)
            region.updated_at = now
            updates.append(region)
            report.updated_codes.append(item.code)
        report.created += len(creates)
        report.updated += len(updates)
        if dry_run:
            # Later levels only need to know their parents will exist.
            ids.update({region.code: -1 for region in creates})
            continue
        if creates:
            Region.objects.bulk_create(creates, batch_size=500)
            ids.update(dict(Region.objects.filter(code__in=[r.code for r in creates]).values_list("code", "id")))
        if updates:
            Region.objects.bulk_update(
                updates,
                ["name", "kind", "parent", "geometry", "min_lon", "min_lat", "max_lon", "max_lat",
                 "label_lon", "label_lat", "updated_at"],
                batch_size=500,
            )  # fmt: skip
    return report


def region_rename(*, region: Region, name: str) -> Region:
    """Give a region a new name (the admin's only edit; codes, parents and shapes come from import)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": _("名称不能为空，且不超过 100 个字。")})
    with transaction.atomic():
        region.name = name
        region.save(update_fields=["name", "updated_at"])
        _bump_generation()
        transaction.on_commit(routing.invalidate)
    return region
