"""Account, role, unit and center services: who may call them, what they refuse, what they audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.authtoken.models import Token

from civicgrid.audit.models import AuditEntry
from civicgrid.conftest import PERSONA_NAMES, PERSONA_PASSWORD
from civicgrid.people import services
from civicgrid.people.authorization import has_role
from civicgrid.people.models import Center, RoleAssignment, Unit, User

STRONG = "Grid-Worker-77x"


def audit_actions(**filters) -> list[str]:
    return list(AuditEntry.objects.filter(**filters).order_by("id").values_list("action", flat=True))


# --- accounts ------------------------------------------------------------------------------------------


def test_security_admin_creates_an_account(personas):
    user = services.user_create(
        actor=personas.security_admin, username="zhangsan", password=STRONG, first_name="三", last_name="张"
    )
    assert user.check_password(STRONG)
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    entry = AuditEntry.objects.get(action="user.create")
    assert (entry.actor, entry.target_type, entry.target_id) == (personas.security_admin, "people.user", str(user.pk))
    assert entry.detail == {"username": "zhangsan", "password_set": True}


@pytest.mark.parametrize("name", [n for n in PERSONA_NAMES if n != "security_admin"])
def test_nobody_else_creates_accounts(personas, name):
    with pytest.raises(PermissionDenied):
        services.user_create(actor=personas[name], username="zhangsan", password=STRONG)
    assert not User.objects.filter(username="zhangsan").exists()
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("password", "too_simple"),
    [
        ("Short1!", False),  # shorter than 10
        ("alllowercaseletters", True),
        ("1234567890123", True),
        ("zhangsan-account", False),  # too similar to the username
    ],
)
def test_weak_passwords_are_refused(personas, password, too_simple):
    with pytest.raises(ValidationError) as caught:
        services.user_create(actor=personas.security_admin, username="zhangsan-account", password=password)
    assert "password" in caught.value.message_dict
    if too_simple:
        assert "密码须至少包含小写字母、大写字母、数字、符号中的 3 类。" in caught.value.message_dict["password"]
    assert not User.objects.filter(username="zhangsan-account").exists()


def test_duplicate_username_is_refused_case_insensitively(personas):
    with pytest.raises(ValidationError) as caught:
        services.user_create(actor=personas.security_admin, username="Leader", password=STRONG)
    assert caught.value.message_dict == {"username": ["用户名“Leader”已被使用。"]}


def test_account_without_password_cannot_log_in(personas):
    user = services.user_create(actor=personas.security_admin, username="nopass", password=None)
    assert user.has_usable_password() is False


def test_user_update_audits_field_names_only(personas):
    target = personas.grid_worker
    services.user_update(actor=personas.security_admin, user=target, phone="13800000000", first_name="李")
    target.refresh_from_db()
    assert (target.phone, target.first_name) == ("13800000000", "李")
    entry = AuditEntry.objects.get(action="user.update")
    assert entry.detail == {"fields": ["first_name", "phone"]}
    assert "13800000000" not in str(entry.detail)


def test_user_update_refuses_other_fields(personas):
    with pytest.raises(ValidationError):
        services.user_update(actor=personas.security_admin, user=personas.grid_worker, is_superuser="1")


def test_deactivate_switches_off_login_staff_and_tokens(personas):
    target = personas.town_center
    Token.objects.create(user=target)
    services.user_deactivate(actor=personas.security_admin, user=target)
    target.refresh_from_db()
    assert (target.is_active, target.is_staff) == (False, False)
    assert Token.objects.filter(user=target).count() == 0
    assert audit_actions(target_id=str(target.pk)) == ["user.deactivate"]
    services.user_activate(actor=personas.security_admin, user=target)
    target.refresh_from_db()
    assert (target.is_active, target.is_staff) == (True, True)


def test_security_admin_cannot_switch_off_themselves(personas):
    other = services.user_create(actor=personas.security_admin, username="secadmin2", password=STRONG)
    services.role_assign(actor=personas.security_admin, user=other, role="security_admin")
    with pytest.raises(PermissionDenied):
        services.user_deactivate(actor=other, user=other)
    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=other, assignment=RoleAssignment.objects.get(user=other))
    # Another security administrator may.
    services.role_revoke(actor=personas.security_admin, assignment=RoleAssignment.objects.get(user=other))
    services.user_deactivate(actor=personas.security_admin, user=other)
    other.refresh_from_db()
    assert (other.is_active, other.roles.count()) == (False, 0)


def test_set_password_validates_and_audits(personas):
    with pytest.raises(ValidationError):
        services.user_set_password(actor=personas.security_admin, user=personas.leader, password="weak")
    services.user_set_password(actor=personas.security_admin, user=personas.leader, password=STRONG)
    personas.leader.refresh_from_db()
    assert personas.leader.check_password(STRONG)
    assert audit_actions() == ["user.set_password"]
    with pytest.raises(PermissionDenied):
        services.user_set_password(actor=personas.system_admin, user=personas.leader, password=STRONG)


# --- roles ---------------------------------------------------------------------------------------------


def test_role_assign_and_revoke_are_audited_and_keep_is_staff(personas, world):
    user = services.user_create(actor=personas.security_admin, username="wangwu", password=STRONG)
    assignment = services.role_assign(
        actor=personas.security_admin, user=user, role="center_staff", region=world.village_a1
    )
    user.refresh_from_db()
    assert user.is_staff is True
    assert has_role(user, "center_staff") is True
    entry = AuditEntry.objects.get(action="role.assign")
    assert entry.actor == personas.security_admin
    assert entry.target_id == str(user.pk)
    assert entry.detail == {"role": "center_staff", "region": "420683100200", "unit": None}

    services.role_revoke(actor=personas.security_admin, assignment=assignment)
    user.refresh_from_db()
    assert user.is_staff is False
    assert has_role(user, "center_staff") is False
    assert audit_actions() == ["user.create", "role.assign", "role.revoke"]


def test_grid_worker_role_gives_no_admin_access(personas, world):
    user = services.user_create(actor=personas.security_admin, username="gw", password=STRONG)
    services.role_assign(actor=personas.security_admin, user=user, role="grid_worker", region=world.grid_a1_2)
    user.refresh_from_db()
    assert user.is_staff is False


@pytest.mark.parametrize("name", [n for n in PERSONA_NAMES if n != "security_admin"])
def test_only_security_admin_assigns_roles(personas, world, name):
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=personas[name], user=personas.outsider, role="leader", region=world.city)
    assert personas.outsider.roles.count() == 0


def test_security_admin_cannot_grant_themselves(personas, world):
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=personas.security_admin, user=personas.security_admin, role="audit_admin")


@pytest.mark.parametrize(
    ("role", "scope", "message"),
    [
        ("grid_worker", "village_a1", "网格员的管辖区划必须是网格。"),
        ("center_staff", "grid_a1_1", "中心人员的管辖区划必须是市、镇（街道）或村（社区）。"),
        ("grid_worker", None, "该角色必须指定管辖区划，且不能指定部门。"),
        ("unit_handler", None, "部门办理人必须指定部门，且不能指定区划。"),
        ("unit_handler", "city", "部门办理人必须指定部门，且不能指定区划。"),
        ("system_admin", "city", "管理员角色不绑定区划或部门。"),
        ("no_such_role", None, None),
    ],
)
def test_role_scope_rules(personas, world, role, scope, message):
    region = getattr(world, scope) if scope else None
    with pytest.raises(ValidationError) as caught:
        services.role_assign(actor=personas.security_admin, user=personas.outsider, role=role, region=region)
    if message:
        assert message in caught.value.messages
    assert personas.outsider.roles.count() == 0
    assert AuditEntry.objects.count() == 0


def test_duplicate_role_is_refused(personas, world):
    with pytest.raises(ValidationError, match="该用户已有这一角色和范围"):
        services.role_assign(
            actor=personas.security_admin, user=personas.town_center, role="center_staff", region=world.town_a
        )


def test_same_role_in_a_second_scope_is_fine(personas, world):
    services.role_assign(
        actor=personas.security_admin, user=personas.town_center, role="center_staff", region=world.town_b
    )
    assert personas.town_center.roles.count() == 2


@pytest.mark.parametrize(
    ("holder", "role", "scope"),
    [
        ("system_admin", "audit_admin", None),
        ("system_admin", "security_admin", None),
        ("audit_admin", "system_admin", None),
        ("system_admin", "leader", "city"),  # an administrator takes no business role
        ("town_center", "system_admin", None),  # nor the other way round
        ("unit_handler", "audit_admin", None),
    ],
)
def test_administrator_roles_are_separated(personas, world, holder, role, scope):
    user = personas[holder]
    with pytest.raises(ValidationError, match="须由专人担任"):
        services.role_assign(
            actor=personas.security_admin, user=user, role=role, region=getattr(world, scope) if scope else None
        )
    assert user.roles.count() == 1


def test_inactive_user_gets_no_roles(personas, world):
    services.user_deactivate(actor=personas.security_admin, user=personas.outsider)
    personas.outsider.refresh_from_db()
    with pytest.raises(ValidationError, match="账号已停用"):
        services.role_assign(actor=personas.security_admin, user=personas.outsider, role="leader", region=world.city)


def test_handler_of_inactive_unit_is_refused(personas, world):
    Unit.objects.filter(pk=world.water.pk).update(is_active=False)
    world.water.refresh_from_db()
    with pytest.raises(ValidationError):
        services.role_assign(
            actor=personas.security_admin, user=personas.outsider, role="unit_handler", unit=world.water
        )


def test_role_change_takes_effect_on_the_same_user_object(personas, world):
    user = personas.outsider
    assert has_role(user, "leader") is False
    services.role_assign(actor=personas.security_admin, user=user, role="leader", region=world.city)
    assert has_role(user, "leader") is True


# --- bootstrap -----------------------------------------------------------------------------------------


def test_admins_bootstrap_creates_three_separate_accounts(db):
    created = services.admins_bootstrap(
        accounts=[
            ("system_admin", "sysadmin", "Sys-Admin-2024!"),
            ("security_admin", "secadmin", "Sec-Admin-2024!"),
            ("audit_admin", "auditadmin", "Aud-Admin-2024!"),
        ]
    )
    assert [u.username for u in created] == ["sysadmin", "secadmin", "auditadmin"]
    assert [list(u.roles.values_list("role", flat=True)) for u in created] == [
        ["system_admin"],
        ["security_admin"],
        ["audit_admin"],
    ]
    assert all(u.is_staff and not u.is_superuser for u in created)
    entries = AuditEntry.objects.order_by("id")
    assert [(e.actor_name, e.action) for e in entries] == [("system", "user.create"), ("system", "role.assign")] * 3
    # A second run creates nothing.
    assert services.admins_bootstrap(accounts=[("system_admin", "sysadmin2", "Sys-Admin-2024!")]) == []


def test_admins_bootstrap_refuses_business_roles_and_weak_passwords(db):
    with pytest.raises(ValidationError):
        services.admins_bootstrap(accounts=[("leader", "boss", "Sys-Admin-2024!")])
    with pytest.raises(ValidationError):
        services.admins_bootstrap(accounts=[("system_admin", "sysadmin", "password")])
    assert User.objects.count() == 0


# --- units and centers -----------------------------------------------------------------------------------


def test_system_admin_creates_and_updates_a_unit(personas, world):
    unit = services.unit_create(
        actor=personas.system_admin, code="justice", name="市司法局", kind="justice", region=world.city
    )
    assert list(unit.regions_covered.all()) == [world.city]  # covers its own region by default
    services.unit_update(
        actor=personas.system_admin, unit=unit, name="枣阳市司法局", regions_covered=[world.town_a, world.town_b]
    )
    unit.refresh_from_db()
    assert unit.name == "枣阳市司法局"
    assert sorted(unit.regions_covered.values_list("code", flat=True)) == ["420683100", "420683101"]
    assert audit_actions() == ["unit.create", "unit.update"]
    assert AuditEntry.objects.get(action="unit.update").detail == {
        "fields": ["name"],
        "covers": ["420683100", "420683101"],
    }


def test_unit_kind_must_be_a_known_active_kind(personas, world):
    with pytest.raises(ValidationError) as caught:
        services.unit_create(actor=personas.system_admin, code="x", name="X", kind="spaceport", region=world.city)
    assert caught.value.message_dict == {"kind": ["未知或已停用的部门类别：spaceport"]}
    assert not Unit.objects.filter(code="x").exists()


@pytest.mark.parametrize("name", ["security_admin", "audit_admin", "city_center", "leader", "outsider"])
def test_units_and_centers_are_system_admin_configuration(personas, world, name):
    with pytest.raises(PermissionDenied):
        services.unit_create(actor=personas[name], code="x", name="X", kind="police", region=world.city)
    with pytest.raises(PermissionDenied):
        services.center_update(actor=personas[name], center=world.center_town_a, phone="110")


def test_center_create_and_station_units(personas, world):
    center = services.center_create(
        actor=personas.system_admin,
        region=world.village_b1,
        name="乙一村综治中心",
        stationed_units=[world.police],
    )
    assert list(center.stationed_units.all()) == [world.police]
    services.center_update(actor=personas.system_admin, center=center, stationed_units=[world.police, world.water])
    assert sorted(center.stationed_units.values_list("code", flat=True)) == ["police", "water"]
    assert audit_actions() == ["center.create", "center.update"]


def test_relations_given_as_generators_are_read_once(personas, world):
    """``Iterable`` means a generator too: the new codes and the new rows must come from one reading."""
    services.unit_update(
        actor=personas.system_admin, unit=world.water, regions_covered=(r for r in [world.town_a, world.town_b])
    )
    services.center_update(
        actor=personas.system_admin, center=world.center_town_b, stationed_units=(u for u in [world.water])
    )
    assert sorted(world.water.regions_covered.values_list("code", flat=True)) == ["420683100", "420683101"]
    assert list(world.center_town_b.stationed_units.values_list("code", flat=True)) == ["water"]
    assert AuditEntry.objects.get(action="unit.update").detail == {"fields": [], "covers": ["420683100", "420683101"]}


def test_no_center_below_village_level(personas, world):
    with pytest.raises(ValidationError) as caught:
        services.center_create(actor=personas.system_admin, region=world.grid_a1_1, name="网格中心")
    assert caught.value.message_dict["region"] == ["综治中心只设在市、镇（街道）、村（社区）三级。"]
    assert Center.objects.count() == 4


def test_one_center_per_region(personas, world):
    with pytest.raises(ValidationError):
        services.center_create(actor=personas.system_admin, region=world.town_a, name="另一个中心")


def test_persona_password_satisfies_the_rules(personas):
    from django.contrib.auth.password_validation import validate_password

    validate_password(PERSONA_PASSWORD, user=personas.leader)
