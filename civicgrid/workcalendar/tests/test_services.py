"""Writes to the calendar: validation (nothing half-written), permission, audit, and the seeded rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.audit.models import AuditEntry
from civicgrid.workcalendar import services
from civicgrid.workcalendar.models import CalendarDay, CalendarYear, Closure, DayKind, Source, WorkingPeriod
from civicgrid.workcalendar.tests.conftest import local, shown
from civicgrid.workcalendar.working_time import due_after

pytestmark = pytest.mark.django_db


def days_of(year: int) -> list[tuple[str, str, str]]:
    return [(row.date.isoformat(), row.kind, row.name) for row in CalendarDay.objects.filter(date__year=year)]


# --- the seed ---------------------------------------------------------------------------------------
def test_the_migration_seeds_2020_to_2026_and_the_default_working_hours():
    years = CalendarYear.objects.order_by("year")
    assert [(row.year, row.is_complete, row.source) for row in years] == [
        (year, True, Source.PACKAGE) for year in range(2020, 2027)
    ]
    assert [(row.start, row.end) for row in WorkingPeriod.objects.all()] == [
        (dt.time(8, 30), dt.time(12, 0)),
        (dt.time(14, 0), dt.time(17, 30)),
    ]
    assert CalendarDay.objects.filter(date__year=2026, kind=DayKind.WORKDAY).count() == 6
    assert not CalendarYear.objects.filter(year=2027).exists()


# --- years ------------------------------------------------------------------------------------------
def test_calendar_year_set_enters_2027_and_audits_it(personas):
    services.calendar_year_set(
        year=2027,
        holidays=[(dt.date(2027, 1, 1), "元旦"), (dt.date(2027, 2, 6), "春节")],
        workdays=[(dt.date(2027, 2, 20), "春节")],
        note="国办发明电〔2026〕号",
        actor=personas.system_admin,
    )
    row = CalendarYear.objects.get(year=2027)
    assert (row.is_complete, row.source, row.note) == (True, Source.MANUAL, "国办发明电〔2026〕号")
    assert days_of(2027) == [
        ("2027-01-01", DayKind.HOLIDAY, "元旦"),
        ("2027-02-06", DayKind.HOLIDAY, "春节"),
        ("2027-02-20", DayKind.WORKDAY, "春节"),
    ]
    entry = AuditEntry.objects.get(action="calendaryear.set")
    assert (entry.actor, entry.target_id, entry.detail["holidays"]) == (
        personas.system_admin,
        str(row.pk),
        ["2027-01-01", "2027-02-06"],
    )


def test_calendar_year_set_replaces_the_days_of_the_year():
    services.calendar_year_set(year=2026, holidays=[(dt.date(2026, 1, 1), "元旦")], workdays=[])
    assert days_of(2026) == [("2026-01-01", DayKind.HOLIDAY, "元旦")]
    assert CalendarDay.objects.filter(date__year=2025).count() > 0  # other years untouched


@pytest.mark.parametrize(
    ("holidays", "workdays", "message"),
    [
        ([(dt.date(2028, 1, 1), "")], [], "2028-01-01 不在 2027 年内。"),
        ([(dt.date(2027, 1, 1), "")], [(dt.date(2027, 1, 1), "")], "2027-01-01 不能既放假又调休上班。"),
        ([(dt.date(2027, 1, 1), ""), (dt.date(2027, 1, 1), "")], [], "2027-01-01 重复录入。"),
    ],
)
def test_calendar_year_set_rejects_bad_days_and_writes_nothing(holidays, workdays, message):
    with pytest.raises(ValidationError) as error:
        services.calendar_year_set(year=2027, holidays=holidays, workdays=workdays)
    assert error.value.messages == [message]
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not AuditEntry.objects.exists()


def test_calendar_year_load_from_package_restores_edited_2026():
    services.calendar_day_set(day=dt.date(2026, 10, 8), kind=DayKind.HOLIDAY, name="误录")
    services.calendar_year_load_from_package(year=2026)
    assert CalendarDay.objects.filter(date=dt.date(2026, 10, 8)).exists() is False
    assert CalendarDay.objects.filter(date__year=2026).count() == 33 + 6  # 33 holiday days, 6 make-up days
    assert CalendarYear.objects.get(year=2026).source == Source.PACKAGE


def test_calendar_year_load_from_package_says_when_the_package_has_no_year():
    with pytest.raises(ValidationError) as error:
        services.calendar_year_load_from_package(year=2027)
    assert error.value.messages == ["chinesecalendar 包没有 2027 年的数据，请手工录入该年的放假和调休安排。"]
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_calendar_year_update_and_delete():
    row = CalendarYear.objects.get(year=2026)
    services.calendar_year_update(calendar_year=row, is_complete=False, note="待核对")
    # Mon 2 Nov 2026 + 1 working day: same day count, now an estimate.
    assert due_after(local(2026, 11, 2, 10), working_days=1).estimated is True
    services.calendar_year_delete(calendar_year=row)
    assert not CalendarDay.objects.filter(date__year=2026).exists()
    # Wed 30 Sep 2026 + 3 working days on weekdays only: Thu 1, Fri 2, Mon 5 Oct.
    due = due_after(local(2026, 9, 30, 10), working_days=3)
    assert (shown(due.due_at), due.estimated) == ("2026-10-05 17:30 Mon", True)


# --- single days ------------------------------------------------------------------------------------
def test_calendar_day_set_in_a_new_year_creates_it_incomplete():
    row = services.calendar_day_set(day=dt.date(2028, 1, 1), kind=DayKind.HOLIDAY, name=" 元旦 ")
    assert (row.date, row.kind, row.name) == (dt.date(2028, 1, 1), DayKind.HOLIDAY, "元旦")
    year = CalendarYear.objects.get(year=2028)
    assert (year.is_complete, year.source) == (False, Source.MANUAL)


def test_calendar_day_set_changes_and_clears_a_day():
    services.calendar_day_set(day=dt.date(2026, 10, 10), kind=DayKind.HOLIDAY, name="改为放假")
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 10)).kind == DayKind.HOLIDAY
    assert services.calendar_day_set(day=dt.date(2026, 10, 10), kind=None) is None
    assert not CalendarDay.objects.filter(date=dt.date(2026, 10, 10)).exists()


def test_calendar_day_set_rejects_unknown_kinds_and_years():
    with pytest.raises(ValidationError):
        services.calendar_day_set(day=dt.date(2026, 10, 10), kind="half_day")
    with pytest.raises(ValidationError):
        services.calendar_day_set(day=dt.date(1900, 1, 1), kind=DayKind.HOLIDAY)
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 10)).kind == DayKind.WORKDAY


# --- working hours ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ([], "至少需要一个工作时段。"),
        ([(dt.time(12), dt.time(9))], "工作时段 12:00–09:00 的开始时间必须早于结束时间。"),
        ([(dt.time(9), dt.time(12)), (dt.time(11), dt.time(15))], "工作时段 09:00–12:00 与 11:00–15:00 重叠。"),
    ],
)
def test_working_hours_set_rejects_bad_periods(periods, message):
    with pytest.raises(ValidationError) as error:
        services.working_hours_set(periods=periods)
    assert error.value.messages == [message]
    assert WorkingPeriod.objects.count() == 2


def test_working_period_set_and_delete():
    afternoon = WorkingPeriod.objects.get(start=dt.time(14))
    services.working_period_set(period=afternoon, start=dt.time(14, 30), end=dt.time(18))
    with pytest.raises(ValidationError):
        services.working_period_set(start=dt.time(11), end=dt.time(15))
    evening = services.working_period_set(start=dt.time(19), end=dt.time(20))
    assert [str(row) for row in WorkingPeriod.objects.all()] == ["08:30–12:00", "14:30–18:00", "19:00–20:00"]
    # Mon 2 Nov 2026 + 1 working day now closes at 20:00 on Tue 3 Nov.
    assert shown(due_after(local(2026, 11, 2, 10), working_days=1).due_at) == "2026-11-03 20:00 Tue"
    services.working_period_delete(period=evening)
    services.working_period_delete(period=WorkingPeriod.objects.get(start=dt.time(8, 30)))
    with pytest.raises(ValidationError) as error:
        services.working_period_delete(period=WorkingPeriod.objects.get())
    assert error.value.messages == ["不能删除最后一个工作时段。"]


# --- closures ---------------------------------------------------------------------------------------
def test_closure_add_update_remove():
    closure = services.closure_add(start_date=dt.date(2026, 11, 3), reason=" 台风“海葵”停工 ")
    assert (closure.start_date, closure.end_date, closure.reason) == (
        dt.date(2026, 11, 3),
        dt.date(2026, 11, 3),
        "台风“海葵”停工",
    )
    services.closure_update(
        closure=closure, start_date=dt.date(2026, 11, 3), end_date=dt.date(2026, 11, 4), reason="台风停工"
    )
    # Mon 2 Nov 2026; Tue 3 and Wed 4 Nov closed; Thu 5 Nov = 1.
    assert shown(due_after(local(2026, 11, 2, 10), working_days=1).due_at) == "2026-11-05 17:30 Thu"
    services.closure_remove(closure=closure)
    assert not Closure.objects.exists()
    assert [row.action for row in AuditEntry.objects.order_by("id")] == [
        "closure.add",
        "closure.update",
        "closure.remove",
    ]


@pytest.mark.parametrize(
    ("start", "end", "reason", "message"),
    [
        (dt.date(2026, 11, 4), dt.date(2026, 11, 3), "台风", "结束日期不能早于开始日期。"),
        (dt.date(2026, 1, 1), dt.date(2027, 1, 2), "台风", "临时停工不能超过 366 天，请检查日期。"),
        (dt.date(2026, 11, 3), dt.date(2026, 11, 3), "  ", "请填写停工原因。"),
    ],
)
def test_closure_add_rejects_bad_input(start, end, reason, message):
    with pytest.raises(ValidationError) as error:
        services.closure_add(start_date=start, end_date=end, reason=reason)
    assert error.value.messages == [message]
    assert not Closure.objects.exists()


# --- permission -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["town_center", "city_center", "supervisor", "security_admin", "audit_admin", "outsider"]
)
def test_only_the_system_administrator_changes_the_calendar(personas, name):
    user = personas[name]
    with pytest.raises(PermissionDenied):
        services.calendar_year_load_from_package(year=2026, actor=user)
    with pytest.raises(PermissionDenied):
        services.closure_add(start_date=dt.date(2026, 11, 3), reason="台风", actor=user)
    with pytest.raises(PermissionDenied):
        services.working_hours_set(periods=[(dt.time(9), dt.time(17))], actor=user)
    with pytest.raises(PermissionDenied):
        services.calendar_day_set(day=dt.date(2026, 11, 3), kind=DayKind.HOLIDAY, actor=user)
    assert not Closure.objects.exists()
    assert not CalendarDay.objects.filter(date=dt.date(2026, 11, 3)).exists()


def test_the_system_administrator_may(personas):
    services.closure_add(start_date=dt.date(2026, 11, 3), reason="台风", actor=personas.system_admin)
    services.calendar_day_set(day=dt.date(2026, 11, 4), kind=DayKind.HOLIDAY, actor=personas.system_admin)
    assert AuditEntry.objects.filter(actor=personas.system_admin).count() == 2


def test_saving_a_year_unchanged_keeps_its_rows_and_source():
    before = list(CalendarDay.objects.filter(date__year=2026).values_list("pk", flat=True))
    holidays = [(row.date, row.name) for row in CalendarDay.objects.filter(date__year=2026, kind=DayKind.HOLIDAY)]
    workdays = [(row.date, row.name) for row in CalendarDay.objects.filter(date__year=2026, kind=DayKind.WORKDAY)]
    services.calendar_year_set(year=2026, holidays=holidays, workdays=workdays, note="核对无误")
    assert list(CalendarDay.objects.filter(date__year=2026).values_list("pk", flat=True)) == before
    row = CalendarYear.objects.get(year=2026)
    assert (row.source, row.note) == (Source.PACKAGE, "核对无误")
