"""Import of regions from GeoJSON and CSV: every rule, all-or-nothing, idempotent."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from civicgrid.regions.models import Level, Region, RegionGeneration
from civicgrid.regions.services import RegionImportError, region_rename, regions_import

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.django_db


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def feature(code: str, kind: str, parent: str, geometry: dict[str, Any] | None, name: str = "测试") -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "kind": kind, "parent_code": parent},
        "geometry": geometry,
    }


def with_features(*extra: dict[str, Any]) -> dict[str, Any]:
    """basic.geojson plus extra features."""
    data = load("basic.geojson")
    data["features"].extend(copy.deepcopy(list(extra)))
    return data


def tree_only(*extra: dict[str, Any]) -> dict[str, Any]:
    """basic.geojson without its grids (6 features: 7 is the first extra one), plus extra features."""
    data = load("basic.geojson")
    data["features"] = [f for f in data["features"] if f["properties"]["kind"] != "grid"]
    data["features"].extend(copy.deepcopy(list(extra)))
    return data


def problems_of(data: Any) -> list[tuple[int, str, str]]:
    with pytest.raises(RegionImportError) as info:
        regions_import(data=data)
    return [(p.feature, p.code, p.reason) for p in info.value.problems]


def test_import_builds_the_tree_with_parents_first_whatever_the_order() -> None:
    report = regions_import(data=DATA / "basic.geojson")

    assert (report.created, report.updated, report.unchanged) == (10, 0, 0)
    grid = Region.objects.get(code="420683100200001")
    assert [r.code for r in grid.ancestors()] == ["420683", "420683100", "420683100200"]
    assert (grid.level, grid.kind, grid.name) == (Level.GRID, "grid", "甲一村第1网格")
    assert (grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat) == (112.0, 32.2, 112.1, 32.4)
    assert Region.objects.get(code="420683100").geometry is None
    assert Region.objects.get(code="420683001").kind == "street"


def test_reimporting_the_same_file_changes_nothing() -> None:
    regions_import(data=DATA / "basic.geojson")
    stamps = dict(Region.objects.values_list("code", "updated_at"))
    version = RegionGeneration.objects.get(pk=1)

    report = regions_import(data=str(DATA / "basic.geojson"))

    assert (report.created, report.updated, report.unchanged) == (0, 0, 10)
    assert dict(Region.objects.values_list("code", "updated_at")) == stamps
    assert RegionGeneration.objects.get(pk=1).token == version.token


def test_reimporting_a_changed_file_updates_only_what_changed() -> None:
    regions_import(data=DATA / "basic.geojson")
    untouched = Region.objects.get(code="420683100201001").updated_at
    version = RegionGeneration.objects.get(pk=1)

    report = regions_import(data=DATA / "changed.geojson")

    assert (report.created, report.updated, report.unchanged) == (0, 3, 7)
    assert sorted(report.updated_codes) == ["420683100", "420683100200001", "420683100200002"]
    assert Region.objects.get(code="420683100").name == "甲镇（新）"
    assert Region.objects.get(code="420683100200001").max_lon == 112.15
    assert Region.objects.get(code="420683100201001").updated_at == untouched
    after = RegionGeneration.objects.get(pk=1)
    assert after.generation > version.generation
    assert after.token != version.token


def test_dry_run_reports_and_writes_nothing() -> None:
    report = regions_import(data=DATA / "basic.geojson", dry_run=True)

    assert (report.created, report.updated, report.unchanged, report.dry_run) == (10, 0, 0, True)
    assert Region.objects.count() == 0


def test_a_feature_collection_dict_is_accepted() -> None:
    report = regions_import(data=load("basic.geojson"))
    assert report.created == 10


def test_a_bad_file_lists_every_offending_feature_and_writes_nothing() -> None:
    problems = problems_of(DATA / "bad.geojson")

    assert [(number, code) for number, code, _ in problems] == [
        (4, "420683100200001"),
        (5, "420683100200002"),
        (6, "420683100200003"),
        (7, "420683100200004"),
        (8, "42068310020005"),
        (9, "420683100200006"),
        (10, "420683100200006"),
        (11, "420683100299001"),
        (12, "420683500"),
        (13, "420683100200007"),
    ]
    reasons = [reason for _, _, reason in problems]
    assert reasons[0].startswith("边界无效：Self-intersection")
    assert reasons[1].startswith("边界超出上级 420683100200 的范围")
    assert reasons[2].startswith("与网格 420683100200004 重叠")
    assert reasons[3].startswith("与网格 420683100200003 重叠")
    assert reasons[4] == "网格代码应为村/社区代码加 3 位序号（不能全为 0）。"
    assert reasons[5] == "代码重复（另见第 10 项）。"
    assert reasons[6] == "代码重复（另见第 9 项）。"
    assert reasons[7] == "上级 420683100299 既不在文件中，也不在数据库中。"
    assert reasons[8] == "镇代码应为上级代码加 3 位 100–199（GB/T 10114）。"
    assert reasons[9] == "网格必须有边界（Polygon 或 MultiPolygon）。"
    assert Region.objects.count() == 0
    assert RegionGeneration.objects.get(pk=1).generation == 0


def test_invalid_polygon_is_rejected() -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[112.0, 32.3], [112.05, 32.35], [112.05, 32.3], [112.0, 32.35], [112.0, 32.3]]],
    }
    data = load("basic.geojson")
    data["features"][0]["geometry"] = bowtie

    [(number, code, reason)] = problems_of(data)

    assert (number, code) == (1, "420683100200001")
    assert reason.startswith("边界无效：Self-intersection")


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ({"type": "Point", "coordinates": [112.0, 32.3]}, "边界必须是 Polygon 或 MultiPolygon，收到 Point。"),
        (box(212.0, 32.2, 212.1, 32.3), "边界坐标超出经纬度范围（应为 WGS-84 经度、纬度）。"),
        ({"type": "Polygon", "coordinates": "nonsense"}, "边界不是有效的 GeoJSON 几何。"),
    ],
)
def test_shapes_that_are_not_lon_lat_polygons_are_rejected(geometry: dict[str, Any], reason: str) -> None:
    data = with_features(feature("420683100200009", "grid", "420683100200", geometry))
    assert problems_of(data) == [(11, "420683100200009", reason)]


def test_grid_outside_its_parents_own_polygon_is_rejected() -> None:
    # It also lies on top of 文昌社区's grid: every reason is reported, on both features of the pair.
    data = with_features(feature("420683100200003", "grid", "420683100200", box(112.25, 32.25, 112.3, 32.3)))

    problems = problems_of(data)

    assert [(n, c) for n, c, _ in problems] == [
        (4, "420683001001001"),
        (11, "420683100200003"),
        (11, "420683100200003"),
    ]
    assert problems[0][2].startswith("与网格 420683100200003 重叠约 ")
    assert problems[1][2].startswith("边界超出上级 420683100200 的范围（约 ")
    assert problems[2][2].startswith("与网格 420683001001001 重叠约 ")


def test_grid_of_a_parent_without_polygon_is_checked_against_the_next_ancestor_with_one() -> None:
    # 甲二村 and 甲镇 have no polygon of their own (they are the union of their children): the city's counts.
    data = tree_only(feature("420683100201002", "grid", "420683100201", box(112.35, 32.3, 112.45, 32.35)))

    [(number, code, reason)] = problems_of(data)

    assert (number, code) == (7, "420683100201002")
    assert reason.startswith("边界超出上级 420683 的范围（约 ")


def test_grid_poking_out_of_its_parent_by_less_than_the_tolerance_is_accepted() -> None:
    # About 0.3 m west of the village and city edge at 112.0 (1 m tolerance); overlaps nothing.
    regions_import(data=DATA / "basic.geojson")
    data = load("basic.geojson")
    data["features"][0]["geometry"] = box(112.0 - 3e-6, 32.2, 112.1, 32.4)

    report = regions_import(data=data)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 9)


def test_overlapping_grids_beyond_the_tolerance_are_rejected_also_against_the_database() -> None:
    regions_import(data=DATA / "basic.geojson")
    data = {
        "type": "FeatureCollection",
        "features": [feature("420683100200003", "grid", "420683100200", box(112.05, 32.2, 112.15, 32.25))],
    }

    problems = problems_of(data)

    assert [(n, c) for n, c, _ in problems] == [(1, "420683100200003"), (1, "420683100200003")]
    assert problems[0][2].startswith("与网格 420683100200001 重叠约 ")
    assert problems[1][2].startswith("与网格 420683100200002 重叠约 ")
    assert problems[0][2].endswith("（允许 1 平方米）。")


def test_overlap_within_the_tolerance_is_accepted(settings: Any) -> None:
    settings.CIVICGRID = {**settings.CIVICGRID, "IMPORT_OVERLAP_TOLERANCE_M2": 5.0}
    data = load("basic.geojson")
    # Grid 002 reaches 2e-9° (~0.2 mm) into grid 001 along their 22 km edge: about 4.2 m² of overlap.
    data["features"][1]["geometry"] = box(112.1 - 2e-9, 32.2, 112.2, 32.4)

    report = regions_import(data=data)

    assert report.created == 10


def test_the_same_overlap_is_rejected_under_a_smaller_tolerance() -> None:
    data = load("basic.geojson")
    data["features"][1]["geometry"] = box(112.1 - 2e-9, 32.2, 112.2, 32.4)

    problems = problems_of(data)

    assert [(n, c) for n, c, _ in problems] == [(1, "420683100200001"), (2, "420683100200002")]


@pytest.mark.parametrize(
    ("code", "kind", "parent", "reason"),
    [
        ("42068A100200003", "grid", "420683100200", "代码只能由数字组成。"),
        ("420684100200003", "grid", "420683100200", "代码必须以上级代码 420683100200 开头。"),
        ("420683100200000", "grid", "420683100200", "网格代码应为村/社区代码加 3 位序号（不能全为 0）。"),
        ("4206831002000031", "grid", "420683100200", "网格代码应为村/社区代码加 3 位序号（不能全为 0）。"),
        ("420683100400", "village", "420683100", "村/社区代码应为上级代码加 3 位 001–399（12 位统计用区划代码）。"),
        ("420683150", "street", "420683", "街道代码应为上级代码加 3 位 001–099（GB/T 10114）。"),
        ("420683099", "township", "420683", "乡代码应为上级代码加 3 位 200–399（GB/T 10114）。"),
        ("42068", "county", "", "市/县代码必须是 6 位 GB/T 2260 代码。"),
    ],
)
def test_malformed_codes_are_rejected(code: str, kind: str, parent: str, reason: str) -> None:
    geometry = box(112.0, 32.3, 112.05, 32.35) if kind == "grid" else None
    regions_import(data=tree_only())
    data = {"type": "FeatureCollection", "features": [feature(code, kind, parent, geometry)]}

    assert problems_of(data) == [(1, code, reason)]


def test_grid_sequence_width_follows_the_setting(settings: Any) -> None:
    settings.CIVICGRID = {**settings.CIVICGRID, "GRID_SEQUENCE_WIDTH": 2}
    data = load("basic.geojson")
    data["features"] = [f for f in data["features"] if f["properties"]["kind"] != "grid"]
    data["features"].append(feature("42068310020001", "grid", "420683100200", box(112.0, 32.2, 112.1, 32.4)))

    report = regions_import(data=data)

    assert report.created == 7
    assert Region.objects.get(code="42068310020001").parent.code == "420683100200"


@pytest.mark.parametrize(
    ("props", "reason"),
    [
        (
            {"kind": "province"},
            "类型（kind）“province”无效，可用：city、county、street、town、township、community、village、grid、building、lane。",
        ),
        ({"name": ""}, "缺少名称（name）。"),
        ({"code": ""}, "缺少代码（code）。"),
        ({"parent_code": ""}, "缺少上级代码（parent_code）。"),
        ({"parent_code": "420683"}, "上级 420683 的层级是“市/县”，应为“村/社区”。"),
        ({"code": 420683100200003.0}, "代码必须写成字符串。"),
    ],
)
def test_bad_properties_are_rejected(props: dict[str, Any], reason: str) -> None:
    grid = feature("420683100200003", "grid", "420683100200", box(112.0, 32.3, 112.05, 32.35))
    grid["properties"].update(props)
    regions_import(data=DATA / "basic.geojson")

    problems = problems_of({"type": "FeatureCollection", "features": [grid]})

    assert reason in [r for _, _, r in problems]


def test_unknown_parent_is_rejected() -> None:
    regions_import(data=tree_only())
    unknown = feature("420683102200001", "grid", "420683102200", box(112.0, 32.3, 112.05, 32.35))

    assert problems_of({"type": "FeatureCollection", "features": [unknown]}) == [
        (1, "420683102200001", "上级 420683102200 既不在文件中，也不在数据库中。")
    ]


def test_a_grid_with_a_parent_only_in_the_database_is_created() -> None:
    data = load("basic.geojson")
    data["features"] = [f for f in data["features"] if f["properties"]["code"] != "420683100200002"]
    regions_import(data=data)

    report = regions_import(
        data={
            "type": "FeatureCollection",
            "features": [feature("420683100200002", "grid", "420683100200", box(112.1, 32.2, 112.2, 32.4))],
        }
    )

    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)
    assert Region.objects.get(code="420683100200002").parent.code == "420683100200"


def test_changing_the_level_of_an_existing_code_is_rejected() -> None:
    regions_import(data=DATA / "basic.geojson")
    data = {"type": "FeatureCollection", "features": [feature("420683100", "county", "", None)]}

    reasons = [r for _, _, r in problems_of(data)]

    assert "该代码已存在且层级为“镇/街道”，导入不能改变层级。" in reasons


def test_csv_import_of_levels_without_geometry() -> None:
    report = regions_import(data=DATA / "towns.csv")

    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    village = Region.objects.get(code="420683102200")
    assert (village.name, village.kind, village.parent.code, village.geometry) == (
        "丙一村",
        "village",
        "420683102",
        None,
    )
    assert Region.objects.get(code="420683200").kind == "township"


def test_csv_import_keeps_the_shapes_already_stored() -> None:
    regions_import(data=DATA / "basic.geojson")
    stamp = Region.objects.get(code="420683").updated_at

    report = regions_import(data=str(DATA / "towns.csv"))

    assert (report.created, report.updated, report.unchanged) == (4, 0, 1)
    city = Region.objects.get(code="420683")
    assert (city.min_lon, city.max_lon, city.updated_at) == (112.0, 112.4, stamp)


def test_csv_problems_are_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "code,name,kind,parent_code\n420683,溪山市,county,\n420683102,丙镇,town,420683\n42068310X,,town,420683\n"
    )

    problems = problems_of(path)

    assert problems == [
        (4, "42068310X", "缺少名称（name）。"),
        (4, "42068310X", "代码只能由数字组成。"),
    ]
    assert Region.objects.count() == 0


def test_csv_without_the_required_columns_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("code,name\n420683,溪山市\n")

    assert problems_of(path) == [(1, "", "CSV 缺少列：kind、parent_code")]


def test_a_file_that_is_not_a_feature_collection_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.geojson"
    path.write_text('{"type": "Feature"}')

    assert problems_of(path) == [(0, "", "文件必须是 GeoJSON FeatureCollection。")]


def test_region_rename_changes_the_name_and_the_version() -> None:
    regions_import(data=DATA / "basic.geojson")
    region = Region.objects.get(code="420683100")
    token = RegionGeneration.objects.get(pk=1).token

    region_rename(region=region, name="  甲镇新名 ")

    assert Region.objects.get(code="420683100").name == "甲镇新名"
    assert RegionGeneration.objects.get(pk=1).token != token


def test_csv_saved_as_gb18030_is_read(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("code,name,kind,parent_code\n420683,溪山市,county,\n".encode("gb18030"))

    report = regions_import(data=path)

    assert report.created == 1
    assert Region.objects.get(code="420683").name == "溪山市"


def test_a_new_parent_shape_must_still_hold_the_stored_grids_below_it() -> None:
    """Shrinking 甲一村 to its west half would leave its stored grid 002 outside: rejected, nothing written."""
    regions_import(data=DATA / "basic.geojson")
    version = RegionGeneration.objects.get(pk=1).token
    data = {
        "type": "FeatureCollection",
        "features": [feature("420683100200", "village", "420683100", box(112.0, 32.2, 112.1, 32.4), name="甲一村")],
    }

    assert problems_of(data) == [(1, "420683100200", "已有的下级 420683100200002 的边界会超出这一新边界（共 1 个）。")]
    assert Region.objects.get(code="420683100200").max_lon == 112.2
    assert RegionGeneration.objects.get(pk=1).token == version


def test_a_new_city_shape_is_checked_against_grids_below_parents_without_shapes() -> None:
    # 甲二村 and 甲镇 have no shape of their own: their grid 甲二村第1网格 (112.0–112.2, 32.0–32.2) answers
    # to the city's shape. Cutting the city's south-west corner leaves that grid and 文昌 partly outside.
    regions_import(data=DATA / "basic.geojson")
    cut = {"type": "Polygon", "coordinates": [[[112.1, 32.0], [112.4, 32.0], [112.4, 32.4], [112.0, 32.4],
                                               [112.0, 32.1], [112.1, 32.0]]]}  # fmt: skip
    data = {"type": "FeatureCollection", "features": [feature("420683", "county", "", cut, name="溪山市")]}

    assert problems_of(data) == [(1, "420683", "已有的下级 420683100201001 的边界会超出这一新边界（共 1 个）。")]


def test_a_new_parent_shape_that_still_holds_its_stored_grids_is_accepted() -> None:
    regions_import(data=DATA / "basic.geojson")
    data = {
        "type": "FeatureCollection",
        "features": [feature("420683100200", "village", "420683100", box(112.0, 32.2, 112.2, 32.45), name="甲一村")],
    }

    # Growing north holds the grids but leaves the city: only the upward rule speaks.
    [(number, code, reason)] = problems_of(data)
    assert (number, code) == (1, "420683100200")
    assert reason.startswith("边界超出上级 420683 的范围（约 ")

    data["features"][0]["geometry"] = box(112.0, 32.2, 112.2, 32.4)
    data["features"][0]["properties"]["name"] = "甲一村（新）"
    assert regions_import(data=data).updated == 1


def test_a_csv_row_for_a_stored_grid_keeps_its_shape(tmp_path: Path) -> None:
    """The module's rule: a feature without a shape keeps the stored one; a stored grid may be renamed by CSV."""
    regions_import(data=DATA / "basic.geojson")
    shape = Region.objects.get(code="420683100200001").geometry
    path = tmp_path / "rename.csv"
    path.write_text("code,name,kind,parent_code\n420683100200001,甲一村一组网格,grid,420683100200\n")

    report = regions_import(data=path)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    grid = Region.objects.get(code="420683100200001")
    assert (grid.name, bytes(grid.geometry)) == ("甲一村一组网格", bytes(shape))


