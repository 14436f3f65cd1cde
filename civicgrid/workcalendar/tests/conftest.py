"""Helpers for the calendar tests: Shanghai-local datetimes, and a calendar cache emptied around every
test (a test's rows are rolled back; the cache must not carry them into the next test)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from civicgrid.workcalendar import working_time
from civicgrid.workcalendar.working_time import CALENDAR_TZ


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """An aware datetime in Beijing time (Asia/Shanghai)."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=CALENDAR_TZ)


def shown(moment: dt.datetime) -> str:
    """A datetime as Beijing time, ``YYYY-MM-DD HH:MM[:SS] Day``, for exact assertions."""
    value = moment.astimezone(CALENDAR_TZ)
    pattern = "%Y-%m-%d %H:%M %a" if value.second == 0 and value.microsecond == 0 else "%Y-%m-%d %H:%M:%S %a"
    return value.strftime(pattern)


@pytest.fixture(autouse=True)
def fresh_calendar_cache() -> Iterator[None]:
    working_time.invalidate()
    yield
    working_time.invalidate()
