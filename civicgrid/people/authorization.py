"""The one place that decides who may do what (权限): ``can`` / ``require`` for one object, ``visible`` for lists.

Every service, selector, API view and admin class asks here. Rules live in *policies*, one per model,
registered with ``register_policy`` (apps register theirs in ``AppConfig.ready()``). Actions are dotted
strings ``"<thing>.<verb>"``; ``<thing>`` names the policy (by default the model's ``model_name``), so
``can(user, "unit.add")`` without an object still finds the Unit policy.

Ground rules enforced here for every policy:

- an anonymous or inactive user may do nothing and sees nothing;
- ``is_superuser`` grants nothing: power comes only from role assignments (等保 2.0 separation of the
  system, security and audit administrators);
- no policy registered means nothing allowed (deny by default).

``obj=None`` asks the class-level question: "may this user do this to some object of this kind" (open the
list, add a new one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from civicgrid.core import generations
from civicgrid.people.models import REGION_SCOPED_ROLES, UNIT_SCOPED_ROLES, Role

if TYPE_CHECKING:
    from civicgrid.regions.models import Region

M = TypeVar("M", bound=Model)

# Cached on the user object for the length of a request; services that change roles clear it.
_ROLES_CACHE_ATTR = "_civicgrid_roles"


class Policy(Protocol):
    """The rules for one kind of object."""

    def can(self, user: Any, action: str, obj: Any | None) -> bool: ...

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]: ...


@dataclass(frozen=True)
class Grant:
    """One role assignment as authorization sees it (a plain value, cheap to cache)."""

    role: str
    region_id: int | None
    region_code: str | None
    unit_id: int | None


_policies_by_model: dict[type[Model], Policy] = {}
_policies_by_thing: dict[str, Policy] = {}


def register_policy(model: type[Model], policy: Policy, *, things: Iterable[str] = ()) -> None:
    """Plug the rules for ``model`` in. ``things`` are extra action prefixes besides its ``model_name``."""
    _policies_by_model[model] = policy
    for thing in (model._meta.model_name, *things):
        _policies_by_thing[str(thing)] = policy


def policy_for(model_or_obj: type[Model] | Model) -> Policy | None:
    """The policy of a model (class or instance), following proxies to their concrete model."""
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    for candidate in (model, model._meta.concrete_model):
        if candidate is not None and candidate in _policies_by_model:
            return _policies_by_model[candidate]
    return None


def _is_active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _load_grants(user_pk: int) -> tuple[Grant, ...]:
    from civicgrid.people.models import RoleAssignment

    rows = RoleAssignment.objects.filter(user_id=user_pk).select_related("region").order_by("id")
    return tuple(
        Grant(
            role=row.role,
            region_id=row.region_id,
            region_code=row.region.code if row.region is not None else None,
            unit_id=row.unit_id,
        )
        for row in rows
    )


# Across requests: kept while roles, users and region codes stay as they were (see core.generations).
_grants_by_user: generations.KeyedGenerationCache[int, tuple[Grant, ...]] = generations.KeyedGenerationCache(
    ("people_roleassignment", "people_user", generations.REGIONS), _load_grants, maxsize=8192
)


def grants(user: Any) -> tuple[Grant, ...]:
    """The user's role assignments (empty for anonymous or inactive users), cached on the user object
    and, within requests, per process across requests."""
    if not _is_active(user):
        return ()
    cached = getattr(user, _ROLES_CACHE_ATTR, None)
    if cached is None:
        # Outside a request the token query would cost as much as the one query it saves.
        shared = generations.in_scope() and user.pk is not None
        cached = _grants_by_user.get(user.pk) if shared else _load_grants(user.pk)
        setattr(user, _ROLES_CACHE_ATTR, cached)
    return tuple(cached)


def forget_roles(user: Any) -> None:
    """Drop the cached role assignments of this user object (after a role change)."""
    if user is not None and hasattr(user, _ROLES_CACHE_ATTR):
        delattr(user, _ROLES_CACHE_ATTR)


def has_role(user: Any, *roles: str) -> bool:
    """True if the active user holds any of ``roles`` (with any scope)."""
    wanted = {str(role) for role in roles}
    return any(grant.role in wanted for grant in grants(user))


def outermost_codes(codes: Iterable[str]) -> list[str]:
    """The region codes not inside another of them (codes nest by prefix), sorted: Q objects stay short."""
    kept: list[str] = []
    for code in sorted(set(codes)):
        if not any(code.startswith(outer) for outer in kept):
            kept.append(code)
    return kept


def codes_subtree_q(codes: Iterable[str], field: str) -> Q:
    """Q on a Region field path (``""`` for Region itself) matching the subtrees of ``codes``; none if empty."""
    prefix = f"{field}__" if field else ""
    q = Q(pk__in=[])
    for code in codes:
        q |= Q(**{f"{prefix}code__startswith": code})
    return q


def codes_ancestor_q(codes: Iterable[str], field: str) -> Q:
    """Q on a Region field path matching the strict ancestors of ``codes`` (their town, city …)."""
    prefix = f"{field}__" if field else ""
    ancestors = sorted({code[:i] for code in codes for i in range(1, len(code))})
    return Q(**{f"{prefix}code__in": ancestors}) if ancestors else Q(pk__in=[])


def scope_codes(user: Any, roles: Iterable[str] | None = None) -> list[str]:
    """Codes of the regions whose subtrees the user holds one of ``roles`` over, nested ones dropped."""
    wanted = {str(r) for r in (roles if roles is not None else REGION_SCOPED_ROLES)}
    return outermost_codes(g.region_code for g in grants(user) if g.role in wanted and g.region_code)


def region_scopes(user: Any, roles: Iterable[str] | None = None) -> list[Region]:
    """The regions whose subtrees the user holds one of ``roles`` over (default: every region-scoped role)."""
    from civicgrid.regions.models import Region

    codes = scope_codes(user, roles)
    return list(Region.objects.filter(code__in=codes).order_by("code")) if codes else []


def region_scope_q(user: Any, field: str, roles: Iterable[str] | None = None) -> Q:
    """Q on a Region field path (``"grid"``, ``"region"``; ``""`` for Region itself) matching any subtree the
    user holds one of ``roles`` over. Matches nothing when the user holds none."""
    return codes_subtree_q(scope_codes(user, roles), field)


def region_ancestor_q(user: Any, field: str, roles: Iterable[str] | None = None) -> Q:
    """Q matching the strict ancestors of the user's scopes (their parent town, city …)."""
    return codes_ancestor_q(scope_codes(user, roles), field)


