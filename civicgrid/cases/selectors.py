"""Reads on cases that need permission or care: lists with filters, the to-do list, the timeline,
summons status, and the reporter's personal data (masked by default; unmasking is audited).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from civicgrid.cases.models import (
    OPEN_STATES,
    TRANSITIONS,
    Case,
    CaseEvent,
    CaseStage,
    Category,
    DeadlineStatus,
    Reporter,
    State,
    Summons,
    SummonsUnit,
)
from civicgrid.cases.policies import CENTER_ROLES
from civicgrid.people import authorization as authz
from civicgrid.people.models import Role, User
from civicgrid.regions.models import Region

# Filter values for the deadline filter: "warning" is yellow, "overdue" is red, "late" either.
DEADLINE_FILTERS = {
    "warning": [DeadlineStatus.YELLOW],
    "yellow": [DeadlineStatus.YELLOW],
    "overdue": [DeadlineStatus.RED],
    "red": [DeadlineStatus.RED],
    "late": [DeadlineStatus.YELLOW, DeadlineStatus.RED],
    "ok": [DeadlineStatus.OK],
}


def cases_visible(
    *,
    user: User,
    tier: int | None = None,
    region: Region | None = None,
    category: Category | None = None,
    state: str | Iterable[str] | None = None,
    deadline: str | None = None,
    open_only: bool = False,
    search: str = "",
) -> QuerySet[Case]:
    """The cases the user may see, filtered. ``region`` matches the case's location subtree; ``category``
    includes its sub-categories; ``deadline`` is one of DEADLINE_FILTERS (warning/overdue/late/…)."""
    qs = authz.visible(user, Case.objects.all())
    if tier is not None:
        qs = qs.filter(tier=tier)
    if region is not None:
        qs = qs.filter(area_code__startswith=region.code)
    if category is not None:
        qs = qs.filter(category_id__in=_category_subtree_ids(category))
    if state is not None:
        states = [state] if isinstance(state, str) else list(state)
        qs = qs.filter(state__in=states)
    if open_only:
        qs = qs.filter(state__in=OPEN_STATES)
    if deadline:
        qs = qs.filter(deadline_status__in=DEADLINE_FILTERS.get(deadline, []))
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(title__icontains=search) | Q(address__icontains=search))
    return qs.select_related("category", "region", "grid", "lead_unit")


def _category_subtree_ids(category: Category) -> list[int]:
    ids, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = list(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


def case_get(*, user: User, number: str) -> Case:
    """The case with this number if the user may see it; ``Case.DoesNotExist`` otherwise (no leak)."""
    return authz.visible(user, Case.objects.all()).select_related("category", "region", "lead_unit").get(number=number)


def case_todo(*, user: User) -> QuerySet[Case]:
    """The cases waiting for this user's action, most urgent deadline first."""
    grants = authz.grants(user)
    center_regions = [g.region_id for g in grants if g.role in {str(r) for r in CENTER_ROLES} and g.region_id]
    grids = [g.region_id for g in grants if g.role == Role.GRID_WORKER and g.region_id]
    units = authz.unit_ids(user)
    q = Q(pk__in=[])
    if center_regions:
        q |= Q(region_id__in=center_regions, state__in=_CENTER_TODO_STATES)
        # verification falls to the village center where no grid worker exists (no grid)
        q |= Q(grid__isnull=True, state=State.HANDLED, region_id__in=center_regions)
    if grids:
        q |= Q(grid_id__in=grids, state=State.HANDLED)
    if units:
        q |= Q(lead_unit_id__in=units, state__in=[State.DISPATCHED, State.SIGNED])
        pending = SummonsUnit.objects.filter(unit_id__in=units, reported_at__isnull=True).values("summons__case_id")
        q |= Q(pk__in=pending)
    return (
        authz.visible(user, Case.objects.filter(q))
        .select_related("category", "region", "lead_unit")
        .order_by("stage_due_at", "id")
    )


# States in which the current center owes the next step (accept, register, dispatch, close, follow up).
_CENTER_TODO_STATES = [State.REPORTED, State.ACCEPTED, State.REGISTERED, State.VERIFIED, State.CLOSED]


def case_actions(*, user: User, case: Case) -> list[str]:
    """Workflow actions this user may take on the case now (for buttons), e.g. ["accept", "reject", …].

    ``verify_pass``/``verify_fail`` come as "verify"; "summon" and "attachment_add" are included when
    allowed; "reopen" only after a dissatisfied follow-up; "escalate" / "deescalate" only when a tier with
    a center lies above / below (otherwise the form could only fail).
    """
    from civicgrid.cases.services import _centers, _tier_above, _tier_below

    actions: list[str] = []
    centers: set[int] | None = None
    for action in TRANSITIONS[case.state]:
        verb = "verify" if action.startswith("verify_") else action
        if verb == "reopen" and case.satisfaction != "dissatisfied":
            continue
        if verb in actions or not authz.can(user, f"case.{verb}", case):
            continue
        if verb in {"escalate", "deescalate"}:
            if centers is None:
                centers = _centers((case.city, case.town, case.village))
            if (_tier_above if verb == "escalate" else _tier_below)(case, centers) is None:
                continue
        actions.append(verb)
    if case.state in OPEN_STATES and authz.can(user, "case.summon", case):
        actions.append("summon")
    if authz.can(user, "case.attachment_add", case):
        actions.append("attachment_add")
    return actions


