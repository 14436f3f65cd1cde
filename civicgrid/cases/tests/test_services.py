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
    assert [(line.unit_code, line.unit_name, line.reported_at, line.on_time, line.late) for line in lines] == [
        ("police", "市公安局", bj(2025, 9, 22, 10, 0), True, False),
        ("water", "市水利局", None, None, True),
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
    assert (first.replayed, again.replayed, Case.objects.get(pk=first.pk).replayed) == (False, True, False)
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


# --- helpers for the flows below ------------------------------------------------------------------


def _closed(p: Any, case: Case) -> Case:
    """Accept → register → dispatch (police) → sign for → handle → verify → close."""
    for step in (s.case_accept, s.case_register, s.case_dispatch):
        case = step(user=p.village_center, case=case, expected_version=case.version)
    case = s.case_sign_for(user=p.unit_handler, case=case, expected_version=case.version)
    case = s.case_handle(user=p.unit_handler, case=case, expected_version=case.version, note="已处理")
    case = s.case_verify(user=p.grid_worker, case=case, expected_version=case.version, passed=True)
    return s.case_close(user=p.village_center, case=case, expected_version=case.version)


def _outbox(event: str) -> list[tuple[str, str]]:
    from civicgrid.notifications.models import OutboxMessage

    rows = OutboxMessage.objects.filter(channel="email", event=event).order_by("id")
    return [(row.target, row.payload["subject"]) for row in rows]


# --- escalation by the system (other apps' rules) -------------------------------------------------


def test_escalate_by_system_moves_one_tier_with_the_system_as_actor(
    clock: Any, personas: Any, world: Any, new_case: Any
) -> None:
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    clock.at(bj(2025, 9, 22, 9, 30))
    moved = s.case_escalate_by_system(
        case=case, reason="高风险纠纷自动提级", data={"risk": "high"}, action="risk_escalate"
    )
    assert moved is True
    # The caller's object was refreshed: no refresh_from_db() here.
    assert (case.tier, case.region, case.state, case.version, case.escalation_count) == (
        Tier.TOWN, world.town_a, State.REPORTED, 2, 1,
    )  # fmt: skip
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.action, event.actor, event.actor_name, event.note) == (
        "risk_escalate", None, "系统", "高风险纠纷自动提级",
    )  # fmt: skip
    assert (event.from_tier, event.to_tier, event.from_state, event.to_state) == (3, 2, "reported", "reported")
    assert event.data == {
        "risk": "high", "from_region": world.village_a1.pk, "to_region": world.town_a.pk, "previous_units": [],
    }  # fmt: skip
    assert inbox(personas.town_center) == ["case.escalated"]
    assert [(r.tier, r.started_at, r.ended_at) for r in CaseStage.objects.filter(case=case)] == [
        (3, bj(2025, 9, 22, 9, 0), bj(2025, 9, 22, 9, 30)),
        (2, bj(2025, 9, 22, 9, 30), None),
    ]

    assert s.case_escalate_by_system(case=case, reason="再提级") is True  # default action: auto_escalate
    assert (case.tier, CaseEvent.objects.filter(case=case).last().action) == (Tier.CITY, "auto_escalate")
    events = CaseEvent.objects.filter(case=case).count()
    assert s.case_escalate_by_system(case=case, reason="已在最高层级") is False  # nothing above the city
    case.refresh_from_db()
    assert (case.tier, case.version, CaseEvent.objects.filter(case=case).count()) == (Tier.CITY, 3, events)


def test_escalate_by_system_refuses_states_without_escalation_and_other_actions(personas: Any, new_case: Any) -> None:
    case = new_case()
    case = s.case_suspend(user=personas.village_center, case=case, expected_version=case.version, reason="等待鉴定")
    assert s.case_escalate_by_system(case=case, reason="高风险") is False
    case.refresh_from_db()
    assert (case.tier, case.state, case.version) == (Tier.VILLAGE, State.SUSPENDED, 2)
    with pytest.raises(ValueError):
        s.case_escalate_by_system(case=case, reason="x", action="escalate")  # a person's action, not the system's
    with pytest.raises(ValidationError):
        s.case_escalate_by_system(case=case, reason=" ")


