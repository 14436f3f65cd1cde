"""``civicgrid import-regions`` and ``civicgrid route``."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from civicgrid.regions.models import Region

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_reports_counts_and_is_idempotent() -> None:
    assert run("import_regions", str(DATA / "basic.geojson")) == ("新增 10，更新 0，未变 0\n", "")
    assert run("import_regions", str(DATA / "basic.geojson")) == ("新增 0，更新 0，未变 10\n", "")


def test_import_dry_run_writes_nothing() -> None:
    out, _ = run("import_regions", str(DATA / "basic.geojson"), "--dry-run")

    assert out == "新增 10，更新 0，未变 0（试运行，未写入）\n"
    assert Region.objects.count() == 0


def test_import_of_a_bad_file_prints_every_problem_and_exits_non_zero() -> None:
    err = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_regions", str(DATA / "bad.geojson"), stdout=StringIO(), stderr=err)

    assert info.value.returncode == 1
    assert str(info.value) == "导入被拒绝：10 个问题，未写入任何数据。"
    lines = err.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[0].startswith("第 4 项（420683100200001）：边界无效")
    assert lines[-1] == "第 13 项（420683100200007）：网格必须有边界（Polygon 或 MultiPolygon）。"
    assert Region.objects.count() == 0


def test_route_prints_the_grid_and_the_chain() -> None:
    run("import_regions", str(DATA / "basic.geojson"))

    out, _ = run("route", "112.05", "32.3")

    assert out.splitlines() == [
        "420683100200001 甲一村第1网格",
        "溪山市 > 甲镇 > 甲一村 > 甲一村第1网格",
        "WGS-84：112.0500000, 32.3000000",
    ]


def test_route_says_when_it_snapped() -> None:
    run("import_regions", str(DATA / "basic.geojson"))

    out, _ = run("route", "111.999", "32.3")

    assert out.splitlines()[0] == "420683100200001 甲一村第1网格"
    assert out.splitlines()[2] == "（不在网格内，已吸附到 94 米外最近的网格）"


def test_route_converts_gcj02() -> None:
    run("import_regions", str(DATA / "basic.geojson"))

    out, _ = run("route", "112.13", "32.3", "--crs", "gcj02")

    assert out.splitlines()[0] == "420683100200002 甲一村第2网格"
    assert out.splitlines()[2] == "WGS-84：112.1238934, 32.3020076"


def test_route_explains_why_a_point_is_unrouted() -> None:
    run("import_regions", str(DATA / "basic.geojson"))

    out, _ = run("route", "111.99", "32.3")

    assert out == "未落格：不在任何网格内，最近的网格在 941 米外（超过 200 米的吸附距离），归市级中心处理。\n"


def test_route_with_no_grids_yet() -> None:
    out, _ = run("route", "112.05", "32.3")
    assert out == "未落格：尚未导入任何网格，归市级中心处理。\n"


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        ("abc", "32.3", "经纬度必须是数字。"),
        ("nan", "32.3", "经纬度必须是有限的数字（不能是 NaN 或无穷大）。"),
        ("113.5", "32.3", "该点离本市超过 50 公里（经度 113.5，纬度 32.3）：请检查经纬度是否写反、坐标系是否选对。"),
    ],
)
def test_route_rejects_bad_coordinates(lon: str, lat: str, message: str) -> None:
    run("import_regions", str(DATA / "basic.geojson"))

    with pytest.raises(CommandError) as info:
        run("route", lon, lat)

    assert str(info.value) == message
