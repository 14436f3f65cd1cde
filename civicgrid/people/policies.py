"""Permission rules for regions, units, centers, users and role assignments (registered in PeopleConfig.ready).

Who sees which region: a region-scoped role (grid worker, center staff, mediator …) sees its subtree and
the names of the regions above it; a department handler sees the regions its units cover (and above);
the system administrator sees every region, and so does the security administrator, who binds roles to
regions. Only the system administrator changes regions, units, centers and code tables (configuration);
only the security administrator manages accounts and roles, never their own roles.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from civicgrid.people import authorization as authz
from civicgrid.people.authorization import ConfigTablePolicy, has_role, register_policy
from civicgrid.people.models import (
    REGION_SCOPED_ROLES,
    UNIT_SCOPED_ROLES,
    Center,
    Role,
    RoleAssignment,
    Unit,
    UnitKind,
    User,
)
from civicgrid.regions.models import Region

_READ_VERBS = frozenset({"view", "read"})


def _verb(action: str) -> str:
    return action.rsplit(".", 1)[-1]


def unit_coverage_codes(user: Any) -> list[str]:
    """Codes of the regions covered by the units the user handles for."""
    ids = authz.unit_ids(user)
    if not ids:
        return []
    return sorted(set(Region.objects.filter(covering_units__in=ids).values_list("code", flat=True)))


def reach_codes(user: Any) -> list[str]:
    """Region codes whose subtrees the user works in: region-scoped roles plus units' coverage."""
    return authz.outermost_codes(
        [g.region_code for g in authz.grants(user) if g.region_code] + unit_coverage_codes(user)
    )


def _contains(policy: Any, user: Any, obj: Any) -> bool:
    return bool(obj.pk is not None and policy.visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists())


class RegionPolicy:
    """Verbs: view; add / change / delete / import (system administrator only)."""

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        if _verb(action) in _READ_VERBS:
            if has_role(user, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN):
                return True
            codes = reach_codes(user)
            if obj is None:
                return bool(codes)
            return any(obj.code.startswith(c) or c.startswith(obj.code) for c in codes)
        return has_role(user, Role.SYSTEM_ADMIN)

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        if has_role(user, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN):
            return qs
        codes = reach_codes(user)
        if not codes:
            return qs.none()
        return qs.filter(authz.codes_subtree_q(codes, "") | authz.codes_ancestor_q(codes, ""))


class UnitPolicy:
    """Verbs: view; add / change / delete (system administrator).

    Handlers see their own units; region-scoped roles see the units that belong to, or cover, a region
    in their subtree or above it (the city police cover every town).
    """

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        if _verb(action) in _READ_VERBS:
            if obj is None:
                return has_role(user, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN) or authz.has_business_role(user)
            return _contains(self, user, obj)
        return has_role(user, Role.SYSTEM_ADMIN)

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        if has_role(user, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN):
            return qs
        own = authz.unit_ids(user)
        codes = authz.scope_codes(user)
        if not own and not codes:
            return qs.none()
        near = authz.codes_subtree_q(codes, "region") | authz.codes_ancestor_q(codes, "region")
        covering = Unit.objects.filter(
            authz.codes_subtree_q(codes, "regions_covered") | authz.codes_ancestor_q(codes, "regions_covered")
        )
        return qs.filter(Q(pk__in=own) | near | Q(pk__in=covering.values("pk")))


class CenterPolicy:
    """Verbs: view; add / change / delete (system administrator).

    Region-scoped roles see the centers in their subtree and above; handlers see the centers their
    units are stationed in.
    """

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        if _verb(action) in _READ_VERBS:
            if obj is None:
                return has_role(user, Role.SYSTEM_ADMIN) or authz.has_business_role(user)
            return _contains(self, user, obj)
        return has_role(user, Role.SYSTEM_ADMIN)

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        if has_role(user, Role.SYSTEM_ADMIN):
            return qs
        own = authz.unit_ids(user)
        codes = authz.scope_codes(user)
        if not own and not codes:
            return qs.none()
        stationed = Center.objects.filter(stationed_units__in=own).values("pk")
        return qs.filter(
            authz.codes_subtree_q(codes, "region") | authz.codes_ancestor_q(codes, "region") | Q(pk__in=stationed)
        )


class UserPolicy:
    """Verbs: view (own account if holding any role, or the security administrator); add / change /
    deactivate / activate / unlock / set_password (security administrator). Nobody deletes accounts."""

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        verb = _verb(action)
        if verb == "delete":
            return False
        if verb in _READ_VERBS:
            return has_role(user, Role.SECURITY_ADMIN) or (
                obj is not None and obj.pk == user.pk and _has_any_role(user)
            )
        if verb in {"deactivate"} and obj is not None and obj.pk == user.pk:
            return False  # nobody locks themselves out
        return has_role(user, Role.SECURITY_ADMIN)

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        if has_role(user, Role.SECURITY_ADMIN):
            return qs
        return qs.filter(pk=user.pk) if _has_any_role(user) else qs.none()


def _has_any_role(user: Any) -> bool:
    """An account without roles (the outsider) sees nothing, not even its own row."""
    return bool(authz.grants(user))


class RoleAssignmentPolicy:
    """Verbs: view (own roles, or the security administrator); add/assign, delete/revoke (security
    administrator, never on their own account); change (nobody: revoke and assign instead)."""

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        verb = _verb(action)
        if verb in _READ_VERBS:
            return has_role(user, Role.SECURITY_ADMIN) or (obj is not None and obj.user_id == user.pk)
        if verb in {"add", "assign", "delete", "revoke"}:
            if obj is not None and obj.user_id == user.pk:
                return False
            return has_role(user, Role.SECURITY_ADMIN)
        return False

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        if has_role(user, Role.SECURITY_ADMIN):
            return qs
        return qs.filter(user_id=user.pk)


def register() -> None:
    register_policy(Region, RegionPolicy())
    register_policy(Unit, UnitPolicy())
    register_policy(Center, CenterPolicy())
    register_policy(User, UserPolicy(), things=("account",))
    register_policy(RoleAssignment, RoleAssignmentPolicy(), things=("role",))
    register_policy(
        UnitKind,
        ConfigTablePolicy(view_roles=[*REGION_SCOPED_ROLES, *UNIT_SCOPED_ROLES, Role.SECURITY_ADMIN]),
    )
    _register_third_party()


def _register_third_party() -> None:
    """Login-lockout records and API tokens belong to account security: the security administrator."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from rest_framework.authtoken.models import Token

    lockouts = authz.RolePolicy(view=[Role.SECURITY_ADMIN], delete=[Role.SECURITY_ADMIN])
    register_policy(AccessAttempt, lockouts)
    register_policy(AccessLog, authz.RolePolicy(view=[Role.SECURITY_ADMIN]))
    register_policy(AccessFailureLog, authz.RolePolicy(view=[Role.SECURITY_ADMIN]))
    register_policy(Token, authz.RolePolicy(view=[Role.SECURITY_ADMIN], delete=[Role.SECURITY_ADMIN]))
