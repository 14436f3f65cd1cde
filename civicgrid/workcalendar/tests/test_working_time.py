"""Deadlines on the seeded calendar (2020–2026 from chinesecalendar, 08:30–12:00 and 14:00–17:30).

Every test names the calendar days it crosses. 2026: National Day holiday Thu 1 – Wed 7 October, make-up
working days Sun 20 September and Sat 10 October; Spring Festival holiday Sun 15 – Mon 23 February, make-up
Sat 14 and Sat 28 February. November 2026 starts on a Sunday. 2027 has no calendar data.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from civicgrid.workcalendar import services, working_time
from civicgrid.workcalendar.models import CalendarDay, Closure, DayKind
from civicgrid.workcalendar.tests.conftest import local, shown
from civicgrid.workcalendar.working_time import (
    CalendarError,
    Due,
    due_after,
    is_working_day,
    missing_years,
    share_point,
    working_seconds_between,
)

pytestmark = pytest.mark.django_db

HOUR = 3600.0


# --- the two examples of the issue ------------------------------------------------------------------
def test_3_working_days_from_wednesday_30_september_2026_cross_national_day_to_make_up_saturday():
    # Wed 30 Sep (start day, not counted); Thu 1 – Wed 7 Oct National Day holiday; Thu 8 Oct = 1,
    # Fri 9 Oct = 2, Sat 10 Oct make-up working day = 3 → its close, 17:30 Beijing time.
    due = due_after(local(2026, 9, 30, 10, 0), working_days=3)
    assert due == Due(due_at=dt.datetime(2026, 10, 10, 9, 30, tzinfo=dt.UTC), estimated=False)
    assert shown(due.due_at) == "2026-10-10 17:30 Sat"
    assert due.due_at.tzinfo is dt.UTC


def test_4_working_hours_from_wednesday_30_september_2026_16_00_end_thursday_8_october_11_00():
    # Wed 30 Sep 16:00–17:30 = 1.5 h; Thu 1 – Wed 7 Oct holiday; Thu 8 Oct 08:30–11:00 = 2.5 h.
    due = due_after(local(2026, 9, 30, 16, 0), working_hours=4)
    assert shown(due.due_at) == "2026-10-08 11:00 Thu"
    assert due.estimated is False


def test_seeded_rows_hold_the_2026_national_day_arrangement():
    october = CalendarDay.objects.filter(date__range=(dt.date(2026, 9, 19), dt.date(2026, 10, 11)))
    assert [(row.date.isoformat(), row.kind, row.name) for row in october] == [
        ("2026-09-20", DayKind.WORKDAY, "国庆节"),
        ("2026-09-25", DayKind.HOLIDAY, "中秋节"),
        ("2026-09-26", DayKind.HOLIDAY, "中秋节"),
        ("2026-09-27", DayKind.HOLIDAY, "中秋节"),
        *[(f"2026-10-0{day}", DayKind.HOLIDAY, "国庆节") for day in range(1, 8)],
        ("2026-10-10", DayKind.WORKDAY, "国庆节"),
    ]


# --- working days -----------------------------------------------------------------------------------
def test_start_on_a_holiday_counts_from_the_next_working_day():
    # Thu 1 Oct 2026 (National Day, start day); Fri 2 – Wed 7 Oct holiday; Thu 8 Oct = 1.
    assert shown(due_after(local(2026, 10, 1, 10, 0), working_days=1).due_at) == "2026-10-08 17:30 Thu"


def test_start_before_opening_still_does_not_count_the_start_day():
    # Mon 2 Nov 2026 07:00 (start day, not counted even before opening); Tue 3 Nov = 1.
    assert shown(due_after(local(2026, 11, 2, 7, 0), working_days=1).due_at) == "2026-11-03 17:30 Tue"


def test_working_days_skip_the_weekend():
    # Thu 5 Nov 2026; Fri 6 Nov = 1; Sat 7, Sun 8 Nov weekend; Mon 9 Nov = 2.
    assert shown(due_after(local(2026, 11, 5, 15, 0), working_days=2).due_at) == "2026-11-09 17:30 Mon"


def test_spring_festival_2026_with_make_up_saturday_before_it():
    # Fri 13 Feb 2026; Sat 14 Feb make-up working day = 1; Sun 15 – Mon 23 Feb Spring Festival holiday;
    # Tue 24 Feb = 2; Wed 25 Feb = 3.
    assert shown(due_after(local(2026, 2, 13, 10, 0), working_days=3).due_at) == "2026-02-25 17:30 Wed"


def test_make_up_sunday_20_september_2026_is_a_working_day():
    # Sat 19 Sep 2026 (weekend, start day); Sun 20 Sep make-up working day = 1.
    assert is_working_day(dt.date(2026, 9, 20)) is True
    assert is_working_day(dt.date(2026, 9, 19)) is False
    assert shown(due_after(local(2026, 9, 19, 9, 0), working_days=1).due_at) == "2026-09-20 17:30 Sun"


def test_long_allowance_crosses_a_year_boundary_with_data_on_both_sides():
    # Wed 30 Dec 2020 (start); Thu 31 Dec = 1; Fri 1 Jan 2021 New Year holiday; Sat 2, Sun 3 Jan weekend;
    # Mon 4 Jan = 2 … Fri 8 Jan = 6; Mon 11 Jan … Fri 15 Jan = 7–11; Mon 18 Jan = 12; Tue 19 Jan = 13.
    due = due_after(local(2020, 12, 30, 9, 0), working_days=13)
    assert shown(due.due_at) == "2021-01-19 17:30 Tue"
    assert due.estimated is False


# --- working hours ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Mon 2 Nov 2026 before opening: 08:30 + 1 h.
        (local(2026, 11, 2, 7, 0), 1, "2026-11-02 09:30 Mon"),
        # during lunch: the clock starts at 14:00.
        (local(2026, 11, 2, 12, 30), 1, "2026-11-02 15:00 Mon"),
        # after close on Monday: Tue 3 Nov 08:30 + 1 h.
        (local(2026, 11, 2, 18, 0), 1, "2026-11-03 09:30 Tue"),
        # after close on Friday 6 Nov: Sat 7, Sun 8 Nov weekend; Mon 9 Nov 08:30 + 1 h.
        (local(2026, 11, 6, 18, 0), 1, "2026-11-09 09:30 Mon"),
        # a whole morning from opening ends at 12:00 exactly, not at 14:00.
        (local(2026, 11, 2, 8, 30), 3.5, "2026-11-02 12:00 Mon"),
        # spanning lunch and a night: Mon 11:00–12:00, 14:00–17:30 (4.5 h), Tue 08:30–12:00 (3.5 h).
        (local(2026, 11, 2, 11, 0), 8, "2026-11-03 12:00 Tue"),
        (local(2026, 11, 2, 11, 0), 8.5, "2026-11-03 14:30 Tue"),
        # fractions: 0.25 h from 11:50 crosses lunch (10 min before, 5 min after).
        (local(2026, 11, 2, 11, 50), 0.25, "2026-11-02 14:05 Mon"),
        # three whole working days of hours from Thu 5 Nov 17:30 (close): Fri 6, Mon 9, Tue 10 Nov.
        (local(2026, 11, 5, 17, 30), 21, "2026-11-10 17:30 Tue"),
        # start on the National Day holiday Thu 1 Oct 2026: Thu 8 Oct 08:30 + 2 h.
        (local(2026, 10, 1, 10, 0), 2, "2026-10-08 10:30 Thu"),
    ],
)
def test_working_hours(start, hours, expected):
    due = due_after(start, working_hours=hours)
    assert shown(due.due_at) == expected
    assert due.estimated is False


def test_start_given_in_utc_is_read_as_beijing_time():
    # 2026-09-30 08:00 UTC = 16:00 Beijing time; Thu 1 – Wed 7 Oct holiday.
    start = dt.datetime(2026, 9, 30, 8, 0, tzinfo=dt.UTC)
    assert due_after(start, working_hours=4).due_at == dt.datetime(2026, 10, 8, 3, 0, tzinfo=dt.UTC)


# --- suspensions (excluded) -------------------------------------------------------------------------
def test_a_whole_suspended_working_day_moves_the_deadline_one_working_day():
    # Mon 2 Nov 2026 10:00 + 3 working days = Thu 5 Nov 17:30; suspended Tue 3 Nov all day → Fri 6 Nov.
    start = local(2026, 11, 2, 10, 0)
    assert shown(due_after(start, working_days=3).due_at) == "2026-11-05 17:30 Thu"
    suspended = [(local(2026, 11, 3, 0, 0), local(2026, 11, 4, 0, 0))]
    assert shown(due_after(start, working_days=3, excluded=suspended).due_at) == "2026-11-06 17:30 Fri"


def test_a_suspended_afternoon_stops_the_clock_for_three_and_a_half_hours():
    # Mon 2 Nov 2026 10:00 + 3 working days, suspended Tue 3 Nov 14:00–17:30 → Thu 5 Nov 17:30 + 3.5 h
    # = Fri 6 Nov 12:00.
    suspended = [(local(2026, 11, 3, 14, 0), local(2026, 11, 3, 17, 30))]
    due = due_after(local(2026, 11, 2, 10, 0), working_days=3, excluded=suspended)
    assert shown(due.due_at) == "2026-11-06 12:00 Fri"


def test_working_hours_with_a_suspension_in_the_middle():
    # Mon 2 Nov 2026 16:00–16:30 counts (0.5 h); suspended 16:30 → Tue 3 Nov 09:00;
    # Tue 09:00–12:00 (3 h), 14:00–14:30 (0.5 h).
    suspended = [(local(2026, 11, 2, 16, 30), local(2026, 11, 3, 9, 0))]
    due = due_after(local(2026, 11, 2, 16, 0), working_hours=4, excluded=suspended)
    assert shown(due.due_at) == "2026-11-03 14:30 Tue"


def test_overlapping_suspensions_count_once_and_those_outside_the_span_do_not_matter():
    # Mon 2 Nov 2026 16:00 + 4 h as above; the two overlapping periods cover 16:30 → Tue 09:00 once;
    # one ends before the start, one starts after the deadline.
    suspended = [
        (local(2026, 11, 3, 8, 0), local(2026, 11, 3, 9, 0)),
        (local(2026, 11, 2, 16, 30), local(2026, 11, 3, 8, 30)),
        (local(2026, 11, 1, 8, 0), local(2026, 11, 2, 15, 0)),
        (local(2026, 11, 4, 8, 0), local(2026, 11, 5, 8, 0)),
        (local(2026, 11, 3, 10, 0), local(2026, 11, 3, 10, 0)),  # empty
    ]
    due = due_after(local(2026, 11, 2, 16, 0), working_hours=4, excluded=suspended)
    assert shown(due.due_at) == "2026-11-03 14:30 Tue"


def test_a_case_suspended_from_before_its_start_counts_from_the_resumption():
    # Suspended Fri 6 Nov 2026 → Mon 9 Nov 10:00 (Sat 7, Sun 8 weekend); Mon 10:00 + 2 h = 12:00.
    suspended = [(local(2026, 11, 6, 9, 0), local(2026, 11, 9, 10, 0))]
    due = due_after(local(2026, 11, 6, 10, 0), working_hours=2, excluded=suspended)
    assert shown(due.due_at) == "2026-11-09 12:00 Mon"


# --- working_seconds_between and share_point --------------------------------------------------------
def test_working_seconds_between_within_and_across_days():
    # Mon 2 Nov 2026 10:00 → Tue 3 Nov 10:00: 2 h + 3.5 h + 1.5 h.
    assert working_seconds_between(local(2026, 11, 2, 10, 0), local(2026, 11, 3, 10, 0)) == 7 * HOUR
    # over lunch only: nothing.
    assert working_seconds_between(local(2026, 11, 2, 12, 0), local(2026, 11, 2, 14, 0)) == 0.0
    # Wed 30 Sep 17:00 → Thu 8 Oct 09:00 across the National Day holiday: 0.5 h + 0.5 h.
    assert working_seconds_between(local(2026, 9, 30, 17, 0), local(2026, 10, 8, 9, 0)) == 1 * HOUR
    # end before start.
    assert working_seconds_between(local(2026, 11, 3), local(2026, 11, 2)) == 0.0


def test_working_seconds_between_leaves_out_suspensions():
    # Mon 2 Nov 2026 10:00 → Tue 3 Nov 10:00 is 7 h; suspended Mon 15:00–Tue 09:00 takes 2.5 h + 0.5 h.
    suspended = [(local(2026, 11, 2, 15, 0), local(2026, 11, 3, 9, 0))]
    spent = working_seconds_between(local(2026, 11, 2, 10, 0), local(2026, 11, 3, 10, 0), excluded=suspended)
    assert spent == 4 * HOUR


def test_share_point_gives_the_75_percent_warning_time():
    # Wed 30 Sep 2026 10:00 → Sat 10 Oct 17:30: 5.5 h + 7 h (Thu 8) + 7 h (Fri 9) + 7 h (Sat 10) = 26.5 h.
    # 75 % = 19 h 52 min 30 s: 5.5 h on 30 Sep, 14 h on 8–9 Oct, 22 min 30 s on Sat 10 Oct from 08:30.
    start = local(2026, 9, 30, 10, 0)
    due = due_after(start, working_days=3).due_at
    assert working_seconds_between(start, due) == 26.5 * HOUR
    assert shown(share_point(start, due, 0.75)) == "2026-10-10 08:52:30 Sat"
    assert share_point(start, due, 0) == start
    assert share_point(start, due, 1) == due


def test_share_point_with_a_suspension():
    # Mon 2 Nov 2026 08:30 → Mon 17:30 with 14:00–17:30 suspended: 3.5 h of working time; half is 1.75 h
    # → 10:15.
    suspended = [(local(2026, 11, 2, 14, 0), local(2026, 11, 2, 17, 30))]
    point = share_point(local(2026, 11, 2, 8, 30), local(2026, 11, 2, 17, 30), 0.5, suspended)
    assert shown(point) == "2026-11-02 10:15 Mon"


def test_share_point_without_working_time_is_the_start():
    # Sat 7 → Sun 8 Nov 2026: weekend, no working time.
    start = local(2026, 11, 7, 9, 0)
    assert share_point(start, local(2026, 11, 8, 9, 0), 0.75) == start


# --- years without data -----------------------------------------------------------------------------
def test_a_deadline_in_a_year_without_data_counts_weekdays_and_is_flagged():
    # Wed 30 Dec 2026 (start); Thu 31 Dec = 1; Fri 1 Jan 2027 (no data: a weekday, counted) = 2;
    # Sat 2, Sun 3 Jan weekend; Mon 4 Jan 2027 = 3.
    due = due_after(local(2026, 12, 30, 10, 0), working_days=3)
    assert shown(due.due_at) == "2027-01-04 17:30 Mon"
    assert due.estimated is True
    assert missing_years(dt.date(2026, 12, 30), dt.date(2027, 1, 4)) == [2027]


def test_a_deadline_wholly_in_2027_is_an_estimate():
    # Mon 8 Feb 2027 (no data; the real Spring Festival is not known to the calendar); Tue 9 – Fri 12 Feb,
    # Mon 15 Feb = 5.
    due = due_after(local(2027, 2, 8, 10, 0), working_days=5)
    assert (shown(due.due_at), due.estimated) == ("2027-02-15 17:30 Mon", True)
    assert due_after(local(2027, 2, 8, 10, 0), working_hours=1).estimated is True


def test_an_incomplete_year_is_still_an_estimate_but_its_entered_days_count():
    # 2027 gets one day (Fri 1 Jan holiday) but is not marked complete: Wed 30 Dec 2026; Thu 31 Dec = 1;
    # Fri 1 Jan holiday; Mon 4 Jan = 2; Tue 5 Jan = 3.
    services.calendar_day_set(day=dt.date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    due = due_after(local(2026, 12, 30, 10, 0), working_days=3)
    assert (shown(due.due_at), due.estimated) == ("2027-01-05 17:30 Tue", True)


# --- edits are seen at once -------------------------------------------------------------------------
def test_entering_2027_changes_the_next_answer():
    # Before: Fri 1 Jan 2027 counted as a weekday (estimate). After entering 2027 with 1–3 Jan off:
    # Thu 31 Dec = 1; Fri 1 Jan holiday; Mon 4 Jan = 2; Tue 5 Jan = 3; no longer an estimate.
    start = local(2026, 12, 30, 10, 0)
    assert shown(due_after(start, working_days=3).due_at) == "2027-01-04 17:30 Mon"
    services.calendar_year_set(
        year=2027,
        holidays=[(dt.date(2027, 1, day), "元旦") for day in (1, 2, 3)],
        workdays=[],
    )
    due = due_after(start, working_days=3)
    assert (shown(due.due_at), due.estimated) == ("2027-01-05 17:30 Tue", False)


def test_a_typhoon_closure_stops_the_count():
    # Mon 2 Nov 2026 (start); Tue 3 Nov closed for a typhoon; Wed 4 Nov = 1.
    start = local(2026, 11, 2, 10, 0)
    assert shown(due_after(start, working_days=1).due_at) == "2026-11-03 17:30 Tue"
    services.closure_add(start_date=dt.date(2026, 11, 3), reason="台风停工")
    assert shown(due_after(start, working_days=1).due_at) == "2026-11-04 17:30 Wed"
    assert working_seconds_between(local(2026, 11, 3, 8, 0), local(2026, 11, 3, 18, 0)) == 0.0


def test_a_closure_on_a_make_up_working_day_makes_it_a_day_off():
    # Sat 10 Oct 2026 make-up working day closed: Thu 8 = 1, Fri 9 = 2, Sat 10 closed, Sun 11 weekend,
    # Mon 12 Oct = 3.
    Closure.objects.create(start_date=dt.date(2026, 10, 10), end_date=dt.date(2026, 10, 10), reason="暴雨")
    working_time.invalidate()
    assert shown(due_after(local(2026, 9, 30, 10, 0), working_days=3).due_at) == "2026-10-12 17:30 Mon"


def test_changing_working_hours_changes_the_next_answer():
    # Mon 2 Nov 2026 with 09:00–12:00 and 13:00–18:00: 11:00 + 2 h → 11:00–12:00, 13:00–14:00.
    start = local(2026, 11, 2, 11, 0)
    assert shown(due_after(start, working_hours=2).due_at) == "2026-11-02 15:00 Mon"
    services.working_hours_set(periods=[(dt.time(9), dt.time(12)), (dt.time(13), dt.time(18))])
    assert shown(due_after(start, working_hours=2).due_at) == "2026-11-02 14:00 Mon"
    assert shown(due_after(start, working_days=1).due_at) == "2026-11-03 18:00 Tue"


def test_a_direct_row_edit_is_seen_after_the_cache_ttl(monkeypatch, settings):
    # Rows written without the services (another process, a raw import) are picked up by the generation
    # stamp once the TTL has passed. Mon 2 Nov 2026; Tue 3 Nov made a holiday directly → Wed 4 Nov.
    settings.CIVICGRID = {**settings.CIVICGRID, "CALENDAR_CACHE_SECONDS": 10}
    clock = [1000.0]
    monkeypatch.setattr(working_time.time, "monotonic", lambda: clock[0])
    start = local(2026, 11, 2, 10, 0)
    assert shown(due_after(start, working_days=1).due_at) == "2026-11-03 17:30 Tue"
    year_2026 = CalendarDay.objects.filter(date__year=2026).first().calendar_year
    CalendarDay.objects.create(calendar_year=year_2026, date=dt.date(2026, 11, 3), kind=DayKind.HOLIDAY)
    clock[0] += 5
    assert shown(due_after(start, working_days=1).due_at) == "2026-11-03 17:30 Tue"  # within the TTL
    clock[0] += 6
    assert shown(due_after(start, working_days=1).due_at) == "2026-11-04 17:30 Wed"


def test_a_rolled_back_calendar_write_leaves_no_trace_in_the_cache():
    # A closure of Tue 3 Nov 2026 added and rolled back: Mon 2 Nov + 1 working day stays Tue 3 Nov.
    start = local(2026, 11, 2, 10, 0)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.closure_add(start_date=dt.date(2026, 11, 3), reason="台风停工")
        assert shown(due_after(start, working_days=1).due_at) == "2026-11-04 17:30 Wed"
        raise RuntimeError("roll back")
    assert shown(due_after(start, working_days=1).due_at) == "2026-11-03 17:30 Tue"


def test_the_calendar_is_loaded_once_and_not_per_computation(django_assert_num_queries):
    due_after(local(2026, 11, 2, 10, 0), working_days=1)
    with django_assert_num_queries(0):
        for day in range(2, 28):
            due_after(local(2026, 11, day, 10, 0), working_days=5)
            working_seconds_between(local(2026, 11, day, 10, 0), local(2026, 12, day, 10, 0))


# --- bad input --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"working_days": 1, "working_hours": 1},
        {"working_days": 0},
        {"working_days": -2},
        {"working_days": 1.5},
        {"working_days": True},
        {"working_hours": 0},
        {"working_hours": -1},
        {"working_hours": float("nan")},
        {"working_hours": float("inf")},
    ],
)
def test_due_after_rejects_bad_allowances(kwargs):
    with pytest.raises(ValueError):
        due_after(local(2026, 11, 2, 10, 0), **kwargs)


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError, match="aware"):
        due_after(dt.datetime(2026, 11, 2, 10, 0), working_days=1)
    with pytest.raises(ValueError, match="aware"):
        working_seconds_between(local(2026, 11, 2), dt.datetime(2026, 11, 3))
    with pytest.raises(ValueError, match="aware"):
        due_after(local(2026, 11, 2), working_days=1, excluded=[(dt.datetime(2026, 11, 2), local(2026, 11, 3))])


def test_share_must_be_between_0_and_1():
    with pytest.raises(ValueError):
        share_point(local(2026, 11, 2), local(2026, 11, 3), 1.5)


def test_a_calendar_without_working_periods_is_a_clear_error():
    from civicgrid.workcalendar.models import WorkingPeriod

    WorkingPeriod.objects.all().delete()
    working_time.invalidate()
    with pytest.raises(CalendarError, match="工作时段"):
        due_after(local(2026, 11, 2, 10, 0), working_hours=1)
