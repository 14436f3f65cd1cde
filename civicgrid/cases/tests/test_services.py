"""The closed loop at the service level, driven across named calendar days with time-machine.

Working day: 08:30–12:00 and 14:00–17:30 Beijing time (7 h). Test category T01: accept 2 h, sign-for
1 h, handle 1 working day, verify 4 h, close 1 working day, follow-up 2 working days.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.cases import services as s
from civicgrid.cases.models import (
    Case,
    CaseAssignment,
    CaseConflict,
    CaseCounter,
    CaseEvent,
    CaseStage,
    EscalationRequest,
    Reporter,
    State,
    SuspensionPeriod,
    Tier,
)
from civicgrid.cases.tests.conftest import IN_GRID_A2_1, bj


def timeline(case: Case) -> list[tuple[str, str, str]]:
    return [(e.action, e.from_state, e.to_state) for e in CaseEvent.objects.filter(case=case).order_by("at", "id")]


def stages(case: Case) -> list[tuple[str, Any, Any, Any, float | None, bool | None]]:
    return [
        (r.stage, r.started_at, r.due_at, r.ended_at, r.working_seconds_spent, r.on_time)
        for r in CaseStage.objects.filter(case=case).order_by("started_at", "id")
    ]


def inbox(user: Any) -> list[str]:
    from civicgrid.notifications.models import Notification

    return list(Notification.objects.filter(user=user).order_by("id").values_list("event", flat=True))


def emails() -> list[tuple[str, str]]:
    from civicgrid.notifications.models import OutboxMessage

    return list(OutboxMessage.objects.filter(channel="email").order_by("id").values_list("event", "target"))


# --- the whole loop -------------------------------------------------------------------------------


def test_full_loop_accept_to_follow_up(clock: Any, personas: Any, world: Any, new_case: Any) -> None:
    """Mon 2025-09-22 → Thu 2025-09-25: every stage on time, with exact working seconds."""
    p = personas
    clock.at(bj(2025, 9, 22, 9, 0))  # Monday
    case = new_case()
    assert case.number == "420683-20250922-00001"
    assert (case.state, case.tier, case.region, case.grid, case.village, case.town, case.city) == (
        State.REPORTED, Tier.VILLAGE, world.village_a1, world.grid_a1_1, world.village_a1, world.town_a, world.city,
    )  # fmt: skip
    assert (case.stage, case.stage_due_at, case.stage_warn_at, case.stage_escalate_at) == (
        "accept", bj(2025, 9, 22, 11, 0), bj(2025, 9, 22, 10, 30), bj(2025, 9, 23, 12, 0),
    )  # fmt: skip
    assert case.next_check_at == bj(2025, 9, 22, 10, 30)
    assert inbox(p.village_center) == ["case.reported"]

    clock.at(bj(2025, 9, 22, 9, 30))
    case = s.case_accept(user=p.village_center, case=case, expected_version=case.version)
    assert (case.owner, case.accepted_by, case.accepted_at) == (
        p.village_center,
        p.village_center,
        bj(2025, 9, 22, 9, 30),
    )
    clock.at(bj(2025, 9, 22, 9, 45))
    case = s.case_register(user=p.village_center, case=case, expected_version=case.version)
    assert emails() == [("case.registered", "zhang@example.com")]
    clock.at(bj(2025, 9, 22, 10, 0))
    case = s.case_dispatch(user=p.village_center, case=case, expected_version=case.version)  # default: police
    assert case.lead_unit == world.police
    assert inbox(p.unit_handler) == ["case.dispatched"]
    assert inbox(p.other_unit_handler) == []
    clock.at(bj(2025, 9, 22, 10, 20))
    case = s.case_sign_for(user=p.unit_handler, case=case, expected_version=case.version)
    clock.at(bj(2025, 9, 23, 16, 0))  # Tuesday
    case = s.case_handle(user=p.unit_handler, case=case, expected_version=case.version, note="已更换灯泡")
    assert inbox(p.grid_worker) == ["case.handled"]
    clock.at(bj(2025, 9, 24, 9, 0))  # Wednesday
    case = s.case_verify(user=p.grid_worker, case=case, expected_version=case.version, passed=True)
    clock.at(bj(2025, 9, 24, 10, 0))
    case = s.case_close(user=p.village_center, case=case, expected_version=case.version)
    clock.at(bj(2025, 9, 25, 9, 0))  # Thursday
    case = s.case_follow_up(user=p.village_center, case=case, expected_version=case.version, satisfaction="satisfied")

    assert case.state == State.FOLLOWED_UP
    assert case.version == 9  # created at 1, eight transitions
    assert timeline(case) == [
        ("create", "", "reported"),
        ("accept", "reported", "accepted"),
        ("register", "accepted", "registered"),
        ("dispatch", "registered", "dispatched"),
        ("sign_for", "dispatched", "signed"),
        ("handle", "signed", "handled"),
        ("verify_pass", "handled", "verified"),
        ("close", "verified", "closed"),
        ("follow_up", "closed", "followed_up"),
    ]
    assert stages(case) == [
        ("accept", bj(2025, 9, 22, 9, 0), bj(2025, 9, 22, 11, 0), bj(2025, 9, 22, 10, 0), 3600.0, True),
        ("sign_for", bj(2025, 9, 22, 10, 0), bj(2025, 9, 22, 11, 0), bj(2025, 9, 22, 10, 20), 1200.0, True),
        # Mon 10:20–12:00, 14:00–17:30, Tue 08:30–12:00, 14:00–16:00
        ("handle", bj(2025, 9, 22, 10, 20), bj(2025, 9, 23, 17, 30), bj(2025, 9, 23, 16, 0), 38400.0, True),
        # Tue 16:00–17:30, Wed 08:30–09:00 (due Wed 11:00: 1.5 h + 2.5 h)
        ("verify", bj(2025, 9, 23, 16, 0), bj(2025, 9, 24, 11, 0), bj(2025, 9, 24, 9, 0), 7200.0, True),
        ("close", bj(2025, 9, 24, 9, 0), bj(2025, 9, 25, 17, 30), bj(2025, 9, 24, 10, 0), 3600.0, True),
        ("follow_up", bj(2025, 9, 24, 10, 0), bj(2025, 9, 26, 17, 30), bj(2025, 9, 25, 9, 0), 21600.0, True),
    ]
    assert (case.stage, case.next_check_at, case.stage_due_at) == ("", None, None)
    assert emails() == [
        ("case.registered", "zhang@example.com"),
        ("case.closed", "zhang@example.com"),
        ("case.followed_up", "zhang@example.com"),
    ]
    assert CaseAssignment.objects.get(case=case).signed_by == p.unit_handler


def test_deadline_across_national_day(clock: Any, personas: Any, world: Any, new_case: Any) -> None:
    """Handling starts Tue 2025-09-30 16:00; Oct 1–8 are holidays: 1 working day ends Thu 2025-10-09 17:30.
    Reported on Sun 2025-09-28, a make-up working day (调休), the 2-hour accept limit runs that same day."""
    p = personas
    clock.at(bj(2025, 9, 28, 9, 0))  # Sunday, but a working day
    case = new_case()
    assert case.stage_due_at == bj(2025, 9, 28, 11, 0)
    clock.at(bj(2025, 9, 30, 15, 0))
    for step in (s.case_accept, s.case_register, s.case_dispatch):
        case = step(user=p.village_center, case=case, expected_version=case.version)
    clock.at(bj(2025, 9, 30, 16, 0))
    case = s.case_sign_for(user=p.unit_handler, case=case, expected_version=case.version)
    assert case.stage_due_at == bj(2025, 10, 9, 17, 30)
    clock.at(bj(2025, 10, 9, 9, 0))
    case = s.case_handle(user=p.unit_handler, case=case, expected_version=case.version, note="已处置")
    row = CaseStage.objects.get(case=case, stage="handle")
    assert (row.working_seconds_spent, row.on_time) == (1.5 * 3600 + 0.5 * 3600, True)
    accept = CaseStage.objects.get(case=case, stage="accept")
    assert accept.on_time is False  # reported Sunday 09:00, dispatched Tuesday: late
    # Sun 09:00–17:30 (6.5 h), Mon (7 h), Tue 08:30–15:00 less lunch (4.5 h)
    assert accept.working_seconds_spent == (6.5 + 7 + 4.5) * 3600


# --- other paths ----------------------------------------------------------------------------------


def test_reject_with_reason(clock: Any, personas: Any, new_case: Any) -> None:
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    clock.at(bj(2025, 9, 22, 9, 10))
    with pytest.raises(ValidationError):
        s.case_reject(user=personas.village_center, case=case, expected_version=case.version, reason="  ")
    case = s.case_reject(
        user=personas.village_center, case=case, expected_version=case.version, reason="不属于受理范围"
    )
    assert (case.state, case.reject_reason, case.next_check_at) == (State.REJECTED, "不属于受理范围", None)
    assert timeline(case) == [("create", "", "reported"), ("reject", "reported", "rejected")]
    assert stages(case) == [
        ("accept", bj(2025, 9, 22, 9, 0), bj(2025, 9, 22, 11, 0), bj(2025, 9, 22, 9, 10), 600.0, True)
    ]
    assert emails() == [("case.rejected", "zhang@example.com")]
    with pytest.raises(s.TransitionNotAllowed):
        s.case_accept(user=personas.village_center, case=case, expected_version=case.version)


def test_merge_duplicate_into_another_case(clock: Any, personas: Any, new_case: Any) -> None:
    clock.at(bj(2025, 9, 22, 9, 0))
    first = new_case(title="井盖缺失")
    duplicate = new_case(title="井盖丢了")
    assert duplicate.number == "420683-20250922-00002"
    clock.at(bj(2025, 9, 22, 9, 30))
    duplicate = s.case_accept(user=personas.village_center, case=duplicate, expected_version=1)
    with pytest.raises(ValidationError):
        s.case_merge(user=personas.village_center, case=duplicate, expected_version=duplicate.version, into=duplicate)
    duplicate = s.case_merge(
        user=personas.village_center, case=duplicate, expected_version=duplicate.version, into=first, note="重复上报"
    )
    assert (duplicate.state, duplicate.merged_into) == (State.MERGED, first)
    assert timeline(duplicate)[-1] == ("merge", "accepted", "merged")
    assert timeline(first) == [("create", "", "reported"), ("merged_in", "reported", "reported")]
    first.refresh_from_db()
    assert first.version == 1  # the target's own work is untouched


def test_rework_after_failed_verification(clock: Any, personas: Any, new_case: Any) -> None:
    p = personas
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    for step in (s.case_accept, s.case_register, s.case_dispatch):
        case = step(user=p.village_center, case=case, expected_version=case.version)
    case = s.case_sign_for(user=p.unit_handler, case=case, expected_version=case.version)
    clock.at(bj(2025, 9, 22, 11, 0))
    case = s.case_handle(user=p.unit_handler, case=case, expected_version=case.version, note="已处理")
    clock.at(bj(2025, 9, 22, 15, 0))
    with pytest.raises(ValidationError):  # a failed check needs a reason
        s.case_verify(user=p.grid_worker, case=case, expected_version=case.version, passed=False)
    case = s.case_verify(user=p.grid_worker, case=case, expected_version=case.version, passed=False, note="仍不亮")
    assert (case.state, case.rework_count, case.stage) == (State.SIGNED, 1, "handle")
    assert inbox(p.unit_handler) == ["case.dispatched", "case.rework"]
    clock.at(bj(2025, 9, 23, 10, 0))
    case = s.case_handle(user=p.unit_handler, case=case, expected_version=case.version, note="更换线路")
    clock.at(bj(2025, 9, 23, 11, 0))
    case = s.case_verify(user=p.grid_worker, case=case, expected_version=case.version, passed=True)
    assert [a for a, _f, _t in timeline(case)] == [
        "create", "accept", "register", "dispatch", "sign_for", "handle", "verify_fail", "handle", "verify_pass",
    ]  # fmt: skip
    handle_runs = [(r[1], r[3], r[4], r[5]) for r in stages(case) if r[0] == "handle"]
    assert handle_runs == [
        (bj(2025, 9, 22, 9, 0), bj(2025, 9, 22, 11, 0), 7200.0, True),
        # second run: Mon 15:00–17:30, Tue 08:30–10:00
        (bj(2025, 9, 22, 15, 0), bj(2025, 9, 23, 10, 0), 2.5 * 3600 + 1.5 * 3600, True),
    ]


def test_suspend_stops_the_clock_and_resume_restores(clock: Any, personas: Any, new_case: Any) -> None:
    """Handling from Mon 2025-09-22 10:20 (due Tue 17:30), suspended Mon 14:00 → Wed 14:00 (14 working
    hours): the due time moves to Thu 2025-09-25 17:30; the sweep leaves it alone while suspended."""
    p = personas
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    clock.at(bj(2025, 9, 22, 10, 0))
    for step in (s.case_accept, s.case_register, s.case_dispatch):
        case = step(user=p.village_center, case=case, expected_version=case.version)
    clock.at(bj(2025, 9, 22, 10, 20))
    case = s.case_sign_for(user=p.unit_handler, case=case, expected_version=case.version)
    clock.at(bj(2025, 9, 22, 14, 0))
    with pytest.raises(PermissionDenied):  # the unit does not suspend; the center does
        s.case_suspend(user=p.unit_handler, case=case, expected_version=case.version, reason="等待法院判决")
    case = s.case_suspend(user=p.village_center, case=case, expected_version=case.version, reason="等待法院判决")
    assert (case.state, case.suspended_from_state, case.next_check_at) == (State.SUSPENDED, State.SIGNED, None)
    with pytest.raises(s.TransitionNotAllowed):
        s.case_handle(user=p.unit_handler, case=case, expected_version=case.version, note="x")
    clock.at(bj(2025, 9, 24, 9, 0))
    assert s.case_deadline_sweep() == 0  # the old due time (Tue 17:30) has passed, but the clock stopped
    clock.at(bj(2025, 9, 24, 14, 0))
    case = s.case_resume(user=p.village_center, case=case, expected_version=case.version)
    assert (case.state, case.suspended_from_state, case.stage) == (State.SIGNED, "", "handle")
    assert case.stage_due_at == bj(2025, 9, 25, 17, 30)
    assert case.deadline_status == "ok"
    period = SuspensionPeriod.objects.get(case=case)
    assert (period.started_at, period.ended_at, period.ended_by) == (
        bj(2025, 9, 22, 14, 0), bj(2025, 9, 24, 14, 0), p.village_center,
    )  # fmt: skip
    clock.at(bj(2025, 9, 25, 10, 0))
    case = s.case_handle(user=p.unit_handler, case=case, expected_version=case.version, note="已处置")
    run = CaseStage.objects.get(case=case, stage="handle")
    # Mon 10:20–12:00 (6000 s) + Wed 14:00–17:30 (12600 s) + Thu 08:30–10:00 (5400 s)
    assert (run.due_at, run.working_seconds_spent, run.on_time) == (bj(2025, 9, 25, 17, 30), 24000.0, True)
    assert [a for a, _f, _t in timeline(case)][-3:] == ["suspend", "resume", "handle"]


def test_escalate_village_town_city_and_back_down(clock: Any, personas: Any, world: Any, new_case: Any) -> None:
    p = personas
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    case = s.case_accept(user=p.village_center, case=case, expected_version=case.version)
    case = s.case_register(user=p.village_center, case=case, expected_version=case.version)
    case = s.case_dispatch(user=p.village_center, case=case, expected_version=case.version)
    clock.at(bj(2025, 9, 22, 9, 30))
    with pytest.raises(ValidationError):
        s.case_escalate(user=p.village_center, case=case, expected_version=case.version, reason="")
    with pytest.raises(PermissionDenied):  # not the current tier's center
        s.case_escalate(user=p.town_center, case=case, expected_version=case.version, reason="超出村级权限")
    case = s.case_escalate(user=p.village_center, case=case, expected_version=case.version, reason="超出村级权限")
    assert (case.tier, case.region, case.state, case.owner, case.lead_unit) == (
        Tier.TOWN, world.town_a, State.REGISTERED, None, None,
    )  # fmt: skip
    assert CaseAssignment.objects.get(case=case).active is False
    assert inbox(p.town_center) == ["case.escalated"]
    assert inbox(p.town_head) == ["case.escalated"]
    assert inbox(p.unit_handler) == ["case.dispatched", "case.escalated"]  # the unit is told it lost the case
    clock.at(bj(2025, 9, 22, 10, 0))
    case = s.case_escalate(user=p.town_head, case=case, expected_version=case.version, reason="涉及多个部门")
    assert (case.tier, case.region, case.escalation_count) == (Tier.CITY, world.city, 2)
    with pytest.raises(ValidationError):  # nothing above the city
        s.case_escalate(user=p.city_center, case=case, expected_version=case.version, reason="再上报")
    clock.at(bj(2025, 9, 22, 10, 30))
    case = s.case_deescalate(user=p.city_center, case=case, expected_version=case.version, reason="由镇级办理")
    assert (case.tier, case.region) == (Tier.TOWN, world.town_a)
    case = s.case_deescalate(
        user=p.town_center, case=case, expected_version=case.version, reason="村级可办", to_region=world.village_a1
    )
    assert (case.tier, case.region, case.state) == (Tier.VILLAGE, world.village_a1, State.REGISTERED)
    with pytest.raises(ValidationError):
        s.case_deescalate(user=p.village_center, case=case, expected_version=case.version, reason="再下派")
    events = CaseEvent.objects.filter(case=case, action__in=["escalate", "deescalate"]).order_by("id")
    assert [(e.action, e.from_tier, e.to_tier, e.region_id) for e in events] == [
        ("escalate", 3, 2, world.town_a.pk),
        ("escalate", 2, 1, world.city.pk),
        ("deescalate", 1, 2, world.town_a.pk),
        ("deescalate", 2, 3, world.village_a1.pk),
    ]
    accept_runs = [(r.tier, r.started_at, r.ended_at) for r in CaseStage.objects.filter(case=case, stage="accept")]
    assert accept_runs == [
        (3, bj(2025, 9, 22, 9, 0), bj(2025, 9, 22, 9, 0)),
        (2, bj(2025, 9, 22, 9, 30), bj(2025, 9, 22, 10, 0)),
        (1, bj(2025, 9, 22, 10, 0), bj(2025, 9, 22, 10, 30)),
        (2, bj(2025, 9, 22, 10, 30), bj(2025, 9, 22, 10, 30)),
        (3, bj(2025, 9, 22, 10, 30), None),
    ]


def test_case_in_a_village_without_center_starts_at_the_town(personas: Any, world: Any, new_case: Any) -> None:
    case = new_case(point=IN_GRID_A2_1)
    assert (case.tier, case.region, case.grid) == (Tier.TOWN, world.town_a, world.grid_a2_1)


def test_unrouted_case_lands_in_the_city_queue(personas: Any, world: Any, new_case: Any) -> None:
    case = new_case(point=(112.45, 32.2))  # east of the city outline, farther than the snap distance
    assert (case.location_status, case.tier, case.region, case.grid, case.city) == (
        "unrouted", Tier.CITY, world.city, None, world.city,
    )  # fmt: skip
    assert case.area_code == world.city.code


def test_summons_with_one_department_late(clock: Any, personas: Any, world: Any, new_case: Any) -> None:
    """Town A summons police and water on Mon 2025-09-22 09:00 (limit 2 working hours → 11:00)."""
    from civicgrid.cases.selectors import summons_status

    p = personas
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    with pytest.raises(PermissionDenied):  # another town's center cannot blow the whistle here
        s.case_summon(user=p.other_town_center, case=case, units=[world.police], reason="联合处置")
    with pytest.raises(PermissionDenied):  # a village center cannot either
        s.case_summon(user=p.village_center, case=case, units=[world.police], reason="联合处置")
    summons = s.case_summon(user=p.town_center, case=case, units=[world.police, world.water], reason="联合处置")
    assert inbox(p.unit_handler) == ["case.summoned"] and inbox(p.other_unit_handler) == ["case.summoned"]
    clock.at(bj(2025, 9, 22, 10, 0))
    police_row = summons.units.get(unit=world.police)
    with pytest.raises(PermissionDenied):
        s.summons_report(user=p.other_unit_handler, summons_unit=police_row)
    s.summons_report(user=p.unit_handler, summons_unit=police_row, note="已到场")
    with pytest.raises(ValidationError):
        s.summons_report(user=p.unit_handler, summons_unit=police_row)
    clock.at(bj(2025, 9, 22, 11, 1))
    assert s.summons_late_sweep() == 1
    assert s.summons_late_sweep() == 0  # told once
    lines = summons_status(user=p.town_center, summons=summons)
    assert [(line.unit_name, line.reported_at, line.on_time, line.late) for line in lines] == [
        ("市公安局", bj(2025, 9, 22, 10, 0), True, False),
        ("市水利局", None, None, True),
    ]
    assert [a for a, _f, _t in timeline(case)] == ["create", "summon", "summons_report", "summons_late"]
    assert inbox(p.town_center)[-1] == "case.summons_late"


def test_resident_escalation_request_is_never_refused(clock: Any, personas: Any, world: Any, new_case: Any) -> None:
    p = personas
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    request = s.case_escalation_request(case=case, reason="村里迟迟不处理")
    case.refresh_from_db()
    assert (request.escalated, request.routed_to, case.tier, case.region) == (True, world.town_a, 2, world.town_a)
    assert [(a, f, t) for a, f, t in timeline(case)] == [
        ("create", "", "reported"),
        ("escalation_request", "reported", "reported"),
        ("escalate", "reported", "reported"),
    ]
    assert CaseEvent.objects.filter(case=case).last().actor_name == "群众"
    s.case_escalation_request(case=case, reason="还是没人管")
    s.case_escalation_request(case=case, reason="我要找市里")
    case.refresh_from_db()
    assert case.tier == Tier.CITY
    top = s.case_escalation_request(case=case, reason="市里也不管")  # at the top: recorded and routed, not refused
    assert (top.escalated, top.routed_to) == (False, world.city)
    assert inbox(p.city_center)[-1] == "case.escalation_requested"
    assert EscalationRequest.objects.filter(case=case).count() == 4


def test_dissatisfied_follow_up_reopens(clock: Any, personas: Any, new_case: Any) -> None:
    p = personas
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    for step in (s.case_accept, s.case_register, s.case_dispatch):
        case = step(user=p.village_center, case=case, expected_version=case.version)
    case = s.case_sign_for(user=p.unit_handler, case=case, expected_version=case.version)
    case = s.case_handle(user=p.unit_handler, case=case, expected_version=case.version, note="已处理")
    case = s.case_verify(user=p.grid_worker, case=case, expected_version=case.version, passed=True)
    case = s.case_close(user=p.village_center, case=case, expected_version=case.version)
    with pytest.raises(ValidationError):
        s.case_follow_up(user=p.village_center, case=case, expected_version=case.version, satisfaction="meh")
    case = s.case_follow_up(
        user=p.village_center, case=case, expected_version=case.version, satisfaction="dissatisfied", note="仍有问题"
    )
    clock.at(bj(2025, 9, 22, 10, 0))
    case = s.case_reopen(user=p.village_center, case=case, expected_version=case.version, reason="群众不满意")
    assert (case.state, case.reopen_count, case.satisfaction, case.lead_unit, case.closed_at) == (
        State.REGISTERED, 1, "", None, None,
    )  # fmt: skip
    assert case.stage == "accept"
    case = s.case_dispatch(user=p.village_center, case=case, expected_version=case.version)
    case = s.case_sign_for(user=p.unit_handler, case=case, expected_version=case.version)
    case = s.case_handle(user=p.unit_handler, case=case, expected_version=case.version, note="彻底修复")
    case = s.case_verify(user=p.grid_worker, case=case, expected_version=case.version, passed=True)
    case = s.case_close(user=p.village_center, case=case, expected_version=case.version)
    case = s.case_follow_up(user=p.village_center, case=case, expected_version=case.version, satisfaction="satisfied")
    with pytest.raises(ValidationError):  # satisfied: no reopening
        s.case_reopen(user=p.village_center, case=case, expected_version=case.version, reason="x")
    assert CaseAssignment.objects.filter(case=case).count() == 2


# --- conflicts, idempotency, bad input ------------------------------------------------------------


def test_stale_version_raises_conflict_and_writes_nothing(personas: Any, new_case: Any) -> None:
    case = new_case()
    s.case_accept(user=personas.village_center, case=case, expected_version=1)
    events = CaseEvent.objects.count()
    with pytest.raises(CaseConflict) as info:
        s.case_register(user=personas.village_center, case=case, expected_version=1)
    assert info.value.current_version == 2
    assert str(info.value) == "该事件已被他人更新，请刷新后重试。"
    assert CaseEvent.objects.count() == events
    case.refresh_from_db()
    assert (case.state, case.version) == (State.ACCEPTED, 2)


def test_transition_not_allowed_writes_nothing(personas: Any, new_case: Any) -> None:
    case = new_case()
    with pytest.raises(s.TransitionNotAllowed) as info:
        s.case_close(user=personas.village_center, case=case, expected_version=1)
    assert info.value.messages == ["事件当前状态为“待受理”，不能执行“结案”。"]
    case.refresh_from_db()
    assert (case.state, case.version, CaseEvent.objects.filter(case=case).count()) == (State.REPORTED, 1, 1)


def test_idempotency_key_returns_the_first_case(personas: Any, new_case: Any) -> None:
    first = new_case(idempotency_key="hotline-20250922-17")
    again = new_case(idempotency_key="hotline-20250922-17", title="别的标题")
    assert again.pk == first.pk and again.title == "路灯不亮"
    assert Case.objects.count() == 1 and CaseCounter.objects.get().last == 1


def test_unknown_category_writes_nothing(personas: Any, new_case: Any) -> None:
    with pytest.raises(ValidationError) as info:
        new_case(category="NOPE")
    assert info.value.message_dict == {"category": ["事件分类不存在或已停用。"]}
    assert (Case.objects.count(), Reporter.objects.count(), CaseCounter.objects.count()) == (0, 0, 0)


def test_coordinates_outside_the_city_write_nothing(personas: Any, new_case: Any) -> None:
    from civicgrid.regions.coords import CoordinateError

    with pytest.raises(CoordinateError):
        new_case(point=(116.4, 39.9))  # Beijing, far outside
    with pytest.raises(ValidationError):
        new_case(point=(112.05, None))
    assert (Case.objects.count(), Reporter.objects.count(), CaseCounter.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", ""), ("channel", "pigeon"), ("reporter_phone", "call me"), ("reporter_email", "not-an-email")],
)
def test_bad_fields_write_nothing(personas: Any, new_case: Any, field: str, value: str) -> None:
    with pytest.raises(ValidationError):
        new_case(**{field: value})
    assert Case.objects.count() == 0


def test_public_creation_needs_a_public_channel_and_category(personas: Any, category: Any, new_case: Any) -> None:
    with pytest.raises(ValidationError):
        new_case(channel="walk_in")  # staff channel without a staff user
    category.is_public = False
    category.save()
    with pytest.raises(ValidationError):
        new_case()
    case = new_case(channel="sensor")  # a sensor may raise an internal category
    assert case.channel == "sensor"


def test_staff_creation_is_permission_checked(personas: Any, new_case: Any) -> None:
    for name in ("outsider", "system_admin", "supervisor", "unit_handler"):
        with pytest.raises(PermissionDenied):
            new_case(user=personas[name], channel="walk_in")
    case = new_case(user=personas.grid_worker, channel="grid_patrol")
    assert case.created_by == personas.grid_worker


def test_anonymous_reporter_keeps_only_an_email(personas: Any, new_case: Any) -> None:
    case = new_case(anonymous=True)
    assert (case.reporter.name, case.reporter.phone, case.reporter.email, case.reporter.anonymous) == (
        "", "", "zhang@example.com", True,
    )  # fmt: skip
    bare = new_case(reporter_name="", reporter_phone="", reporter_email="")
    assert bare.reporter is None


def test_extra_questions_are_checked(personas: Any, category: Any, new_case: Any) -> None:
    category.extra_questions = [
        {"code": "size", "label": "大小", "datatype": "singlevaluelist", "required": True,
         "values": [{"key": "s", "name": "小"}, {"key": "l", "name": "大"}]},
    ]  # fmt: skip
    category.save()
    with pytest.raises(ValidationError):
        new_case()
    with pytest.raises(ValidationError):
        new_case(attributes={"size": "xl"})
    assert new_case(attributes={"size": "l"}).attributes == {"size": "l"}
