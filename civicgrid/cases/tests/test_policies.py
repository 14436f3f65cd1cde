"""Who sees a case and who may act on it, persona by persona.

The case lies in grid A1-1 (village A1, town A), is dispatched to the police, and town A has summoned
nobody. Grid worker of another village, another town's center and an unrelated department (water)
can neither see nor act.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from civicgrid.cases import services as s
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.selectors import case_actions, case_get, case_timeline, case_todo, cases_visible
from civicgrid.conftest import PERSONA_NAMES
from civicgrid.people import authorization as authz

SEES = {
    "grid_worker",
    "town_center",
    "town_head",
    "village_center",
    "city_center",
    "unit_handler",
    "supervisor",
    "leader",
}


@pytest.fixture
def dispatched(personas: Any, new_case: Any) -> Case:
    case = new_case()
    for step in (s.case_accept, s.case_register, s.case_dispatch):
        case = step(user=personas.village_center, case=case, expected_version=case.version)
    return case


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_who_sees_the_case(personas: Any, dispatched: Case, name: str) -> None:
    user = personas[name]
    expected = name in SEES
    assert list(authz.visible(user, Case.objects.all())) == ([dispatched] if expected else [])
    assert authz.can(user, "case.view", dispatched) is expected
    assert authz.visible(user, CaseEvent.objects.all()).count() == (4 if expected else 0)
    if expected:
        assert case_get(user=user, number=dispatched.number) == dispatched
        assert len(case_timeline(user=user, case=dispatched)) == 4
    else:
        with pytest.raises(Case.DoesNotExist):
            case_get(user=user, number=dispatched.number)
        with pytest.raises(PermissionDenied):
            case_timeline(user=user, case=dispatched)


@pytest.mark.parametrize("name", ["other_village_grid_worker", "other_town_center", "other_unit_handler", "outsider"])
def test_outsiders_cannot_act(personas: Any, world: Any, dispatched: Case, name: str) -> None:
    user = personas[name]
    v = dispatched.version
    attempts = [
        lambda: s.case_sign_for(user=user, case=dispatched, expected_version=v),
        lambda: s.case_dispatch(user=user, case=dispatched, expected_version=v, lead_unit=world.water),
        lambda: s.case_escalate(user=user, case=dispatched, expected_version=v, reason="x"),
        lambda: s.case_suspend(user=user, case=dispatched, expected_version=v, reason="x"),
        lambda: s.case_summon(user=user, case=dispatched, units=[world.water], reason="x"),
        lambda: s.attachment_add(user=user, case=dispatched, filename="a.pdf", content=b"%PDF-1.4\n%%EOF"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert case_actions(user=user, case=dispatched) == []
    assert list(case_todo(user=user)) == []
    dispatched.refresh_from_db()
    assert (dispatched.version, CaseEvent.objects.filter(case=dispatched).count()) == (v, 4)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # no "deescalate": village A1 is the lowest tier with a center
        ("village_center", ["dispatch", "escalate", "suspend", "attachment_add"]),
        ("unit_handler", ["sign_for", "attachment_add"]),
        ("grid_worker", ["attachment_add"]),
        ("town_center", ["summon"]),
        ("city_center", []),
        ("supervisor", []),
        ("leader", []),
    ],
)
def test_actions_offered(personas: Any, dispatched: Case, name: str, expected: list[str]) -> None:
    assert case_actions(user=personas[name], case=dispatched) == expected


def test_no_escalation_offered_at_the_top_nor_deescalation_at_the_bottom(personas: Any, dispatched: Case) -> None:
    case = s.case_escalate(
        user=personas.village_center, case=dispatched, expected_version=dispatched.version, reason="x"
    )
    assert case_actions(user=personas.town_center, case=case) == [
        "dispatch", "escalate", "deescalate", "suspend", "summon", "attachment_add",
    ]  # fmt: skip
    case = s.case_escalate(user=personas.town_center, case=case, expected_version=case.version, reason="y")
    assert case_actions(user=personas.city_center, case=case) == ["dispatch", "deescalate", "suspend", "attachment_add"]


def test_supervisor_and_leader_read_but_do_not_act(personas: Any, dispatched: Case) -> None:
    for name in ("supervisor", "leader", "city_center"):
        with pytest.raises(PermissionDenied):
            s.case_sign_for(user=personas[name], case=dispatched, expected_version=dispatched.version)
        with pytest.raises(PermissionDenied):
            s.case_suspend(user=personas[name], case=dispatched, expected_version=dispatched.version, reason="x")


def test_administrators_see_no_case_data(personas: Any, dispatched: Case) -> None:
    for name in ("system_admin", "security_admin", "audit_admin"):
        user = personas[name]
        assert not authz.can(user, "case.view", dispatched)
        assert not authz.can(user, "case.view")
        assert cases_visible(user=user).count() == 0


def test_mediator_sees_only_disputes_in_their_town(personas: Any, dispute_category: Any, new_case: Any) -> None:
    event = new_case()
    dispute = new_case(category=dispute_category, title="邻里纠纷")
    assert list(authz.visible(personas.mediator, Case.objects.order_by("id"))) == [dispute]
    assert authz.can(personas.mediator, "case.view", event) is False


def test_unit_sees_a_case_once_summoned(personas: Any, world: Any, new_case: Any) -> None:
    case = new_case()
    assert not authz.can(personas.other_unit_handler, "case.view", case)
    s.case_summon(user=personas.town_center, case=case, units=[world.water], reason="排查水管")
    assert authz.can(personas.other_unit_handler, "case.view", case)
    assert list(case_todo(user=personas.other_unit_handler)) == [case]


def test_grid_worker_sees_only_their_grid(personas: Any, new_case: Any) -> None:
    from civicgrid.cases.tests.conftest import IN_GRID_A2_1

    mine = new_case()
    other = new_case(point=IN_GRID_A2_1)
    assert list(authz.visible(personas.grid_worker, Case.objects.all())) == [mine]
    assert list(authz.visible(personas.other_village_grid_worker, Case.objects.all())) == [other]
    assert set(authz.visible(personas.town_center, Case.objects.all())) == {mine, other}


def test_todo_lists(personas: Any, dispatched: Case, new_case: Any) -> None:
    fresh = new_case(title="新上报")
    assert list(case_todo(user=personas.village_center)) == [fresh]  # dispatched waits on the unit
    assert list(case_todo(user=personas.unit_handler)) == [dispatched]
    assert list(case_todo(user=personas.grid_worker)) == []
    case = s.case_sign_for(user=personas.unit_handler, case=dispatched, expected_version=dispatched.version)
    s.case_handle(user=personas.unit_handler, case=case, expected_version=case.version, note="好了")
    assert list(case_todo(user=personas.grid_worker)) == [dispatched]
    assert list(case_todo(user=personas.unit_handler)) == []


def test_list_filters(personas: Any, world: Any, category: Any, dispatched: Case, new_case: Any) -> None:
    from civicgrid.cases.models import Category
    from civicgrid.cases.tests.conftest import IN_GRID_A2_1

    child = Category.objects.create(code="T0101", name="子类", kind=category.kind, parent=category)
    other = new_case(point=IN_GRID_A2_1, category=child)
    user = personas.town_center
    assert list(cases_visible(user=user, region=world.village_a2)) == [other]
    assert list(cases_visible(user=user, tier=2)) == [other]
    assert list(cases_visible(user=user, state="dispatched")) == [dispatched]
    assert list(cases_visible(user=user, state=["dispatched", "reported"]).order_by("id")) == [dispatched, other]
    assert list(cases_visible(user=user, category=category).order_by("id")) == [dispatched, other]
    assert list(cases_visible(user=user, category=child)) == [other]
    Case.objects.filter(pk=other.pk).update(deadline_status="red")
    assert list(cases_visible(user=user, deadline="overdue")) == [other]
    assert list(cases_visible(user=user, deadline="warning")) == []
    assert list(cases_visible(user=user, deadline="late")) == [other]
    assert list(cases_visible(user=user, search=dispatched.number)) == [dispatched]
    assert list(cases_visible(user=personas.other_town_center, state="dispatched")) == []


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_who_may_take_down_a_residents_voice_or_information(personas: Any, dispatched: Case, name: str) -> None:
    """Those who may take in cases where it lies, and those handling it (the lead unit)."""
    expected = name in {
        "grid_worker", "town_center", "town_head", "village_center", "city_center", "unit_handler",
    }  # fmt: skip
    user = personas[name]
    for verb in ("add_reporter", "add_info"):
        assert authz.can(user, f"case.{verb}", dispatched) is expected, verb
    if expected:
        assert s.case_add_reporter(case=dispatched, reporter_name="李四", channel="walk_in", user=user).joined
    else:
        with pytest.raises(PermissionDenied):
            s.case_add_reporter(case=dispatched, reporter_name="李四", channel="walk_in", user=user)
        with pytest.raises(PermissionDenied):
            s.case_add_info(case=dispatched, text="补充", user=user)
        assert CaseEvent.objects.filter(case=dispatched).count() == 4