def test_a_csv_row_for_a_new_grid_is_rejected_for_want_of_a_shape(tmp_path: Path) -> None:
    regions_import(data=DATA / "basic.geojson")
    path = tmp_path / "new.csv"
    path.write_text("code,name,kind,parent_code\n420683100200009,新网格,grid,420683100200\n")

    assert problems_of(path) == [(2, "420683100200009", "网格必须有边界（Polygon 或 MultiPolygon）。")]


def test_an_import_that_writes_is_audited_and_one_that_does_not_is_not() -> None:
    from civicgrid.audit.models import AuditEntry

    regions_import(data=DATA / "basic.geojson", dry_run=True)
    assert not AuditEntry.objects.exists()

    regions_import(data=DATA / "basic.geojson")
    regions_import(data=DATA / "basic.geojson")  # nothing changes: nothing to record

    [entry] = AuditEntry.objects.all()
    assert (entry.action, entry.actor, entry.actor_name) == ("region.import", None, "system")
    assert entry.detail["created"] == 10
    assert (entry.detail["updated"], entry.detail["unchanged"], entry.detail["updated_codes"]) == (0, 0, [])
    assert sorted(entry.detail["created_codes"]) == sorted(Region.objects.values_list("code", flat=True))


def test_only_the_first_stored_shape_on_each_branch_answers_to_the_new_one() -> None:
    """Cutting the city's north-west corner cuts 甲一村 and its grid 001; the grid answers to its village."""
    regions_import(data=DATA / "basic.geojson")
    cut = {"type": "Polygon", "coordinates": [[[112.0, 32.0], [112.4, 32.0], [112.4, 32.4], [112.05, 32.4],
                                               [112.0, 32.35], [112.0, 32.0]]]}  # fmt: skip
    data = {"type": "FeatureCollection", "features": [feature("420683", "county", "", cut, name="溪山市")]}

    assert problems_of(data) == [(1, "420683", "已有的下级 420683100200 的边界会超出这一新边界（共 1 个）。")]
