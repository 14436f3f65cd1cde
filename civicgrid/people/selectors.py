"""Reads about people that need permission: a user's own profile, the staff holding a role in a region."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from civicgrid.people.models import Role, RoleAssignment, User
from civicgrid.regions.models import Level, Region


def user_profile(*, user: Any) -> dict[str, Any]:
    """What the signed-in user may know about their own account."""
    assignments = RoleAssignment.objects.filter(user_id=user.pk).select_related("region", "unit").order_by("id")
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name(),
        "is_staff": bool(user.is_staff),
        "roles": [
            {
                "role": a.role,
                "role_display": str(a.get_role_display()),
                "region": {"code": a.region.code, "name": a.region.name} if a.region is not None else None,
                "unit": {"code": a.unit.code, "name": a.unit.name} if a.unit is not None else None,
            }
            for a in assignments
        ],
    }


def users_with_role(*, role: str, region: Region | None = None, within: bool = False) -> QuerySet[User]:
    """Active users holding ``role`` for exactly ``region`` (or, with ``within``, anywhere in its subtree).

    For services that pick an assignee (the grid worker of a grid, the head of a town center); callers
    decide who may ask.
    """
    scope = Q(roles__role=role)
    if region is not None:
        scope &= region.subtree_q("roles__region__") if within else Q(roles__region=region)
    # One filter() call, so role and region are matched on the same assignment.
    return User.objects.filter(scope, is_active=True).distinct().order_by("username")


def users_holding(*, roles: Iterable[str], region_ids: Iterable[int] = (), unit_ids: Iterable[int] = ()) -> list[User]:
    """Active users holding any of ``roles`` on any of these regions or units, by primary key (whom the
    services tell of a case: a center's staff, a unit's handlers, a grid's worker)."""
    region_ids, unit_ids = [r for r in region_ids if r], [u for u in unit_ids if u]
    if not region_ids and not unit_ids:
        return []
    scope = Q(region_id__in=region_ids) | Q(unit_id__in=unit_ids)
    ids = RoleAssignment.objects.filter(scope, role__in=list(roles)).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def grid_workers_of(region: Region) -> QuerySet[User]:
    """The grid workers of a grid (or of every grid below a region)."""
    return users_with_role(role=Role.GRID_WORKER, region=region, within=region.level < Level.GRID)
