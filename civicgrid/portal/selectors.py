"""Reads for residents and the public: public categories, a case as a resident may see it (state, tier,
handling unit, due time, public timeline — never staff names, notes or anyone's personal data),
duplicate candidates, the grid map, and the public statistics (aggregates only).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseStage,
    Category,
    CategoryKind,
    Satisfaction,
    State,
    Tier,
)
from civicgrid.portal.models import PortalSettings, TrackingCode
from civicgrid.portal.services import code_hash, normalise_code
from civicgrid.portal.text import similarity
from civicgrid.regions.models import Level, Region

EARTH_RADIUS_M = 6_371_000.0


# --- categories -------------------------------------------------------------------------------


def public_categories(query: str = "") -> QuerySet[Category]:
    """Active categories residents may choose, optionally filtered by a search text (name, code, description)."""
    # A group with active children is a heading, not something to report.
    qs = (
        Category.objects.filter(is_public=True, is_active=True)
        .exclude(kind=CategoryKind.DISPUTE)
        .exclude(children__is_active=True)
        .distinct()
    )
    query = query.strip()[:50]
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(code__iexact=query) | Q(description__icontains=query))
    return qs.select_related("parent").order_by("sort_order", "code")


def public_category(code: str) -> Category | None:
    return public_categories().filter(code=code).first()


def category_questions(category: Category) -> list[dict[str, Any]]:
    """The category's extra questions, normalised: code, label, datatype, required, values [{key, name}]."""
    result = []
    raw = category.extra_questions if isinstance(category.extra_questions, list) else []
    for item in raw:
        if not isinstance(item, dict) or not item.get("code"):
            continue
        values = []
        for value in item.get("values") or []:
            if isinstance(value, dict):
                key = str(value.get("key", value.get("value", "")))
                values.append({"key": key, "name": str(value.get("name", value.get("label", key)))})
            else:
                values.append({"key": str(value), "name": str(value)})
        result.append(
            {
                "code": str(item["code"]),
                "label": str(item.get("label") or item.get("description") or item["code"]),
                "datatype": str(item.get("datatype") or "string"),
                "required": bool(item.get("required", False)),
                "values": values,
            }
        )
    return result


# --- tracking ---------------------------------------------------------------------------------


def tracking_lookup(code: str) -> tuple[TrackingCode, Case] | None:
    """The tracking row and the case to show: a merged case shows the case it was merged into."""
    if len(normalise_code(code)) < 8:
        return None
    row = TrackingCode.objects.filter(code_hash=code_hash(code)).select_related("case").first()
    if row is None:
        return None
    case = row.case
    seen = {case.pk}
    while case.merged_into_id is not None and case.merged_into_id not in seen:
        seen.add(case.merged_into_id)
        case = Case.objects.get(pk=case.merged_into_id)
    return row, case


@dataclass
class PublicEvent:
    at: dt.datetime
    label: str
    detail: str = ""


@dataclass
class PublicCase:
    number: str
    title: str
    category: str
    state: str
    state_label: str
    status: str  # "open" | "closed" (Open311)
    tier_label: str
    handler: str
    due_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    satisfaction_label: str
    can_rate: bool
    can_add_info: bool
    can_escalate: bool
    merged_from: str = ""
    timeline: list[PublicEvent] = field(default_factory=list)


def handler_name(case: Case) -> str:
    """Who handles the case, as the public may know it: the lead unit, else the center (never a person)."""
    if case.lead_unit_id is not None and case.effective_state in {
        State.DISPATCHED,
        State.SIGNED,
        State.HANDLED,
    }:
        return case.lead_unit.name if case.lead_unit else ""
    return center_name(case.region)


def center_name(region: Region | None) -> str:
    if region is None:
        return ""
    center = getattr(region, "center", None)
    if center is not None:
        return str(center.name)
    return _("%(region)s综治中心") % {"region": region.name}


def status_of(case: Case) -> str:
    return "open" if case.state in OPEN_STATES else "closed"


# Timeline actions a resident may see, with their public wording; every other action is internal.
def _public_labels() -> dict[str, str]:
    return {
        "create": _("收到上报"),
        "accept": _("已受理"),
        "register": _("已立案"),
        "reject": _("不予立案"),
        "merge": _("与同一问题的其他事件合并办理"),
        "merged_in": _("合并了同一问题的其他上报"),
        "dispatch": _("已派遣至办理部门"),
        "sign_for": _("办理部门已签收"),
        "handle": _("办理部门已处置"),
        "verify_pass": _("现场核查通过"),
        "verify_fail": _("现场核查未通过，重新处置"),
        "close": _("已办结"),
        "follow_up": _("已回访"),
        "reopen": _("群众不满意，重新办理"),
        "suspend": _("暂停计时（等待外部结果）"),
        "resume": _("恢复办理"),
        "escalate": _("提级办理"),
        "auto_escalate": _("超时提级办理"),
        # A dispute's risk signals are internal; the resident sees that it moved up, not why.
        "risk_escalate": _("提级办理"),
        "deescalate": _("交下级办理"),
        "escalation_request": _("群众申请提级：已记录并转交"),
        "info_added": _("群众补充了信息"),
        "reporter_added": _("又有群众反映了同一问题"),
    }