def region_in_scope(user: Any, region: Region | None, roles: Iterable[str] | None = None) -> bool:
    """True if ``region`` lies in (or is) one of the user's scope regions for ``roles``."""
    if region is None:
        return False
    return any(region.code.startswith(code) for code in scope_codes(user, roles))


def unit_ids(user: Any) -> set[int]:
    """The units the user handles cases for (unit_handler roles)."""
    return {g.unit_id for g in grants(user) if g.role in UNIT_SCOPED_ROLES and g.unit_id is not None}


def unit_scope_q(user: Any, field: str = "unit") -> Q:
    """Q on a Unit field path (``"unit"``, ``"lead_unit"``) matching the units the user handles for."""
    ids = sorted(unit_ids(user))
    return Q(**{f"{field}__in": ids}) if ids else Q(pk__in=[])


def can(user: Any, action: str, obj: object | None = None) -> bool:
    """May ``user`` do ``action`` to ``obj`` (or, with no object, to some object of that kind)?"""
    if not _is_active(user):
        return False
    policy: Policy | None = None
    if isinstance(obj, Model):
        policy = policy_for(obj)
    elif isinstance(obj, type) and issubclass(obj, Model):
        policy = policy_for(obj)
        obj = None
    if policy is None:
        policy = _policies_by_thing.get(action.split(".", 1)[0])
    if policy is None:
        return False
    return bool(policy.can(user, action, obj))


def require(user: Any, action: str, obj: object | None = None) -> None:
    """Raise ``PermissionDenied`` (translated) unless ``can(user, action, obj)``."""
    if not can(user, action, obj):
        raise PermissionDenied(_("您没有权限执行此操作（%(action)s）。") % {"action": action})


def visible(user: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """The rows of ``queryset`` the user may see; none for anonymous, inactive or role-less users."""
    if not _is_active(user):
        return queryset.none()
    policy = policy_for(queryset.model)
    if policy is None:
        return queryset.none()
    return policy.visible(user, queryset)


# --- reusable policies ----------------------------------------------------------------------------


class ConfigTablePolicy:
    """Editable code tables and settings (配置数据): the system administrator edits; ``view_roles`` read.

    Default readers: everyone holding a business role (not the security or audit administrator).
    """

    def __init__(self, *, view_roles: Iterable[str] | None = None, edit_roles: Iterable[str] = (Role.SYSTEM_ADMIN,)):
        business = REGION_SCOPED_ROLES | UNIT_SCOPED_ROLES
        self.view_roles = frozenset(str(r) for r in (view_roles if view_roles is not None else business))
        self.edit_roles = frozenset(str(r) for r in edit_roles)

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        verb = action.rsplit(".", 1)[-1]
        if verb == "view":
            return has_role(user, *self.view_roles, *self.edit_roles)
        return has_role(user, *self.edit_roles)

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs if has_role(user, *self.view_roles, *self.edit_roles) else qs.none()


class RolePolicy:
    """Verb → roles allowed, regardless of scope: ``RolePolicy(view=[...], change=[...])``.

    ``visible`` returns every row to the roles allowed to ``view`` and nothing to anyone else.
    """

    def __init__(self, **verbs: Iterable[str]) -> None:
        self.verbs = {verb: frozenset(str(r) for r in roles) for verb, roles in verbs.items()}

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        roles = self.verbs.get(action.rsplit(".", 1)[-1], frozenset())
        return bool(roles) and has_role(user, *roles)

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        roles = self.verbs.get("view", frozenset())
        return qs if roles and has_role(user, *roles) else qs.none()


def has_business_role(user: Any) -> bool:
    """True if the user holds any role other than the three administrators'."""
    return any(grant.role in REGION_SCOPED_ROLES or grant.role in UNIT_SCOPED_ROLES for grant in grants(user))
