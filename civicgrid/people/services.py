"""Every write to accounts, roles, units and centers: one transaction each, checked and audited.

Accounts and roles are managed by the security administrator only; units, centers and unit kinds by the
system administrator (configuration). The three administrator roles are held by different people and
never together with a business role (等保 2.0 separation of duties). ``is_staff`` (admin site access) is
derived from roles here: administrators and center staff/heads get it, nobody else; ``is_superuser`` is
cleared whenever roles change and grants nothing anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from civicgrid.audit.services import audit_record
from civicgrid.people.authentication import token_expired
from civicgrid.people.authorization import forget_roles, require
from civicgrid.people.models import (
    ADMIN_ROLES,
    STAFF_ROLES,
    Center,
    RoleAssignment,
    Unit,
    UnitKind,
    User,
)
from civicgrid.regions.models import Region

# --- accounts ---------------------------------------------------------------------------------------

_PROFILE_FIELDS = ("first_name", "last_name", "email", "phone")


def _validate_new_user(user: User, password: str | None) -> None:
    errors: dict[str, list[Any]] = {}
    if not user.username:
        errors["username"] = [_("请填写用户名。")]
    elif User.objects.filter(username__iexact=user.username).exists():
        errors["username"] = [_("用户名“%(name)s”已被使用。") % {"name": user.username}]
    else:
        try:
            User.username_validator(user.username)
        except ValidationError as exc:
            errors["username"] = list(exc.messages)
    if password is not None:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)


def _user_create(
    *, actor: User | None, username: str, password: str | None, profile: dict[str, str], request: HttpRequest | None
) -> User:
    user = User(username=username.strip(), **profile)
    _validate_new_user(user, password)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.is_staff = False
    user.is_superuser = False
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        target=user,
        detail={"username": user.username, "password_set": password is not None},
        request=request,
        actor_name=None if actor is not None else "system",
    )
    return user


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    request: HttpRequest | None = None,
) -> User:
    """Create a staff account (no roles yet). ``password=None`` leaves it unusable until one is set."""
    require(actor, "user.add")
    profile = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone}
    return _user_create(actor=actor, username=username, password=password, profile=profile, request=request)


@transaction.atomic
def user_update(*, actor: User, user: User, request: HttpRequest | None = None, **changes: str) -> User:
    """Change profile fields (first_name, last_name, email, phone). The audit row names the fields only."""
    require(actor, "user.change", user)
    unknown = set(changes) - set(_PROFILE_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    if not changed:
        return user
    for name in changed:
        setattr(user, name, changes[name])
    user.full_clean(exclude=["password", "username"])
    user.save(update_fields=changed)
    audit_record(actor=actor, action="user.update", target=user, detail={"fields": sorted(changed)}, request=request)
    return user


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str, request: HttpRequest | None = None) -> User:
    require(actor, "user.set_password", user)
    validate_password(password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action="user.set_password", target=user, request=request)
    return user


def _active_holders(role: str) -> int:
    return RoleAssignment.objects.filter(role=role, user__is_active=True).values("user").distinct().count()


@transaction.atomic
def user_deactivate(*, actor: User, user: User, request: HttpRequest | None = None) -> User:
    """Switch an account off (accounts are never deleted: the audit log keeps referring to them).

    Nobody may switch off their own account, so the last security administrator cannot disappear.
    """
    require(actor, "user.deactivate", user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    user.is_active = False
    user.is_staff = False
    user.save(update_fields=["is_active", "is_staff"])
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()
    forget_roles(user)
    audit_record(actor=actor, action="user.deactivate", target=user, request=request)
    return user


@transaction.atomic
def user_activate(*, actor: User, user: User, request: HttpRequest | None = None) -> User:
    require(actor, "user.activate", user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    _sync_staff(user)
    audit_record(actor=actor, action="user.activate", target=user, request=request)
    return user


@transaction.atomic
def user_unlock(*, actor: User, username: str, request: HttpRequest | None = None) -> int:
    """Lift a login lockout early (axes); returns the number of lockout records cleared."""
    require(actor, "user.unlock")
    from axes.utils import reset

    cleared = int(reset(username=username) or 0)
    target = User.objects.filter(username=username).first()
    audit_record(
        actor=actor,
        action="user.unlock",
        target=target,
        detail={"username": username, "cleared": cleared},
        request=request,
    )
    return cleared


def _sync_staff(user: User) -> None:
    """Keep ``is_staff`` equal to "active and holds an administrator or center role"."""
    staff = user.is_active and user.roles.filter(role__in=STAFF_ROLES).exists()
    if user.is_staff != staff or user.is_superuser:
        user.is_staff = staff
        user.is_superuser = False
        user.save(update_fields=["is_staff", "is_superuser"])


# --- roles ------------------------------------------------------------------------------------------


def role_assignment_check(assignment: RoleAssignment, *, existing_roles: Iterable[str] | None = None) -> None:
    """Raise ValidationError if ``assignment`` may not be added (used by the service and the admin forms).

    ``existing_roles`` overrides the roles read from the database (the admin passes the roles the form
    will leave after deletions).
    """
    assignment.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
    user = assignment.user
    if not user.is_active:
        raise ValidationError(_("账号已停用，不能授予角色。"))
    duplicate = RoleAssignment.objects.filter(
        user_id=user.pk, role=assignment.role, region=assignment.region, unit=assignment.unit
    ).exclude(pk=assignment.pk)
    if user.pk is not None and duplicate.exists():
        raise ValidationError(_("该用户已有这一角色和范围。"))
    if assignment.unit is not None and not assignment.unit.is_active:
        raise ValidationError({"unit": _("部门已停用。")})
    if existing_roles is not None:
        held = set(existing_roles)
    else:
        held = set(RoleAssignment.objects.filter(user_id=user.pk).values_list("role", flat=True)) if user.pk else set()
    # An administrator holds that one role only; a business-role holder holds no administrator role.
    conflict = held - {assignment.role} if assignment.role in ADMIN_ROLES else held & ADMIN_ROLES
    if conflict:
        raise ValidationError(_("系统管理员、安全管理员、审计管理员须由专人担任，不能相互兼任，也不能兼任业务角色。"))


def _scope_detail(assignment: RoleAssignment) -> dict[str, Any]:
    return {
        "role": assignment.role,
        "region": assignment.region.code if assignment.region is not None else None,
        "unit": assignment.unit.code if assignment.unit is not None else None,
    }


def _role_add(*, actor: User | None, assignment: RoleAssignment, request: HttpRequest | None) -> RoleAssignment:
    User.objects.select_for_update().filter(pk=assignment.user.pk).first()  # serialise changes to one account
    role_assignment_check(assignment)
    assignment.save()
    _sync_staff(assignment.user)
    forget_roles(assignment.user)
    audit_record(
        actor=actor,
        action="role.assign",
        target=assignment.user,
        detail=_scope_detail(assignment),
        request=request,
        actor_name=None if actor is not None else "system",
    )
    return assignment


@transaction.atomic
def role_assign(
    *,
    actor: User,
    user: User,
    role: str,
    region: Region | None = None,
    unit: Unit | None = None,
    request: HttpRequest | None = None,
) -> RoleAssignment:
    """Give ``user`` a role bound to its scope (region for region roles, unit for handlers, none for admins)."""
    assignment = RoleAssignment(user=user, role=role, region=region, unit=unit)
    require(actor, "role.assign", assignment)
    return _role_add(actor=actor, assignment=assignment, request=request)


@transaction.atomic
def role_revoke(*, actor: User, assignment: RoleAssignment, request: HttpRequest | None = None) -> None:
    require(actor, "role.revoke", assignment)
    user = User.objects.select_for_update().get(pk=assignment.user_id)
    detail = _scope_detail(assignment)
    assignment.delete()
    _sync_staff(user)
    forget_roles(assignment.user)
    forget_roles(user)
    audit_record(actor=actor, action="role.revoke", target=user, detail=detail, request=request)


# --- bootstrap ---------------------------------------------------------------------------------------


@transaction.atomic
def admins_bootstrap(*, accounts: Sequence[tuple[str, str, str]]) -> list[User]:
    """Create the first administrators: ``accounts`` are (role, username, password) for admin roles.

    Skips a role that already has an active holder, so it never adds a second set behind the security
    administrator's back. Audited as done by "system". Returns the accounts created.
    """
    created: list[User] = []
    for role, username, password in accounts:
        if role not in ADMIN_ROLES:
            raise ValidationError(_("只能初始化三类管理员角色。"))
        if _active_holders(role) > 0:
            continue
        user = _user_create(actor=None, username=username, password=password, profile={}, request=None)
        _role_add(actor=None, assignment=RoleAssignment(user=user, role=role), request=None)
        created.append(user)
    return created


# --- units, kinds and centers (configuration: the system administrator) ---------------------------------


def _check_kind(kind: str) -> None:
    if not UnitKind.objects.filter(code=kind, is_active=True).exists():
        raise ValidationError({"kind": _("未知或已停用的部门类别：%(kind)s") % {"kind": kind}})


def _changed(obj: Any, changes: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in changes.items():
        if value is not None and getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _replace_related(manager: Any, rows: Iterable[Any], detail: dict[str, Any], key: str) -> bool:
    """Set a many-to-many relation of regions or units to ``rows``; note the new codes under ``key`` if changed."""
    rows = list(rows)
    new = sorted({row.code for row in rows})
    if new == sorted(manager.values_list("code", flat=True)):
        return False
    manager.set(rows)
    detail[key] = new
    return True


@transaction.atomic
def unit_create(
    *,
    actor: User,
    code: str,
    name: str,
    kind: str,
    region: Region,
    regions_covered: Iterable[Region] = (),
    is_active: bool = True,
    request: HttpRequest | None = None,
) -> Unit:
    require(actor, "unit.add")
    _check_kind(kind)
    unit = Unit(code=code.strip(), name=name.strip(), kind=kind, region=region, is_active=is_active)
    unit.full_clean()
    unit.save()
    covered = list(regions_covered) or [region]
    unit.regions_covered.set(covered)
    audit_record(
        actor=actor,
        action="unit.create",
        target=unit,
        detail={"kind": kind, "region": region.code, "covers": sorted(r.code for r in covered)},
        request=request,
    )
    return unit


@transaction.atomic
def unit_update(
    *,
    actor: User,
    unit: Unit,
    name: str | None = None,
    kind: str | None = None,
    region: Region | None = None,
    regions_covered: Iterable[Region] | None = None,
    is_active: bool | None = None,
    request: HttpRequest | None = None,
) -> Unit:
    require(actor, "unit.change", unit)
    if kind is not None and kind != unit.kind:
        _check_kind(kind)
    changed = _changed(unit, {"name": name, "kind": kind, "region": region, "is_active": is_active})
    if changed:
        unit.full_clean()
        unit.save()
    detail: dict[str, Any] = {"fields": sorted(changed)}
    if regions_covered is not None and _replace_related(unit.regions_covered, regions_covered, detail, "covers"):
        changed.append("regions_covered")
    if changed:
        audit_record(actor=actor, action="unit.update", target=unit, detail=detail, request=request)
    return unit


@transaction.atomic
def center_create(
    *,
    actor: User,
    region: Region,
    name: str,
    address: str = "",
    phone: str = "",
    stationed_units: Iterable[Unit] = (),
    request: HttpRequest | None = None,
) -> Center:
    require(actor, "center.add")
    center = Center(region=region, name=name.strip(), address=address, phone=phone)
    center.full_clean()
    center.save()
    units = list(stationed_units)
    center.stationed_units.set(units)
    audit_record(
        actor=actor,
        action="center.create",
        target=center,
        detail={"region": region.code, "units": sorted(u.code for u in units)},
        request=request,
    )
    return center


@transaction.atomic
def center_update(
    *,
    actor: User,
    center: Center,
    name: str | None = None,
    address: str | None = None,
    phone: str | None = None,
    stationed_units: Iterable[Unit] | None = None,
    request: HttpRequest | None = None,
) -> Center:
    require(actor, "center.change", center)
    changed = _changed(center, {"name": name, "address": address, "phone": phone})
    if changed:
        center.full_clean()
        center.save()
    detail: dict[str, Any] = {"fields": sorted(changed)}
    if stationed_units is not None and _replace_related(center.stationed_units, stationed_units, detail, "units"):
        changed.append("stationed_units")
    if changed:
        audit_record(actor=actor, action="center.update", target=center, detail=detail, request=request)
    return center


# --- API sign-in ----------------------------------------------------------------------------------------


class LoginLockedOut(PermissionDenied):
    """Too many failed logins for this account from this address (axes)."""


def api_token_obtain(*, username: str, password: str, request: HttpRequest) -> str:
    """Check credentials like the login page (same lockout, same audit) and return the user's API token:
    the one already issued while it lasts (``authentication.token_lifetime``), else a new one."""
    from django.contrib.auth import authenticate
    from django.contrib.auth.signals import user_logged_in
    from rest_framework.authtoken.models import Token

    user = authenticate(request=request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise LoginLockedOut(_("登录失败次数过多，账号已暂时锁定，请稍后再试或联系安全管理员。"))
    if user is None:
        raise ValidationError(_("用户名或密码错误。"))
    with transaction.atomic():
        token, _created = Token.objects.select_for_update().get_or_create(user=user)
        if token_expired(token):  # sign-in after the lifetime: a new key, the old one is gone
            token.delete()
            token = Token.objects.create(user=user)
        # The same hook as a page login: last_login, axes' reset of failures, the audit row.
        user_logged_in.send(sender=type(user), request=request, user=user)
    return str(token.key)