def case_timeline(*, user: User, case: Case) -> QuerySet[CaseEvent]:
    """The case's timeline, oldest first; PermissionDenied if the user may not see the case."""
    authz.require(user, "case.view", case)
    return CaseEvent.objects.filter(case=case).select_related("actor", "region", "unit").order_by("at", "id")


def case_stages(*, user: User, case: Case) -> QuerySet[CaseStage]:
    """The stage runs with deadlines, time spent and on-time flags."""
    authz.require(user, "case.view", case)
    return CaseStage.objects.filter(case=case).select_related("region", "unit").order_by("started_at", "id")


@dataclass(frozen=True)
class SummonsLine:
    unit_id: int
    unit_name: str
    due_at: datetime
    reported_at: datetime | None
    on_time: bool | None
    late: bool
    unit_code: str = ""


def summons_status(*, user: User, summons: Summons, now: datetime | None = None) -> list[SummonsLine]:
    """Who reported and who is late, per summoned department."""
    authz.require(user, "case.view", summons.case)
    now = now or timezone.now()
    return [
        SummonsLine(
            unit_id=row.unit_id,
            unit_name=row.unit.name,
            due_at=row.due_at,
            reported_at=row.reported_at,
            on_time=row.on_time,
            late=row.is_late(now),
            unit_code=row.unit.code,
        )
        for row in summons.units.select_related("unit").order_by("unit__code")
    ]


# --- the reporter's personal data ---------------------------------------------------------------


def mask_name(name: str) -> str:
    """张三 → 张*, 张三丰 → 张*丰, Alice → A***e."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) >= 7:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 1) + phone[-2:]


def mask_email(email: str) -> str:
    """alice@example.com → a***@example.com."""
    email = (email or "").strip()
    if not email:
        return ""
    local, _at, domain = email.partition("@")
    return (local[:1] + "***@" + domain) if domain else mask_name(email)


def reporter_masked(case: Case) -> dict[str, Any] | None:
    """The reporter as everyone (including those handling it) sees it in lists: masked."""
    reporter = case.reporter
    if reporter is None:
        return None
    return {
        "name": mask_name(reporter.name),
        "phone": mask_phone(reporter.phone),
        "email": mask_email(reporter.email),
        "anonymous": reporter.anonymous,
        "masked": True,
    }


def _reporters(case: Case) -> list[Reporter]:
    return list(Reporter.objects.filter(case_id=case.pk).order_by("created_at", "id"))


def reporters_masked(case: Case) -> list[dict[str, Any]]:
    """Everyone who reported the case — the first reporter, added voices, reporters of merged duplicates
    (``joined``) — masked, oldest first. A merged duplicate has none left: they moved with it."""
    return [
        {
            "name": mask_name(r.name),
            "phone": mask_phone(r.phone),
            "email": mask_email(r.email),
            "anonymous": r.anonymous,
            "joined": r.joined,
            "masked": True,
        }
        for r in _reporters(case)
    ]


def reporters_reveal(*, user: User, case: Case, request: HttpRequest | None = None) -> list[dict[str, Any]]:
    """All reporters unmasked, for those handling the case only; one audit row per call.

    Raises PermissionDenied for anyone else.
    """
    from civicgrid.audit.services import audit_record

    authz.require(user, "case.reporter_reveal", case)
    rows = _reporters(case)
    audit_record(
        actor=user,
        action="case.reporters_reveal",
        target=case,
        detail={"case": case.number, "reporters": len(rows)},
        request=request,
    )
    return [
        {
            "name": r.name,
            "phone": r.phone,
            "email": r.email,
            "anonymous": r.anonymous,
            "joined": r.joined,
            "masked": False,
        }
        for r in rows
    ]


def reporter_reveal(*, user: User, case: Case, request: HttpRequest | None = None) -> dict[str, Any] | None:
    """The reporter unmasked, for those handling the case only; every call is audited.

    Raises PermissionDenied for anyone else. Returns None when the case has no reporter.
    """
    from civicgrid.audit.services import audit_record

    authz.require(user, "case.reporter_reveal", case)
    reporter = case.reporter
    if reporter is None:
        return None
    fields = [name for name in ("name", "phone", "email") if getattr(reporter, name)]
    audit_record(
        actor=user,
        action="case.reporter_reveal",
        target=case,
        detail={"case": case.number, "fields": fields},
        request=request,
    )
    return {
        "name": reporter.name,
        "phone": reporter.phone,
        "email": reporter.email,
        "anonymous": reporter.anonymous,
        "masked": False,
    }
