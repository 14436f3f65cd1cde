"""Fixtures for the cases tests: a test category with round time limits, and helpers for Beijing time.

The working day (seeded calendar) is 08:30–12:00 and 14:00–17:30 Beijing time: 7 working hours.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

BJ = ZoneInfo("Asia/Shanghai")

# Points inside the persona world's grids (see civicgrid/conftest.py).
IN_GRID_A1_1 = (112.05, 32.3)
IN_GRID_A2_1 = (112.1, 32.1)
IN_GRID_B1_1 = (112.3, 32.2)


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A Beijing wall-clock time as an aware datetime."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=BJ)


class Clock:
    """Moves time with time-machine: ``clock.at(bj(...))`` — time does not tick by itself."""

    def __init__(self) -> None:
        self._traveller: Any = None

    def at(self, moment: dt.datetime) -> dt.datetime:
        if self._traveller is not None:
            self._traveller.stop()
        self._traveller = time_machine.travel(moment, tick=False)
        self._traveller.start()
        return moment

    def stop(self) -> None:
        if self._traveller is not None:
            self._traveller.stop()
            self._traveller = None


@pytest.fixture
def clock() -> Any:
    c = Clock()
    yield c
    c.stop()


@pytest.fixture
def category(db: None) -> Any:
    """Event category "T01": lead unit kind police, village tier; limits in round working hours/days."""
    from civicgrid.cases.models import Category, CategoryKind, Tier

    return Category.objects.create(
        code="T01",
        name="测试事件",
        kind=CategoryKind.EVENT,
        default_tier=Tier.VILLAGE,
        lead_unit_kind="police",
        accept_limit=Decimal("2"),
        accept_limit_unit="hours",
        sign_for_limit=Decimal("1"),
        sign_for_limit_unit="hours",
        handle_limit=Decimal("1"),
        handle_limit_unit="days",
        verify_limit=Decimal("4"),
        verify_limit_unit="hours",
        close_limit=Decimal("1"),
        close_limit_unit="days",
        follow_up_limit=Decimal("2"),
        follow_up_limit_unit="days",
    )


@pytest.fixture
def dispute_category(db: None) -> Any:
    from civicgrid.cases.models import Category, CategoryKind, Tier

    return Category.objects.create(
        code="T02", name="测试纠纷", kind=CategoryKind.DISPUTE, default_tier=Tier.VILLAGE, lead_unit_kind="justice"
    )


@pytest.fixture
def settings_row(db: None) -> Any:
    """The seeded settings row with its defaults: warn at 75 %, auto-escalate 8 working hours past due."""
    from civicgrid.cases.models import CaseSettings

    row = CaseSettings.current()
    assert row.warn_share == Decimal("0.75")
    assert row.auto_escalate_margin_hours == Decimal("8")
    return row


@pytest.fixture
def new_case(personas: Any, category: Any, settings_row: Any) -> Any:
    """``new_case(**overrides)`` — a case reported by a resident in grid_a1_1 (village_a1's queue)."""
    from civicgrid.cases.services import case_create

    def make(**kwargs: Any) -> Any:
        lon, lat = kwargs.pop("point", IN_GRID_A1_1)
        values: dict[str, Any] = {
            "user": None,
            "title": "路灯不亮",
            "category": category,
            "channel": "resident",
            "lon": lon,
            "lat": lat,
            "address": "甲一村村委会门口",
            "reporter_name": "张三丰",
            "reporter_phone": "13812345678",
            "reporter_email": "zhang@example.com",
        }
        values.update(kwargs)
        return case_create(**values)

    return make
