"""Running deadlines follow the working calendar: a year entered after the fact, a closure declared."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from civicgrid.cases import services
from civicgrid.cases.models import (
    Action,
    Case,
    CaseEvent,
    CaseStage,
    Category,
    CategoryKind,
    DeadlineStatus,
    SuspensionPeriod,
    Tier,
)
from civicgrid.cases.tests.conftest import IN_GRID_A1_1, bj
from civicgrid.workcalendar.services import calendar_year_set

pytestmark = pytest.mark.django_db

# 2027's arrangement as published (the part that matters here): New Year's Day off.
NEW_YEAR_2027 = [(dt.date(2027, 1, 1), "元旦")]


@pytest.fixture
def slow_category(db: None) -> Any:
    """Five working days to accept: from the last days of 2026 the deadline reaches into 2027."""
    return Category.objects.create(
        code="T05", name="五日受理", kind=CategoryKind.EVENT, default_tier=Tier.VILLAGE,
        accept_limit=Decimal("5"), accept_limit_unit="days",
    )  # fmt: skip


def _report(category: Any) -> Case:
    return services.case_create(
        user=None, title="路灯不亮", category=category, channel="resident", lon=IN_GRID_A1_1[0], lat=IN_GRID_A1_1[1]
    )


def test_completing_the_year_gives_the_real_deadline(personas: Any, slow_category: Any, clock: Any) -> None:
    clock.at(bj(2026, 12, 30, 10, 0))
    case = _report(slow_category)
    # Estimated on weekdays: Thu 31 Dec, Fri 1 Jan (counted: no data), Mon 4, Tue 5, Wed 6 January.
    assert case.stage_due_at == bj(2027, 1, 6, 17, 30)
    stage = CaseStage.objects.get(case=case)
    assert stage.estimated

    assert services.case_deadlines_refresh() == 0  # 2027 still missing: nothing changes
    assert not CaseEvent.objects.filter(case=case, action=Action.DEADLINE_RECOMPUTED).exists()
    assert CaseStage.objects.get(case=case).estimated

    calendar_year_set(year=2027, holidays=NEW_YEAR_2027, workdays=[])
    assert services.case_deadlines_refresh() == 1

    case.refresh_from_db()
    stage.refresh_from_db()
    # New Year's Day is a holiday after all: Thu 31 Dec, Mon 4, Tue 5, Wed 6, Thu 7 January.
    assert case.stage_due_at == stage.due_at == bj(2027, 1, 7, 17, 30)
    assert not stage.estimated
    assert case.stage_warn_at == stage.warn_at and case.stage_warn_at < case.stage_due_at
    assert case.next_check_at == case.stage_warn_at and case.deadline_status == DeadlineStatus.OK
    event = CaseEvent.objects.get(case=case, action=Action.DEADLINE_RECOMPUTED)
    assert event.data["due_at_before"] == bj(2027, 1, 6, 17, 30).isoformat()
    assert event.data["due_at"] == bj(2027, 1, 7, 17, 30).isoformat()
    assert event.actor is None and event.from_state == event.to_state == case.state

    assert services.case_deadlines_refresh() == 0  # the calendar did not change since


def test_a_red_mark_the_real_deadline_does_not_justify_is_lowered(
    personas: Any, slow_category: Any, clock: Any
) -> None:
    clock.at(bj(2026, 12, 30, 10, 0))
    case = _report(slow_category)
    clock.at(bj(2027, 1, 7, 9, 0))  # past the estimate (6 January), before the real deadline (7 January)
    services.case_deadline_sweep()
    case.refresh_from_db()
    assert case.deadline_status == DeadlineStatus.RED

    calendar_year_set(year=2027, holidays=NEW_YEAR_2027, workdays=[])
    assert services.case_deadlines_refresh() == 1
    case.refresh_from_db()
    assert case.deadline_status == DeadlineStatus.YELLOW  # past the 75% point, not past the deadline
    assert case.next_check_at == case.stage_due_at


def test_suspended_cases_wait_for_their_resumption(personas: Any, slow_category: Any, clock: Any) -> None:
    clock.at(bj(2026, 12, 30, 10, 0))
    case = _report(slow_category)
    Case.objects.filter(pk=case.pk).update(state="suspended")
    calendar_year_set(year=2027, holidays=NEW_YEAR_2027, workdays=[])
    assert services.case_deadlines_refresh() == 0
    assert CaseStage.objects.get(case=case).estimated


def test_a_closure_declared_after_the_start_moves_the_deadline(
    personas: Any, slow_category: Any, clock: Any, django_assert_max_num_queries: Any
) -> None:
    from civicgrid.workcalendar.models import Closure
    from civicgrid.workcalendar.services import closure_add, closure_remove

    clock.at(bj(2026, 11, 2, 10, 0))  # Monday
    case = _report(slow_category)
    before = case.stage_due_at
    assert before == bj(2026, 11, 9, 17, 30)  # close of the fifth working day after Monday
    assert services.case_deadlines_refresh() == 0  # first pass: the calendar it started on
    with django_assert_max_num_queries(3):
        assert services.case_deadlines_refresh() == 0  # nothing changed: a version check only

    clock.at(bj(2026, 11, 3, 8, 0))
    closure_add(start_date=dt.date(2026, 11, 4), end_date=dt.date(2026, 11, 4), reason="台风停工")
    assert services.case_deadlines_refresh() == 1
    case.refresh_from_db()
    assert case.stage_due_at == before + dt.timedelta(days=1)  # one working day later
    event = CaseEvent.objects.get(case=case, action=Action.DEADLINE_RECOMPUTED)
    assert event.data["due_at"] == timezone.localtime(case.stage_due_at).isoformat()

    closure_remove(closure=Closure.objects.get())
    assert services.case_deadlines_refresh() == 1
    case.refresh_from_db()
    assert case.stage_due_at == before


def test_suspended_time_still_does_not_count(personas: Any, slow_category: Any, clock: Any) -> None:
    from civicgrid.workcalendar.services import closure_add

    clock.at(bj(2026, 11, 2, 10, 0))
    case = _report(slow_category)
    assert services.case_deadlines_refresh() == 0
    stage = CaseStage.objects.get(case=case)
    # A day's suspension already over (as case_suspend/case_resume leave it): the deadline moved a day.
    SuspensionPeriod.objects.create(
        case=case,
        from_state=case.state,
        started_at=bj(2026, 11, 2, 10, 0),
        started_by=personas.grid_worker,
        ended_at=bj(2026, 11, 3, 10, 0),
        reason="等待材料",
    )
    services._restart_clock(case, stage, services.caches.case_settings())
    stage.save()
    Case.objects.filter(pk=case.pk).update(stage_due_at=stage.due_at)
    with_pause = stage.due_at
    closure_add(start_date=dt.date(2026, 11, 5), end_date=dt.date(2026, 11, 5), reason="台风停工")
    assert services.case_deadlines_refresh() == 1
    stage.refresh_from_db()
    assert stage.due_at == with_pause + dt.timedelta(days=1)  # the pause still excluded, the closure too


def test_a_long_pass_is_cut_into_runs_that_continue(personas: Any, slow_category: Any, clock: Any) -> None:
    from civicgrid.cases.models import CalendarApplied
    from civicgrid.workcalendar.services import closure_add

    clock.at(bj(2026, 11, 2, 10, 0))
    cases = [_report(slow_category) for _ in range(3)]
    assert services.case_deadlines_refresh() == 0
    closure_add(start_date=dt.date(2026, 11, 4), reason="台风停工")
    # One stage per batch and no time to spare: each run does one batch and keeps its place.
    assert services.case_deadlines_refresh(batch=1, seconds=0) == 1
    state = CalendarApplied.objects.get()
    assert state.cursor > 0 and state.stamp != state.pass_stamp
    assert services.case_deadlines_refresh(batch=1, seconds=0) == 1
    # A calendar change in the middle starts the pass again (the stages already moved move once more).
    closure_add(start_date=dt.date(2026, 11, 5), reason="台风停工")
    assert services.case_deadlines_refresh() == 3
    for case in cases:
        case.refresh_from_db()
        assert case.stage_due_at == bj(2026, 11, 11, 17, 30)  # two working days later
    assert services.case_deadlines_refresh() == 0
    assert CalendarApplied.objects.get().cursor == 0
