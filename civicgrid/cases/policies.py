"""Who sees a case and who may act on it (registered with the authorization module in CasesConfig.ready).

Seeing: region-scoped roles over the case's location subtree (grid worker: their grid; village, town and
city centers, supervisors and leaders: their subtree; mediators: dispute cases in their subtree); units
see the cases dispatched or summoned to them. The three administrators see no case data.

Acting: the center of the case's current tier (exactly that region, not an ancestor) does the center's
steps; handlers of the lead unit sign for and handle; the grid worker of the case's grid (or its village
center) verifies; the town or street center summons; a summoned unit reports for duty. "Handling the
case" (may see the reporter unmasked, add attachments) is: the current center, the owner, the active
lead and assisting units, and the grid worker of the grid.

Taking down a resident's addition to an existing case (another resident's voice, more information) is for
those who may take in cases where it lies (grid worker, village/town/city center of that area) and for
those handling it. Residents themselves act without an account: the services apply the public-channel
rules then, not this policy.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from civicgrid.people import authorization as authz
from civicgrid.people.models import Role

CENTER_ROLES = (Role.CENTER_STAFF, Role.CENTER_HEAD)
VIEW_ROLES = (Role.GRID_WORKER, Role.CENTER_STAFF, Role.CENTER_HEAD, Role.SUPERVISOR, Role.LEADER)
CREATE_ROLES = (Role.GRID_WORKER, Role.CENTER_STAFF, Role.CENTER_HEAD)

# action verb → who (checked against the case in ``_can_act``)
CENTER_ACTIONS = frozenset(
    {
        "accept", "register", "reject", "merge", "dispatch", "close", "follow_up", "reopen",
        "suspend", "resume", "escalate", "deescalate",
    }
)  # fmt: skip
UNIT_ACTIONS = frozenset({"sign_for", "handle"})
HANDLING_ACTIONS = frozenset({"attachment_add", "reporter_reveal"})
INTAKE_ACTIONS = frozenset({"add_reporter", "add_info"})


def _grants(user: Any, roles: tuple[str, ...]) -> list[authz.Grant]:
    wanted = {str(r) for r in roles}
    return [g for g in authz.grants(user) if g.role in wanted]


def _holds_at(user: Any, roles: tuple[str, ...], region_id: int | None) -> bool:
    return region_id is not None and any(g.region_id == region_id for g in _grants(user, roles))


def _in_scope(user: Any, roles: tuple[str, ...], area_code: str) -> bool:
    return any(g.region_code and area_code.startswith(g.region_code) for g in _grants(user, roles))


def case_visible_q(user: Any) -> Q:
    """Q over Case rows the user may see (nothing for admins, outsiders and anonymous users)."""
    from civicgrid.cases.models import CaseAssignment, CategoryKind, SummonsUnit

    q = Q(pk__in=[])
    codes = sorted({g.region_code for g in _grants(user, VIEW_ROLES) if g.region_code})
    for code in codes:
        q |= Q(area_code__startswith=code)
    for code in sorted({g.region_code for g in _grants(user, (Role.MEDIATOR,)) if g.region_code}):
        q |= Q(area_code__startswith=code, category__kind=CategoryKind.DISPUTE)
    units = authz.unit_ids(user)
    if units:
        q |= Q(pk__in=CaseAssignment.objects.filter(unit_id__in=units).values("case_id"))
        q |= Q(pk__in=SummonsUnit.objects.filter(unit_id__in=units).values("summons__case_id"))
    return q


def can_view_case(user: Any, case: Any) -> bool:
    from civicgrid.cases.models import CaseAssignment, CategoryKind, SummonsUnit

    if _in_scope(user, VIEW_ROLES, case.area_code):
        return True
    if case.category.kind == CategoryKind.DISPUTE and _in_scope(user, (Role.MEDIATOR,), case.area_code):
        return True
    units = authz.unit_ids(user)
    if not units:
        return False
    return (
        CaseAssignment.objects.filter(case_id=case.pk, unit_id__in=units).exists()
        or SummonsUnit.objects.filter(summons__case_id=case.pk, unit_id__in=units).exists()
    )


def is_handling(user: Any, case: Any) -> bool:
    """Whether the user is among those handling the case now (sees the reporter, adds attachments)."""
    from civicgrid.cases.models import CaseAssignment

    if _holds_at(user, CENTER_ROLES, case.region_id):
        return True
    if case.owner_id is not None and case.owner_id == getattr(user, "pk", None):
        return True
    if _holds_at(user, (Role.GRID_WORKER,), case.grid_id):
        return True
    units = authz.unit_ids(user)
    return bool(units) and CaseAssignment.objects.filter(case_id=case.pk, unit_id__in=units, active=True).exists()


def _can_act(user: Any, verb: str, case: Any) -> bool:
    if verb == "view":
        return can_view_case(user, case)
    if verb in CENTER_ACTIONS:
        return _holds_at(user, CENTER_ROLES, case.region_id)
    if verb in UNIT_ACTIONS:
        return case.lead_unit_id is not None and case.lead_unit_id in authz.unit_ids(user)
    if verb == "verify":
        if case.grid_id is not None:
            return _holds_at(user, (Role.GRID_WORKER,), case.grid_id) or _holds_at(user, CENTER_ROLES, case.village_id)
        return _holds_at(user, CENTER_ROLES, case.village_id or case.region_id)
    if verb == "summon":
        return _holds_at(user, CENTER_ROLES, case.town_id)
    if verb in HANDLING_ACTIONS:
        return is_handling(user, case)
    if verb in INTAKE_ACTIONS:
        return _in_scope(user, CREATE_ROLES, case.area_code) or is_handling(user, case)
    return False


def _can_class_level(user: Any, verb: str) -> bool:
    """ "May this user do this to some case": decides whether to offer the list or the form."""
    if verb in {"view", "list"}:
        return authz.has_role(user, *VIEW_ROLES, Role.MEDIATOR, Role.UNIT_HANDLER)
    if verb == "create":
        return authz.has_role(user, *CREATE_ROLES)
    if verb in CENTER_ACTIONS or verb == "summon":
        return authz.has_role(user, *CENTER_ROLES)
    if verb in UNIT_ACTIONS or verb == "summons_report":
        return authz.has_role(user, Role.UNIT_HANDLER)
    if verb == "verify":
        return authz.has_role(user, Role.GRID_WORKER, *CENTER_ROLES)
    if verb in HANDLING_ACTIONS or verb in INTAKE_ACTIONS:
        return authz.has_role(user, Role.GRID_WORKER, Role.UNIT_HANDLER, *CENTER_ROLES)
    return False


class CasePolicy:
    """The rules for cases and the rows that hang off them (timeline, stages, attachments, summonses)."""

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        from civicgrid.cases.models import Case, SummonsUnit

        verb = action.split(".", 1)[-1]
        if obj is None:
            return _can_class_level(user, verb)
        if isinstance(obj, SummonsUnit):
            if verb == "summons_report":
                return obj.unit_id in authz.unit_ids(user)
            return can_view_case(user, obj.summons.case) if verb == "view" else False
        case = obj if isinstance(obj, Case) else getattr(obj, "case", None)
        if case is None:
            return False
        if not isinstance(obj, Case):
            # Rows hanging off a case (timeline, attachment, summons) are read with the case.
            return verb == "view" and can_view_case(user, case)
        return _can_act(user, verb, case)

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        from civicgrid.cases.models import Case

        if qs.model is Case:
            return qs.filter(case_visible_q(user))
        field = {"SummonsUnit": "summons__case__in"}.get(qs.model.__name__, "case__in")
        return qs.filter(**{field: Case.objects.filter(case_visible_q(user)).values("pk")})


def register() -> None:
    from civicgrid.cases.models import (
        Attachment,
        Case,
        CaseEvent,
        CaseSettings,
        CaseStage,
        Category,
        EscalationRequest,
        Summons,
        SummonsUnit,
        Tag,
    )

    policy = CasePolicy()
    authz.register_policy(Case, policy)
    for model in (CaseEvent, CaseStage, Attachment, Summons, SummonsUnit, EscalationRequest):
        authz.register_policy(model, policy)
    # Code tables: every business role reads, the system administrator edits (in the admin).
    authz.register_policy(Category, authz.ConfigTablePolicy())
    authz.register_policy(CaseSettings, authz.ConfigTablePolicy())
    authz.register_policy(Tag, authz.ConfigTablePolicy())
