"""Every call from disputes into the cases app, in one place: creating the dispute case, escalating it
with the system as actor, and appending mediation steps to the case's timeline.
"""

from __future__ import annotations

from typing import Any

from civicgrid.cases import services as case_services
from civicgrid.cases.models import Action, Case, Category, Channel
from civicgrid.people.models import User
from civicgrid.regions.models import Region

SYSTEM_NAME = case_services.SYSTEM_NAME
MEDIATION_ACTION = Action.MEDIATION
RISK_ACTION = Action.RISK
RISK_ESCALATE_ACTION = Action.RISK_ESCALATE


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
    return case_services.case_escalate_by_system(case=case, reason=reason, data=data, action=RISK_ESCALATE_ACTION)


def timeline_append(
    *, case: Case, user: User | None, action: str = MEDIATION_ACTION, note: str = "", data: dict[str, Any] | None = None
) -> None:
    """One row on the case's timeline for a mediation step (no state change)."""
    case_services.case_event_append(case=case, user=user, action=action, note=note, data=data or {})
