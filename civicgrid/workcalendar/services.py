"""Every write to the working calendar: one keyword-only function per action, one transaction each.

Each write checks permission (when an actor is given; ``actor=None`` is the system itself: migrations,
management commands), appends an audit row and drops the in-process calendar cache, so the next deadline
computed in this process already uses the change (other processes follow within the cache's TTL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.audit.services import audit_record
from civicgrid.people.authorization import require
from civicgrid.people.models import User
from civicgrid.workcalendar import working_time
from civicgrid.workcalendar.models import (
    MAX_YEAR,
    MIN_YEAR,
    CalendarDay,
    CalendarYear,
    Closure,
    DayKind,
    Source,
    WorkingPeriod,
)
from civicgrid.workcalendar.package_data import PackageYearMissing, package_days

DayEntry = tuple[dt.date, str]

#: Longer closures are almost certainly a typing error (a wrong year); the longest real ones are weeks.
MAX_CLOSURE_DAYS = 366


def _check(actor: User | None, action: str, obj: object | None = None) -> None:
    if actor is not None:
        require(actor, action, obj)


def _changed(*, actor: User | None, action: str, target: Any, detail: dict[str, Any]) -> None:
    audit_record(actor=actor, action=action, target=target, detail=detail)
    working_time.calendar_changed()


# --- years and days -------------------------------------------------------------------------------
def validate_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(_("年度必须在 %(min)s 到 %(max)s 之间。") % {"min": MIN_YEAR, "max": MAX_YEAR})


def validate_year_days(*, year: int, holidays: Sequence[DayEntry], workdays: Sequence[DayEntry]) -> None:
    """A year's days must lie in that year, each date once, never both a holiday and a working day."""
    validate_year(year)
    errors: list[str] = []
    seen: dict[dt.date, str] = {}
    for kind, entries in ((DayKind.HOLIDAY, holidays), (DayKind.WORKDAY, workdays)):
        for day, _name in entries:
            if day.year != year:
                errors.append(_("%(day)s 不在 %(year)s 年内。") % {"day": day.isoformat(), "year": year})
            elif day in seen:
                if seen[day] != kind:
                    errors.append(_("%(day)s 不能既放假又调休上班。") % {"day": day.isoformat()})
                else:
                    errors.append(_("%(day)s 重复录入。") % {"day": day.isoformat()})
            seen[day] = kind
    if errors:
        raise ValidationError(errors)


def _replace_days(calendar_year: CalendarYear, holidays: Sequence[DayEntry], workdays: Sequence[DayEntry]) -> None:
    calendar_year.days.all().delete()
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(calendar_year=calendar_year, date=day, kind=kind, name=name.strip())
            for kind, entries in ((DayKind.HOLIDAY, holidays), (DayKind.WORKDAY, workdays))
            for day, name in entries
        ]
    )


def calendar_year_set(
    *,
    year: int,
    holidays: Iterable[DayEntry],
    workdays: Iterable[DayEntry],
    is_complete: bool = True,
    note: str = "",
    actor: User | None = None,
) -> CalendarYear:
    """Enter (or replace) a whole year's holidays and make-up working days (调休上班), as an administrator
    does when the State Council publishes the next year's arrangement. Days identical to those stored are
    left alone (and so is the year's source)."""
    holidays, workdays = list(holidays), list(workdays)
    _check(actor, "calendaryear.change")
    validate_year_days(year=year, holidays=holidays, workdays=workdays)
    wanted = {(day, DayKind.HOLIDAY, name.strip()) for day, name in holidays} | {
        (day, DayKind.WORKDAY, name.strip()) for day, name in workdays
    }
    with transaction.atomic():
        calendar_year = CalendarYear.objects.select_for_update().filter(year=year).first()
        stored = set(calendar_year.days.values_list("date", "kind", "name")) if calendar_year else set()
        if calendar_year is None:
            calendar_year = CalendarYear(year=year)
        days_changed = stored != wanted
        if days_changed:
            calendar_year.source = Source.MANUAL
        calendar_year.is_complete, calendar_year.note = is_complete, note
        calendar_year.save()
        if days_changed:
            _replace_days(calendar_year, holidays, workdays)
        _changed(
            actor=actor,
            action="calendaryear.set",
            target=calendar_year,
            detail={
                "year": year,
                "is_complete": is_complete,
                "holidays": [day.isoformat() for day, _name in holidays],
                "workdays": [day.isoformat() for day, _name in workdays],
            },
        )
    return calendar_year