# --- timeline rows from other apps ----------------------------------------------------------------


def test_event_append_records_a_step_without_changing_the_case(clock: Any, personas: Any, new_case: Any) -> None:
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    case = s.case_accept(user=personas.village_center, case=case, expected_version=case.version)
    clock.at(bj(2025, 9, 22, 10, 0))
    event = s.case_event_append(
        case=case, user=personas.mediator, action="mediation", note="第 1 次调解", data={"step": "session"}
    )
    assert (event.at, event.actor, event.actor_name, event.action, event.note, event.data) == (
        bj(2025, 9, 22, 10, 0), personas.mediator, "mediator", "mediation", "第 1 次调解", {"step": "session"},
    )  # fmt: skip
    assert (event.from_state, event.to_state, event.from_tier, event.to_tier, event.region) == (
        "accepted", "accepted", 3, 3, case.region,
    )  # fmt: skip
    risk = s.case_event_append(case=case, user=None, action="risk", data={"to": "high"})
    assert (risk.actor, risk.actor_name, risk.note) == (None, "系统", "")
    named = s.case_event_append(case=case, user=None, action="risk", actor_name="风险研判规则")
    assert named.actor_name == "风险研判规则"
    case.refresh_from_db()
    assert (case.state, case.version) == (State.ACCEPTED, 2)
    assert [a for a, _f, _t in timeline(case)] == ["create", "accept", "mediation", "risk", "risk"]
    assert CaseEvent.objects.get(pk=risk.pk).get_action_display() == "风险研判"


def test_event_append_refuses_workflow_actions(personas: Any, new_case: Any) -> None:
    case = new_case()
    for action in ("close", "escalate", "nonsense"):
        with pytest.raises(ValueError):
            s.case_event_append(case=case, user=personas.village_center, action=action)
    with pytest.raises(ValueError):
        s.case_event_append(case=case, user=None, action="risk", data=["not", "a", "dict"])  # type: ignore[arg-type]
    assert timeline(case) == [("create", "", "reported")]


# --- several reporters: adding a voice, merging ---------------------------------------------------


def test_first_reporter_belongs_to_the_case(personas: Any, new_case: Any) -> None:
    case = new_case()
    assert list(case.reporters.values_list("name", "joined")) == [("张三丰", False)]
    assert case.reporter.case == case


def test_resident_adds_their_voice_to_an_open_case(clock: Any, personas: Any, new_case: Any) -> None:
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    clock.at(bj(2025, 9, 22, 9, 20))
    reporter = s.case_add_reporter(
        case=case,
        reporter_name="李四",
        reporter_phone="13900001111",
        reporter_email="li@example.com",
        note="我家门口也是",
    )
    assert (reporter.case, reporter.joined, reporter.name, reporter.phone, reporter.created_at) == (
        case, True, "李四", "13900001111", bj(2025, 9, 22, 9, 20),
    )  # fmt: skip
    case.refresh_from_db()
    assert (case.reporter.name, case.version, case.updated_at) == ("张三丰", 1, bj(2025, 9, 22, 9, 20))
    assert list(case.reporters.order_by("id").values_list("name", "joined")) == [("张三丰", False), ("李四", True)]
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.action, event.actor, event.actor_name, event.from_state, event.to_state) == (
        "reporter_added", None, "群众", "reported", "reported",
    )  # fmt: skip
    assert (event.note, event.data) == ("我家门口也是", {"channel": "resident", "reporters": 2})
    assert inbox(personas.village_center) == ["case.reported", "case.reporter_added"]

    anonymous = s.case_add_reporter(case=case, reporter_name="王五", reporter_email="wang@example.com", anonymous=True)
    assert (anonymous.name, anonymous.phone, anonymous.email, anonymous.anonymous) == ("", "", "wang@example.com", True)
    silent = s.case_add_reporter(case=case, channel="open311")  # no contact at all: still one more voice
    assert (silent.name, silent.phone, silent.email, silent.joined) == ("", "", "", True)
    assert CaseEvent.objects.filter(case=case).last().data == {"channel": "open311", "reporters": 4}

    # Every reporter with an address hears of the progress, each in their own message.
    case = s.case_accept(user=personas.village_center, case=case, expected_version=case.version)
    s.case_register(user=personas.village_center, case=case, expected_version=case.version)
    assert emails() == [
        ("case.registered", "zhang@example.com"),
        ("case.registered", "li@example.com"),
        ("case.registered", "wang@example.com"),
    ]


