"""Deadlines estimated on weekdays (a year without calendar data) become real once the year is entered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from civicgrid.cases import services
from civicgrid.cases.models import Action, Case, CaseEvent, CaseStage, Category, CategoryKind, DeadlineStatus, Tier
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


@pytest.fixture(autouse=True)
def _fresh_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "_estimates_checked_against", None)


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

    assert services.case_deadlines_refresh_estimated() == 0  # 2027 still missing: nothing changes
    assert not CaseEvent.objects.filter(case=case, action=Action.DEADLINE_RECOMPUTED).exists()

    calendar_year_set(year=2027, holidays=NEW_YEAR_2027, workdays=[])
    assert services.case_deadlines_refresh_estimated() == 1

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

    assert services.case_deadlines_refresh_estimated() == 0  # nothing estimated is left


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
    assert services.case_deadlines_refresh_estimated() == 1
    case.refresh_from_db()
    assert case.deadline_status == DeadlineStatus.YELLOW  # past the 75% point, not past the deadline
    assert case.next_check_at == case.stage_due_at


def test_suspended_cases_wait_for_their_resumption(personas: Any, slow_category: Any, clock: Any) -> None:
    clock.at(bj(2026, 12, 30, 10, 0))
    case = _report(slow_category)
    Case.objects.filter(pk=case.pk).update(state="suspended")
    calendar_year_set(year=2027, holidays=NEW_YEAR_2027, workdays=[])
    assert services.case_deadlines_refresh_estimated() == 0
    assert CaseStage.objects.get(case=case).estimated
