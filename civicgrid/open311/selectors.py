"""GeoReport v2 documents built from civicgrid data: services from public categories, requests from cases
(status mapped to open/closed), updates from the public part of the timeline.

Requests listed publicly are the cases of public categories that came in through a public or staff
channel meant to be published (portal, Open311, grid patrol, sensors). Hotline calls and walk-ins are
not listed: callers did not publish their words. Reporter data never leaves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicgrid.cases.models import OPEN_STATES, Case, CaseEvent, Category, Channel, State
from civicgrid.open311.formats import Open311Error
from civicgrid.open311.parsing import RequestFilters
from civicgrid.portal import selectors as public
from civicgrid.portal.text import keywords

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API's shape last changed (discovery's changeset).
API_CHANGESET = dt.datetime(2025, 11, 28, tzinfo=dt.UTC)
LISTED_CHANNELS = (Channel.RESIDENT, Channel.OPEN311, Channel.GRID_PATROL, Channel.SENSOR)
DATATYPE_DESCRIPTIONS = {
    "string": "",
    "text": "",
    "number": gettext_noop("数字"),
    "datetime": gettext_noop("ISO 8601 时间，如 2025-03-04T10:22:00+08:00；不带时区按北京时间"),
    "singlevaluelist": "",
    "multivaluelist": "",
}


def _description(text: str) -> str:
    """A datatype description in the request's language (the table holds the Chinese source)."""
    return _(text) if text else ""


def discovery(base_url: str, *, contact: str, key_service: str) -> dict[str, Any]:
    return {
        "changeset": API_CHANGESET,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": API_CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service_list() -> list[dict[str, Any]]:
    result = []
    for category in public.public_categories():
        result.append(
            {
                "service_code": category.code,
                "service_name": category.name,
                "description": category.description,
                "metadata": bool(public.category_questions(category)),
                "type": "realtime",
                "keywords": ", ".join(keywords(f"{category.name} {category.description}")),
                "group": category.parent.name
                if category.parent_id and category.parent
                else category.get_kind_display(),
            }
        )
    return result


def service_definition(code: str) -> dict[str, Any]:
    category = public.public_category(code)
    if category is None:
        raise Open311Error(404, _("service_code %(code)s 不存在。") % {"code": code[:64]})
    attributes = []
    for order, question in enumerate(public.category_questions(category), start=1):
        datatype = question["datatype"]
        attribute: dict[str, Any] = {
            "variable": True,
            "code": question["code"],
            "datatype": datatype,
            "required": question["required"],
            "datatype_description": _description(DATATYPE_DESCRIPTIONS.get(datatype, "")),
            "order": order,
            "description": question["label"],
        }
        if datatype in {"singlevaluelist", "multivaluelist"}:
            attribute["values"] = question["values"]
        attributes.append(attribute)
    return {"service_code": category.code, "attributes": attributes}


def listed_cases() -> QuerySet[Case]:
    return (
        Case.objects.filter(category__is_public=True, channel__in=LISTED_CHANNELS)
        .exclude(category__kind="dispute")
        .select_related("category", "lead_unit", "region__center", "merged_into", "open311_submission")
    )


def _status_notes(case: Case) -> str:
    label = str(State(case.state).label)
    if case.state == State.MERGED and case.merged_into is not None:
        return _("%(state)s：与 %(number)s 合并办理") % {"state": label, "number": case.merged_into.number}
    return label


def request_document(case: Case) -> dict[str, Any]:
    submission = getattr(case, "open311_submission", None)
    return {
        "service_request_id": case.number,
        "status": public.status_of(case),
        "status_notes": _status_notes(case),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description,
        "agency_responsible": public.handler_name(case),
        "service_notice": "",
        "requested_datetime": case.created_at,
        "updated_datetime": case.updated_at,
        "expected_datetime": case.stage_due_at if case.state in OPEN_STATES else None,
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lon,
        "media_url": submission.media_url if submission is not None else "",
    }


def _status_q(statuses: list[str]) -> Q:
    if not statuses or set(statuses) == {"open", "closed"}:
        return Q()
    if statuses == ["open"] or set(statuses) == {"open"}:
        return Q(state__in=OPEN_STATES)
    return ~Q(state__in=OPEN_STATES)


def requests_list(filters: RequestFilters) -> list[dict[str, Any]]:
    qs = listed_cases()
    if filters.ids is not None:
        # service_request_id overrides every other filter (the spec).
        by_number = {case.number: case for case in qs.filter(number__in=filters.ids)}
        return [request_document(by_number[n]) for n in dict.fromkeys(filters.ids) if n in by_number]
    if filters.service_codes:
        known = set(public.public_categories().filter(code__in=filters.service_codes).values_list("code", flat=True))
        unknown = [code for code in filters.service_codes if code not in known]
        if unknown:
            raise Open311Error(404, _("service_code %(code)s 不存在。") % {"code": ", ".join(unknown)[:100]})
        qs = qs.filter(category__code__in=filters.service_codes)
    qs = qs.filter(_status_q(filters.statuses), created_at__gte=filters.start, created_at__lte=filters.end)
    offset = (filters.page - 1) * filters.page_size
    page = qs.order_by("-created_at", "-id")[offset : offset + filters.page_size]
    return [request_document(case) for case in page]


def request_detail(number: str) -> dict[str, Any]:
    case = listed_cases().filter(number=number).first()
    if case is None:
        raise Open311Error(404, _("service_request_id %(id)s 不存在。") % {"id": number[:64]})
    return request_document(case)


def token_lookup(token: str) -> dict[str, Any]:
    found = public.tracking_lookup(token)
    if found is None or found[0].channel != Channel.OPEN311:
        raise Open311Error(404, _("token 不存在。"))
    row, _case = found
    return {"service_request_id": row.case.number, "token": token}


def updates_list(start: dt.datetime, end: dt.datetime, *, page: int, page_size: int) -> list[dict[str, Any]]:
    """The public timeline rows of listed cases between ``start`` and ``end`` (mySociety's extension)."""
    events = (
        CaseEvent.objects.filter(at__gte=start, at__lte=end, case__in=listed_cases())
        .filter(action__in=public.PUBLIC_ACTIONS)
        .select_related("case", "unit", "region__center")
        .order_by("at", "id")
    )
    offset = (page - 1) * page_size
    result = []
    for event in events[offset : offset + page_size]:
        label = public.public_label(event)
        if not label:
            continue
        detail = public.event_detail(event)
        state = event.to_state or event.case.state
        result.append(
            {
                "update_id": str(event.pk),
                "service_request_id": event.case.number,
                "status": "open" if state in OPEN_STATES else "closed",
                "updated_datetime": event.at,
                "description": _("%(label)s（%(detail)s）") % {"label": label, "detail": detail} if detail else label,
                "media_url": "",
            }
        )
    return result


def categories_exist() -> bool:
    return Category.objects.exists()
