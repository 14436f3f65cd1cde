"""Fixtures shared by the intake apps' tests (portal, open311, hotline): public categories with extra
questions on the persona world, a clean rate-limit slate, and a tiny valid JPEG with a GPS EXIF block.

Each app's tests/conftest.py star-imports this module.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

# Points inside the persona world's grids (see civicgrid/conftest.py).
IN_GRID_A1_1 = (112.05, 32.3)
IN_GRID_A1_2 = (112.15, 32.3)
IN_GRID_B1_1 = (112.3, 32.2)

QUESTIONS = [
    {"code": "lamp_no", "label": "路灯编号", "datatype": "string", "required": False},
    {"code": "count", "label": "不亮的盏数", "datatype": "number", "required": True},
    {"code": "since", "label": "从什么时候开始", "datatype": "datetime", "required": False},
    {"code": "detail", "label": "补充说明", "datatype": "text", "required": False},
    {
        "code": "kind",
        "label": "灯的类型",
        "datatype": "singlevaluelist",
        "required": False,
        "values": [{"key": "street", "name": "路灯"}, {"key": "yard", "name": "庭院灯"}],
    },
    {
        "code": "when",
        "label": "什么时段",
        "datatype": "multivaluelist",
        "required": False,
        "values": [{"key": "dusk", "name": "傍晚"}, {"key": "night", "name": "深夜"}, {"key": "dawn", "name": "凌晨"}],
    },
]


@pytest.fixture
def categories(world: Any) -> Any:
    """Public categories: 城市管理 (a group, not public itself) › 路灯不亮 (LAMP, with every question type) and
    垃圾清运不及时 (TRASH);
    one staff-only category (INTERNAL) and one public dispute category (DISP) that the portal never offers."""
    from civicgrid.cases.models import Category, CategoryKind, Tier

    # The seeded city-wide tree is switched off so the tests see only these rows.
    Category.objects.update(is_active=False, is_public=False)
    group = Category.objects.create(code="URB", name="城市管理", kind=CategoryKind.EVENT, sort_order=1, is_public=False)

    def make(code: str, name: str, **extra: Any) -> Any:
        values = {
            "kind": CategoryKind.EVENT,
            "default_tier": Tier.VILLAGE,
            "lead_unit_kind": "urban_management",
            "parent": group,
            "accept_limit": Decimal("4"),
            "handle_limit": Decimal("5"),
        }
        values.update(extra)
        return Category.objects.create(code=code, name=name, **values)

    class Rows:
        urban = group
        lamp = make("LAMP", "路灯不亮", description="路灯、庭院灯不亮或损坏", extra_questions=QUESTIONS, sort_order=2)
        trash = make("TRASH", "垃圾清运不及时", description="垃圾堆积、没有清运", sort_order=3)
        internal = make("INTERNAL", "内部巡查事项", is_public=False)
        dispute = make("DISP", "邻里纠纷", kind=CategoryKind.DISPUTE, parent=None)

    return Rows


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    """Per-process caches (the working calendar, Django's cache) must not outlive a test's database rows."""
    from django.core.cache import cache

    from civicgrid.workcalendar.working_time import invalidate

    cache.clear()
    invalidate()
    yield
    invalidate()


def jpeg_with_gps(size: tuple[int, int] = (40, 30)) -> bytes:
    """A real JPEG carrying an EXIF GPS block (latitude 32.3 N) — what a phone camera writes."""
    from PIL import Image

    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (32.0, 18.0, 0.0)
    gps[3] = "E"
    gps[4] = (112.0, 3.0, 0.0)
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def exe_named_png() -> bytes:
    """A Windows executable's first bytes (MZ header) — to be uploaded under a .png name."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
