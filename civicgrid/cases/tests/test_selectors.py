"""Reporter data: masked for everyone in lists; unmasked only for those handling the case, each view audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from civicgrid.audit.models import AuditEntry
from civicgrid.cases import services as s
from civicgrid.cases.selectors import mask_email, mask_name, mask_phone, reporter_masked, reporter_reveal
from civicgrid.conftest import PERSONA_NAMES


@pytest.mark.parametrize(
    ("raw", "masked"),
    [("", ""), ("张", "*"), ("张三", "张*"), ("张三丰", "张*丰"), ("欧阳娜娜", "欧**娜"), ("Alice", "A***e")],
)
def test_mask_name(raw: str, masked: str) -> None:
    assert mask_name(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"), [("", ""), ("13812345678", "138****5678"), ("0710-3456789", "071*****6789"), ("12345", "***45")]
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_mask_email() -> None:
    assert mask_email("zhang@example.com") == "z***@example.com"
    assert mask_email("") == ""


@pytest.fixture
def dispatched(personas: Any, new_case: Any) -> Any:
    case = new_case()
    for step in (s.case_accept, s.case_register, s.case_dispatch):
        case = step(user=personas.village_center, case=case, expected_version=case.version)
    return case


HANDLING = {"village_center", "unit_handler", "grid_worker"}


def test_masked_view(dispatched: Any) -> None:
    assert reporter_masked(dispatched) == {
        "name": "张*丰", "phone": "138****5678", "email": "z***@example.com", "anonymous": False, "masked": True,
    }  # fmt: skip


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_reveal_only_to_those_handling_and_always_audited(personas: Any, dispatched: Any, name: str) -> None:
    user = personas[name]
    if name in HANDLING:
        revealed = reporter_reveal(user=user, case=dispatched)
        assert revealed == {
            "name": "张三丰", "phone": "13812345678", "email": "zhang@example.com", "anonymous": False, "masked": False,
        }  # fmt: skip
        entry = AuditEntry.objects.get(action="case.reporter_reveal")
        assert (entry.actor, entry.target_id, entry.detail) == (
            user, str(dispatched.pk), {"case": dispatched.number, "fields": ["name", "phone", "email"]},
        )  # fmt: skip
        reporter_reveal(user=user, case=dispatched)
        assert AuditEntry.objects.filter(action="case.reporter_reveal").count() == 2
    else:
        with pytest.raises(PermissionDenied):
            reporter_reveal(user=user, case=dispatched)
        assert AuditEntry.objects.filter(action="case.reporter_reveal").count() == 0


def test_escalated_case_is_no_longer_revealed_to_the_village(personas: Any, dispatched: Any) -> None:
    case = s.case_escalate(
        user=personas.village_center, case=dispatched, expected_version=dispatched.version, reason="上报"
    )
    with pytest.raises(PermissionDenied):
        reporter_reveal(user=personas.village_center, case=case)
    with pytest.raises(PermissionDenied):  # the unit lost the case with the escalation
        reporter_reveal(user=personas.unit_handler, case=case)
    assert reporter_reveal(user=personas.town_center, case=case)["phone"] == "13812345678"


def test_all_reporters_masked_then_revealed_to_those_handling(personas: Any, dispatched: Any) -> None:
    from civicgrid.cases.selectors import reporters_masked, reporters_reveal

    s.case_add_reporter(case=dispatched, reporter_name="李四", reporter_phone="13900001111")
    s.case_add_reporter(case=dispatched, reporter_email="wang@example.com", anonymous=True)
    assert reporters_masked(dispatched) == [
        {"name": "张*丰", "phone": "138****5678", "email": "z***@example.com", "anonymous": False, "joined": False,
         "masked": True},
        {"name": "李*", "phone": "139****1111", "email": "", "anonymous": False, "joined": True, "masked": True},
        {"name": "", "phone": "", "email": "w***@example.com", "anonymous": True, "joined": True, "masked": True},
    ]  # fmt: skip
    with pytest.raises(PermissionDenied):
        reporters_reveal(user=personas.supervisor, case=dispatched)
    assert AuditEntry.objects.filter(action="case.reporters_reveal").count() == 0
    revealed = reporters_reveal(user=personas.village_center, case=dispatched)
    assert [(r["name"], r["phone"], r["email"], r["joined"], r["masked"]) for r in revealed] == [
        ("张三丰", "13812345678", "zhang@example.com", False, False),
        ("李四", "13900001111", "", True, False),
        ("", "", "wang@example.com", True, False),
    ]
    entry = AuditEntry.objects.get(action="case.reporters_reveal")
    assert (entry.actor, entry.target_id, entry.detail) == (
        personas.village_center, str(dispatched.pk), {"case": dispatched.number, "reporters": 3},
    )  # fmt: skip
