"""The permission matrix: every persona against in-scope and out-of-scope regions, units, centers, accounts."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from civicgrid.audit.models import AuditEntry
from civicgrid.audit.services import audit_record
from civicgrid.conftest import PERSONA_NAMES
from civicgrid.people import authorization
from civicgrid.people.authorization import (
    can,
    forget_roles,
    has_role,
    region_scope_q,
    region_scopes,
    register_policy,
    require,
    unit_ids,
    visible,
)
from civicgrid.people.models import Center, RoleAssignment, Unit, UnitKind, User
from civicgrid.regions.models import Region

C, TA, TB = "420683", "420683100", "420683101"
VA1, VA2, VB1 = "420683100200", "420683100201", "420683101200"
G11, G12, G21, GB1 = "420683100200001", "420683100200002", "420683100201001", "420683101200001"
ALL = {C, TA, TB, VA1, VA2, VB1, G11, G12, G21, GB1}
TOWN_A = {C, TA, VA1, VA2, G11, G12, G21}

REGIONS_SEEN = {
    "grid_worker": {C, TA, VA1, G11},
    "other_village_grid_worker": {C, TA, VA2, G21},
    "town_center": TOWN_A,
    "town_head": TOWN_A,
    "other_town_center": {C, TB, VB1, GB1},
    "village_center": {C, TA, VA1, G11, G12},
    "city_center": ALL,
    "unit_handler": ALL,  # the city police cover the whole city
    "other_unit_handler": ALL,
    "mediator": TOWN_A,
    "supervisor": ALL,
    "leader": ALL,
    "system_admin": ALL,
    "security_admin": ALL,  # binds roles to regions
    "audit_admin": set(),
    "outsider": set(),
}

# town_b_office is a town-level unit created in the fixture below (the others are city bureaus).
CITY_UNITS = {"police", "urban", "water"}
UNITS_SEEN = {
    "grid_worker": CITY_UNITS,
    "other_village_grid_worker": CITY_UNITS,
    "town_center": CITY_UNITS,
    "town_head": CITY_UNITS,
    "other_town_center": CITY_UNITS | {"town_b_office"},
    "village_center": CITY_UNITS,
    "city_center": CITY_UNITS | {"town_b_office"},
    "unit_handler": {"police"},
    "other_unit_handler": {"water"},
    "mediator": CITY_UNITS,
    "supervisor": CITY_UNITS | {"town_b_office"},
    "leader": CITY_UNITS | {"town_b_office"},
    "system_admin": CITY_UNITS | {"town_b_office"},
    "security_admin": CITY_UNITS | {"town_b_office"},
    "audit_admin": set(),
    "outsider": set(),
}

CENTERS_SEEN = {
    "grid_worker": {C, TA, VA1},
    "other_village_grid_worker": {C, TA},
    "town_center": {C, TA, VA1},
    "town_head": {C, TA, VA1},
    "other_town_center": {C, TB},
    "village_center": {C, TA, VA1},
    "city_center": {C, TA, TB, VA1},
    "unit_handler": {C, TA},  # where the police are stationed
    "other_unit_handler": set(),
    "mediator": {C, TA, VA1},
    "supervisor": {C, TA, TB, VA1},
    "leader": {C, TA, TB, VA1},
    "system_admin": {C, TA, TB, VA1},
    "security_admin": set(),
    "audit_admin": set(),
    "outsider": set(),
}

ONLY_SYSTEM_ADMIN = {"system_admin"}
ONLY_SECURITY_ADMIN = {"security_admin"}


@pytest.fixture
def town_b_office(world):
    unit = Unit.objects.create(code="town_b_office", name="乙镇综合执法队", kind="law_enforcement", region=world.town_b)
    unit.regions_covered.add(world.town_b)
    return unit


def codes(qs: QuerySet) -> set[str]:
    return set(qs.values_list("code", flat=True))


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_regions_visible(personas, name):
    assert codes(visible(personas[name], Region.objects.all())) == REGIONS_SEEN[name]


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_region_view_per_object_matches_visible(personas, world, name):
    user = personas[name]
    allowed = {r.code for r in world.regions() if can(user, "region.view", r)}
    assert allowed == REGIONS_SEEN[name]


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_region_edit_is_system_admin_only(personas, world, name):
    user = personas[name]
    expected = name in ONLY_SYSTEM_ADMIN
    assert can(user, "region.change", world.grid_a1_1) is expected
    assert can(user, "region.add") is expected
    assert can(user, "region.delete", world.town_b) is expected


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_units_visible(personas, town_b_office, name):
    assert codes(visible(personas[name], Unit.objects.all())) == UNITS_SEEN[name]


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_unit_view_per_object_and_edit(personas, world, town_b_office, name):
    user = personas[name]
    units = [world.police, world.urban, world.water, town_b_office]
    assert {u.code for u in units if can(user, "unit.view", u)} == UNITS_SEEN[name]
    assert can(user, "unit.change", world.police) is (name in ONLY_SYSTEM_ADMIN)
    assert can(user, "unit.add") is (name in ONLY_SYSTEM_ADMIN)


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_centers_visible(personas, name):
    seen = set(visible(personas[name], Center.objects.all()).values_list("region__code", flat=True))
    assert seen == CENTERS_SEEN[name]


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_center_view_per_object_and_edit(personas, world, name):
    user = personas[name]
    centers = [world.center_city, world.center_town_a, world.center_town_b, world.center_village_a1]
    assert {c.region.code for c in centers if can(user, "center.view", c)} == CENTERS_SEEN[name]
    assert can(user, "center.change", world.center_town_a) is (name in ONLY_SYSTEM_ADMIN)
    assert can(user, "center.add") is (name in ONLY_SYSTEM_ADMIN)


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_accounts_visible_only_to_security_admin_or_self(personas, name):
    user = personas[name]
    seen = set(visible(user, User.objects.all()).values_list("username", flat=True))
    if name == "security_admin":
        assert seen == set(PERSONA_NAMES)
    elif name == "outsider":
        assert seen == set()
    else:
        assert seen == {name}


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_account_and_role_management_is_security_admin_only(personas, name):
    user = personas[name]
    target = personas.grid_worker if name != "grid_worker" else personas.leader
    expected = name in ONLY_SECURITY_ADMIN
    assert can(user, "user.add") is expected
    assert can(user, "user.change", target) is expected
    assert can(user, "user.deactivate", target) is expected
    assert can(user, "user.unlock") is expected
    assert can(user, "role.assign", RoleAssignment(user=target, role="leader")) is expected
    assert can(user, "role.revoke", target.roles.first()) is expected
    assert can(user, "user.delete", target) is False  # accounts are deactivated, never deleted


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_role_assignments_visible(personas, name):
    user = personas[name]
    seen = set(visible(user, RoleAssignment.objects.all()).values_list("user__username", flat=True))
    if name == "security_admin":
        assert seen == set(PERSONA_NAMES) - {"outsider"}
    elif name == "outsider":
        assert seen == set()
    else:
        assert seen == {name}


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_audit_log_readable_by_audit_admin_only(personas, name):
    entry = audit_record(actor=personas.security_admin, action="test.entry")
    user = personas[name]
    expected = name == "audit_admin"
    assert list(visible(user, AuditEntry.objects.all())) == ([entry] if expected else [])
    assert can(user, "auditentry.view", entry) is expected
    assert can(user, "audit.view") is expected
    for verb in ("add", "change", "delete"):
        assert can(user, f"auditentry.{verb}", entry) is False


@pytest.mark.parametrize("name", PERSONA_NAMES)
def test_unit_kinds_are_configuration(personas, name):
    user = personas[name]
    kinds = visible(user, UnitKind.objects.all())
    assert kinds.filter(code="police").exists() is (name not in {"audit_admin", "outsider"})
    assert can(user, "unitkind.change", kinds.model.objects.get(code="police")) is (name in ONLY_SYSTEM_ADMIN)


def test_security_admin_cannot_change_own_roles(personas):
    admin = personas.security_admin
    assert can(admin, "role.assign", RoleAssignment(user=admin, role="leader")) is False
    assert can(admin, "role.revoke", admin.roles.get()) is False
    assert can(admin, "user.deactivate", admin) is False


def test_admin_separation(personas, world):
    """System admin: configuration, no accounts, no audit. Security admin: accounts, no config, no audit.
    Audit admin: the audit log and nothing else."""
    system, security, audit = personas.system_admin, personas.security_admin, personas.audit_admin
    assert (can(system, "unit.add"), can(system, "role.assign"), can(system, "auditentry.view")) == (True, False, False)
    assert (can(security, "unit.add"), can(security, "role.assign"), can(security, "auditentry.view")) == (
        False,
        True,
        False,
    )
    assert (can(audit, "unit.add"), can(audit, "role.assign"), can(audit, "auditentry.view")) == (False, False, True)
    assert can(audit, "region.view", world.city) is False
    assert can(security, "center.view", world.center_city) is False


def test_inactive_user_gets_nothing(personas, world):
    user = personas.city_center
    user.is_active = False
    forget_roles(user)
    assert can(user, "region.view", world.city) is False
    assert visible(user, Region.objects.all()).count() == 0
    assert has_role(user, "center_staff") is False
    assert region_scopes(user) == []
    admin = personas.system_admin
    admin.is_active = False
    forget_roles(admin)
    assert can(admin, "unit.add") is False


def test_superuser_flag_grants_nothing(personas, world):
    outsider = personas.outsider
    outsider.is_superuser = True
    outsider.is_staff = True
    outsider.save()
    assert can(outsider, "region.view", world.city) is False
    assert can(outsider, "unit.add") is False
    assert can(outsider, "auditentry.view") is False
    assert visible(outsider, Region.objects.all()).count() == 0
    assert outsider.has_perm("people.add_unit") is False
    assert outsider.has_module_perms("people") is False


def test_anonymous_gets_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert can(anonymous, "region.view", world.city) is False
    assert visible(anonymous, Region.objects.all()).count() == 0
    assert can(None, "region.view", world.city) is False


def test_require_raises_translated_permission_denied(personas, world):
    require(personas.system_admin, "unit.add")
    with pytest.raises(PermissionDenied, match=r"您没有权限执行此操作（unit\.add）"):
        require(personas.town_center, "unit.add")


def test_unknown_thing_is_denied(personas):
    assert can(personas.system_admin, "nosuchthing.view") is False


def test_model_without_policy_is_invisible(personas):
    from django.contrib.sessions.models import Session

    assert visible(personas.system_admin, Session.objects.all()).query.is_empty()


def test_register_policy_plugs_in_and_follows_proxies(personas, world):
    class OnlyLeaders:
        def can(self, user, action, obj):
            return has_role(user, "leader")

        def visible(self, user, qs):
            return qs if has_role(user, "leader") else qs.none()

    class CenterProxy(Center):
        class Meta:
            proxy = True
            app_label = "people"

    saved = dict(authorization._policies_by_model), dict(authorization._policies_by_thing)
    try:
        register_policy(Center, OnlyLeaders(), things=("hub",))
        assert can(personas.leader, "hub.inspect") is True
        assert can(personas.system_admin, "center.change", world.center_city) is False
        assert visible(personas.leader, CenterProxy.objects.all()).count() == 4
        assert visible(personas.town_center, CenterProxy.objects.all()).count() == 0
    finally:
        authorization._policies_by_model.clear()
        authorization._policies_by_model.update(saved[0])
        authorization._policies_by_thing.clear()
        authorization._policies_by_thing.update(saved[1])


# --- helpers for other apps' policies ------------------------------------------------------------------


def test_region_scopes(personas, world):
    assert region_scopes(personas.town_center) == [world.town_a]
    assert region_scopes(personas.grid_worker) == [world.grid_a1_1]
    assert region_scopes(personas.unit_handler) == []
    assert region_scopes(personas.outsider) == []
    assert region_scopes(personas.mediator, roles=["center_staff"]) == []


def test_region_scopes_collapse_nested_scopes(personas, world):
    user = personas.town_center
    RoleAssignment.objects.create(user=user, role="mediator", region=world.village_a1)
    RoleAssignment.objects.create(user=user, role="mediator", region=world.village_b1)
    forget_roles(user)
    assert region_scopes(user) == [world.town_a, world.village_b1]
    assert region_scopes(user, roles=["mediator"]) == [world.village_a1, world.village_b1]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("grid_worker", {G11}),
        ("village_center", {G11, G12}),
        ("town_center", {G11, G12, G21}),
        ("other_town_center", {GB1}),
        ("city_center", {G11, G12, G21, GB1}),
        ("unit_handler", set()),
        ("system_admin", set()),
        ("outsider", set()),
    ],
)
def test_region_scope_q_on_a_foreign_key(personas, world, name, expected):
    for grid in (world.grid_a1_2, world.grid_b1_1):
        extra = User.objects.create(username=f"gw-{grid.code}")
        RoleAssignment.objects.create(user=extra, role="grid_worker", region=grid)
    grids = RoleAssignment.objects.filter(role="grid_worker")  # four rows, one per grid
    matched = set(grids.filter(region_scope_q(personas[name], "region")).values_list("region__code", flat=True))
    assert matched == expected


def test_region_scope_q_by_role(personas, world):
    q = region_scope_q(personas.town_center, "", roles=["grid_worker"])
    assert Region.objects.filter(q).count() == 0
    q = region_scope_q(personas.town_center, "", roles=["center_staff"])
    assert codes(Region.objects.filter(q)) == {TA, VA1, VA2, G11, G12, G21}


def test_unit_ids_and_has_role(personas, world):
    assert unit_ids(personas.unit_handler) == {world.police.pk}
    assert unit_ids(personas.other_unit_handler) == {world.water.pk}
    assert unit_ids(personas.town_center) == set()
    assert has_role(personas.town_head, "center_head") is True
    assert has_role(personas.town_head, "center_staff", "grid_worker") is False
    assert has_role(personas.outsider, "grid_worker") is False


def test_unit_scope_q(personas, world):
    from civicgrid.people.authorization import unit_scope_q

    handlers = RoleAssignment.objects.filter(role="unit_handler")
    assert [a.unit for a in handlers.filter(unit_scope_q(personas.unit_handler))] == [world.police]
    assert handlers.filter(unit_scope_q(personas.town_center)).count() == 0
    assert Unit.objects.filter(unit_scope_q(personas.other_unit_handler, "pk")).get() == world.water


def test_roles_are_cached_per_user_object(personas, world, django_assert_num_queries):
    user = User.objects.get(pk=personas.leader.pk)
    with django_assert_num_queries(1):
        has_role(user, "leader")
        has_role(user, "grid_worker")
        unit_ids(user)


def test_model_instances_resolve_their_own_policy(personas, world):
    # An instance's model decides the policy, whatever the action's first word says.
    assert can(personas.system_admin, "anything.change", world.police) is True
    assert can(personas.town_center, "anything.change", world.police) is False
