"""12345 import: a messy export with every kind of fault, the dry run's per-row report, an atomic import,
and a second import that creates nothing."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from civicgrid.cases.models import Case, Channel
from civicgrid.hotline.models import HotlineImport, HotlineSource
from civicgrid.hotline.services import hotline_import, hotline_source_save_mapping

BJ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 11, 28, 10, 0, tzinfo=BJ)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]

HEADERS = ["工单编号", "来电时间", "问题分类", "诉求内容", "事发地址", "经度", "纬度", "来电人", "联系电话", "盏数"]
ROWS: list[list[Any]] = [
    # 1 valid: mapped category, text time, address → village_a1 by name
    [
        "GD001",
        "2025-11-03 09:15:00",
        "市容环境/路灯",
        "幸福路路灯不亮",
        "甲镇甲一村幸福路12号",
        None,
        None,
        "张三",
        "13800001111",
        3,
    ],
    # 2 valid: category by name, a real datetime cell, coordinates → grid_b1_1
    ["GD002", dt.datetime(2025, 11, 4, 14, 30), "垃圾清运不及时", "垃圾三天没人清运", "", 112.3, 32.2, "", "", None],
    # 3 valid: category by the last part of a path, Chinese time, street in town_b by name
    ["GD003", "2025年11月5日 8时5分", "城市管理/路灯不亮", "路口的灯坏了", "乙镇人民路", None, None, "", "", 1],
    # 4 valid: category by keywords, slashed time, Excel serial is not used here
    ["GD004", "2025/11/6 7:40", "路灯不亮问题", "路灯闪烁", "甲二村东头", None, None, "李四", "", 2],
    # 5 unknown category
    ["GD005", "2025-11-06 10:00", "噪音扰民", "楼下广场舞", "甲镇", None, None, "", "", None],
    # 6 unparseable time
    ["GD006", "昨天下午", "垃圾清运不及时", "垃圾", "甲镇", None, None, "", "", None],
    # 7 unparseable address (no known place, no coordinates)
    ["GD007", "2025-11-06 11:00", "垃圾清运不及时", "垃圾", "火星基地", None, None, "", "", None],
    # 8 missing fields (no order number, no content)
    ["", "2025-11-06 12:00", "垃圾清运不及时", "", "甲镇", None, None, "", "", None],
    # 9 duplicate order number within the file
    ["GD001", "2025-11-06 13:00", "垃圾清运不及时", "又一次", "甲镇", None, None, "", "", None],
    # 10 coordinates far outside the city
    ["GD010", "2025-11-06 14:00", "垃圾清运不及时", "垃圾", "", 10.0, 10.0, "", "", None],
    # 11 bad phone number and a required extra question unanswered (盏数 for 路灯)
    ["GD011", "2025-11-06 15:00", "市容环境/路灯", "灯不亮", "甲镇", None, None, "王五", "call me", None],
    # 12 a time in the future
    ["GD012", "2026-01-01 00:00", "垃圾清运不及时", "垃圾", "甲镇", None, None, "", "", None],
    # 13 an ambiguous address (both towns named)
    ["GD013", "2025-11-06 16:00", "垃圾清运不及时", "垃圾", "甲镇和乙镇交界", None, None, "", "", None],
]

EXPECTED = [
    (2, "GD001", "create", []),
    (3, "GD002", "create", []),
    (4, "GD003", "create", []),
    (5, "GD004", "create", []),
    (6, "GD005", "error", ["未知分类“噪音扰民”：请在数据源的分类对应关系中指定。"]),
    (7, "GD006", "error", ["无法识别的时间：昨天下午。"]),
    (8, "GD007", "error", ["地址无法定位：没有找到镇（街道）或村（社区）名称，也没有经纬度。"]),
    (9, "", "error", ["缺少“工单编号”。", "缺少“诉求内容”。"]),
    (10, "GD001", "error", ["工单编号 GD001 在文件中重复出现。"]),
    (11, "GD010", "error", None),  # the routing module's own message about the coordinates
    (12, "GD011", "error", ["联系电话格式不正确：call me。", "缺少必填属性 count（不亮的盏数）。"]),
    (13, "GD012", "error", ["受理时间在未来：2026-01-01 00:00。"]),
    (14, "GD013", "error", ["地址有歧义：同时匹配 乙镇、甲镇。"]),
]


def xlsx(rows: list[list[Any]] = ROWS, headers: list[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    sheet.append([None] * len(headers))  # trailing blank rows are ignored
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def source(db: None) -> HotlineSource:
    return HotlineSource.objects.create(
        name="襄阳12345",
        column_mapping={"lon": "经度", "lat": "纬度", "q:count": "盏数", "category": "问题分类"},
        category_mapping={"市容环境/路灯": "LAMP"},
    )


def summary(run: HotlineImport) -> list[tuple[int, str, str, list[str] | None]]:
    return [(r["row"], r["order_no"], r["status"], r["errors"] if r["row"] != 11 else None) for r in run.report]


@time_machine.travel(NOW, tick=False)
def test_dry_run_reports_every_row_and_writes_no_case(source: HotlineSource, world: Any) -> None:
    run = hotline_import(source=source, data=xlsx(), filename="工单.xlsx", dry_run=True)
    assert summary(run) == EXPECTED
    assert run.report[9]["errors"] and "经纬度无效" in run.report[9]["errors"][0]
    assert (run.rows_total, run.rows_created, run.rows_existing, run.rows_invalid) == (13, 0, 0, 9)
    first, second, third, fourth = run.report[:4]
    assert (first["category"], first["region"], first["received_at"]) == (
        "LAMP 路灯不亮",
        "甲一村",
        "2025-11-03T09:15+08:00",
    )
    assert (second["category"], second["region"], second["received_at"]) == (
        "TRASH 垃圾清运不及时", "乙一村第1网格", "2025-11-04T14:30+08:00",
    )  # fmt: skip
    assert (third["category"], third["region"], third["received_at"]) == (
        "LAMP 路灯不亮",
        "乙镇",
        "2025-11-05T08:05+08:00",
    )
    assert (fourth["category"], fourth["region"], fourth["received_at"]) == (
        "LAMP 路灯不亮",
        "甲二村",
        "2025-11-06T07:40+08:00",
    )
    assert Case.objects.count() == 0
    assert HotlineImport.objects.get().dry_run is True


@time_machine.travel(NOW, tick=False)
def test_import_creates_the_valid_rows_and_reimport_creates_nothing(source: HotlineSource, world: Any) -> None:
    run = hotline_import(source=source, data=xlsx(), filename="工单.xlsx", dry_run=False)
    assert [(r["row"], r["status"]) for r in run.report[:5]] == [
        (2, "created"), (3, "created"), (4, "created"), (5, "created"), (6, "error"),
    ]  # fmt: skip
    assert (run.rows_created, run.rows_existing, run.rows_invalid) == (4, 0, 9)
    cases = {c.external_ref: c for c in Case.objects.all()}
    assert sorted(cases) == ["GD001", "GD002", "GD003", "GD004"]
    first = cases["GD001"]
    assert (first.channel, first.category.code, first.village, first.region, first.title) == (
        Channel.HOTLINE, "LAMP", world.village_a1, world.village_a1, "幸福路路灯不亮",
    )  # fmt: skip
    assert first.attributes == {
        "count": 3,
        "hotline": {"source": "襄阳12345", "order_no": "GD001", "received_at": "2025-11-03T01:15:00+00:00"},
    }
    assert (first.reporter.name, first.reporter.phone) == ("张三", "13800001111")
    assert cases["GD002"].grid == world.grid_b1_1
    assert cases["GD002"].reporter is None or cases["GD002"].reporter.anonymous
    assert run.report[0]["case"] == first.number

    again = hotline_import(source=source, data=xlsx(), filename="工单-再次.xlsx", dry_run=False)
    assert [r["status"] for r in again.report[:4]] == ["exists"] * 4
    assert (again.rows_created, again.rows_existing, again.rows_invalid) == (0, 4, 9)
    assert Case.objects.count() == 4


@time_machine.travel(NOW, tick=False)
def test_import_is_atomic(source: HotlineSource, world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while creating the third valid row undoes the first two and names the row."""
    from civicgrid.portal import casebridge

    real = casebridge.create_case
    calls = []

    def flaky(**kwargs: Any) -> Any:
        calls.append(kwargs["external_ref"])
        if len(calls) == 3:
            raise ValidationError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(casebridge, "create_case", flaky)
    with pytest.raises(ValidationError) as caught:
        hotline_import(source=source, data=xlsx(), filename="工单.xlsx", dry_run=False)
    assert caught.value.messages == ["第 4 行（工单 GD003）无法导入，已全部撤销：disk full"]
    assert calls == ["GD001", "GD002", "GD003"]
    assert Case.objects.count() == 0
    assert HotlineImport.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_csv_in_gb18030_with_excel_serial_times(world: Any) -> None:
    """No saved mapping: the common header names are found by themselves."""
    source = HotlineSource.objects.create(name="默认表头")
    text = "工单编号,来电时间,问题分类,诉求内容,事发地址\nGD100,45964.5,垃圾清运不及时,垃圾堆积,甲镇甲一村\n"
    run = hotline_import(source=source, data=text.encode("gb18030"), filename="export.csv", dry_run=False)
    assert [(r["status"], r["received_at"], r["region"]) for r in run.report] == [
        ("created", "2025-11-03T12:00+08:00", "甲一村")
    ]


