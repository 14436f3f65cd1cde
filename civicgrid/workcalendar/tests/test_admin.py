"""The calendar admin: only the system administrator, a year entered as text, the year status, and every
save going through the services (the next deadline already uses it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from civicgrid.workcalendar.models import CalendarDay, CalendarYear, Closure, DayKind, Source, WorkingPeriod
from civicgrid.workcalendar.tests.conftest import local, shown
from civicgrid.workcalendar.working_time import due_after

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)  # Sat 28 Nov 2026, 10:00 Beijing time


def url(model: str, view: str, *args: Any) -> str:
    return reverse(f"admin:workcalendar_{model}_{view}", args=args)


@pytest.fixture
def admin_client(client, personas):
    client.force_login(personas.system_admin)
    return client


def form_data(response) -> dict[str, Any]:
    """The POST data a browser would send back for an admin change form as rendered."""
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        if not field.disabled:
            value = form[name].value()
            data[name] = "" if value is None else value
    return data


def new_year_data(**fields: Any) -> dict[str, Any]:
    return {
        "year": "2027",
        "is_complete": "on",
        "note": "",
        "holidays_text": "",
        "workdays_text": "",
        **fields,
    }


# --- who may -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["town_center", "town_head", "city_center", "security_admin", "audit_admin"])
def test_staff_other_than_the_system_administrator_are_refused(client, personas, name):
    client.force_login(personas[name])
    assert client.get(url("calendaryear", "changelist")).status_code == 403
    assert (
        client.post(
            url("closure", "add"), {"start_date": "2026-11-03", "end_date": "2026-11-03", "reason": "x"}
        ).status_code
        == 403
    )
    assert not Closure.objects.exists()


def test_a_user_without_admin_access_is_sent_to_the_login(client, personas):
    client.force_login(personas.outsider)
    assert client.get(url("calendaryear", "changelist")).status_code == 302


# --- years -----------------------------------------------------------------------------------------
@time_machine.travel(NOW, tick=False)
def test_the_year_list_shows_which_years_have_data(admin_client):
    response = admin_client.get(url("calendaryear", "changelist"))
    assert response.status_code == 200
    statuses = [(s.year, s.label) for s in response.context["year_statuses"]]
    assert statuses == [(year, "已录入") for year in range(2020, 2027)] + [(2027, "缺失")]
    page = response.content.decode()
    assert "年度状态" in page
    assert '<tr class="year-missing">\n        <td>2027</td>' in page


def test_entering_2027_as_text_changes_the_next_deadline(admin_client, personas):
    # Wed 30 Dec 2026 + 3 working days: before, Fri 1 Jan 2027 counts (estimate) → Mon 4 Jan;
    # after entering 1–3 Jan 2027 off: Thu 31 Dec, Mon 4, Tue 5 Jan.
    response = admin_client.post(
        url("calendaryear", "add"),
        new_year_data(
            holidays_text="2027-01-01 ~ 2027-01-03 元旦\n2027-02-06 ~ 2027-02-12 春节",
            workdays_text="2027-02-20 春节",
        ),
    )
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).source == Source.MANUAL
    assert CalendarDay.objects.filter(date__year=2027, kind=DayKind.HOLIDAY).count() == 10
    assert list(CalendarDay.objects.filter(date__year=2027, kind=DayKind.WORKDAY).values_list("date", flat=True)) == [
        dt.date(2027, 2, 20)
    ]
    due = due_after(local(2026, 12, 30, 10), working_days=3)
    assert (shown(due.due_at), due.estimated) == ("2027-01-05 17:30 Tue", False)


def test_bad_lines_are_shown_and_nothing_is_written(admin_client):
    response = admin_client.post(
        url("calendaryear", "add"),
        new_year_data(holidays_text="2027-01-01 元旦\n2028-01-01 元旦", workdays_text="2027-13-01"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "第 1 行：2027-13-01 不是有效日期。" in page
    assert not CalendarYear.objects.filter(year=2027).exists()
    response = admin_client.post(url("calendaryear", "add"), new_year_data(holidays_text="2028-01-01 元旦"))
    assert "2028-01-01 不在 2027 年内。" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_loading_2027_from_the_package_says_the_package_has_no_such_year(admin_client):
    response = admin_client.post(url("calendaryear", "add"), new_year_data(load_from_package="on"))
    assert response.status_code == 200
    assert "chinesecalendar 包没有 2027 年的数据" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_the_change_form_shows_the_days_as_text_and_saves_edits(admin_client):
    year = CalendarYear.objects.get(year=2026)
    response = admin_client.get(url("calendaryear", "change", year.pk))
    data = form_data(response)
    assert "2026-10-01 ~ 2026-10-07 国庆节" in data["holidays_text"].splitlines()
    assert data["workdays_text"].splitlines() == [
        "2026-01-04 元旦",
        "2026-02-14 春节",
        "2026-02-28 春节",
        "2026-05-09 劳动节",
        "2026-09-20 国庆节",
        "2026-10-10 国庆节",
    ]
    # Make Sat 10 Oct 2026 an ordinary Saturday: Wed 30 Sep + 3 working days → Thu 8, Fri 9, Mon 12 Oct.
    data["workdays_text"] = data["workdays_text"].replace("2026-10-10 国庆节", "")
    assert admin_client.post(url("calendaryear", "change", year.pk), data).status_code == 302
    assert not CalendarDay.objects.filter(date=dt.date(2026, 10, 10)).exists()
    assert shown(due_after(local(2026, 9, 30, 10), working_days=3).due_at) == "2026-10-12 17:30 Mon"


def test_the_reload_action_restores_the_package_data(admin_client):
    CalendarDay.objects.filter(date=dt.date(2026, 10, 10)).delete()
    year = CalendarYear.objects.get(year=2026)
    response = admin_client.post(
        url("calendaryear", "changelist"), {"action": "load_from_package", "_selected_action": [year.pk]}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 10)).kind == DayKind.WORKDAY


def test_deleting_a_year_goes_through_the_service(admin_client):
    year = CalendarYear.objects.get(year=2020)
    response = admin_client.post(url("calendaryear", "delete", year.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(date__year=2020).exists()


# --- days ------------------------------------------------------------------------------------------
@time_machine.travel(NOW, tick=False)
def test_adding_one_day_and_the_year_filter(admin_client):
    response = admin_client.post(
        url("calendarday", "add"), {"date": "2026-11-03", "kind": DayKind.HOLIDAY, "name": "地方节日"}
    )
    assert response.status_code == 302
    # Mon 2 Nov 2026; Tue 3 Nov now a holiday; Wed 4 Nov = 1.
    assert shown(due_after(local(2026, 11, 2, 10), working_days=1).due_at) == "2026-11-04 17:30 Wed"
    response = admin_client.get(url("calendarday", "changelist"), {"year": "2026"})
    assert response.context["cl"].result_count == 40
    filters = response.context["cl"].filter_specs[0]
    assert [label for _value, label in filters.lookup_choices][:2] == ["2027（缺失）", "2026（已录入）"]


@pytest.mark.parametrize("year", ["9" * 30, "1989", "2201", "²⁰²⁶", "x"])
def test_the_year_filter_answers_a_year_without_days_with_no_rows(admin_client, year):
    response = admin_client.get(url("calendarday", "changelist"), {"year": year})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_a_day_cannot_be_entered_twice(admin_client):
    response = admin_client.post(url("calendarday", "add"), {"date": "2026-10-10", "kind": DayKind.HOLIDAY, "name": ""})
    assert response.status_code == 200
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 10)).kind == DayKind.WORKDAY


def test_deleting_a_day_returns_it_to_the_weekday_rule(admin_client):
    day = CalendarDay.objects.get(date=dt.date(2026, 10, 10))
    assert admin_client.post(url("calendarday", "delete", day.pk), {"post": "yes"}).status_code == 302
    assert not CalendarDay.objects.filter(date=dt.date(2026, 10, 10)).exists()


# --- working hours and closures --------------------------------------------------------------------
def test_overlapping_working_periods_are_refused(admin_client):
    response = admin_client.post(url("workingperiod", "add"), {"start": "11:00", "end": "15:00"})
    assert response.status_code == 200
    assert "工作时段 08:30–12:00 与 11:00–15:00 重叠。" in response.content.decode()
    assert WorkingPeriod.objects.count() == 2


def test_changing_the_afternoon_moves_the_close(admin_client):
    afternoon = WorkingPeriod.objects.get(start=dt.time(14))
    response = admin_client.post(url("workingperiod", "change", afternoon.pk), {"start": "14:30", "end": "18:00"})
    assert response.status_code == 302
    # Mon 2 Nov 2026 + 1 working day: Tue 3 Nov at the new close.
    assert shown(due_after(local(2026, 11, 2, 10), working_days=1).due_at) == "2026-11-03 18:00 Tue"


def test_the_last_working_period_cannot_be_deleted(admin_client):
    WorkingPeriod.objects.filter(start=dt.time(14)).delete()
    last = WorkingPeriod.objects.get()
    assert admin_client.post(url("workingperiod", "delete", last.pk), {"post": "yes"}).status_code == 403
    assert WorkingPeriod.objects.count() == 1


def test_a_closure_entered_in_the_admin(admin_client):
    response = admin_client.post(
        url("closure", "add"), {"start_date": "2026-11-03", "end_date": "2026-11-04", "reason": "台风停工"}
    )
    assert response.status_code == 302
    # Mon 2 Nov 2026; Tue 3, Wed 4 Nov closed; Thu 5 Nov = 1.
    assert shown(due_after(local(2026, 11, 2, 10), working_days=1).due_at) == "2026-11-05 17:30 Thu"
    closure = Closure.objects.get()
    response = admin_client.post(
        url("closure", "change", closure.pk), {"start_date": "2026-11-04", "end_date": "2026-11-03", "reason": "x"}
    )
    assert response.status_code == 200
    assert "结束日期不能早于开始日期。" in response.content.decode()
    assert admin_client.post(url("closure", "delete", closure.pk), {"post": "yes"}).status_code == 302
    assert shown(due_after(local(2026, 11, 2, 10), working_days=1).due_at) == "2026-11-03 17:30 Tue"
