"""Reading 12345 hotline exports: .xlsx (openpyxl) or .csv (UTF-8 or GB18030), header row, column
mapping to our fields, and the loose time formats hotline systems write.

Pure functions: nothing here touches the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
MAX_ROWS = 20_000
MAX_FILE_BYTES = 20 * 1024 * 1024

# Our fields, with the header names 12345 exports commonly use (the first match wins when a source has
# no saved mapping for the field).
FIELDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "order_no": (gettext_lazy("工单编号"), ("工单编号", "工单号", "受理编号", "工单流水号", "编号")),
    "received_at": (gettext_lazy("受理时间"), ("受理时间", "来电时间", "登记时间", "创建时间", "派单时间")),
    "category": (gettext_lazy("诉求分类"), ("诉求分类", "问题分类", "事项分类", "业务分类", "分类")),
    "title": (gettext_lazy("标题"), ("标题", "诉求标题", "工单标题", "主题")),
    "content": (gettext_lazy("诉求内容"), ("诉求内容", "问题描述", "来电内容", "工单内容", "内容")),
    "address": (gettext_lazy("事发地址"), ("事发地址", "问题地址", "发生地点", "地址")),
    "lon": (gettext_lazy("经度"), ("经度", "lon", "lng", "longitude")),
    "lat": (gettext_lazy("纬度"), ("纬度", "lat", "latitude")),
    "caller_name": (gettext_lazy("来电人"), ("来电人", "来电人姓名", "诉求人", "联系人", "姓名")),
    "caller_phone": (gettext_lazy("联系电话"), ("联系电话", "来电号码", "联系方式", "电话")),
}
REQUIRED_FIELDS = ("order_no", "received_at", "category", "content")


class HotlineFileError(ValueError):
    """The file as a whole cannot be read (not a table, no header, too big)."""


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number in the file, 1-based; cells)


def _clean_header(value: Any) -> str:
    return re.sub(r"\s+", "", str(value or "")).strip("\ufeff")


def read_table(data: bytes, filename: str) -> Table:
    """The header row and the data rows of an .xlsx or .csv file (blank rows dropped)."""
    if len(data) > MAX_FILE_BYTES:
        raise HotlineFileError(_("文件过大：上限为 %(mb)d MB。") % {"mb": MAX_FILE_BYTES // 1024 // 1024})
    name = filename.lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        raw_rows = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")):
        raw_rows = _csv_rows(data)
    else:
        raise HotlineFileError(_("只支持 .xlsx 或 .csv 文件。"))
    header_at = next((i for i, (_n, cells) in enumerate(raw_rows) if any(_present(c) for c in cells)), None)
    if header_at is None:
        raise HotlineFileError(_("文件中没有表头行。"))
    headers = [_clean_header(c) for c in raw_rows[header_at][1]]
    rows = [(n, cells) for n, cells in raw_rows[header_at + 1 :] if any(_present(c) for c in cells)]
    if len(rows) > MAX_ROWS:
        raise HotlineFileError(_("行数过多：一次最多导入 %(n)d 行。") % {"n": MAX_ROWS})
    return Table(headers=headers, rows=rows)


def _present(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _xlsx_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a bad file
        raise HotlineFileError(_("无法读取 Excel 文件：%(error)s") % {"error": type(exc).__name__}) from exc
    try:
        sheet = book.worksheets[0]
        rows: list[tuple[int, list[Any]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, list(values)))
            if number > MAX_ROWS + 50:
                break
        return rows
    finally:
        book.close()


def _csv_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes every byte string
        raise HotlineFileError(_("无法识别文件编码（支持 UTF-8 和 GB18030）。"))
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(number, list(cells)) for number, cells in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise HotlineFileError(_("CSV 格式错误：%(error)s") % {"error": exc}) from exc


def resolve_mapping(headers: list[str], saved: Mapping[str, str] | None = None) -> dict[str, int]:
    """Field → column index, from the saved mapping (field → header) first, then the common names."""
    index = {header: i for i, header in reversed(list(enumerate(headers))) if header}
    result: dict[str, int] = {}
    for field, (_label, aliases) in FIELDS.items():
        wanted = (saved or {}).get(field)
        if wanted:
            column = index.get(_clean_header(wanted))
            if column is not None:
                result[field] = column
            continue
        for alias in aliases:
            if alias in index:
                result[field] = index[alias]
                break
    return result


def missing_mapped_headers(headers: list[str], saved: Mapping[str, str]) -> list[str]:
    """Saved header names that the file does not have (a renamed export column)."""
    present = set(headers)
    return [header for header in saved.values() if header and _clean_header(header) not in present]


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return re.sub(r"\s+", " ", str(value)).strip()


_TIME_PATTERNS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y%m%d%H%M%S",
    "%Y%m%d %H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d",
)
_CHINESE_TIME = re.compile(
    r"^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2})[时点:：](?:(\d{1,2})分?)?(?:(\d{1,2})秒?)?)?$"
)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - Excel serials are zone-less local times


def parse_time(value: Any) -> dt.datetime:
    """An aware UTC datetime from a hotline time cell: a datetime, an Excel serial, or text in the usual
    forms (2025-03-04 10:22[:00], 2025/3/4 10:22, 2025年3月4日10时22分, ISO 8601 with a zone). Times
    without a zone are Asia/Shanghai. Raises ValueError otherwise."""
    if isinstance(value, dt.datetime):
        naive = value
    elif isinstance(value, dt.date):
        naive = dt.datetime(value.year, value.month, value.day)  # noqa: DTZ001 - localised below
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not 20_000 < float(value) < 80_000:  # 1954 … 2119: anything else is not a time
            raise ValueError(value)
        naive = _EXCEL_EPOCH + dt.timedelta(days=float(value))
        naive = naive.replace(microsecond=0)
    elif re.fullmatch(r"\d{5}(\.\d+)?", cell_text(value)):
        return parse_time(float(cell_text(value)))  # an Excel serial that arrived as text (CSV)
    else:
        naive = _parse_time_text(cell_text(value))
        if naive.tzinfo is not None:
            return naive.astimezone(dt.UTC)
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=LOCAL_ZONE)
    return naive.astimezone(dt.UTC)


def _parse_time_text(text: str) -> dt.datetime:
    if not text:
        raise ValueError(text)
    match = _CHINESE_TIME.match(text)
    if match:
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        return dt.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - localised by the caller
    for pattern in _TIME_PATTERNS:
        try:
            return dt.datetime.strptime(text, pattern)  # noqa: DTZ007 - localised by the caller
        except ValueError:
            continue
    if "T" in text:
        return dt.datetime.fromisoformat(text.replace("z", "Z"))
    raise ValueError(text)


def parse_coordinate(value: Any) -> float | None:
    """A float from a cell, None when blank; ValueError when present but not a number."""
    text = cell_text(value)
    if not text:
        return None
    number = float(text)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(text)
    return number