def calendar_year_load_from_package(*, year: int, actor: User | None = None) -> CalendarYear:
    """Replace a year's days with the ``chinesecalendar`` package's data (the package ends with 2026 in
    version 1.11.0; a newer release may cover later years)."""
    _check(actor, "calendaryear.change")
    validate_year(year)
    try:
        holidays, workdays = package_days(year)
    except PackageYearMissing:
        raise ValidationError(
            _("chinesecalendar 包没有 %(year)s 年的数据，请手工录入该年的放假和调休安排。") % {"year": year}
        ) from None
    with transaction.atomic():
        calendar_year, _created = CalendarYear.objects.update_or_create(
            year=year, defaults={"is_complete": True, "source": Source.PACKAGE}
        )
        _replace_days(calendar_year, holidays, workdays)
        _changed(
            actor=actor,
            action="calendaryear.load_from_package",
            target=calendar_year,
            detail={"year": year, "holidays": len(holidays), "workdays": len(workdays)},
        )
    return calendar_year


def calendar_year_update(
    *, calendar_year: CalendarYear, is_complete: bool, note: str = "", actor: User | None = None
) -> CalendarYear:
    """Mark a year complete or not (an incomplete year's deadlines are flagged as estimates)."""
    _check(actor, "calendaryear.change", calendar_year)
    with transaction.atomic():
        calendar_year.is_complete = is_complete
        calendar_year.note = note
        calendar_year.save(update_fields=["is_complete", "note", "updated_at"])
        _changed(
            actor=actor,
            action="calendaryear.update",
            target=calendar_year,
            detail={"year": calendar_year.year, "is_complete": is_complete},
        )
    return calendar_year


def calendar_year_delete(*, calendar_year: CalendarYear, actor: User | None = None) -> None:
    """Remove a year and its days: its deadlines fall back to weekdays and are flagged as estimates."""
    _check(actor, "calendaryear.delete", calendar_year)
    with transaction.atomic():
        year = calendar_year.year
        _changed(actor=actor, action="calendaryear.delete", target=calendar_year, detail={"year": year})
        calendar_year.delete()


def calendar_day_set(
    *, day: dt.date, kind: str | None, name: str = "", actor: User | None = None
) -> CalendarDay | None:
    """Make one date a holiday or a make-up working day, or (``kind=None``) return it to the weekday rule.

    A date of a year not yet entered creates that year as *incomplete*: one day does not make a calendar.
    """
    _check(actor, "calendarday.change")
    validate_year(day.year)
    if kind is not None and kind not in DayKind.values:
        raise ValidationError(_("未知的日期类型：%(kind)s。") % {"kind": kind})
    with transaction.atomic():
        calendar_year, _created = CalendarYear.objects.get_or_create(
            year=day.year, defaults={"is_complete": False, "source": Source.MANUAL}
        )
        row: CalendarDay | None
        if kind is None:
            CalendarDay.objects.filter(date=day).delete()
            row = None
        else:
            row, _created = CalendarDay.objects.update_or_create(
                date=day, defaults={"calendar_year": calendar_year, "kind": kind, "name": name.strip()}
            )
        _changed(
            actor=actor,
            action="calendarday.set",
            target=calendar_year,
            detail={"date": day.isoformat(), "kind": kind, "name": name},
        )
    return row


