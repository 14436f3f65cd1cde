"""Reads of the working calendar for the admin and the ``deadline`` command."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.workcalendar.models import CalendarDay, CalendarYear, Closure, DayKind
from civicgrid.workcalendar.working_time import CALENDAR_TZ

#: The first year the seeded data covers; the status list never starts later.
FIRST_SEEDED_YEAR = 2020


def weekday_label(day: dt.date) -> str:
    """星期一 … 星期日 (translated)."""
    return [_("星期一"), _("星期二"), _("星期三"), _("星期四"), _("星期五"), _("星期六"), _("星期日")][day.weekday()]


@dataclass(frozen=True)
class YearStatus:
    year: int
    status: str  # "complete" | "incomplete" | "missing"
    holidays: int
    workdays: int

    @property
    def label(self) -> str:
        return {"complete": _("已录入"), "incomplete": _("未录完"), "missing": _("缺失")}[self.status]


def year_statuses(*, today: dt.date | None = None) -> list[YearStatus]:
    """Every year from the first one entered (2020 at the latest) to next year, with its calendar status;
    next year shows as missing until the administrator enters it."""
    today = today or timezone.now().astimezone(CALENDAR_TZ).date()
    rows = {
        row.year: row
        for row in CalendarYear.objects.annotate(
            holiday_count=Count("days", filter=Q(days__kind=DayKind.HOLIDAY)),
            workday_count=Count("days", filter=Q(days__kind=DayKind.WORKDAY)),
        )
    }
    first = min([FIRST_SEEDED_YEAR, *rows])
    last = max([today.year + 1, *rows])
    statuses = []
    for year in range(first, last + 1):
        row = rows.get(year)
        if row is None:
            statuses.append(YearStatus(year=year, status="missing", holidays=0, workdays=0))
        else:
            statuses.append(
                YearStatus(
                    year=year,
                    status="complete" if row.is_complete else "incomplete",
                    holidays=row.holiday_count,  # type: ignore[attr-defined]
                    workdays=row.workday_count,  # type: ignore[attr-defined]
                )
            )
    return statuses


@dataclass(frozen=True)
class CalendarSpan:
    """Consecutive calendar days of one kind and name, or one closure, for display."""

    first: dt.date
    last: dt.date
    label: str
    name: str


def calendar_spans_between(first: dt.date, last: dt.date) -> list[CalendarSpan]:
    """The holidays, make-up working days and closures from ``first`` to ``last``, as runs of days."""
    spans: list[CalendarSpan] = []
    for day in CalendarDay.objects.filter(date__range=(first, last)).order_by("date"):
        label = str(day.get_kind_display())
        previous = spans[-1] if spans else None
        if previous and previous.label == label and previous.name == day.name and (day.date - previous.last).days == 1:
            spans[-1] = CalendarSpan(first=previous.first, last=day.date, label=label, name=day.name)
        else:
            spans.append(CalendarSpan(first=day.date, last=day.date, label=label, name=day.name))
    closures = Closure.objects.filter(start_date__lte=last, end_date__gte=first)
    spans.extend(
        CalendarSpan(first=closure.start_date, last=closure.end_date, label=_("临时停工"), name=closure.reason)
        for closure in closures
    )
    return sorted(spans, key=lambda span: (span.first, span.last))