def test_add_reporter_follows_the_public_channel_rules(personas: Any, category: Any, new_case: Any) -> None:
    case = new_case()
    with pytest.raises(ValidationError) as info:
        s.case_add_reporter(case=case, reporter_name="李四", channel="walk_in")  # a staff channel, no staff user
    assert info.value.message_dict == {"channel": ["此渠道须由工作人员录入。"]}
    with pytest.raises(ValidationError):
        s.case_add_reporter(case=case, reporter_name="李四", channel="pigeon")
    with pytest.raises(ValidationError):
        s.case_add_reporter(case=case, reporter_phone="call me")
    category.is_public = False
    category.save()
    with pytest.raises(ValidationError) as info:
        s.case_add_reporter(case=case, reporter_name="李四")
    assert info.value.messages == ["该事件不接受网上附议，请拨打服务热线。"]
    assert s.case_add_reporter(case=case, reporter_name="李四", channel="hotline").joined is True
    with pytest.raises(PermissionDenied):
        s.case_add_reporter(case=case, reporter_name="赵六", channel="walk_in", user=personas.other_town_center)
    staff = s.case_add_reporter(case=case, reporter_name="赵六", channel="walk_in", user=personas.grid_worker)
    assert staff.joined is True
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.actor, event.actor_name) == (personas.grid_worker, "grid_worker")
    assert Reporter.objects.filter(case=case).count() == 3


def test_add_reporter_only_while_open(personas: Any, new_case: Any) -> None:
    case = _closed(personas, new_case())
    with pytest.raises(ValidationError) as info:
        s.case_add_reporter(case=case, reporter_name="李四")
    assert info.value.messages == ["该事件已办结或已关闭，不能附议，请重新上报。"]
    assert (Reporter.objects.filter(case=case).count(), CaseEvent.objects.filter(action="reporter_added").count()) == (
        1, 0,
    )  # fmt: skip


def test_merge_moves_reporters_and_attachments_and_tells_each_reporter(personas: Any, new_case: Any) -> None:
    from civicgrid.cases.models import Attachment
    from civicgrid.cases.tests.test_attachments import PDF

    first = new_case(title="井盖缺失", reporter_email="first@example.com")
    duplicate = new_case(title="井盖丢了", reporter_name="李四", reporter_email="li@example.com",
                         attachments=[("photo.pdf", PDF)])  # fmt: skip
    s.case_add_reporter(case=duplicate, reporter_email="wang@example.com", anonymous=True)
    duplicate = s.case_merge(
        user=personas.village_center, case=duplicate, expected_version=duplicate.version, into=first
    )
    assert list(Reporter.objects.filter(case=first).order_by("id").values_list("email", "joined")) == [
        ("first@example.com", False), ("li@example.com", True), ("wang@example.com", True),
    ]  # fmt: skip
    assert Reporter.objects.filter(case=duplicate).count() == 0
    assert duplicate.reporter.name == "李四"  # who filed the duplicate stays on record
    assert list(Attachment.objects.values_list("case__number", "original_name")) == [(first.number, "photo.pdf")]
    subject = f"您反映的问题已与 {first.number} 合并办理"
    assert _outbox("case.merged") == [("li@example.com", subject), ("wang@example.com", subject)]
    merge = CaseEvent.objects.get(case=duplicate, action="merge")
    merged_in = CaseEvent.objects.get(case=first, action="merged_in")
    assert merge.data == {"into": first.number, "reporters": 2, "attachments": 1}
    assert merged_in.data == {"duplicate": duplicate.number, "reporters": 2, "attachments": 1}
    first.refresh_from_db()
    assert first.version == 1
    # From now on the surviving case's news reaches everyone, the merged-in reporters included.
    first = s.case_accept(user=personas.village_center, case=first, expected_version=first.version)
    s.case_register(user=personas.village_center, case=first, expected_version=first.version)
    assert [target for _subject_event, target in emails() if _subject_event == "case.registered"] == [
        "first@example.com", "li@example.com", "wang@example.com",
    ]  # fmt: skip


