"""The deadline sweep: yellow at 75 % of the allowance, red at 100 %, automatic escalation 8 working
hours past due; idempotent, and only rows whose ``next_check_at`` has come are touched.

Case reported Mon 2025-09-22 09:00 in village A1, accept limit 2 h: warn 10:30, due 11:00, escalate
Tue 2025-09-23 12:00 (11:00–12:00, 14:00–17:30 Monday, 08:30–12:00 Tuesday = 8 h).
"""

from __future__ import annotations

from typing import Any

from civicgrid.cases.jobs import deadline_sweep, summons_sweep
from civicgrid.cases.models import Case, CaseEvent, CaseStage, State, Tier
from civicgrid.cases.services import case_deadline_sweep
from civicgrid.cases.tests.conftest import bj
from civicgrid.core.jobs import registered_jobs


def actions(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("action", flat=True))


def inbox(user: Any) -> list[str]:
    from civicgrid.notifications.models import Notification

    return list(Notification.objects.filter(user=user).order_by("id").values_list("event", flat=True))


def test_jobs_are_registered() -> None:
    names = {job.name: job.fn for job in registered_jobs()}
    assert names["cases.deadline_sweep"] is deadline_sweep
    assert names["cases.summons_late_sweep"] is summons_sweep


def test_yellow_red_and_automatic_escalation(clock: Any, personas: Any, world: Any, new_case: Any) -> None:
    p = personas
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    clock.at(bj(2025, 9, 22, 10, 29))
    assert deadline_sweep() == 0
    clock.at(bj(2025, 9, 22, 10, 31))
    assert deadline_sweep() == 1
    assert deadline_sweep() == 0  # idempotent
    case.refresh_from_db()
    assert (case.deadline_status, case.next_check_at, case.version) == ("yellow", bj(2025, 9, 22, 11, 0), 1)
    warning = CaseEvent.objects.get(case=case, action="warning")
    assert (warning.at, warning.actor, warning.actor_name, warning.from_state, warning.to_state, warning.data) == (
        bj(2025, 9, 22, 10, 31), None, "系统", "reported", "reported", {"stage": "accept"},
    )  # fmt: skip
    assert (warning.from_tier, warning.to_tier, warning.region_id) == (3, 3, world.village_a1.pk)
    assert inbox(p.village_center) == ["case.reported", "case.warning"]
    clock.at(bj(2025, 9, 22, 11, 1))
    assert deadline_sweep() == 1
    assert deadline_sweep() == 0
    case.refresh_from_db()
    assert (case.deadline_status, case.next_check_at) == ("red", bj(2025, 9, 23, 12, 0))
    assert inbox(p.village_center)[-1] == "case.overdue"
    clock.at(bj(2025, 9, 23, 11, 59))  # Tuesday
    assert deadline_sweep() == 0
    clock.at(bj(2025, 9, 23, 12, 1))
    assert deadline_sweep() == 1
    case.refresh_from_db()
    assert (case.tier, case.region, case.state, case.deadline_status, case.version) == (
        Tier.TOWN, world.town_a, State.REPORTED, "ok", 2,
    )  # fmt: skip
    # the town's accept stage starts at 12:01 Tuesday, in the lunch break: 2 working hours end Tue 16:00
    assert (case.stage_due_at, case.next_check_at) == (bj(2025, 9, 23, 16, 0), bj(2025, 9, 23, 15, 30))
    assert actions(case) == ["create", "warning", "overdue", "auto_escalate"]
    escalation = CaseEvent.objects.get(case=case, action="auto_escalate")
    assert (escalation.actor, escalation.actor_name, escalation.from_tier, escalation.to_tier) == (None, "系统", 3, 2)
    assert inbox(p.town_center) == ["case.escalated"]
    runs = list(CaseStage.objects.filter(case=case).values_list("tier", "on_time", "warned", "overdue"))
    assert runs == [(3, False, True, True), (2, None, False, False)]


def test_a_late_sweep_marks_red_without_a_yellow_row(clock: Any, personas: Any, new_case: Any) -> None:
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    clock.at(bj(2025, 9, 22, 14, 0))
    assert case_deadline_sweep() == 1
    case.refresh_from_db()
    assert case.deadline_status == "red"
    assert actions(case) == ["create", "overdue"]


def test_a_case_already_past_its_escalation_time_is_marked_red_then_escalated(
    clock: Any, personas: Any, new_case: Any
) -> None:
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    clock.at(bj(2025, 9, 24, 9, 0))  # Wednesday: the worker was down for two days
    assert case_deadline_sweep() == 1
    assert actions(case) == ["create", "overdue", "auto_escalate"]


