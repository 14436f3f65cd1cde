"""Who sees and does what with disputes (registered with the authorization module in DisputesConfig.ready).

Seeing a mediation record follows seeing its case (``cases.policies``), plus the mediators assigned to it.
*Handling* it — editing parties, facts and sessions, recording the outcome, revealing ID numbers and
phones — is for the assigned mediators (lead or co-mediator, through their account) and the staff of the
center that holds the case now (exactly the case's current region, as in cases). The center holding the
case chooses its mediators. Screening rounds are scheduled by a center for its own region; each grid's
report is made by that grid's worker or a center above the grid.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from civicgrid.cases import policies as case_policies
from civicgrid.people import authorization as authz
from civicgrid.people.models import Role

CENTER_ROLES = (Role.CENTER_STAFF, Role.CENTER_HEAD)
OVERSIGHT_ROLES = (Role.CENTER_STAFF, Role.CENTER_HEAD, Role.SUPERVISOR, Role.LEADER)
HANDLING_VERBS = frozenset(
    {"edit", "reveal", "session", "conclude", "agreement", "follow_up", "judge_risk", "document_add"}
)


def _holds_at(user: Any, roles: tuple[str, ...], region_id: int | None) -> bool:
    wanted = {str(r) for r in roles}
    return region_id is not None and any(g.role in wanted and g.region_id == region_id for g in authz.grants(user))


def is_assigned_mediator(user: Any, mediation: Any) -> bool:
    """The user is the lead or a co-mediator of this dispute (through a roster row linked to the account)."""
    user_id = getattr(user, "pk", None)
    if user_id is None or mediation.pk is None:
        return False
    lead = mediation.lead_mediator
    if lead is not None and lead.user_id == user_id:
        return True
    return bool(mediation.co_mediators.filter(user_id=user_id).exists())


def is_handling(user: Any, mediation: Any) -> bool:
    return _holds_at(user, CENTER_ROLES, mediation.case.region_id) or is_assigned_mediator(user, mediation)


def _assigned_q(user: Any, prefix: str = "") -> Q:
    return Q(**{f"{prefix}lead_mediator__user_id": user.pk}) | Q(**{f"{prefix}co_mediators__user_id": user.pk})


class MediationPolicy:
    """Mediation records and the rows that hang off them (parties, sessions, documents, follow-ups)."""

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        from .models import Mediation

        verb = action.split(".", 1)[-1]
        if obj is None:
            if verb in {"view", "list"}:
                return authz.has_role(user, *case_policies.VIEW_ROLES, Role.MEDIATOR)
            if verb == "create":
                return authz.has_role(user, *case_policies.CREATE_ROLES)
            if verb == "assign":
                return authz.has_role(user, *CENTER_ROLES)
            if verb in HANDLING_VERBS:
                return authz.has_role(user, *CENTER_ROLES, Role.MEDIATOR)
            return False
        mediation = obj if isinstance(obj, Mediation) else getattr(obj, "mediation", None)
        if mediation is None:
            return False
        if verb == "view":
            return case_policies.can_view_case(user, mediation.case) or is_assigned_mediator(user, mediation)
        if verb == "assign":
            return _holds_at(user, CENTER_ROLES, mediation.case.region_id)
        if verb in HANDLING_VERBS:
            return is_handling(user, mediation)
        return False

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        from civicgrid.cases.models import Case

        from .models import Mediation

        cases = Case.objects.filter(case_policies.case_visible_q(user)).values("pk")
        mine = Mediation.objects.filter(Q(case__in=cases) | _assigned_q(user)).values("pk")
        if qs.model is Mediation:
            return qs.filter(pk__in=mine)
        return qs.filter(mediation__in=mine)


class ScreeningPolicy:
    """Screening rounds (a center for its own region) and the grids' reports."""

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        from .models import ScreeningReport, ScreeningRound

        verb = action.split(".", 1)[-1]
        if obj is None:
            if verb == "schedule":
                return authz.has_role(user, *CENTER_ROLES)
            if verb == "report":
                return authz.has_role(user, Role.GRID_WORKER, *CENTER_ROLES)
            return verb in {"view", "list"} and authz.has_role(user, *OVERSIGHT_ROLES, Role.GRID_WORKER)
        if isinstance(obj, ScreeningRound):
            if verb == "schedule":
                return _holds_at(user, CENTER_ROLES, obj.region_id)
            if verb == "view":
                return authz.region_in_scope(user, obj.region, OVERSIGHT_ROLES) or (
                    obj.pk is not None and self.visible(user, ScreeningRound.objects.filter(pk=obj.pk)).exists()
                )
            return False
        if isinstance(obj, ScreeningReport):
            if verb == "report":
                return _holds_at(user, (Role.GRID_WORKER,), obj.grid_id) or authz.region_in_scope(
                    user, obj.grid, CENTER_ROLES
                )
            if verb == "view":
                return authz.region_in_scope(user, obj.grid, (*OVERSIGHT_ROLES, Role.GRID_WORKER)) or (
                    authz.region_in_scope(user, obj.round.region, OVERSIGHT_ROLES)
                )
        return False

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        from .models import ScreeningReport, ScreeningRound

        reports_q = authz.region_scope_q(user, "grid", (*OVERSIGHT_ROLES, Role.GRID_WORKER)) | authz.region_scope_q(
            user, "round__region", OVERSIGHT_ROLES
        )
        if qs.model is ScreeningReport:
            return qs.filter(reports_q)
        if qs.model is ScreeningRound:
            rounds = ScreeningReport.objects.filter(reports_q).values("round_id")
            return qs.filter(authz.region_scope_q(user, "region", OVERSIGHT_ROLES) | Q(pk__in=rounds))
        return qs.none()


class MediatorPolicy:
    """The roster: every business role reads it (to choose mediators); centers keep their own regions' rows."""

    def can(self, user: Any, action: str, obj: Any | None) -> bool:
        verb = action.split(".", 1)[-1]
        if verb == "view":
            return authz.has_role(user, *case_policies.VIEW_ROLES, Role.MEDIATOR, Role.SYSTEM_ADMIN)
        if verb not in {"add", "change"}:
            return False
        if authz.has_role(user, Role.SYSTEM_ADMIN):
            return True
        if obj is None or obj.pk is None:
            return authz.has_role(user, *CENTER_ROLES)
        return any(authz.region_in_scope(user, region, CENTER_ROLES) for region in obj.regions.all())

    def visible(self, user: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
        if authz.has_role(user, *case_policies.VIEW_ROLES, Role.MEDIATOR, Role.SYSTEM_ADMIN):
            return qs
        return qs.none()


def register() -> None:
    from .models import (
        DisputeSetting,
        Mediation,
        MediationDocument,
        MediationSession,
        Mediator,
        Party,
        PerformanceCheck,
        RiskKeyword,
        RiskRule,
        ScreeningReport,
        ScreeningRound,
    )

    mediation_policy = MediationPolicy()
    authz.register_policy(Mediation, mediation_policy, things=("dispute",))
    for model in (Party, MediationSession, MediationDocument, PerformanceCheck):
        authz.register_policy(model, mediation_policy)
    screening_policy = ScreeningPolicy()
    authz.register_policy(ScreeningRound, screening_policy, things=("screening",))
    authz.register_policy(ScreeningReport, screening_policy)
    authz.register_policy(Mediator, MediatorPolicy())
    for table in (DisputeSetting, RiskRule, RiskKeyword):
        authz.register_policy(table, authz.ConfigTablePolicy())
