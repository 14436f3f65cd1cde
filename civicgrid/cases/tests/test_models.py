"""The tables: transitions, stages, the seeded category tree and settings, category validation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from civicgrid.cases.models import (
    PREVIOUS_STATE,
    STAGE_OF_STATE,
    TERMINAL_STATES,
    TRANSITIONS,
    Case,
    CaseEvent,
    CaseSettings,
    Category,
    State,
)


def test_transition_table_is_closed() -> None:
    assert set(TRANSITIONS) == set(State.values) == set(STAGE_OF_STATE)
    for state, actions in TRANSITIONS.items():
        for action, target in actions.items():
            assert target in State.values or target == PREVIOUS_STATE, (state, action, target)
    assert {state for state, actions in TRANSITIONS.items() if not actions} == {State.REJECTED, State.MERGED}
    assert TRANSITIONS[State.FOLLOWED_UP] == {"reopen": State.REGISTERED}
    assert State.FOLLOWED_UP in TERMINAL_STATES


def test_seeded_tree(db: None) -> None:
    codes = set(Category.objects.values_list("code", flat=True))
    assert {"E01", "E02", "E03", "E04", "E05", "C01", "C02", "C03", "C04", "C05"} <= codes
    disputes = Category.objects.filter(parent__code="D").order_by("code")
    assert [c.name for c in disputes] == [
        "婚姻家庭纠纷", "邻里纠纷", "房屋宅基地纠纷", "山林土地纠纷", "合同纠纷", "损害赔偿纠纷", "劳动争议",
        "物业纠纷", "医疗纠纷", "道路交通事故纠纷", "征地拆迁纠纷", "环境污染纠纷", "消费纠纷", "其他纠纷",
    ]  # fmt: skip
    hotline = {
        c.name: (c.handle_limit, c.handle_limit_unit, c.default_tier)
        for c in Category.objects.filter(kind="hotline", parent__isnull=False)
    }
    assert hotline == {
        "咨询": (Decimal("3"), "days", 1), "投诉": (Decimal("13"), "days", 1),
        "建议": (Decimal("10"), "days", 1), "表扬": (Decimal("3"), "days", 1),
    }  # fmt: skip
    gas = Category.objects.get(code="E0403")
    assert (gas.parent.code, gas.lead_unit_kind, gas.severity, gas.accept_limit, gas.accept_limit_unit) == (
        "E04", "utilities", "critical", Decimal("0.5"), "hours",
    )  # fmt: skip
    # groups are not offered to residents; leaves are
    assert not Category.objects.get(code="E").is_public and Category.objects.get(code="E0101").is_public
    for category in Category.objects.all():
        category.full_clean()  # every seed passes the admin's validation


def test_seeded_settings(db: None) -> None:
    row = CaseSettings.objects.get(pk=1)
    assert (row.warn_share, row.auto_escalate, row.auto_escalate_margin_hours, row.summons_report_hours) == (
        Decimal("0.75"), True, Decimal("8.0"), Decimal("2.0"),
    )  # fmt: skip
    assert row.attachment_max_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"extra_questions": [{"label": "无代码"}]}, "extra_questions"),
        ({"extra_questions": [{"code": "a", "label": "甲", "datatype": "blob"}]}, "extra_questions"),
        ({"extra_questions": [{"code": "a", "label": "甲", "datatype": "singlevaluelist"}]}, "extra_questions"),
        ({"extra_questions": {"code": "a"}}, "extra_questions"),
        ({"handle_limit": Decimal("1.5"), "handle_limit_unit": "days"}, "handle_limit"),
        ({"default_tier": 4}, "default_tier"),
    ],
)
def test_category_validation(category: Any, changes: dict[str, Any], field: str) -> None:
    for key, value in changes.items():
        setattr(category, key, value)
    with pytest.raises(ValidationError) as info:
        category.clean()
    assert field in info.value.message_dict


def test_category_parent_cycle_is_refused(category: Any) -> None:
    child = Category.objects.create(code="T0101", name="子", kind=category.kind, parent=category)
    category.parent = child
    with pytest.raises(ValidationError) as info:
        category.clean()
    assert "parent" in info.value.message_dict


def test_timeline_is_append_only(personas: Any, new_case: Any) -> None:
    case: Case = new_case()
    event = CaseEvent.objects.get(case=case)
    event.note = "改写"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