PUBLIC_ACTIONS = (
    "create", "accept", "register", "reject", "merge", "merged_in", "dispatch", "sign_for", "handle",
    "verify_pass", "verify_fail", "close", "follow_up", "reopen", "suspend", "resume", "escalate",
    "auto_escalate", "risk_escalate", "deescalate", "escalation_request", "info_added", "reporter_added",
)  # fmt: skip


def public_label(event: CaseEvent) -> str | None:
    return _public_labels().get(event.action)


def event_detail(event: CaseEvent) -> str:
    """The tier when the case arrives or moves between tiers; the unit when a unit acts. Never a person."""
    parts = []
    moves = {"create", "escalate", "auto_escalate", "risk_escalate", "deescalate", "escalation_request"}
    if event.action in moves and event.to_tier:
        parts.append(str(Tier(event.to_tier).label))
        if event.region_id is not None and event.region is not None:
            parts.append(center_name(event.region))
    elif event.action in {"dispatch", "sign_for", "handle"} and event.unit_id is not None and event.unit is not None:
        parts.append(event.unit.name)
    return " · ".join(parts)


def public_timeline(case: Case) -> list[PublicEvent]:
    events = (
        CaseEvent.objects.filter(case=case, action__in=PUBLIC_ACTIONS)
        .select_related("unit", "region__center")
        .order_by("at", "id")
    )
    result = []
    for event in events:
        label = public_label(event)
        if label:
            result.append(PublicEvent(at=event.at, label=label, detail=event_detail(event)))
    return result


def public_case(case: Case) -> PublicCase:
    case = Case.objects.select_related("category", "lead_unit", "region__center").get(pk=case.pk)
    merged_numbers = list(Case.objects.filter(merged_into=case).values_list("number", flat=True)[:20])
    return PublicCase(
        number=case.number,
        title=case.title,
        category=case.category.name,
        state=case.state,
        state_label=str(State(case.state).label),
        status=status_of(case),
        tier_label=str(Tier(case.tier).label) if case.tier in Tier.values else "",
        handler=handler_name(case),
        due_at=case.stage_due_at if case.state in OPEN_STATES else None,
        created_at=case.created_at,
        updated_at=case.updated_at,
        closed_at=case.closed_at,
        satisfaction_label=str(Satisfaction(case.satisfaction).label) if case.satisfaction else "",
        can_rate=case.state == State.CLOSED,
        can_add_info=case.state in OPEN_STATES,
        can_escalate=case.state not in {State.REJECTED, State.MERGED},
        merged_from=", ".join(merged_numbers),
        timeline=public_timeline(case),
    )


# --- duplicates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    case: Case
    distance_m: float | None
    text_similarity: float

    @property
    def score(self) -> float:
        """Higher is likelier: similar wording counts, nearness breaks ties."""
        nearness = 0.0 if self.distance_m is None else 1.0 / (1.0 + self.distance_m / 50.0)
        return self.text_similarity + 0.5 * nearness


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def duplicate_candidates(
    *,
    category: Category,
    lon: float | None,
    lat: float | None,
    text: str = "",
    exclude: Iterable[int] = (),
    now: dt.datetime | None = None,
    limit: int | None = None,
) -> list[Candidate]:
    """Open cases of the same category reported within the window, within the radius of the point (or, with
    no point, with similar wording), best first. Radius, window and threshold are PortalSettings rows."""
    knobs = PortalSettings.current()
    now = now or timezone.now()
    since = now - dt.timedelta(days=knobs.duplicate_window_days)
    qs = Case.objects.filter(
        category=category, state__in=OPEN_STATES, created_at__gte=since, created_at__lte=now
    ).exclude(pk__in=list(exclude))
    found: list[Candidate] = []
    if lon is not None and lat is not None:
        radius = float(knobs.duplicate_radius_m)
        dlat = radius / 111_000.0
        dlon = radius / (111_000.0 * max(0.01, math.cos(math.radians(lat))))
        box = qs.filter(lat__range=(lat - dlat, lat + dlat), lon__range=(lon - dlon, lon + dlon))
        for case in box.order_by("-created_at")[:200]:
            if case.lon is None or case.lat is None:
                continue
            metres = distance_m(lon, lat, case.lon, case.lat)
            if metres <= radius:
                wording = similarity(text, f"{case.title} {case.description}") if text else 0.0
                found.append(Candidate(case=case, distance_m=metres, text_similarity=wording))
    elif text.strip():
        for case in qs.order_by("-created_at")[:300]:
            wording = similarity(text, f"{case.title} {case.description}")
            if wording >= knobs.duplicate_min_similarity:
                found.append(Candidate(case=case, distance_m=None, text_similarity=wording))
    found.sort(key=lambda c: (-c.score, -c.case.created_at.timestamp()))
    return found[: limit or knobs.duplicate_max_candidates]


# --- the grid map -----------------------------------------------------------------------------


