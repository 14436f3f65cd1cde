"""Year status and the calendar days between two dates."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from civicgrid.workcalendar import selectors, services
from civicgrid.workcalendar.models import DayKind
from civicgrid.workcalendar.selectors import CalendarSpan, YearStatus

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC), tick=False)
def test_year_status_runs_to_next_year_and_shows_2027_missing():
    statuses = selectors.year_statuses()
    assert [(s.year, s.status) for s in statuses] == [(year, "complete") for year in range(2020, 2027)] + [
        (2027, "missing")
    ]
    assert statuses[-2] == YearStatus(year=2026, status="complete", holidays=33, workdays=6)
    assert statuses[-1].label == "缺失"


@time_machine.travel(dt.datetime(2027, 3, 1, 1, 0, tzinfo=dt.UTC), tick=False)
def test_year_status_in_2027_with_an_incomplete_year_and_a_far_one():
    services.calendar_day_set(day=dt.date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    services.calendar_year_set(year=2030, holidays=[], workdays=[])
    statuses = {s.year: s.status for s in selectors.year_statuses()}
    assert list(statuses) == list(range(2020, 2031))
    assert (statuses[2026], statuses[2027], statuses[2028], statuses[2029], statuses[2030]) == (
        "complete",
        "incomplete",
        "missing",
        "missing",
        "complete",
    )


def test_calendar_spans_group_runs_and_include_closures():
    services.closure_add(start_date=dt.date(2026, 10, 9), end_date=dt.date(2026, 10, 12), reason="台风停工")
    spans = selectors.calendar_spans_between(dt.date(2026, 9, 30), dt.date(2026, 10, 10))
    assert spans == [
        CalendarSpan(first=dt.date(2026, 10, 1), last=dt.date(2026, 10, 7), label="放假", name="国庆节"),
        CalendarSpan(first=dt.date(2026, 10, 9), last=dt.date(2026, 10, 12), label="临时停工", name="台风停工"),
        CalendarSpan(first=dt.date(2026, 10, 10), last=dt.date(2026, 10, 10), label="调休上班", name="国庆节"),
    ]
