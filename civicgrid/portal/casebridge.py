"""The one place intake (portal, Open311, hotline) calls the cases services on behalf of residents.

Everything that changes a case goes through ``civicgrid.cases.services`` with ``user=None``: the resident
has no account, and the caller has proven their link to the case (a tracking code, an API key, a
hotline export).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case, Reporter
from civicgrid.regions.models import Region


def create_case(
    *,
    channel: str,
    category: Any,
    title: str,
    description: str,
    lon: float | None,
    lat: float | None,
    address: str,
    region: Region | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    anonymous: bool = False,
    attributes: dict[str, Any] | None = None,
    external_ref: str = "",
    attachments: Sequence[tuple[str, bytes]] = (),
    idempotency_key: str | None = None,
) -> Case:
    """A case from a public channel (no staff user behind it)."""
    return case_services.case_create(
        user=None,
        title=title,
        category=category,
        channel=channel,
        description=description,
        lon=lon,
        lat=lat,
        address=address,
        region=region,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter_email=reporter_email,
        anonymous=anonymous,
        attributes=attributes or {},
        external_ref=external_ref,
        attachments=list(attachments),
        idempotency_key=idempotency_key,
    )


def add_voice(
    *, case: Case, reporter_name: str, reporter_phone: str, reporter_email: str, anonymous: bool, channel: str
) -> Reporter:
    """Another resident on an existing open case (我也遇到/附议)."""
    return case_services.case_add_reporter(
        case=case,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter_email=reporter_email,
        anonymous=anonymous,
        channel=channel,
        user=None,
    )


def add_info(*, case: Case, text: str, attachments: Sequence[tuple[str, bytes]] = ()) -> None:
    case_services.case_add_info(case=case, text=text, attachments=list(attachments), user=None)


def escalate(*, case: Case, reason: str) -> None:
    """A resident's request to escalate: always recorded and routed (the cases service never refuses)."""
    case_services.case_escalation_request(case=case, reason=reason, user=None)


def rate(*, case: Case, satisfaction: str, note: str) -> Case:
    """The resident's rating after closure (回访); "dissatisfied" reopens the case (the cases service decides)."""
    return case_services.case_follow_up(
        user=None, case=case, expected_version=case.version, satisfaction=satisfaction, note=note
    )