# --- working hours --------------------------------------------------------------------------------
def validate_periods(periods: Sequence[tuple[dt.time, dt.time]]) -> None:
    """At least one period; each starts before it ends; none overlap."""
    if not periods:
        raise ValidationError(_("至少需要一个工作时段。"))
    ordered = sorted(periods)
    for start, end in ordered:
        if start >= end:
            raise ValidationError(
                _("工作时段 %(start)s–%(end)s 的开始时间必须早于结束时间。")
                % {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
            )
    for (start, end), (next_start, next_end) in pairwise(ordered):
        if next_start < end:
            raise ValidationError(
                _("工作时段 %(first)s 与 %(second)s 重叠。")
                % {"first": f"{start:%H:%M}–{end:%H:%M}", "second": f"{next_start:%H:%M}–{next_end:%H:%M}"}
            )


def working_hours_set(*, periods: Sequence[tuple[dt.time, dt.time]], actor: User | None = None) -> list[WorkingPeriod]:
    """Replace the working periods of every working day (e.g. 08:30–12:00 and 14:00–17:30)."""
    _check(actor, "workingperiod.change")
    validate_periods(periods)
    with transaction.atomic():
        WorkingPeriod.objects.all().delete()
        rows = WorkingPeriod.objects.bulk_create([WorkingPeriod(start=s, end=e) for s, e in sorted(periods)])
        _changed(
            actor=actor,
            action="workingperiod.set",
            target=None,
            detail={"periods": [f"{start:%H:%M}–{end:%H:%M}" for start, end in sorted(periods)]},
        )
    return rows


def _other_periods(period: WorkingPeriod | None) -> list[tuple[dt.time, dt.time]]:
    rows = WorkingPeriod.objects.all()
    if period is not None and period.pk is not None:
        rows = rows.exclude(pk=period.pk)
    return list(rows.values_list("start", "end"))


def validate_period(*, period: WorkingPeriod | None, start: dt.time, end: dt.time) -> None:
    """One period, added or changed, against the others."""
    validate_periods([*_other_periods(period), (start, end)])


def working_period_set(
    *, period: WorkingPeriod | None = None, start: dt.time, end: dt.time, actor: User | None = None
) -> WorkingPeriod:
    """Add a working period (``period=None``) or change one."""
    _check(actor, "workingperiod.change" if period is not None else "workingperiod.add", period)
    with transaction.atomic():
        validate_period(period=period, start=start, end=end)
        row = period or WorkingPeriod()
        row.start, row.end = start, end
        row.save()
        _changed(actor=actor, action="workingperiod.set", target=row, detail={"period": f"{start:%H:%M}–{end:%H:%M}"})
    return row


def working_period_delete(*, period: WorkingPeriod, actor: User | None = None) -> None:
    """Remove a working period; the last one cannot go (a day without working hours has no close)."""
    _check(actor, "workingperiod.delete", period)
    with transaction.atomic():
        if not _other_periods(period):
            raise ValidationError(_("不能删除最后一个工作时段。"))
        _changed(actor=actor, action="workingperiod.delete", target=period, detail={"period": str(period)})
        period.delete()


# --- closures -------------------------------------------------------------------------------------
def validate_closure(*, start_date: dt.date, end_date: dt.date, reason: str) -> None:
    if end_date < start_date:
        raise ValidationError(_("结束日期不能早于开始日期。"))
    if (end_date - start_date).days + 1 > MAX_CLOSURE_DAYS:
        raise ValidationError(_("临时停工不能超过 %(days)s 天，请检查日期。") % {"days": MAX_CLOSURE_DAYS})
    validate_year(start_date.year)
    validate_year(end_date.year)
    if not reason.strip():
        raise ValidationError(_("请填写停工原因。"))


def closure_add(
    *, start_date: dt.date, end_date: dt.date | None = None, reason: str, actor: User | None = None
) -> Closure:
    """Declare whole days closed city-wide (typhoon, flood…): they stop counting as working days."""
    _check(actor, "closure.add")
    end_date = end_date or start_date
    validate_closure(start_date=start_date, end_date=end_date, reason=reason)
    with transaction.atomic():
        closure = Closure.objects.create(start_date=start_date, end_date=end_date, reason=reason.strip())
        _changed(
            actor=actor,
            action="closure.add",
            target=closure,
            detail={"start_date": start_date.isoformat(), "end_date": end_date.isoformat(), "reason": reason},
        )
    return closure


def closure_update(
    *, closure: Closure, start_date: dt.date, end_date: dt.date, reason: str, actor: User | None = None
) -> Closure:
    _check(actor, "closure.change", closure)
    validate_closure(start_date=start_date, end_date=end_date, reason=reason)
    with transaction.atomic():
        closure.start_date, closure.end_date, closure.reason = start_date, end_date, reason.strip()
        closure.save()
        _changed(
            actor=actor,
            action="closure.update",
            target=closure,
            detail={"start_date": start_date.isoformat(), "end_date": end_date.isoformat(), "reason": reason},
        )
    return closure


def closure_remove(*, closure: Closure, actor: User | None = None) -> None:
    _check(actor, "closure.delete", closure)
    with transaction.atomic():
        _changed(actor=actor, action="closure.remove", target=closure, detail={"closure": str(closure)})
        closure.delete()