def test_deleting_a_case_deletes_its_reporters_and_erasing_a_reporter_keeps_the_case(new_case: Any) -> None:
    case = new_case()
    s.case_add_reporter(case=case, reporter_name="李四")
    other = new_case(title="另一件")
    other.reporter.delete()  # a resident's data erased on request
    other.refresh_from_db()
    assert other.reporter is None
    case.delete()
    assert (Case.objects.count(), Reporter.objects.count()) == (1, 0)


def test_backfill_gives_existing_reporters_their_case(new_case: Any) -> None:
    """Migration 0004 on rows written before 0003: each reporter takes the case that points at it."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("civicgrid.cases.migrations.0004_reporters_of_existing_cases_and_keywords")
    first, second = new_case(), new_case(reporter_name="李四")
    bare = new_case(reporter_name="", reporter_phone="", reporter_email="")
    Reporter.objects.update(case=None)
    migration.forward(apps, None)
    assert sorted(Reporter.objects.values_list("name", "case_id", "joined")) == [
        ("张三丰", first.pk, False), ("李四", second.pk, False),
    ]  # fmt: skip
    assert bare.reporter is None


# --- residents rate the result themselves ---------------------------------------------------------


def test_resident_rates_satisfied_without_a_staff_user(clock: Any, personas: Any, new_case: Any) -> None:
    clock.at(bj(2025, 9, 22, 9, 0))
    case = _closed(personas, new_case())
    clock.at(bj(2025, 9, 23, 9, 0))
    case = s.case_follow_up(
        user=None, case=case, expected_version=case.version, satisfaction="satisfied", note="修得很快"
    )
    assert (case.state, case.satisfaction, case.stage, case.next_check_at) == (State.FOLLOWED_UP, "satisfied", "", None)
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.action, event.actor, event.actor_name, event.note, event.data) == (
        "follow_up", None, "群众", "修得很快", {"satisfaction": "satisfied", "by_resident": True},
    )  # fmt: skip
    assert [e for e, _t in emails()] == ["case.registered", "case.closed"]  # no thank-you mail: the page says it
    with pytest.raises(s.TransitionNotAllowed):
        s.case_follow_up(user=None, case=case, expected_version=case.version, satisfaction="dissatisfied")


def test_resident_dissatisfaction_reopens_the_case_once_then_asks_the_center(
    clock: Any, personas: Any, world: Any, new_case: Any
) -> None:
    p = personas
    clock.at(bj(2025, 9, 22, 9, 0))
    case = _closed(p, new_case())
    clock.at(bj(2025, 9, 23, 9, 0))
    case = s.case_follow_up(user=None, case=case, expected_version=case.version, satisfaction="dissatisfied")
    assert (case.state, case.reopen_count, case.satisfaction, case.lead_unit, case.closed_at, case.owner) == (
        State.REGISTERED, 1, "", None, None, p.village_center,
    )  # fmt: skip
    assert (case.stage, case.stage_started_at, case.version) == ("accept", bj(2025, 9, 23, 9, 0), 10)
    assert timeline(case)[-2:] == [("follow_up", "closed", "followed_up"), ("reopen", "followed_up", "registered")]
    reopen = CaseEvent.objects.filter(case=case).last()
    assert (reopen.actor, reopen.actor_name, reopen.note) == (None, "系统", "群众回访不满意，自动重新办理")
    assert CaseAssignment.objects.get(case=case).active is False
    assert inbox(p.village_center)[-1] == "case.reopened"

    # Handled again; dissatisfied again: the limit (1 automatic reopening) is reached, the center judges.
    case = s.case_dispatch(user=p.village_center, case=case, expected_version=case.version, lead_unit=world.police)
    case = s.case_sign_for(user=p.unit_handler, case=case, expected_version=case.version)
    case = s.case_handle(user=p.unit_handler, case=case, expected_version=case.version, note="再次处理")
    case = s.case_verify(user=p.grid_worker, case=case, expected_version=case.version, passed=True)
    case = s.case_close(user=p.village_center, case=case, expected_version=case.version)
    case = s.case_follow_up(user=None, case=case, expected_version=case.version, satisfaction="dissatisfied")
    assert (case.state, case.satisfaction, case.reopen_count) == (State.FOLLOWED_UP, "dissatisfied", 1)
    assert inbox(p.village_center)[-1] == "case.dissatisfied"
    case = s.case_reopen(user=p.village_center, case=case, expected_version=case.version, reason="确有问题")
    assert (case.state, case.reopen_count) == (State.REGISTERED, 2)


def test_resident_dissatisfaction_without_automatic_reopening(personas: Any, new_case: Any) -> None:
    from civicgrid.cases.models import CaseSettings

    CaseSettings.objects.filter(pk=1).update(resident_reopen_limit=0)
    case = _closed(personas, new_case())
    case = s.case_follow_up(user=None, case=case, expected_version=case.version, satisfaction="dissatisfied")
    assert (case.state, case.satisfaction, case.reopen_count) == (State.FOLLOWED_UP, "dissatisfied", 0)
    assert inbox(personas.village_center)[-1] == "case.dissatisfied"


def test_resident_rating_checks_version_and_state_and_staff_actions_still_need_a_user(
    personas: Any, new_case: Any
) -> None:
    case = new_case()
    with pytest.raises(s.TransitionNotAllowed):  # not closed yet
        s.case_follow_up(user=None, case=case, expected_version=case.version, satisfaction="satisfied")
    case = _closed(personas, case)
    with pytest.raises(CaseConflict):
        s.case_follow_up(user=None, case=case, expected_version=case.version - 1, satisfaction="satisfied")
    fresh = new_case(title="新上报")
    for attempt in (
        lambda: s.case_accept(user=None, case=fresh, expected_version=1),  # type: ignore[arg-type]
        lambda: s.case_reopen(user=None, case=case, expected_version=case.version, reason="x"),  # type: ignore[arg-type]
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert (Case.objects.get(pk=fresh.pk).state, Case.objects.get(pk=case.pk).state) == (State.REPORTED, State.CLOSED)


# --- residents add information --------------------------------------------------------------------


def test_resident_adds_information(clock: Any, personas: Any, new_case: Any, tmp_path: Any, settings: Any) -> None:
    from civicgrid.cases.models import Attachment
    from civicgrid.cases.tests.test_attachments import PDF
    from civicgrid.notifications.models import Notification

    settings.MEDIA_ROOT = tmp_path / "media"
    clock.at(bj(2025, 9, 22, 9, 0))
    case = new_case()
    for step in (s.case_accept, s.case_register, s.case_dispatch):
        case = step(user=personas.village_center, case=case, expected_version=case.version)
    clock.at(bj(2025, 9, 22, 10, 0))
    event = s.case_add_info(
        case=case, text="  晚上八点以后最暗，我叫李四 13900001111  ", attachments=[("scan.pdf", PDF)]
    )
    attachment = Attachment.objects.get(case=case)
    assert (attachment.purpose, attachment.uploaded_by, attachment.original_name) == ("report", None, "scan.pdf")
    assert (event.action, event.actor, event.actor_name, event.at) == (
        "info_added",
        None,
        "群众",
        bj(2025, 9, 22, 10, 0),
    )
    assert (event.note, event.data) == ("晚上八点以后最暗，我叫李四 13900001111", {"attachments": [attachment.pk]})
    assert (event.from_state, event.to_state) == ("dispatched", "dispatched")
    case.refresh_from_db()
    assert (case.version, case.updated_at) == (4, bj(2025, 9, 22, 10, 0))
    told = Notification.objects.filter(event="case.info_added").order_by("user_id")
    assert [n.user.username for n in told] == ["village_center", "unit_handler"]
    assert {n.body for n in told} == {"路灯不亮：群众补充了信息（照片 1 张），请查看事件。"}  # never the text itself

    only_text = s.case_add_info(case=case, text="补充：灯杆编号 A-17")
    assert (only_text.note, only_text.data) == ("补充：灯杆编号 A-17", {"attachments": []})
    with pytest.raises(ValidationError) as info:
        s.case_add_info(case=case, text="   ")
    assert info.value.message_dict == {"text": ["请填写补充信息或上传照片。"]}
    with pytest.raises(PermissionDenied):
        s.case_add_info(case=case, text="x", user=personas.other_town_center)
    staff = s.case_add_info(case=case, text="电话补充：灯罩破损", user=personas.village_center)
    assert (staff.actor, staff.actor_name) == (personas.village_center, "village_center")


def test_add_information_after_closure_but_not_to_a_rejected_case(personas: Any, new_case: Any) -> None:
    closed = _closed(personas, new_case())
    assert s.case_add_info(case=closed, text="灯又不亮了").to_state == "closed"
    rejected = new_case(title="重复")
    rejected = s.case_reject(
        user=personas.village_center, case=rejected, expected_version=rejected.version, reason="非本辖区"
    )
    with pytest.raises(ValidationError) as info:
        s.case_add_info(case=rejected, text="补充")
    assert info.value.messages == ["该事件已不予立案或已合并，不能补充信息。"]
    assert CaseEvent.objects.filter(case=rejected, action="info_added").count() == 0


# --- the time the resident actually reported ------------------------------------------------------


def test_reported_at_dates_the_case_but_the_clock_starts_on_arrival(clock: Any, personas: Any, new_case: Any) -> None:
    clock.at(bj(2025, 9, 22, 9, 0))  # Monday: the hotline's export of Friday's calls arrives
    case = new_case(channel="hotline", reported_at=bj(2025, 9, 19, 16, 45))
    assert (case.created_at, case.stage_started_at, case.stage_due_at) == (
        bj(2025, 9, 19, 16, 45), bj(2025, 9, 22, 9, 0), bj(2025, 9, 22, 11, 0),
    )  # fmt: skip
    assert case.number == "420683-20250922-00001"
    assert CaseEvent.objects.get(case=case).at == bj(2025, 9, 19, 16, 45)
    assert case.reporter.created_at == bj(2025, 9, 19, 16, 45)
    slightly_ahead = new_case(reported_at=bj(2025, 9, 22, 9, 3))  # another system's clock, 3 minutes fast
    assert slightly_ahead.created_at == bj(2025, 9, 22, 9, 0)


def test_reported_at_must_be_aware_and_not_in_the_future(clock: Any, personas: Any, new_case: Any) -> None:
    import datetime as dt

    clock.at(bj(2025, 9, 22, 9, 0))
    with pytest.raises(ValidationError) as info:
        new_case(reported_at=dt.datetime(2025, 9, 19, 16, 45))
    assert info.value.message_dict == {"reported_at": ["上报时间必须是带时区的时间。"]}
    with pytest.raises(ValidationError) as info:
        new_case(reported_at=bj(2025, 9, 22, 10, 0))
    assert info.value.message_dict == {"reported_at": ["上报时间不能晚于当前时间。"]}
    assert Case.objects.count() == 0


# --- category keywords ----------------------------------------------------------------------------


def test_seeded_categories_have_keywords(category: Any) -> None:
    from civicgrid.cases.models import Category

    lamp = Category.objects.get(code="C0105")
    assert lamp.keywords == "路灯,路灯不亮,灯不亮,照明,灯杆"
    assert lamp.keyword_list() == ["路灯", "路灯不亮", "灯不亮", "照明", "灯杆"]
    assert Category.objects.filter(children__isnull=True, keywords="").exclude(code="T01").count() == 0
    category.keywords = "井盖， 井盖缺失、井盖;井盖破损；"
    assert category.keyword_list() == ["井盖", "井盖缺失", "井盖破损"]
