"""Hotline time formats, header mapping and file reading."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from civicgrid.hotline import parsing

BJ = ZoneInfo("Asia/Shanghai")
EXPECTED = dt.datetime(2025, 3, 4, 10, 22, tzinfo=BJ)


@pytest.mark.parametrize(
    "value",
    [
        "2025-03-04 10:22:00",
        "2025-03-04 10:22",
        "2025/3/4 10:22",
        "2025.03.04 10:22:00",
        "20250304102200",
        "2025年3月4日 10时22分",
        "2025年3月4日10:22",
        "2025-03-04T02:22:00Z",
        "2025-03-04T10:22:00+08:00",
        dt.datetime(2025, 3, 4, 10, 22),
        45720 + (10 * 60 + 22) / 1440,  # Excel serial
        "45720.43194444444",
    ],
)
def test_parse_time_reads_the_usual_forms_as_beijing_time(value: object) -> None:
    assert parsing.parse_time(value) == EXPECTED


def test_parse_time_date_only_is_midnight() -> None:
    assert parsing.parse_time("2025-03-04") == dt.datetime(2025, 3, 4, tzinfo=BJ)
    assert parsing.parse_time(dt.date(2025, 3, 4)) == dt.datetime(2025, 3, 4, tzinfo=BJ)


@pytest.mark.parametrize("value", ["", "昨天", "2025-02-30 10:00", "10:22", 12, True, None, "2025年13月1日"])
def test_parse_time_refuses(value: object) -> None:
    with pytest.raises((ValueError, OverflowError)):
        parsing.parse_time(value)


def test_resolve_mapping_saved_first_then_common_names() -> None:
    headers = ["序号", "工单号", "受理时间", "诉求分类", "内容", "地址", "问题描述"]
    assert parsing.resolve_mapping(headers) == {
        "order_no": 1, "received_at": 2, "category": 3, "content": 6, "address": 5,
    }  # fmt: skip
    assert parsing.resolve_mapping(headers, {"content": "内容", "order_no": "序号"})["content"] == 4
    assert parsing.resolve_mapping(headers, {"order_no": "没有这列"}).get("order_no") is None


def test_read_table_skips_blank_rows_and_finds_the_header_below_blank_lines() -> None:
    data = "\n,,\n工单编号,内容\nA1,x\n,\nA2,y\n".encode()
    table = parsing.read_table(data, "a.csv")
    assert table.headers == ["工单编号", "内容"]
    assert table.rows == [(4, ["A1", "x"]), (6, ["A2", "y"])]


def test_read_table_tab_separated_and_bom() -> None:
    table = parsing.read_table("\ufeff工单编号\t内容\nA1\tx\n".encode(), "a.txt")
    assert (table.headers, table.rows) == (["工单编号", "内容"], [(2, ["A1", "x"])])


def test_read_table_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsing, "MAX_ROWS", 2)
    with pytest.raises(parsing.HotlineFileError, match="一次最多导入 2 行"):
        parsing.read_table(b"h\n1\n2\n3\n", "a.csv")
    monkeypatch.setattr(parsing, "MAX_FILE_BYTES", 10)
    with pytest.raises(parsing.HotlineFileError, match="文件过大"):
        parsing.read_table(b"x" * 11, "a.csv")