def test_sweep_only_touches_due_rows(clock: Any, personas: Any, new_case: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clock.at(bj(2025, 9, 22, 9, 0))
    due = new_case(title="早")
    clock.at(bj(2025, 9, 22, 10, 0))
    later = new_case(title="晚")  # warns at 11:30
    clock.at(bj(2025, 9, 22, 10, 45))
    before = Case.objects.values_list("pk", "updated_at", "version", "next_check_at").get(pk=later.pk)
    assert case_deadline_sweep() == 1
    assert Case.objects.values_list("pk", "updated_at", "version", "next_check_at").get(pk=later.pk) == before
    assert actions(later) == ["create"]
    assert actions(due) == ["create", "warning"]
    with CaptureQueriesContext(connection) as queries:
        assert case_deadline_sweep() == 0
    # nothing due: the settings row and one SELECT of due cases, no write
    touching = [q["sql"] for q in queries.captured_queries if 'FROM "cases_case"' in q["sql"]]
    assert len(touching) == 1 and "next_check_at" in touching[0]
    assert not any(q["sql"].startswith(("UPDATE", "INSERT")) for q in queries.captured_queries)


def test_auto_escalation_can_be_switched_off(clock: Any, personas: Any, settings_row: Any, new_case: Any) -> None:
    settings_row.auto_escalate = False
    settings_row.save()
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    assert case.stage_escalate_at is None
    clock.at(bj(2025, 9, 24, 9, 0))
    assert case_deadline_sweep() == 1
    case.refresh_from_db()
    assert (case.deadline_status, case.tier, case.next_check_at) == ("red", Tier.VILLAGE, None)


def test_warning_share_is_data(clock: Any, personas: Any, settings_row: Any, new_case: Any) -> None:
    from decimal import Decimal

    settings_row.warn_share = Decimal("0.50")
    settings_row.save()
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    assert case.stage_warn_at == bj(2025, 9, 22, 10, 0)


def test_several_batches(clock: Any, personas: Any, new_case: Any) -> None:
    clock.at(bj(2025, 9, 22, 9, 0))
    cases = [new_case(title=f"第{i}件") for i in range(5)]
    clock.at(bj(2025, 9, 22, 10, 31))
    assert case_deadline_sweep(batch=2) == 5
    assert sorted(Case.objects.values_list("deadline_status", flat=True)) == ["yellow"] * 5
    assert all(actions(c) == ["create", "warning"] for c in cases)


def test_a_burst_gets_one_digest_per_person(clock: Any, personas: Any, new_case: Any, monkeypatch: Any) -> None:
    from civicgrid.cases import services
    from civicgrid.cases.tests.conftest import IN_GRID_A2_1
    from civicgrid.notifications.models import Notification

    clock.at(bj(2025, 9, 22, 9, 0))
    new_case(title="村里")
    new_case(title="镇里", point=IN_GRID_A2_1)  # village A2 has no center: town A's queue
    clock.at(bj(2025, 9, 22, 10, 31))
    monkeypatch.setattr(services, "DIGEST_GROUP_LIMIT", 1)  # two groups: village A1's and town A's centers
    assert case_deadline_sweep() == 2
    digest = Notification.objects.get(user=personas.village_center, event="case.warning")
    assert (digest.subject, digest.link) == ("有事件黄色预警，请查看", "/cases/?deadline=yellow")
    assert Notification.objects.filter(user=personas.town_center, event="case.warning").count() == 1


def test_small_groups_list_their_cases(clock: Any, personas: Any, new_case: Any) -> None:
    from civicgrid.notifications.models import Notification

    clock.at(bj(2025, 9, 22, 9, 0))
    first, second = new_case(title="甲"), new_case(title="乙")
    clock.at(bj(2025, 9, 22, 10, 31))
    assert case_deadline_sweep() == 2
    message = Notification.objects.get(user=personas.village_center, event="case.warning")
    assert (message.subject, message.body) == ("2 件事件黄色预警", f"{first.number} 甲\n{second.number} 乙")
    assert not Notification.objects.filter(user=personas.town_center).exists()


def test_switching_auto_escalation_off_holds_cases_already_scheduled(
    clock: Any, personas: Any, settings_row: Any, new_case: Any
) -> None:
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    assert case.stage_escalate_at == bj(2025, 9, 23, 12, 0)
    settings_row.auto_escalate = False
    settings_row.save()
    clock.at(bj(2025, 9, 23, 12, 1))
    assert case_deadline_sweep() == 1
    case.refresh_from_db()
    assert (case.tier, case.deadline_status, case.next_check_at) == (Tier.VILLAGE, "red", None)
    assert actions(case) == ["create", "overdue"]
    assert case_deadline_sweep() == 0
