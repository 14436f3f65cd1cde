"""Every call from disputes into the cases app, in one place: creating the dispute case, escalating it
with the system as actor, and appending mediation steps to the case's timeline.

Where cases has no public function yet (see /work/notes/requests-disputes.md) this module does what
the cases sweep itself does, so the rest of disputes never reaches into cases' internals.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_noop

from civicgrid.cases import services as case_services
from civicgrid.cases.models import TRANSITIONS, Case, CaseEvent, Category, Channel
from civicgrid.people.models import User
from civicgrid.regions.models import Region

# Stored as data in Chinese (like cases.services.SYSTEM_NAME); the case page translates it on display.
SYSTEM_NAME = getattr(case_services, "SYSTEM_NAME", gettext_noop("系统"))
MEDIATION_ACTION = "mediation"
RISK_ACTION = "risk"
RISK_ESCALATE_ACTION = "auto_escalate"


def create_case(
    *,
    user: User,
    title: str,
    category: Category,
    description: str,
    region: Region | None,
    lon: float | None,
    lat: float | None,
    address: str,
    channel: str = Channel.GRID_PATROL,
) -> Case:
    return case_services.case_create(
        user=user,
        title=title,
        category=category,
        channel=channel,
        description=description,
        lon=lon,
        lat=lat,
        address=address,
        region=region,
    )


def escalate_by_system(*, case: Case, reason: str, data: dict[str, Any] | None = None) -> bool:
    """Escalate one tier up with the system as actor; False when there is no tier above or the
    case's state does not allow escalation (nothing changes then)."""
    public = getattr(case_services, "case_escalate_by_system", None)
    if public is not None:
        return bool(public(case=case, reason=reason, data=data))
    locked = case_services._lock(case)
    target = case_services._tier_above(locked)
    if target is None or "escalate" not in TRANSITIONS[locked.state]:
        return False
    case_services._move_tier(
        locked,
        target,
        action=RISK_ESCALATE_ACTION,
        user=None,
        now=timezone.now(),
        actor_name=SYSTEM_NAME,
        note=reason,
        data=data,
    )
    case.refresh_from_db()
    return True


def timeline_append(
    *, case: Case, user: User | None, action: str = MEDIATION_ACTION, note: str = "", data: dict[str, Any] | None = None
) -> None:
    """One row on the case's timeline for a mediation step (no state change)."""
    public = getattr(case_services, "case_event_append", None)
    if public is not None:
        public(case=case, user=user, action=action, note=note, data=data or {})
        return
    actor_name = SYSTEM_NAME if user is None else (user.get_full_name() or user.get_username())[:150]
    CaseEvent.objects.create(
        case=case,
        at=timezone.now(),
        actor=user,
        actor_name=actor_name,
        action=action,
        from_state=case.state,
        to_state=case.state,
        from_tier=case.tier,
        to_tier=case.tier,
        region_id=case.region_id,
        note=note,
        data=data or {},
    )
