"""Properties of the working-time arithmetic, checked by hypothesis.

On the seeded calendar (2020–2026, plus 2027–2028 without data): allowances compose, the working time
from a start to its deadline is the allowance, and the share point splits it exactly. On random calendars:
the closed-form day counting and binary search agree with stepping day by day.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.workcalendar.working_time import (
    CALENDAR_TZ,
    US_PER_DAY,
    WorkingCalendar,
    due_after,
    share_point,
    working_seconds_between,
)

pytestmark = pytest.mark.django_db

DB_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

starts = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2028, 6, 30)).map(
    lambda naive: naive.replace(tzinfo=CALENDAR_TZ)
)
# Quarter hours are exact in binary floating point, so the identities below hold with ==.
quarter_hours = st.integers(min_value=1, max_value=4 * 80).map(lambda quarters: quarters / 4)
shares = st.sampled_from([0.25, 0.5, 0.75, 1.0])


@DB_SETTINGS
@given(start=starts, a=quarter_hours, b=quarter_hours)
def test_working_hours_compose(db, start, a, b):
    first = due_after(start, working_hours=a).due_at
    assert due_after(start, working_hours=a + b).due_at == due_after(first, working_hours=b).due_at


@DB_SETTINGS
@given(start=starts, hours=quarter_hours)
def test_the_working_time_to_the_deadline_is_the_allowance(db, start, hours):
    due = due_after(start, working_hours=hours).due_at
    assert working_seconds_between(start, due) == hours * 3600
    # and the deadline is the earliest such moment: a microsecond earlier, the allowance is not used up.
    assert working_seconds_between(start, due - dt.timedelta(microseconds=1)) < hours * 3600


@DB_SETTINGS
@given(start=starts, days=st.integers(min_value=1, max_value=40))
def test_working_days_end_at_the_close_of_the_nth_working_day(db, start, days):
    due = due_after(start, working_days=days).due_at.astimezone(CALENDAR_TZ)
    assert due.time() == dt.time(17, 30)
    # n working days after the start day: the working time over whole days after the start day is n days.
    day_after_start = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(), tzinfo=CALENDAR_TZ)
    assert working_seconds_between(day_after_start, due) == days * 7 * 3600


@DB_SETTINGS
@given(
    start=starts,
    hours=quarter_hours,
    pause_after=st.integers(min_value=0, max_value=20 * 24 * 4),
    pause_length=st.integers(min_value=1, max_value=10 * 24 * 4),
)
def test_suspended_time_does_not_count(db, start, hours, pause_after, pause_length):
    suspended_at = start + dt.timedelta(minutes=15 * pause_after)
    excluded = [(suspended_at, suspended_at + dt.timedelta(minutes=15 * pause_length))]
    due = due_after(start, working_hours=hours, excluded=excluded).due_at
    assert working_seconds_between(start, due, excluded=excluded) == hours * 3600
    assert due >= due_after(start, working_hours=hours).due_at


@DB_SETTINGS
@given(start=starts, hours=quarter_hours, share=shares)
def test_share_point_splits_the_allowance(db, start, hours, share):
    due = due_after(start, working_hours=hours).due_at
    point = share_point(start, due, share)
    assert start <= point <= due
    assert working_seconds_between(start, point) == share * hours * 3600


# --- random calendars against stepping day by day ---------------------------------------------------
BASE = dt.date(2030, 1, 1).toordinal()
offsets = st.integers(min_value=0, max_value=120)


@st.composite
def calendars(draw):
    return WorkingCalendar.build(
        periods=[(dt.time(8, 30), dt.time(12)), (dt.time(14), dt.time(17, 30))],
        holidays=[dt.date.fromordinal(BASE + o) for o in draw(st.sets(offsets, max_size=30))],
        workdays=[dt.date.fromordinal(BASE + o) for o in draw(st.sets(offsets, max_size=10))],
        closures=[
            (dt.date.fromordinal(BASE + o), dt.date.fromordinal(BASE + o + length))
            for o, length in draw(st.lists(st.tuples(offsets, st.integers(0, 5)), max_size=3))
        ],
    )


@settings(max_examples=150, deadline=None)
@given(calendar=calendars(), start=st.integers(-10, 130), n=st.integers(1, 60))
def test_nth_working_day_matches_stepping(calendar, start, n):
    day, counted = BASE + start, 0
    while counted < n:
        day += 1
        counted += calendar.is_working(day)
    assert calendar.nth_working_day_after(BASE + start, n) == day


@settings(max_examples=150, deadline=None)
@given(calendar=calendars(), first=st.integers(-10, 130), length=st.integers(0, 90))
def test_working_days_in_matches_stepping(calendar, first, length):
    start = BASE + first
    expected = sum(calendar.is_working(day) for day in range(start, start + length))
    assert calendar.working_days_in(start, start + length) == expected


@settings(max_examples=150, deadline=None)
@given(
    calendar=calendars(),
    start=st.integers(0, 100 * US_PER_DAY // 60_000_000),
    length=st.integers(0, 30 * US_PER_DAY // 60_000_000),
)
def test_working_time_matches_summing_day_by_day(calendar, start, length):
    begin = BASE * US_PER_DAY + start * 60_000_000
    end = begin + length * 60_000_000
    expected = 0
    for day in range(begin // US_PER_DAY, end // US_PER_DAY + 1):
        if calendar.is_working(day):
            for low, high in calendar.periods:
                expected += max(0, min(end, day * US_PER_DAY + high) - max(begin, day * US_PER_DAY + low))
    assert calendar.working_us(begin, end) == expected