def grid_geojson(*, tolerance: float = 0.0002) -> dict[str, Any]:
    """Grid polygons (simplified) and town outlines as GeoJSON, the portal map's base layer. Cached."""
    stamp = Region.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    key = f"portal:grids:{stamp.isoformat() if stamp else 'none'}:{tolerance}"
    cached = cache.get(key)
    if cached is not None:
        return json.loads(cached)
    features = []
    rows = Region.objects.filter(level__in=[Level.TOWN, Level.GRID], geometry__isnull=False).only(
        "code", "name", "level", "geometry"
    )
    for region in rows.iterator(chunk_size=500):
        shape = region.shape
        if shape is None:
            continue
        simple = shapely.simplify(shape, tolerance, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "properties": {"code": region.code, "name": region.name, "level": region.level},
                "geometry": shapely.geometry.mapping(simple),
            }
        )
    data = {"type": "FeatureCollection", "features": features}
    cache.set(key, json.dumps(data), 600)
    return data


# --- public statistics ------------------------------------------------------------------------


def _months_back(now: dt.datetime, months: int) -> dt.datetime:
    local = timezone.localtime(now)
    year, month = local.year, local.month - (months - 1)
    while month <= 0:
        month += 12
        year -= 1
    return local.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def public_stats(
    *, months: int = 12, town: str = "", category: str = "", now: dt.datetime | None = None
) -> dict[str, Any]:
    """Monthly aggregates (received, closed, closed on time, satisfaction) overall, by town and by category.

    Only counts leave here. Merged duplicates are not counted as received (the surviving case is).
    """
    months = max(1, min(36, months))
    now = now or timezone.now()
    since = _months_back(now, months)
    base = Case.objects.exclude(state=State.MERGED)
    if town:
        base = base.filter(town__code=town)
    if category:
        base = base.filter(Q(category__code=category) | Q(category__parent__code=category))

    late = CaseStage.objects.filter(case=OuterRef("pk"), on_time=False)
    received = (
        base.filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"))
    )
    closed = (
        base.filter(closed_at__gte=since)
        .annotate(month=TruncMonth("closed_at"), late=Exists(late))
        .values("month", "late")
        .annotate(n=Count("id"))
    )
    rated = (
        base.filter(closed_at__gte=since)
        .exclude(satisfaction="")
        .annotate(month=TruncMonth("closed_at"))
        .values("month", "satisfaction")
        .annotate(n=Count("id"))
    )
    labels = []
    cursor = since
    for _i in range(months):
        labels.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    index = {label: i for i, label in enumerate(labels)}

    def _slot(value: Any) -> int | None:
        if value is None:
            return None
        return index.get(
            timezone.localtime(value).strftime("%Y-%m") if timezone.is_aware(value) else value.strftime("%Y-%m")
        )

    series: dict[str, list[int]] = {k: [0] * months for k in ("received", "closed", "on_time", "rated", "satisfied")}
    for row in received:
        slot = _slot(row["month"])
        if slot is not None:
            series["received"][slot] += row["n"]
    for row in closed:
        slot = _slot(row["month"])
        if slot is not None:
            series["closed"][slot] += row["n"]
            if not row["late"]:
                series["on_time"][slot] += row["n"]
    for row in rated:
        slot = _slot(row["month"])
        if slot is not None:
            series["rated"][slot] += row["n"]
            if row["satisfaction"] in (Satisfaction.SATISFIED, Satisfaction.BASICALLY):
                series["satisfied"][slot] += row["n"]

    def _by(field_code: str, field_name: str) -> list[dict[str, Any]]:
        counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"received": 0, "closed": 0})
        for row in base.filter(created_at__gte=since).values(field_code, field_name).annotate(n=Count("id")):
            counts[(row[field_code] or "", row[field_name] or _("未定位"))]["received"] += row["n"]
        for row in base.filter(closed_at__gte=since).values(field_code, field_name).annotate(n=Count("id")):
            counts[(row[field_code] or "", row[field_name] or _("未定位"))]["closed"] += row["n"]
        return [
            {"code": code, "name": name, **values}
            for (code, name), values in sorted(counts.items(), key=lambda item: -item[1]["received"])
        ]

    totals = {key: sum(values) for key, values in series.items()}
    return {
        "months": labels,
        "series": series,
        "totals": totals,
        "on_time_rate": round(totals["on_time"] / totals["closed"], 4) if totals["closed"] else None,
        "satisfaction_rate": round(totals["satisfied"] / totals["rated"], 4) if totals["rated"] else None,
        "by_town": _by("town__code", "town__name"),
        "by_category": _by("category__code", "category__name"),
    }


def stats_filters() -> dict[str, list[dict[str, str]]]:
    towns = Region.objects.filter(level=Level.TOWN).order_by("code").values("code", "name")
    categories = Category.objects.filter(is_active=True, parent__isnull=True).order_by("sort_order", "code")
    return {
        "towns": [{"code": t["code"], "name": t["name"]} for t in towns],
        "categories": [{"code": c.code, "name": c.name} for c in categories],
    }
