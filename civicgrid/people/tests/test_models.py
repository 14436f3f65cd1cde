"""Model invariants: seeded unit kinds, no powers from Django's permission flags, role scope rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from civicgrid.people.models import Center, RoleAssignment, UnitKind, User


def test_default_unit_kinds_are_seeded(db):
    codes = set(UnitKind.objects.values_list("code", flat=True))
    assert {
        "police",
        "justice",
        "court",
        "petitions",
        "law_enforcement",
        "emergency_management",
        "ecology_environment",
        "urban_management",
        "health",
        "water_resources",
        "housing",
        "civil_affairs",
        "human_resources_social_security",
        "education",
    } <= codes
    assert UnitKind.objects.filter(is_active=False).count() == 0


def test_unit_kind_name_follows_the_language(db):
    kind = UnitKind.objects.get(code="water_resources")
    with translation.override("zh-hans"):
        assert str(kind) == "水利"
    with translation.override("en"):
        assert str(kind) == "Water resources"


def test_django_permission_flags_grant_nothing(db):
    root = User.objects.create(username="root", is_superuser=True, is_staff=True)
    assert root.has_perm("people.change_user") is False
    assert root.has_perms(["people.view_unit"]) is False
    assert root.has_module_perms("audit") is False
    assert root.get_all_permissions() == set()


def test_center_only_down_to_village(world):
    with pytest.raises(ValidationError):
        Center(region=world.grid_a1_1, name="x").full_clean()
    Center(region=world.village_b1, name="乙一村综治中心").full_clean()


@pytest.mark.parametrize(
    ("role", "scope", "valid"),
    [
        ("grid_worker", "grid_a1_1", True),
        ("grid_worker", "village_a1", False),
        ("center_head", "village_a1", True),
        ("center_head", "grid_a1_1", False),
        ("supervisor", "city", True),
        ("unit_handler", "police", True),
        ("unit_handler", "city", False),
        ("audit_admin", None, True),
        ("audit_admin", "city", False),
    ],
)
def test_role_scope_rules(personas, world, role, scope, valid):
    target = getattr(world, scope) if scope else None
    is_unit = scope == "police"
    assignment = RoleAssignment(
        user=personas.outsider, role=role, region=None if is_unit else target, unit=target if is_unit else None
    )
    if valid:
        assignment.full_clean()
    else:
        with pytest.raises(ValidationError):
            assignment.full_clean()
