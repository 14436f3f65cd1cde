"""Deadlines in working time on the Chinese working calendar (工作日历): ``due_after``,
``working_seconds_between`` and ``share_point``.

The calendar rows are loaded once per process into a ``WorkingCalendar`` (sorted arrays and sets of day
ordinals); a generation stamp (row count + latest ``updated_at`` of each table) is re-read at most every
``CIVICGRID["CALENDAR_CACHE_SECONDS"]`` seconds (default 10) and the write services drop the cache at once.
Nothing loops minute by minute: working days are counted by a closed formula over weekdays corrected by a
prefix sum of exceptions (binary search), and a day's working time by its few working periods.

Counting rules. Local time is Beijing time (Asia/Shanghai), the time of every Chinese office.
- ``working_days=N``: the start day is not counted (as the Civil Code counts periods); the deadline is the
  close (end of the last working period) of the Nth working day after the start day.
- ``working_hours=H``: only time inside working periods of working days counts.
- ``excluded`` (suspensions, 挂起): the clock stops. The allowance is the working time from the start to
  the deadline without suspensions, and the deadline moves out by the working time the suspensions cover.
- A day of a year without complete calendar data follows the Monday–Friday rule, and the result is flagged
  ``Due.estimated``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

CALENDAR_TZ = ZoneInfo("Asia/Shanghai")
US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
DEFAULT_CACHE_SECONDS = 10.0

Excluded = Sequence[tuple[dt.datetime, dt.datetime]]


@dataclass(frozen=True)
class Due:
    """A computed deadline: ``due_at`` (aware, UTC) and whether a year without calendar data was crossed."""

    due_at: dt.datetime
    estimated: bool


class CalendarError(RuntimeError):
    """The calendar rows cannot answer (e.g. no working periods are defined)."""


def _weekdays_before(ordinal: int) -> int:
    """How many Mondays–Fridays have an ordinal in [1, ordinal). Ordinal 1 (0001-01-01) is a Monday."""
    weeks, rest = divmod(ordinal - 1, 7)
    return weeks * 5 + min(rest, 5)


def _is_weekday(ordinal: int) -> bool:
    return (ordinal - 1) % 7 < 5


@dataclass(frozen=True)
class WorkingCalendar:
    """An immutable snapshot of the calendar rows. Days are ``date.toordinal()`` values; times of day and
    instants on the local time line are integer microseconds (exact arithmetic)."""

    periods: tuple[tuple[int, int], ...]
    holidays: frozenset[int]
    workdays: frozenset[int]
    closed: frozenset[int]
    complete_years: frozenset[int]
    day_us: int = field(init=False)
    _exception_days: tuple[int, ...] = field(init=False, repr=False)
    _exception_prefix: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.periods:
            raise CalendarError(_("工作日历没有设置工作时段，无法计算期限。请在管理后台录入工作时段。"))
        if any(start >= end for start, end in self.periods) or any(
            following[0] < previous[1] for previous, following in pairwise(self.periods)
        ):
            raise CalendarError(_("工作时段必须开始早于结束，且相互不重叠。"))
        object.__setattr__(self, "day_us", sum(end - start for start, end in self.periods))
        # Days whose status differs from the Monday–Friday rule, with a prefix sum of the difference.
        days: list[int] = []
        prefix = [0]
        for ordinal in sorted(self.holidays | self.workdays | self.closed):
            delta = int(self.is_working(ordinal)) - int(_is_weekday(ordinal))
            if delta:
                days.append(ordinal)
                prefix.append(prefix[-1] + delta)
        object.__setattr__(self, "_exception_days", tuple(days))
        object.__setattr__(self, "_exception_prefix", tuple(prefix))

    @classmethod
    def build(
        cls,
        *,
        periods: Iterable[tuple[dt.time, dt.time]],
        holidays: Iterable[dt.date] = (),
        workdays: Iterable[dt.date] = (),
        closures: Iterable[tuple[dt.date, dt.date]] = (),
        complete_years: Iterable[int] = (),
    ) -> WorkingCalendar:
        closed: set[int] = set()
        for first, last in closures:
            closed.update(range(first.toordinal(), last.toordinal() + 1))
        return cls(
            periods=tuple(sorted((_time_us(start), _time_us(end)) for start, end in periods)),
            holidays=frozenset(day.toordinal() for day in holidays),
            workdays=frozenset(day.toordinal() for day in workdays),
            closed=frozenset(closed),
            complete_years=frozenset(complete_years),
        )

    # --- days ------------------------------------------------------------------------------------
    def is_working(self, ordinal: int) -> bool:
        if ordinal in self.closed or ordinal in self.holidays:
            return False
        return ordinal in self.workdays or _is_weekday(ordinal)

    def _working_before(self, ordinal: int) -> int:
        """Working days with an ordinal below ``ordinal`` (counted from ordinal 1; only differences matter)."""
        return _weekdays_before(ordinal) + self._exception_prefix[bisect_left(self._exception_days, ordinal)]

    def working_days_in(self, first: int, stop: int) -> int:
        """Working days with ordinals in [first, stop)."""
        return self._working_before(stop) - self._working_before(first) if stop > first else 0

    def nth_working_day_after(self, ordinal: int, n: int) -> int:
        """The nth (n ≥ 1) working day strictly after ``ordinal``."""
        target = self._working_before(ordinal + 1) + n
        low = ordinal + 1  # _working_before(low) < target
        step = n * 7 // 5 + 14
        high = low + step
        while self._working_before(high) < target:
            low, high, step = high, high + step, step * 2
        while high - low > 1:  # smallest x with _working_before(x) >= target; the day is x - 1
            middle = (low + high) // 2
            if self._working_before(middle) >= target:
                high = middle
            else:
                low = middle
        return high - 1

    def is_estimated(self, first: int, last: int) -> bool:
        """Whether a year between the two days (inclusive) lacks complete calendar data."""
        return bool(self.missing_years(first, last))

    def missing_years(self, first: int, last: int) -> list[int]:
        years = range(dt.date.fromordinal(first).year, dt.date.fromordinal(last).year + 1)
        return [year for year in years if year not in self.complete_years]

    # --- within a day ----------------------------------------------------------------------------
    def _worked_before(self, time_us: int) -> int:
        """Working time of a working day before the time of day."""
        return sum(max(0, min(time_us, end) - start) for start, end in self.periods)

    def _time_at(self, worked_us: int) -> int:
        """The earliest time of a working day by which ``worked_us`` (0 < worked ≤ day_us) have been worked."""
        for start, end in self.periods:
            if worked_us <= end - start:
                return start + worked_us
            worked_us -= end - start
        raise AssertionError("worked time beyond the working day")  # pragma: no cover

    @property
    def close_us(self) -> int:
        """The close of a working day: the end of its last working period."""
        return self.periods[-1][1]

    # --- on the local time line (microseconds) ---------------------------------------------------
    def working_us(self, start: int, end: int) -> int:
        """Working time between two local instants."""
        if end <= start:
            return 0
        start_day, start_time = divmod(start, US_PER_DAY)
        end_day, end_time = divmod(end, US_PER_DAY)
        if start_day == end_day:
            if not self.is_working(start_day):
                return 0
            return self._worked_before(end_time) - self._worked_before(start_time)
        total = self.working_days_in(start_day + 1, end_day) * self.day_us
        if self.is_working(start_day):
            total += self.day_us - self._worked_before(start_time)
        if self.is_working(end_day):
            total += self._worked_before(end_time)
        return total

    def advance(self, start: int, amount_us: int) -> int:
        """The earliest local instant by which ``amount_us`` of working time has passed since ``start``."""
        if amount_us <= 0:
            return start
        day, time_of_day = divmod(start, US_PER_DAY)
        if self.is_working(day):
            done = self._worked_before(time_of_day)
            if amount_us <= self.day_us - done:
                return day * US_PER_DAY + self._time_at(done + amount_us)
            amount_us -= self.day_us - done
        whole_days = -(-amount_us // self.day_us)
        last_day = self.nth_working_day_after(day, whole_days)
        return last_day * US_PER_DAY + self._time_at(amount_us - (whole_days - 1) * self.day_us)

    def working_us_excluding(self, start: int, end: int, excluded: Sequence[tuple[int, int]]) -> int:
        total = self.working_us(start, end)
        for low, high in excluded:
            total -= self.working_us(max(low, start), min(high, end))
        return total

    def advance_excluding(self, start: int, amount_us: int, excluded: Sequence[tuple[int, int]]) -> int:
        """``advance`` with the clock stopped during the (merged, sorted) excluded intervals."""
        current = start
        for low, high in excluded:
            if high <= current:
                continue
            if low > current:
                candidate = self.advance(current, amount_us)
                if candidate <= low:
                    return candidate
                amount_us -= self.working_us(current, low)
            current = high
        return self.advance(current, amount_us)


# --- conversions ----------------------------------------------------------------------------------
def _time_us(value: dt.time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * US_PER_SECOND + value.microsecond


def _require_aware(value: dt.datetime, name: str) -> None:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")


def to_local_us(value: dt.datetime) -> int:
    """An aware datetime as microseconds on the local (Beijing time) time line."""
    local = value.astimezone(CALENDAR_TZ)
    return local.toordinal() * US_PER_DAY + _time_us(local.time())


def from_local_us(value: int) -> dt.datetime:
    """The inverse of ``to_local_us``, as an aware UTC datetime."""
    day, time_of_day = divmod(value, US_PER_DAY)
    naive = dt.datetime.combine(dt.date.fromordinal(day), dt.time()) + dt.timedelta(microseconds=time_of_day)
    return naive.replace(tzinfo=CALENDAR_TZ).astimezone(dt.UTC)


def _excluded_us(excluded: Excluded) -> list[tuple[int, int]]:
    """Suspension periods on the local time line, merged and sorted; empty or reversed ones dropped."""
    intervals: list[tuple[int, int]] = []
    for suspended_at, resumed_at in excluded:
        _require_aware(suspended_at, "excluded start")
        _require_aware(resumed_at, "excluded end")
        if resumed_at > suspended_at:
            intervals.append((to_local_us(suspended_at), to_local_us(resumed_at)))
    merged: list[tuple[int, int]] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


# --- the process-wide cache -----------------------------------------------------------------------
class _Cache:
    def __init__(self) -> None:
        self.calendar: WorkingCalendar | None = None
        self.stamp: tuple[object, ...] | None = None
        self.checked_at = 0.0
        # A write to the calendar rows has not been seen committed: the snapshot may hold rows a
        # rollback will undo, so it is re-checked on every use until the transaction is over.
        self.tainted = False
        self.lock = threading.Lock()


_cache = _Cache()


def _cache_seconds() -> float:
    return float(getattr(settings, "CIVICGRID", {}).get("CALENDAR_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


def _read_stamp() -> tuple[object, ...]:
    from civicgrid.workcalendar.models import CalendarDay, CalendarYear, Closure, WorkingPeriod

    parts = []
    for model in (CalendarYear, CalendarDay, WorkingPeriod, Closure):
        table = connection.ops.quote_name(model._meta.db_table)
        parts.append(f"(SELECT COUNT(*) FROM {table}), (SELECT MAX(updated_at) FROM {table})")  # noqa: S608 -- model tables
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        row = cursor.fetchone()
    return tuple(str(value) for value in row)


def _load() -> WorkingCalendar:
    from civicgrid.workcalendar.models import CalendarDay, CalendarYear, Closure, DayKind, WorkingPeriod

    holidays: list[dt.date] = []
    workdays: list[dt.date] = []
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (holidays if kind == DayKind.HOLIDAY else workdays).append(day)
    return WorkingCalendar.build(
        periods=WorkingPeriod.objects.values_list("start", "end"),
        holidays=holidays,
        workdays=workdays,
        closures=Closure.objects.values_list("start_date", "end_date"),
        complete_years=CalendarYear.objects.filter(is_complete=True).values_list("year", flat=True),
    )


def current_calendar() -> WorkingCalendar:
    """The calendar of the rows in the database, cached per process."""
    cache = _cache
    now = time.monotonic()
    calendar = cache.calendar
    if calendar is not None and not cache.tainted and now - cache.checked_at < _cache_seconds():
        return calendar
    with cache.lock:
        if cache.tainted and not connection.in_atomic_block:
            cache.calendar, cache.tainted = None, False  # the writing transaction is over, either way
        stamp = _read_stamp()
        if cache.calendar is None or stamp != cache.stamp:
            cache.calendar = _load()
            cache.stamp = stamp
        cache.checked_at = now
        return cache.calendar


def calendar_stamp() -> str:
    """A digest of the calendar rows' version (counts and latest changes of every calendar table): it
    differs as soon as any holiday, make-up day, year status, working period or closure changes."""
    return hashlib.sha256(repr(_read_stamp()).encode()).hexdigest()


def invalidate() -> None:
    """Drop the cached calendar; the next computation reloads the rows."""
    with _cache.lock:
        _cache.calendar = None
        _cache.stamp = None
        _cache.tainted = False


def calendar_changed() -> None:
    """Called by the services that write calendar rows, inside their transaction."""
    with _cache.lock:
        _cache.calendar = None
        _cache.tainted = True
    transaction.on_commit(invalidate)


# --- the public interface -------------------------------------------------------------------------
def due_after(
    start: dt.datetime,
    *,
    working_days: int | None = None,
    working_hours: float | None = None,
    excluded: Excluded = (),
) -> Due:
    """The deadline ``working_days`` or ``working_hours`` of working time after ``start``.

    Exactly one of the two must be given and positive. ``excluded`` periods (suspensions) do not count.
    """
    _require_aware(start, "start")
    if (working_days is None) == (working_hours is None):
        raise ValueError("give exactly one of working_days and working_hours")
    calendar = current_calendar()
    begin = to_local_us(start)
    intervals = _excluded_us(excluded)
    if working_hours is not None:
        if isinstance(working_hours, bool) or not 0 < working_hours < math.inf:
            raise ValueError(f"working_hours must be a positive number, got {working_hours!r}")
        amount = round(working_hours * 3600 * US_PER_SECOND)
        if amount <= 0:
            raise ValueError(f"working_hours must be at least a microsecond, got {working_hours!r}")
        end = calendar.advance_excluding(begin, amount, intervals)
    elif isinstance(working_days, int) and not isinstance(working_days, bool) and working_days > 0:
        last_day = calendar.nth_working_day_after(begin // US_PER_DAY, working_days)
        end = last_day * US_PER_DAY + calendar.close_us
        if intervals:  # the clock stops: the same allowance, counted around the suspensions
            end = calendar.advance_excluding(begin, calendar.working_us(begin, end), intervals)
    else:
        raise ValueError(f"working_days must be a positive integer, got {working_days!r}")
    return Due(
        due_at=from_local_us(end),
        estimated=calendar.is_estimated(begin // US_PER_DAY, end // US_PER_DAY),
    )


def working_seconds_between(start: dt.datetime, end: dt.datetime, *, excluded: Excluded = ()) -> float:
    """Working time in seconds from ``start`` to ``end`` (0 when end ≤ start), suspensions not counted."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    calendar = current_calendar()
    return calendar.working_us_excluding(to_local_us(start), to_local_us(end), _excluded_us(excluded)) / US_PER_SECOND


def share_point(start: dt.datetime, due: dt.datetime, share: float, excluded: Excluded = ()) -> dt.datetime:
    """The earliest moment at which ``share`` (0–1) of the working time from ``start`` to ``due`` has passed,
    suspensions not counted; e.g. the 75% warning time of a stage. ``start`` when there is no working time."""
    _require_aware(start, "start")
    _require_aware(due, "due")
    if not 0 <= share <= 1:
        raise ValueError(f"share must be between 0 and 1, got {share!r}")
    calendar = current_calendar()
    begin = to_local_us(start)
    intervals = _excluded_us(excluded)
    total = calendar.working_us_excluding(begin, to_local_us(due), intervals)
    amount = round(total * share)
    if amount <= 0:
        return start
    return from_local_us(calendar.advance_excluding(begin, amount, intervals))


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day by the calendar rows (closures included)."""
    return current_calendar().is_working(day.toordinal())


def missing_years(first: dt.date, last: dt.date) -> list[int]:
    """The years from ``first`` to ``last`` without complete calendar data."""
    return current_calendar().missing_years(first.toordinal(), last.toordinal())
