"""GeoReport v2 wire formats: XML (required by the spec) and JSON, errors, and date/time parsing.

Documents are built as plain dicts/lists once and rendered in either format, so the two cannot
drift apart. Element names follow the spec (and mySociety's ``servicerequestupdates`` extension).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# Local time for input without a zone and for output (the spec asks for an explicit offset).
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

# Child element name for the items of a list-valued field, by the field's name.
_ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
    "errors": "error",
    "service_request_updates": "request_update",
}


class Open311Error(Exception):
    """One or more errors to answer with, as the spec lays them out: a list of {code, description}."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions or ("",)

    def as_list(self) -> list[dict[str, Any]]:
        return [{"code": self.status, "description": text} for text in self.descriptions]


def format_datetime(value: dt.datetime | None) -> str | None:
    """W3C/ISO 8601 with an explicit offset, in local (Asia/Shanghai) time: 2025-03-04T10:22:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value, LOCAL_ZONE).isoformat(timespec="seconds")


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_datetime(text: str) -> dt.datetime:
    """An aware datetime from ISO 8601 text; without a zone it is read as Asia/Shanghai.

    Raises ValueError on anything else (the caller turns that into a 400 naming the field).
    """
    text = text.strip()
    if not text or len(text) > 40:
        raise ValueError(text)
    if _DATE_ONLY.match(text):
        text += "T00:00:00"
    value = dt.datetime.fromisoformat(text.replace("z", "Z"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_ZONE)
    return value.astimezone(dt.UTC)


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return format_datetime(value) or ""
    return str(value)


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, child in value.items():
            _append(element, key, child)
    elif isinstance(value, list | tuple):
        item_name = _ITEM_NAMES.get(name, "item")
        for item in value:
            _append(element, item_name, item)
    else:
        element.text = _xml_text(value)


def to_xml(root: str, body: Mapping[str, Any] | Sequence[Any]) -> bytes:
    """``root`` holding either a mapping's fields or a list's items (named from ``_ITEM_NAMES``)."""
    element = ET.Element(root)
    if isinstance(body, Mapping):
        for key, value in body.items():
            _append(element, key, value)
    else:
        item_name = _ITEM_NAMES[root]
        for item in body:
            _append(element, item_name, item)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode").encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    raise TypeError(type(value).__name__)


def render(fmt: str, root: str, body: Mapping[str, Any] | Sequence[Any], *, status: int = 200) -> HttpResponse:
    """The document in ``fmt``; in JSON a list stays a bare list (as the spec's examples show)."""
    if fmt == "json":
        content = json.dumps(body, ensure_ascii=False, default=_json_default).encode("utf-8")
    else:
        content = to_xml(root, body)
    return HttpResponse(content, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES["xml"]))


def render_error(fmt: str, error: Open311Error) -> HttpResponse:
    return render(fmt if fmt in FORMATS else "xml", "errors", error.as_list(), status=error.status)