def test_file_level_errors(source: HotlineSource, world: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        hotline_import(source=source, data=b"\x00\x01garbage", filename="x.pdf", dry_run=True)
    assert caught.value.messages == ["只支持 .xlsx 或 .csv 文件。"]
    with pytest.raises(ValidationError) as caught:
        hotline_import(source=source, data=b"PK\x03\x04broken", filename="x.xlsx", dry_run=True)
    assert caught.value.messages[0].startswith("无法读取 Excel 文件")
    with pytest.raises(ValidationError) as caught:
        hotline_import(
            source=source, data=xlsx(headers=["编号", "时间"], rows=[["1", "2"]]), filename="a.xlsx", dry_run=True
        )
    assert caught.value.messages == [
        "文件缺少对应关系中的列：经度、纬度、盏数、问题分类。",
        "找不到“受理时间”列，请在数据源中设置列对应关系。",
        "找不到“诉求分类”列，请在数据源中设置列对应关系。",
        "找不到“诉求内容”列，请在数据源中设置列对应关系。",
        "找不到“事发地址”列（或经度、纬度两列）。",
    ]
    with pytest.raises(ValidationError) as caught:
        hotline_import(source=source, data="工单编号,来电时间\n".encode(), filename="a.csv", dry_run=True)
    assert Case.objects.count() == 0


def test_saved_column_mapping_for_renamed_headers(world: Any) -> None:
    source = HotlineSource.objects.create(name="另一个系统")
    hotline_source_save_mapping(
        source=source,
        column_mapping={
            "order_no": "单号",
            "received_at": "时间",
            "category": "类别",
            "content": "说明",
            "address": "位置",
        },
        category_mapping={"环卫": "TRASH"},
    )
    data = xlsx(
        headers=["单号", "时间", "类别", "说明", "位置"], rows=[["A1", "2025-11-03 08:00", "环卫", "垃圾", "乙镇"]]
    )
    with time_machine.travel(NOW, tick=False):
        run = hotline_import(source=source, data=data, filename="b.xlsx", dry_run=True)
    assert [(r["status"], r["category"], r["region"]) for r in run.report] == [
        ("create", "TRASH 垃圾清运不及时", "乙镇")
    ]
    with pytest.raises(ValidationError):
        hotline_source_save_mapping(source=source, column_mapping={"colour": "颜色"})


def test_who_may_import(source: HotlineSource, personas: Any) -> None:
    data = xlsx(rows=ROWS[:1])
    with time_machine.travel(NOW, tick=False):
        for name in ("city_center", "system_admin"):
            hotline_import(source=source, data=data, filename="a.xlsx", dry_run=True, user=personas[name])
        for name in ("town_center", "grid_worker", "unit_handler", "outsider", "security_admin"):
            with pytest.raises(PermissionDenied):
                hotline_import(source=source, data=data, filename="a.xlsx", dry_run=True, user=personas[name])
    assert HotlineImport.objects.filter(created_by=personas.city_center).count() == 1
