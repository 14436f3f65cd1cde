"""Every write on cases (事件办理): one keyword-only function per business action, one transaction each.

Each action: lock the case row, check permission (``authorization.require``), check the version the
caller read (``CaseConflict`` if someone acted first) and the transition table, change the state, end
and start stage runs with their working-time deadlines, append the timeline row and queue the
notifications — all in the same transaction.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import secrets
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, ParamSpec, cast
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Case as CaseWhen
from django.db.models import CharField, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civicgrid.cases import caches, fastcreate
from civicgrid.cases.attachments import clean_upload, read_limited
from civicgrid.cases.models import (
    ANNOTATION_ACTIONS,
    OPEN_STATES,
    PREVIOUS_STATE,
    PUBLIC_CHANNELS,
    STAGE_OF_STATE,
    SYSTEM_ESCALATE_ACTIONS,
    TRANSITIONS,
    Action,
    AssignmentRole,
    Attachment,
    AttachmentPurpose,
    CalendarApplied,
    Case,
    CaseAssignment,
    CaseConflict,
    CaseEvent,
    CaseSettings,
    CaseStage,
    Category,
    Channel,
    DeadlineStatus,
    EscalationRequest,
    LocationStatus,
    Priority,
    Reporter,
    Satisfaction,
    Severity,
    Stage,
    State,
    Summons,
    SummonsUnit,
    SuspensionPeriod,
    Tag,
    TimeUnit,
)
from civicgrid.core import generations
from civicgrid.people import authorization as authz
from civicgrid.people.models import Center, Role, RoleAssignment, Unit, User
from civicgrid.people.selectors import users_holding
from civicgrid.regions.models import Level, Region

if TYPE_CHECKING:
    from civicgrid.notifications.services import NotificationRows

P = ParamSpec("P")

__all__ = [
    "AttachmentUpload",
    "CaseConflict",
    "TransitionNotAllowed",
    "attachment_add",
    "case_accept",
    "case_add_info",
    "case_add_reporter",
    "case_close",
    "case_create",
    "case_deadline_sweep",
    "case_deescalate",
    "case_dispatch",
    "case_escalate",
    "case_escalate_by_system",
    "case_escalation_request",
    "case_event_append",
    "case_follow_up",
    "case_handle",
    "case_link",
    "case_merge",
    "case_register",
    "case_reject",
    "case_reopen",
    "case_resume",
    "case_sign_for",
    "case_summon",
    "case_suspend",
    "case_verify",
    "summons_late_sweep",
    "summons_report",
]

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
SYSTEM_NAME = "系统"  # actor_name of sweep rows (kept as data, shown through the Action label)
RESIDENT_NAME = "群众"

# An upload: (file name as the client sent it, bytes or a binary file object). The name is kept for
# display only; the type comes from the content.
AttachmentUpload = tuple[str, "bytes | IO[bytes]"]

_TEXT_MAX = 5000
_PHONE_RE = re.compile(r"[0-9+\-() ]{5,20}")


class TransitionNotAllowed(ValidationError):
    """The action is not allowed from the case's current state (see ``TRANSITIONS``)."""

    def __init__(self, state: str, action: str) -> None:
        super().__init__(
            _("事件当前状态为“%(state)s”，不能执行“%(action)s”。")
            % {"state": State(state).label, "action": _action_label(action)},
            code="transition_not_allowed",
        )
        self.state = state
        self.action = action


def _action_label(action: str) -> str:
    try:
        return str(Action(action).label)
    except ValueError:
        return action


def case_link(case: Case) -> str:
    """The path of the case's page on this site (used in notifications)."""
    return f"/cases/{case.number}/"


# --- small helpers --------------------------------------------------------------------------------


def _actor_name(user: User | None, default: str = SYSTEM_NAME) -> str:
    if user is None:
        return default
    return (user.get_full_name() or user.get_username())[:150]


def _text(value: str, field: str, *, required: bool = False, limit: int = _TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("此项为必填项。")}, code="required")
    if len(value) > limit:
        raise ValidationError({field: _("内容过长（最多 %(n)d 字）。") % {"n": limit}}, code="too_long")
    return value


def _center_users(region_id: int | None) -> list[User]:
    return caches.center_users(region_id)


def _unit_users(unit_ids: Iterable[int]) -> list[User]:
    return users_holding(roles=(Role.UNIT_HANDLER,), unit_ids=unit_ids)


def _grid_workers(grid_id: int | None) -> list[User]:
    return users_holding(roles=(Role.GRID_WORKER,), region_ids=[grid_id] if grid_id else [])


def _notify(
    event: str,
    case: Case,
    subject: str,
    body: str,
    *,
    recipients: Iterable[User] = (),
    exclude: User | None = None,
    emails: Iterable[str] = (),
) -> int:
    from civicgrid.notifications.services import notification_queue

    kwargs = _notification_kwargs(event, case, subject, body, recipients=recipients, exclude=exclude, emails=emails)
    return notification_queue(**kwargs) if kwargs is not None else 0


def _notification_rows(
    event: str,
    case: Case,
    subject: str,
    body: str,
    *,
    recipients: Iterable[User] = (),
    exclude: User | None = None,
    emails: Iterable[str] = (),
) -> NotificationRows | None:
    """The rows ``_notify`` would write, not written (None: nobody to tell)."""
    from civicgrid.notifications.services import notification_rows

    kwargs = _notification_kwargs(event, case, subject, body, recipients=recipients, exclude=exclude, emails=emails)
    return notification_rows(**kwargs) if kwargs is not None else None


def _notification_kwargs(
    event: str,
    case: Case,
    subject: str,
    body: str,
    *,
    recipients: Iterable[User],
    exclude: User | None,
    emails: Iterable[str],
) -> dict[str, Any] | None:
    users = [u for u in recipients if exclude is None or u.pk != exclude.pk]
    emails = [e for e in emails if e]
    if not users and not emails:
        return None
    return {
        "event": event,
        "subject": subject,
        "body": body,
        "recipients": users,
        "emails": emails,
        "link": case_link(case),
        "payload": {"case": case.number, "state": case.state, "tier": case.tier, "category": case.category.code},
    }


def _reporter_emails(case: Case) -> list[str]:
    """The addresses of everyone who reported the case (first reporter, added voices, merged duplicates)."""
    rows = Reporter.objects.filter(case_id=case.pk).exclude(email="").order_by("created_at", "id")
    return list(dict.fromkeys(rows.values_list("email", flat=True)))


def _notify_reporter(case: Case, event: str, subject: str, body: str, *, first_only: bool = False) -> None:
    """E-mail the reporters who left an address (each gets their own message); the text carries the
    number, never anyone's data. ``first_only``: only the resident who filed the case."""
    if first_only:
        email = case.reporter.email if case.reporter_id and case.reporter else ""
        emails = [email] if email else []
    else:
        emails = _reporter_emails(case)
    if emails:
        _notify(event, case, subject, body, emails=emails)


# --- regions, tiers -------------------------------------------------------------------------------


@dataclass
class _Place:
    status: str
    lon: float | None
    lat: float | None
    grid: Region | None
    village: Region | None
    town: Region | None
    city: Region


def _root_city() -> Region:
    center = Center.objects.filter(region__level=Level.CITY).select_related("region").order_by("region__code").first()
    if center is not None:
        return center.region
    city = Region.objects.filter(level=Level.CITY).order_by("code").first()
    if city is None:
        raise ValidationError(_("尚未导入行政区划，无法受理事件。"), code="no_regions")
    return city


def _place_from_chain(chain: Sequence[Region], status: str, lon: float | None, lat: float | None) -> _Place:
    by_level = {region.level: region for region in chain}
    city = by_level.get(Level.CITY) or _root_city()
    return _Place(
        status=status,
        lon=lon,
        lat=lat,
        grid=by_level.get(Level.GRID),
        village=by_level.get(Level.VILLAGE),
        town=by_level.get(Level.TOWN),
        city=city,
    )


def _locate(lon: float | None, lat: float | None, region: Region | None, crs: str) -> _Place:
    """Route the point (grid → village → town → city); else use the region given; else the city."""
    if (lon is None) != (lat is None):
        raise ValidationError(_("经度和纬度必须同时提供。"), code="coordinates")
    if lon is not None and lat is not None:
        from civicgrid.regions.routing import route_point

        result = route_point(float(lon), float(lat), crs=crs)
        if result.status != "unrouted":
            return _place_from_chain(result.regions(), result.status, result.lon, result.lat)
        lon, lat = result.lon, result.lat
        status = LocationStatus.UNROUTED
    else:
        status = LocationStatus.NONE
    if region is not None:
        return _place_from_chain([*region.ancestors(), region], status, lon, lat)
    return _place_from_chain([], status, lon, lat)


def _county_code(place: _Place) -> str:
    """The county part of case numbers: the first six digits of the city's code."""
    return place.city.code[:6]


def _area_code(place: _Place) -> str:
    return next(r.code for r in (place.grid, place.village, place.town, place.city) if r is not None)


def _centers(regions: Iterable[Region | None]) -> set[int]:
    """Which of these regions have a center."""
    with_center = caches.center_region_ids()
    return {r.pk for r in regions if r is not None and r.pk in with_center}


def _tier_chain(case: Case, centers: set[int] | None = None) -> list[Region]:
    """The case's center-bearing tiers, top down: city, town, village (those it has). ``centers``: the
    ids of those of them with a center, when the caller has just looked them up."""
    regions = [r for r in (case.city, case.town, case.village) if r is not None]
    with_center = _centers(regions) if centers is None else centers
    return [r for r in regions if r.pk in with_center]


def _tier_above(case: Case, centers: set[int] | None = None) -> Region | None:
    above = [r for r in _tier_chain(case, centers) if r.level < case.tier]
    return above[-1] if above else None


def _tier_below(case: Case, centers: set[int] | None = None) -> Region | None:
    below = [r for r in _tier_chain(case, centers) if r.level > case.tier]
    return below[0] if below else None


def _initial_tier_region(place: _Place, default_tier: int, with_center: set[int]) -> Region:
    chain = [r for r in (place.city, place.town, place.village) if r is not None]
    for region in reversed(chain):
        if region.level <= default_tier and region.pk in with_center:
            return region
    for region in chain:
        if region.pk in with_center:
            return region
    raise ValidationError(_("事发地没有可受理事件的综治中心。"), code="no_center")


# --- numbers --------------------------------------------------------------------------------------


def _next_number(county_code: str, now: datetime) -> str:
    """``<county>-<local date>-<sequence>``. Numbers are unique, not necessarily gapless: on the ORM path
    ``case_create`` draws one in a statement of its own before its transaction (see there), so a creation
    that fails afterwards leaves its number unused (the one-statement path draws it in that statement)."""
    day = now.astimezone(LOCAL_TZ).date()
    with connection.cursor() as cursor:
        cursor.execute(fastcreate.counter_bump_sql(), [county_code, connection.ops.adapt_datefield_value(day)])
        row = cursor.fetchone()
    return f"{fastcreate.number_prefix(county_code, day)}{int(row[0]):05d}"


# --- stages and deadlines -------------------------------------------------------------------------


def _due(start: datetime, amount: Decimal, unit: str, excluded: Sequence[tuple[datetime, datetime]] = ()) -> Any:
    from civicgrid.workcalendar.working_time import due_after

    if unit == TimeUnit.DAYS:
        return due_after(start, working_days=max(1, int(amount)), excluded=excluded)
    return due_after(start, working_hours=float(amount), excluded=excluded)


Periods = list[tuple[datetime, datetime]]


def _finished_suspensions(case_ids: Iterable[int]) -> dict[int, Periods]:
    """The finished suspensions of these cases, in order (one query)."""
    periods: dict[int, Periods] = defaultdict(list)
    rows = SuspensionPeriod.objects.filter(case_id__in=list(case_ids), ended_at__isnull=False)
    for case_id, started, ended in rows.order_by("started_at").values_list("case_id", "started_at", "ended_at"):
        if ended is not None:
            periods[case_id].append((started, ended))
    return periods


def _ending_after(periods: Periods, since: datetime) -> Periods:
    return [(started, ended) for started, ended in periods if ended > since]


def _suspensions(case: Case, since: datetime) -> Periods:
    """The case's finished suspensions that end after ``since``: the time its running stage did not count."""
    return _ending_after(_finished_suspensions([case.pk]).get(case.pk, []), since)


def _escalate_at(
    case: Case, due_at: datetime, settings: CaseSettings, centers: set[int] | None = None
) -> datetime | None:
    from civicgrid.workcalendar.working_time import due_after

    if not settings.auto_escalate or "escalate" not in TRANSITIONS[case.state]:
        return None
    if _tier_above(case, centers) is None:
        return None
    margin = float(settings.auto_escalate_margin_hours)
    return due_after(due_at, working_hours=margin).due_at if margin > 0 else due_at


def _end_stage(case: Case, now: datetime, action: str) -> None:
    from civicgrid.workcalendar.working_time import working_seconds_between

    row = CaseStage.objects.filter(case_id=case.pk, ended_at__isnull=True).order_by("-id").first()
    if row is None:
        return
    row.ended_at = now
    row.end_action = action
    row.working_seconds_spent = working_seconds_between(
        row.started_at, now, excluded=_suspensions(case, row.started_at)
    )
    row.on_time = row.due_at is None or now <= row.due_at
    row.warned = row.warn_at is not None and now >= row.warn_at
    row.overdue = not row.on_time
    row.save()


def _clear_clock(case: Case) -> None:
    case.stage = ""
    case.stage_started_at = case.stage_warn_at = case.stage_due_at = case.stage_escalate_at = None
    case.deadline_status = DeadlineStatus.OK
    case.next_check_at = None


def _start_stage(case: Case, now: datetime, settings: CaseSettings) -> None:
    row = _plan_stage(case, now, settings)
    if row is not None:
        row.save()


def _plan_stage(case: Case, now: datetime, settings: CaseSettings, centers: set[int] | None = None) -> CaseStage | None:
    """Set the clock of the stage the case's state belongs to (or clear it); return the stage run's row,
    not yet saved (a new case saves it after its own INSERT)."""
    from civicgrid.workcalendar.working_time import share_point, working_seconds_between

    stage = STAGE_OF_STATE[case.state]
    if stage is None:
        _clear_clock(case)
        return None
    amount, unit = case.category.limit(stage)
    due = _due(now, amount, unit)
    warn_at = share_point(now, due.due_at, float(settings.warn_share))
    escalate_at = _escalate_at(case, due.due_at, settings, centers)
    row = CaseStage(
        case=case,
        stage=stage,
        tier=case.tier,
        region=case.region,
        unit=case.lead_unit if stage in {Stage.SIGN_FOR, Stage.HANDLE} else None,
        started_at=now,
        limit_amount=amount,
        limit_unit=unit,
        warn_at=warn_at,
        due_at=due.due_at,
        escalate_at=escalate_at,
        working_seconds_allowed=working_seconds_between(now, due.due_at),
        estimated=due.estimated,
    )
    case.stage = stage
    case.stage_started_at = now
    case.stage_warn_at = warn_at
    case.stage_due_at = due.due_at
    case.stage_escalate_at = escalate_at
    case.deadline_status = DeadlineStatus.OK
    case.next_check_at = warn_at
    return row


def _next_check(case: Case) -> datetime | None:
    """The next threshold the sweep must look at for the running stage (past ones included)."""
    if case.state == State.SUSPENDED or case.stage_due_at is None:
        return None
    if case.deadline_status == DeadlineStatus.OK:
        return case.stage_warn_at
    if case.deadline_status == DeadlineStatus.YELLOW:
        return case.stage_due_at
    return case.stage_escalate_at


@dataclass(frozen=True)
class _Before:
    state: str
    tier: int
    stage: str
    region_id: int


def _snapshot(case: Case) -> _Before:
    return _Before(state=case.state, tier=case.tier, stage=case.stage, region_id=case.region_id)


def _finish(
    case: Case,
    before: _Before,
    *,
    action: str,
    user: User | None,
    now: datetime,
    actor_name: str = "",
    note: str = "",
    unit: Unit | None = None,
    data: dict[str, Any] | None = None,
    restart: bool = False,
    bump: bool = True,
) -> CaseEvent:
    """Stage bookkeeping, version bump, save, and the timeline row — the tail of every transition."""
    if case.state != State.SUSPENDED and before.state != State.SUSPENDED:
        new_stage = STAGE_OF_STATE[case.state] or ""
        if restart or new_stage != before.stage or case.tier != before.tier or case.region_id != before.region_id:
            _end_stage(case, now, action)
            _start_stage(case, now, caches.case_settings())
    if bump:
        case.version += 1
    case.updated_at = now
    case.save()
    return CaseEvent.objects.create(
        case=case,
        at=now,
        actor=user,
        actor_name=actor_name or _actor_name(user),
        action=action,
        from_state=before.state,
        to_state=case.state,
        from_tier=before.tier,
        to_tier=case.tier,
        region_id=case.region_id,
        unit=unit,
        note=note,
        data=data or {},
    )


def _lock(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return Case.objects.select_for_update().get(pk=pk)


def _begin(user: User, case: Case, permission: str, expected_version: int | None, action: str | None) -> Case:
    """Lock the row, then: permission, version, transition — in that order."""
    locked = _lock(case)
    authz.require(user, f"case.{permission}", locked)
    if expected_version is not None and locked.version != expected_version:
        raise CaseConflict(current_version=locked.version)
    if action is not None and action not in TRANSITIONS[locked.state]:
        raise TransitionNotAllowed(locked.state, action)
    return locked


def _begin_public(case: Case, expected_version: int | None, action: str | None) -> Case:
    """``_begin`` for a resident's own action (no staff user): the caller (the public portal, the hotline)
    has proven the resident's link to the case, e.g. with its tracking code. Lock, version, transition."""
    locked = _lock(case)
    if expected_version is not None and locked.version != expected_version:
        raise CaseConflict(current_version=locked.version)
    if action is not None and action not in TRANSITIONS[locked.state]:
        raise TransitionNotAllowed(locked.state, action)
    return locked


def _take_ownership(case: Case, user: User) -> None:
    if case.owner_id is None:
        case.owner = user


def _withdraw_units(case: Case, now: datetime) -> list[int]:
    """End the active dispatches (escalation, reopening); returns the units that lost the case."""
    active = CaseAssignment.objects.filter(case_id=case.pk, active=True)
    unit_ids = list(active.values_list("unit_id", flat=True))
    active.update(active=False, ended_at=now)
    case.lead_unit = None
    return unit_ids


# --- attachments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PreparedFile:
    content: bytes
    content_type: str
    extension: str
    original_name: str


def _prepare(uploads: Sequence[AttachmentUpload], settings: CaseSettings, *, existing: int = 0) -> list[_PreparedFile]:
    """Read, sniff, size-check and clean every upload before anything is written."""
    if existing + len(uploads) > settings.attachment_max_per_case:
        raise ValidationError(
            _("附件数量超过上限（每个事件最多 %(n)d 个）。") % {"n": settings.attachment_max_per_case},
            code="attachment_count",
        )
    prepared = []
    for name, source in uploads:
        data = read_limited(source, settings.attachment_max_bytes)
        clean = clean_upload(data, max_pixels=settings.attachment_max_pixels)
        prepared.append(
            _PreparedFile(
                content=clean.content,
                content_type=clean.content_type,
                extension=clean.extension,
                original_name=str(name or "")[-200:],
            )
        )
    return prepared


def _store(
    case: Case, files: Sequence[_PreparedFile], *, user: User | None, purpose: str, now: datetime, written: list[str]
) -> list[Attachment]:
    rows = []
    for item in files:
        row = Attachment(
            case=case,
            content_type=item.content_type,
            size=len(item.content),
            sha256=hashlib.sha256(item.content).hexdigest(),
            original_name=item.original_name,
            purpose=purpose,
            uploaded_at=now,
            uploaded_by=user,
        )
        row.file.save(f"{uuid.uuid4().hex}.{item.extension}", ContentFile(item.content), save=False)
        written.append(row.file.name)
        row.save()
        rows.append(row)
    return rows


def _discard(written: list[str]) -> None:
    """Remove files written by a transaction that is rolling back."""
    storage = Attachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    for name in written:
        storage.delete(name)


# --- creating -------------------------------------------------------------------------------------


def _validate_attributes(category: Category, attributes: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(attributes, dict):
        raise ValidationError({"attributes": _("附加信息格式不正确。")})
    for question in category.extra_questions or []:
        code = question.get("code")
        value = attributes.get(code)
        if question.get("required") and value in (None, "", []):
            raise ValidationError({"attributes": _("请回答：%(label)s") % {"label": question.get("label", code)}})
        allowed = {str(v.get("key")) for v in question.get("values") or [] if isinstance(v, dict)}
        if value not in (None, "", []) and allowed:
            values = value if isinstance(value, list) else [value]
            if any(str(v) not in allowed for v in values):
                raise ValidationError({"attributes": _("“%(label)s”的选项无效。") % {"label": question.get("label")}})
    return attributes


def _resolve_category(category: Category | str | int) -> Category:
    if isinstance(category, Category):
        row: Category | None = category
    else:
        row = caches.category(category)
    if row is None or not row.is_active:
        raise ValidationError({"category": _("事件分类不存在或已停用。")}, code="unknown_category")
    return row


def _reporter(name: str, phone: str, email: str, anonymous: bool) -> Reporter | None:
    name, phone, email = (name or "").strip(), (phone or "").strip(), (email or "").strip()
    if anonymous:
        name = phone = ""  # an anonymous reporter keeps only an address for progress mails
    if len(name) > 100:
        raise ValidationError({"reporter_name": _("姓名过长。")})
    if phone and not _PHONE_RE.fullmatch(phone):
        raise ValidationError({"reporter_phone": _("电话号码格式不正确。")}, code="phone")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"reporter_email": _("电子邮箱格式不正确。")}, code="email") from exc
    if not (name or phone or email or anonymous):
        return None
    return Reporter(name=name, phone=phone, email=email, anonymous=anonymous)


# How far ahead of this server's clock a reported time may be (another system's clock drift).
_CLOCK_SKEW = timedelta(minutes=5)


def _reported_at(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise ValidationError({"reported_at": _("上报时间必须是带时区的时间。")}, code="reported_at")
    now = timezone.now()
    if value > now + _CLOCK_SKEW:
        raise ValidationError({"reported_at": _("上报时间不能晚于当前时间。")}, code="reported_at")
    return min(value, now)


# Stands for the number of a case being created in one statement (fastcreate), which draws the number:
# random per process, so that no text a resident types can contain it.
_NUMBER_SLOT = "{number-" + secrets.token_hex(8) + "}"

_KEY_SQL = f'SELECT id FROM "{Case._meta.db_table}" WHERE idempotency_key = %s'  # noqa: S608 -- metadata


def _case_with_key(key: str) -> Case | None:
    """The case created with this idempotency key, if any. The question is plain SQL (usually nothing is
    found); the ORM only loads the rare hit."""
    with connection.cursor() as cursor:
        cursor.execute(_KEY_SQL, [key])
        row = cursor.fetchone()
    return None if row is None else Case.objects.get(pk=row[0])


def _one_statement(tags: Sequence[Any], files: Sequence[Any]) -> bool:
    """Whether a new case is written in one statement (``fastcreate``): on PostgreSQL, without tags or files."""
    return fastcreate.supported() and not tags and not files


class _StaleCache(Exception):
    """The one-statement creation failed on a row that the caches still had: try again on fresh data."""


_retrying: ContextVar[bool] = ContextVar("civicgrid_case_create_retrying", default=False)


def _retry_on_stale_cache(func: Callable[P, Case]) -> Callable[P, Case]:
    """Run ``func`` again, once, on fresh caches when it raises ``_StaleCache``."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Case:
        try:
            return func(*args, **kwargs)
        except _StaleCache:
            generations.clear()
            token = _retrying.set(True)
            try:
                return func(*args, **kwargs)
            finally:
                _retrying.reset(token)

    return wrapper


@_retry_on_stale_cache
def case_create(
    *,
    user: User | None,
    title: str,
    category: Category | str | int,
    channel: str,
    description: str = "",
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    address: str = "",
    region: Region | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    anonymous: bool = False,
    priority: int | None = None,
    tags: Sequence[str] = (),
    attributes: dict[str, Any] | None = None,
    external_ref: str = "",
    attachments: Sequence[AttachmentUpload] = (),
    idempotency_key: str | None = None,
    reported_at: datetime | None = None,
) -> Case:
    """Take in a case (上报). ``user`` None means a public channel (resident, hotline link, Open311, sensor).

    The point is routed to its grid; the case lands in the queue of the center at the category's default
    tier (the nearest tier above that has a center), or the city center when unrouted. The same
    ``idempotency_key`` twice returns the first case, marked ``replayed`` (True; a new case has False),
    also when two requests with the same new key race.

    ``reported_at`` is when the resident actually reported it, if that was earlier (e.g. the time the
    12345 hotline took the call): it becomes ``created_at`` and the time of the timeline's first row.
    The clock of the first stage still starts now, when the case reaches this system; the number is
    drawn for today.

    The one-statement path runs on what the request's caches say (the category, the center staff,
    webhook endpoints); if a row was deleted by another process in the meantime, the statement fails on
    its foreign key with nothing written, and the creation is tried once more on fresh data (which then
    succeeds, or refuses the input with a clear message).
    """
    key = (idempotency_key or "").strip() or None
    if key is not None:
        if len(key) > 100:
            raise ValidationError({"idempotency_key": _("幂等键过长。")})
        # A case that will be written in one statement needs no question first: the unique key refuses a
        # second insert with nothing written, and the first case is answered below (one round trip less
        # on every intake; a replay is checked like a new request before that).
        existing = None if _one_statement(tags, attachments) else _case_with_key(key)
        if existing is not None:
            existing.replayed = True
            return existing
    if user is not None:
        authz.require(user, "case.create")
    if channel not in Channel.values:
        raise ValidationError({"channel": _("来源渠道无效。")}, code="channel")
    row = _resolve_category(category)
    if user is None:
        if channel not in PUBLIC_CHANNELS:
            raise ValidationError({"channel": _("此渠道须由工作人员录入。")}, code="channel")
        if channel in {Channel.RESIDENT, Channel.OPEN311} and not row.is_public:
            raise ValidationError({"category": _("事件分类不存在或已停用。")}, code="unknown_category")
    if priority is None:
        by_severity: dict[str, int] = {Severity.CRITICAL: Priority.URGENT, Severity.HIGH: Priority.HIGH}
        priority = by_severity.get(row.severity, Priority.NORMAL)
    if priority not in Priority.values:
        raise ValidationError({"priority": _("优先级无效。")})
    title = _text(title, "title", required=True, limit=200)
    description = _text(description, "description")
    address = _text(address, "address", limit=200)
    external_ref = _text(external_ref, "external_ref", limit=64)
    tag_names = sorted({t.strip() for t in tags if t and t.strip()})
    if any(len(t) > 40 for t in tag_names):
        raise ValidationError({"tags": _("标签过长（最多 40 字）。")})
    attributes = _validate_attributes(row, attributes or {})
    reported_at = _reported_at(reported_at)
    reporter = _reporter(reporter_name, reporter_phone, reporter_email, anonymous)
    place = _locate(lon, lat, region, crs)
    centers = _centers((place.city, place.town, place.village))
    tier_region = _initial_tier_region(place, row.default_tier, centers)
    settings = caches.case_settings()
    files = _prepare(attachments, settings)
    recipients = _center_users(tier_region.pk)  # a read: kept out of the transaction below

    # Every creation in a county on one day bumps the same counter row. Bumped inside the creating
    # transaction, that row stays locked until the commit and serialises all intake; drawn in its own
    # autocommitted statement, it is locked for that one statement. Inside a caller's transaction there
    # is no separate statement to be had: the number is drawn there, as late as possible.
    now = timezone.now()
    # On PostgreSQL a case without tags or files is written in one statement that also draws the number.
    fast = _one_statement(tag_names, files)
    number = None if fast or connection.in_atomic_block else _next_number(_county_code(place), now)
    written: list[str] = []
    # The one statement is a transaction of its own; inside a caller's transaction it still needs a
    # savepoint, so that a duplicate key can be answered below without breaking the caller's.
    block = transaction.atomic() if not fast or connection.in_atomic_block else contextlib.nullcontext()
    try:
        with block:
            case = _create(
                now=now,
                number=number,
                recipients=recipients,
                user=user,
                title=title,
                description=description,
                category=row,
                channel=channel,
                priority=int(priority),
                place=place,
                address=address,
                tier_region=tier_region,
                reporter=reporter,
                attributes=attributes,
                external_ref=external_ref,
                key=key,
                tag_names=tag_names,
                files=files,
                written=written,
                reported_at=reported_at,
                settings=settings,
                centers=centers,
                fast=fast,
            )
    except IntegrityError:
        _discard(written)
        if key is not None:
            existing = _case_with_key(key)
            if existing is not None:  # the same key, created by a simultaneous request
                existing.replayed = True
                return existing
        if fast and not _retrying.get():
            raise _StaleCache from None
        raise
    except BaseException:
        _discard(written)
        raise
    return case


def _create(
    *,
    now: datetime,
    number: str | None,
    recipients: list[User],
    user: User | None,
    title: str,
    description: str,
    category: Category,
    channel: str,
    priority: int,
    place: _Place,
    address: str,
    tier_region: Region,
    reporter: Reporter | None,
    attributes: dict[str, Any],
    external_ref: str,
    key: str | None,
    tag_names: list[str],
    files: list[_PreparedFile],
    written: list[str],
    reported_at: datetime | None,
    settings: CaseSettings,
    centers: set[int],
    fast: bool = False,
) -> Case:
    """The writes of ``case_create``, in as few round trips as possible (intake is the busiest path).

    ``fast``: one statement on PostgreSQL (``fastcreate``), for a case without tags or files."""
    created_at = reported_at or now
    if reporter is not None:
        reporter.created_at = created_at
    case = Case(
        number=number or "",
        title=title,
        description=description,
        category=category,
        channel=channel,
        priority=priority,
        attributes=attributes,
        external_ref=external_ref,
        lon=place.lon,
        lat=place.lat,
        address=address,
        location_status=place.status,
        grid=place.grid,
        village=place.village,
        town=place.town,
        city=place.city,
        area_code=_area_code(place),
        tier=tier_region.level,
        region=tier_region,
        reporter=reporter,
        created_by=user,
        state=State.REPORTED,
        idempotency_key=key,
        created_at=created_at,
        updated_at=now,
    )
    stage_run = _plan_stage(case, now, settings, centers)
    event = CaseEvent(
        case=case,
        at=created_at,
        actor=user,
        actor_name=_actor_name(user, RESIDENT_NAME),
        action=Action.CREATE,
        from_state="",
        to_state=State.REPORTED,
        from_tier=None,
        to_tier=case.tier,
        region=tier_region,
        data={"channel": channel, "location_status": place.status, "attachments": len(files)},
    )
    subject = _("新事件待受理：%(number)s")
    body = _("%(title)s（%(category)s）") % {"title": case.title, "category": category.name}
    if fast:
        # The inbox rows carry the number, which the statement draws: written with a placeholder,
        # filled in from the RETURNING row (the texts are the same for every recipient).
        case.number = _NUMBER_SLOT
        notes = _notification_rows(
            "case.reported", case, subject % {"number": _NUMBER_SLOT}, body, recipients=recipients, exclude=user
        )
        fastcreate.create_case_rows(
            county_code=_county_code(place),
            day=now.astimezone(LOCAL_TZ).date(),
            reporter=reporter,
            case=case,
            stage=stage_run,
            event=event,
            others=[notes.inbox, notes.outbox] if notes is not None else [],
            number_slot=_NUMBER_SLOT,
        )
        return case
    else:
        if reporter is not None:
            reporter.save()
            case.reporter = reporter
        if not case.number:
            case.number = _next_number(_county_code(place), now)
        case.save()
        if stage_run is not None:
            stage_run.case = case
            stage_run.save()
        if reporter is not None:
            reporter.case = case
            reporter.save(update_fields=["case"])
        if tag_names:
            case.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tag_names])
        event.case = case
        event.save()
        _store(case, files, user=user, purpose=AttachmentPurpose.REPORT, now=now, written=written)
    _notify("case.reported", case, subject % {"number": case.number}, body, recipients=recipients, exclude=user)
    return case


# --- intake: accept, register, reject, merge ------------------------------------------------------


@transaction.atomic
def case_accept(*, user: User, case: Case, expected_version: int, note: str = "") -> Case:
    """受理: the accepting person owns the case (首问负责)."""
    note = _text(note, "note")
    case = _begin(user, case, "accept", expected_version, "accept")
    now, before = timezone.now(), _snapshot(case)
    case.state = TRANSITIONS[case.state]["accept"]
    case.owner = user
    if case.accepted_by_id is None:
        case.accepted_by, case.accepted_at = user, now
    _finish(case, before, action=Action.ACCEPT, user=user, now=now, note=note)
    return case


@transaction.atomic
def case_register(
    *, user: User, case: Case, expected_version: int, note: str = "", category: Category | str | None = None
) -> Case:
    """立案: judged actionable; the category may be corrected at the same time."""
    note = _text(note, "note")
    new_category = _resolve_category(category) if category is not None else None
    case = _begin(user, case, "register", expected_version, "register")
    now, before = timezone.now(), _snapshot(case)
    data: dict[str, Any] = {}
    if new_category is not None and new_category.pk != case.category_id:
        data["category"] = {"from": case.category.code, "to": new_category.code}
        case.category = new_category
    case.state = TRANSITIONS[case.state]["register"]
    case.registered_at = now
    _take_ownership(case, user)
    _finish(case, before, action=Action.REGISTER, user=user, now=now, note=note, data=data)
    _notify_reporter(
        case,
        "case.registered",
        _("您反映的事件已立案：%(number)s") % {"number": case.number},
        _("您反映的事件（编号 %(number)s）已立案，正在办理。") % {"number": case.number},
    )
    return case


@transaction.atomic
def case_reject(*, user: User, case: Case, expected_version: int, reason: str) -> Case:
    """不予立案, with the reason (told to the reporter)."""
    reason = _text(reason, "reason", required=True)
    case = _begin(user, case, "reject", expected_version, "reject")
    now, before = timezone.now(), _snapshot(case)
    case.state = TRANSITIONS[case.state]["reject"]
    case.reject_reason = reason
    _take_ownership(case, user)
    _finish(case, before, action=Action.REJECT, user=user, now=now, note=reason)
    _notify_reporter(
        case,
        "case.rejected",
        _("您反映的事件未予立案：%(number)s") % {"number": case.number},
        _("您反映的事件（编号 %(number)s）未予立案，理由：%(reason)s") % {"number": case.number, "reason": reason},
    )
    return case


@transaction.atomic
def case_merge(*, user: User, case: Case, expected_version: int, into: Case, note: str = "") -> Case:
    """Merge a duplicate into another case; both timelines record it. The duplicate's reporters (as
    joined reporters) and attachments move to the surviving case, and each reporter is told by e-mail."""
    note = _text(note, "note")
    if into.pk < case.pk:  # lock both rows in id order: two opposite merges cannot deadlock
        _lock(into)
    case = _begin(user, case, "merge", expected_version, "merge")
    target = _lock(into)
    if target.pk == case.pk:
        raise ValidationError({"into": _("不能合并到自身。")}, code="merge_self")
    if target.state in {State.MERGED, State.REJECTED}:
        raise ValidationError({"into": _("目标事件已合并或不予立案。")}, code="merge_target")
    if not authz.can(user, "case.view", target):
        raise ValidationError({"into": _("目标事件不存在。")}, code="merge_target")
    now, before = timezone.now(), _snapshot(case)
    moved_emails = _reporter_emails(case)
    reporters = Reporter.objects.filter(case_id=case.pk).update(case=target, joined=True)
    attachments = Attachment.objects.filter(case_id=case.pk).update(case=target)
    moved = {"reporters": reporters, "attachments": attachments}
    case.state = TRANSITIONS[case.state]["merge"]
    case.merged_into = target
    _take_ownership(case, user)
    _finish(case, before, action=Action.MERGE, user=user, now=now, note=note, data={"into": target.number, **moved})
    CaseEvent.objects.create(
        case=target,
        at=now,
        actor=user,
        actor_name=_actor_name(user),
        action=Action.MERGED_IN,
        from_state=target.state,
        to_state=target.state,
        from_tier=target.tier,
        to_tier=target.tier,
        region_id=target.region_id,
        note=note,
        data={"duplicate": case.number, **moved},
    )
    if moved_emails:
        _notify(
            "case.merged",
            target,
            _("您反映的问题已与 %(number)s 合并办理") % {"number": target.number},
            _("您反映的问题（编号 %(duplicate)s）与同一问题的事件 %(number)s 合并办理，原查询码可继续查看办理进度。")
            % {"duplicate": case.number, "number": target.number},
            emails=moved_emails,
        )
    return case


# --- dispatch and the unit's work -----------------------------------------------------------------


def default_lead_unit(case: Case, kind: str | None = None) -> Unit | None:
    """The active unit of the category's lead kind covering the case's location most closely."""
    kind = kind if kind is not None else case.category.lead_unit_kind
    if not kind:
        return None
    chain = [r for r in (case.grid, case.village, case.town, case.city) if r is not None]
    for region in chain:  # deepest first: a town's own office before a city bureau
        unit = Unit.objects.filter(kind=kind, is_active=True, regions_covered=region).order_by("code").first()
        if unit is not None:
            return unit
    return None


@transaction.atomic
def case_dispatch(
    *,
    user: User,
    case: Case,
    expected_version: int,
    lead_unit: Unit | None = None,
    assisting_units: Sequence[Unit] = (),
    note: str = "",
) -> Case:
    """派遣 to a lead unit (主办; default: the category's lead kind covering the place) and assisting units
    (协办). From "dispatched" it re-dispatches (改派) before sign-for."""
    note = _text(note, "note")
    case = _begin(user, case, "dispatch", expected_version, "dispatch")
    lead = lead_unit or default_lead_unit(case)
    if lead is None:
        raise ValidationError({"lead_unit": _("请指定主办部门（该分类没有默认部门负责事发地）。")}, code="lead_unit")
    assisting = list({u.pk: u for u in assisting_units if u.pk != lead.pk}.values())
    if not lead.is_active or any(not u.is_active for u in assisting):
        raise ValidationError({"lead_unit": _("部门已停用。")}, code="unit_inactive")
    now, before = timezone.now(), _snapshot(case)
    previous = _withdraw_units(case, now)
    for unit, role in [(lead, AssignmentRole.LEAD), *((u, AssignmentRole.ASSIST) for u in assisting)]:
        CaseAssignment.objects.create(case=case, unit=unit, role=role, dispatched_at=now, dispatched_by=user)
    case.state = TRANSITIONS[case.state]["dispatch"]
    case.lead_unit = lead
    _take_ownership(case, user)
    _finish(
        case,
        before,
        action=Action.DISPATCH,
        user=user,
        now=now,
        note=note,
        unit=lead,
        data={"assisting": [u.code for u in assisting], "previous_units": previous},
        restart=True,
    )
    _notify(
        "case.dispatched",
        case,
        _("新派遣事件：%(number)s") % {"number": case.number},
        _("%(title)s：请及时签收。") % {"title": case.title},
        recipients=_unit_users([lead.pk, *(u.pk for u in assisting)]),
        exclude=user,
    )
    return case


@transaction.atomic
def case_sign_for(*, user: User, case: Case, expected_version: int, note: str = "") -> Case:
    """签收 by a handler of the lead unit."""
    note = _text(note, "note")
    case = _begin(user, case, "sign_for", expected_version, "sign_for")
    now, before = timezone.now(), _snapshot(case)
    CaseAssignment.objects.filter(case_id=case.pk, role=AssignmentRole.LEAD, active=True).update(
        signed_at=now, signed_by=user
    )
    case.state = TRANSITIONS[case.state]["sign_for"]
    _finish(case, before, action=Action.SIGN_FOR, user=user, now=now, note=note, unit=case.lead_unit)
    return case


def case_handle(
    *,
    user: User,
    case: Case,
    expected_version: int,
    note: str,
    attachments: Sequence[AttachmentUpload] = (),
) -> Case:
    """处置反馈: the lead unit reports back with what it did and evidence; the grid worker is asked to verify."""
    note = _text(note, "note", required=True)
    written: list[str] = []
    try:
        with transaction.atomic():
            case = _begin(user, case, "handle", expected_version, "handle")
            files = _prepare(attachments, caches.case_settings(), existing=case.attachments.count())
            now, before = timezone.now(), _snapshot(case)
            CaseAssignment.objects.filter(case_id=case.pk, role=AssignmentRole.LEAD, active=True).update(handled_at=now)
            case.state = TRANSITIONS[case.state]["handle"]
            _store(case, files, user=user, purpose=AttachmentPurpose.EVIDENCE, now=now, written=written)
            _finish(
                case,
                before,
                action=Action.HANDLE,
                user=user,
                now=now,
                note=note,
                unit=case.lead_unit,
                data={"attachments": len(files)},
            )
            verifiers = _grid_workers(case.grid_id) or _center_users(case.village_id or case.region_id)
            _notify(
                "case.handled",
                case,
                _("待核查事件：%(number)s") % {"number": case.number},
                _("%(title)s：部门已处置，请到现场核查。") % {"title": case.title},
                recipients=verifiers,
                exclude=user,
            )
    except BaseException:
        _discard(written)
        raise
    return case


def case_verify(
    *,
    user: User,
    case: Case,
    expected_version: int,
    passed: bool,
    note: str = "",
    attachments: Sequence[AttachmentUpload] = (),
) -> Case:
    """核查 on site: pass → verified (the center closes it); fail → back to the unit, counted as rework."""
    note = _text(note, "note", required=not passed)
    action = "verify_pass" if passed else "verify_fail"
    written: list[str] = []
    try:
        with transaction.atomic():
            case = _begin(user, case, "verify", expected_version, action)
            files = _prepare(attachments, caches.case_settings(), existing=case.attachments.count())
            now, before = timezone.now(), _snapshot(case)
            case.state = TRANSITIONS[case.state][action]
            if not passed:
                case.rework_count += 1
            _store(case, files, user=user, purpose=AttachmentPurpose.VERIFICATION, now=now, written=written)
            _finish(
                case,
                before,
                action=Action.VERIFY_PASS if passed else Action.VERIFY_FAIL,
                user=user,
                now=now,
                note=note,
                data={"attachments": len(files)},
            )
            if passed:
                recipients = [*_center_users(case.region_id), *([case.owner] if case.owner else [])]
                subject, body = _("待结案事件：%(number)s"), _("%(title)s：现场核查通过，请结案。")
            else:
                recipients = _unit_users([case.lead_unit_id] if case.lead_unit_id else [])
                subject, body = _("事件返工：%(number)s"), _("%(title)s：现场核查未通过，请重新处置。")
            _notify(
                "case.verified" if passed else "case.rework",
                case,
                subject % {"number": case.number},
                body % {"title": case.title},
                recipients=recipients,
                exclude=user,
            )
    except BaseException:
        _discard(written)
        raise
    return case


# --- closing the loop -----------------------------------------------------------------------------


@transaction.atomic
def case_close(*, user: User, case: Case, expected_version: int, note: str = "") -> Case:
    """结案."""
    note = _text(note, "note")
    case = _begin(user, case, "close", expected_version, "close")
    now, before = timezone.now(), _snapshot(case)
    case.state = TRANSITIONS[case.state]["close"]
    case.closed_at = now
    _take_ownership(case, user)
    _finish(case, before, action=Action.CLOSE, user=user, now=now, note=note)
    _notify_reporter(
        case,
        "case.closed",
        _("您反映的事件已办结：%(number)s") % {"number": case.number},
        _("您反映的事件（编号 %(number)s）已办结，稍后将回访您的意见。") % {"number": case.number},
    )
    return case


@transaction.atomic
def case_follow_up(*, user: User | None, case: Case, expected_version: int, satisfaction: str, note: str = "") -> Case:
    """回访: the resident's verdict on a closed case.

    With a staff ``user`` (the center recording a follow-up call) a "dissatisfied" verdict lets the center
    reopen the case (``case_reopen``): the person who spoke with the resident judges it.

    With ``user`` None the resident rates it themselves (public tracking page, hotline): no staff permission
    applies, the caller has proven the resident's link to the case. "Dissatisfied" then reopens the case
    at once (back to "registered" at its tier, the center is told to dispatch it again) while the case has
    been reopened fewer than ``CaseSettings.resident_reopen_limit`` times; past that limit the verdict is
    recorded and the center is told to judge whether to reopen, so one resident cannot keep a case open
    for ever against the center's judgment.
    """
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("满意度无效。")}, code="satisfaction")
    note = _text(note, "note")
    if user is None:
        case = _begin_public(case, expected_version, "follow_up")
    else:
        case = _begin(user, case, "follow_up", expected_version, "follow_up")
    now, before = timezone.now(), _snapshot(case)
    case.state = TRANSITIONS[case.state]["follow_up"]
    case.satisfaction = satisfaction
    _finish(
        case,
        before,
        action=Action.FOLLOW_UP,
        user=user,
        now=now,
        actor_name=RESIDENT_NAME if user is None else "",
        note=note,
        data={"satisfaction": satisfaction, "by_resident": user is None},
    )
    if user is not None:
        _notify_reporter(
            case,
            "case.followed_up",
            _("感谢您的评价：%(number)s") % {"number": case.number},
            _("已记录您对事件（编号 %(number)s）办理结果的评价：%(satisfaction)s。")
            % {"number": case.number, "satisfaction": Satisfaction(satisfaction).label},
            first_only=True,  # the resident the center spoke with
        )
    elif satisfaction == Satisfaction.DISSATISFIED:
        _resident_dissatisfied(case, now)
    return case


def _resident_dissatisfied(case: Case, now: datetime) -> None:
    """A resident's own "dissatisfied": reopen within the limit, else ask the center to judge."""
    recipients = [*_center_users(case.region_id), *([case.owner] if case.owner else [])]
    if case.reopen_count < caches.case_settings().resident_reopen_limit:
        _reopen(case, user=None, now=now, reason=_("群众回访不满意，自动重新办理"), actor_name=SYSTEM_NAME)
        _notify(
            "case.reopened",
            case,
            _("群众不满意，事件重新办理：%(number)s") % {"number": case.number},
            _("%(title)s：群众对办理结果不满意，事件已退回立案环节，请重新派遣。") % {"title": case.title},
            recipients=recipients,
        )
    else:
        _notify(
            "case.dissatisfied",
            case,
            _("群众回访不满意：%(number)s") % {"number": case.number},
            _("%(title)s：群众对办理结果不满意（已达自动重新办理次数上限），请研判是否重新办理。")
            % {"title": case.title},
            recipients=recipients,
        )


def _reopen(case: Case, *, user: User | None, now: datetime, reason: str, actor_name: str = "") -> None:
    before = _snapshot(case)
    previous = _withdraw_units(case, now)
    case.state = TRANSITIONS[case.state]["reopen"]
    case.reopen_count += 1
    case.closed_at = None
    case.satisfaction = ""
    if user is not None:
        case.owner = user
    _finish(
        case,
        before,
        action=Action.REOPEN,
        user=user,
        now=now,
        actor_name=actor_name,
        note=reason,
        data={"previous_units": previous},
    )


@transaction.atomic
def case_reopen(*, user: User, case: Case, expected_version: int, reason: str) -> Case:
    """重新办理 after a dissatisfied follow-up: back to "registered" at the current tier for a new dispatch."""
    reason = _text(reason, "reason", required=True)
    case = _begin(user, case, "reopen", expected_version, "reopen")
    if case.satisfaction != Satisfaction.DISSATISFIED:
        raise ValidationError(_("只有回访不满意的事件可以重新办理。"), code="reopen_not_dissatisfied")
    _reopen(case, user=user, now=timezone.now(), reason=reason)
    return case


# --- suspension -----------------------------------------------------------------------------------


@transaction.atomic
def case_suspend(*, user: User, case: Case, expected_version: int, reason: str) -> Case:
    """挂起 with a reason: the clock stops until resumed (recorded as a period)."""
    reason = _text(reason, "reason", required=True)
    case = _begin(user, case, "suspend", expected_version, "suspend")
    now, before = timezone.now(), _snapshot(case)
    SuspensionPeriod.objects.create(case=case, from_state=case.state, reason=reason, started_at=now, started_by=user)
    case.suspended_from_state = case.state
    case.state = State.SUSPENDED
    case.next_check_at = None
    _finish(case, before, action=Action.SUSPEND, user=user, now=now, note=reason)
    return case


@transaction.atomic
def case_resume(*, user: User, case: Case, expected_version: int, note: str = "") -> Case:
    """恢复: back to the state it was suspended in; the running stage's deadlines move out by the pause."""
    note = _text(note, "note")
    case = _begin(user, case, "resume", expected_version, "resume")
    now, before = timezone.now(), _snapshot(case)
    period = SuspensionPeriod.objects.filter(case_id=case.pk, ended_at__isnull=True).order_by("-id").first()
    if period is not None:
        period.ended_at, period.ended_by = now, user
        period.save()
    target = TRANSITIONS[case.state]["resume"]
    case.state = case.suspended_from_state if target == PREVIOUS_STATE else target
    case.suspended_from_state = ""
    row = CaseStage.objects.filter(case_id=case.pk, ended_at__isnull=True).order_by("-id").first()
    if row is not None:
        _restart_clock(case, row, caches.case_settings())
        row.save()
        # the status stays what the sweep had marked: suspended time does not count either way
        case.next_check_at = _next_check(case)
    paused = (now - period.started_at).total_seconds() if period is not None else 0
    _finish(case, before, action=Action.RESUME, user=user, now=now, note=note, data={"paused_seconds": paused})
    return case


# --- tiers: escalate, de-escalate, residents' requests --------------------------------------------


def _move_tier(
    case: Case,
    target: Region,
    *,
    action: str,
    user: User | None,
    now: datetime,
    actor_name: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Hand the case to the center of ``target`` (up or down); the units in charge lose it."""
    before = _snapshot(case)
    move = "deescalate" if target.level > case.tier else "escalate"
    case.state = TRANSITIONS[case.state][move]
    previous: list[int] = []
    if case.state == State.REGISTERED and before.state in {State.DISPATCHED, State.SIGNED}:
        previous = _withdraw_units(case, now)
    case.tier = target.level
    case.region = target
    case.owner = None
    if move == "escalate":
        case.escalation_count += 1
    event = _finish(
        case,
        before,
        action=action,
        user=user,
        now=now,
        actor_name=actor_name,
        note=note,
        data={**(data or {}), "from_region": before.region_id, "to_region": target.pk, "previous_units": previous},
    )
    subject = _("上级转来事件：%(number)s") if move == "escalate" else _("上级下派事件：%(number)s")
    _notify(
        f"case.{move}d",
        case,
        subject % {"number": case.number},
        _("%(title)s：%(note)s") % {"title": case.title, "note": note or _action_label(action)},
        recipients=[*_center_users(target.pk), *_unit_users(previous)],
        exclude=user,
    )
    return event


@transaction.atomic
def case_escalate(*, user: User, case: Case, expected_version: int, reason: str) -> Case:
    """上报/提级 to the next tier up that has a center, by a person with a reason."""
    reason = _text(reason, "reason", required=True)
    case = _begin(user, case, "escalate", expected_version, "escalate")
    target = _tier_above(case)
    if target is None:
        raise ValidationError(_("事件已在最高层级，无法继续提级。"), code="top_tier")
    _move_tier(case, target, action=Action.ESCALATE, user=user, now=timezone.now(), note=reason)
    return case


@transaction.atomic
def case_deescalate(
    *, user: User, case: Case, expected_version: int, reason: str, to_region: Region | None = None
) -> Case:
    """下派 to a lower tier of the case's own chain (default: the next one down that has a center)."""
    reason = _text(reason, "reason", required=True)
    case = _begin(user, case, "deescalate", expected_version, "deescalate")
    if to_region is not None:
        allowed = {r.pk: r for r in _tier_chain(case) if r.level > case.tier}
        target = allowed.get(to_region.pk)
        if target is None:
            raise ValidationError({"to_region": _("只能下派到事发地所属的下级综治中心。")}, code="deescalate_target")
    else:
        target = _tier_below(case)
        if target is None:
            raise ValidationError(_("没有可下派的下级综治中心。"), code="bottom_tier")
    _move_tier(case, target, action=Action.DEESCALATE, user=user, now=timezone.now(), note=reason)
    return case


@transaction.atomic
def case_escalate_by_system(
    *, case: Case, reason: str, data: dict[str, Any] | None = None, action: str = Action.AUTO_ESCALATE
) -> bool:
    """Escalate one tier up with the system as actor (e.g. a high-risk dispute: ``action=RISK_ESCALATE``).

    For other apps' rules that escalate at once; the caller has decided that its rule applies. Returns
    False, changing nothing, when there is no tier above or the case's state does not allow escalation.
    The caller's ``case`` object is refreshed when it moved.
    """
    if action not in SYSTEM_ESCALATE_ACTIONS:
        raise ValueError(f"action must be one of {sorted(SYSTEM_ESCALATE_ACTIONS)}, got {action!r}")
    if data is not None and not isinstance(data, dict):
        raise ValueError("data must be a dict")
    reason = _text(reason, "reason", required=True)
    locked = _lock(case)
    target = _tier_above(locked)
    if target is None or "escalate" not in TRANSITIONS[locked.state]:
        return False
    _move_tier(
        locked, target, action=action, user=None, now=timezone.now(), actor_name=SYSTEM_NAME, note=reason, data=data
    )
    if case is not locked:
        case.refresh_from_db()
    return True


@transaction.atomic
def case_escalation_request(*, case: Case, reason: str = "", user: User | None = None) -> EscalationRequest:
    """A resident asks to escalate (e.g. from the public tracking page): always recorded and routed up,
    never refused. Needs no staff user (``user`` is the staff member who took it down, if any).

    When the case can move up it is escalated; otherwise (top tier, closed, suspended, awaiting
    verification) the request goes to the center above (or the current one at the top) for attention.
    """
    reason = (reason or "").strip()[:_TEXT_MAX]
    case = _lock(case)
    now = timezone.now()
    target = _tier_above(case)
    movable = target is not None and "escalate" in TRANSITIONS[case.state]
    routed_to = target or case.region
    request = EscalationRequest.objects.create(
        case=case, at=now, reason=reason, from_tier=case.tier, routed_to=routed_to, escalated=movable
    )
    actor_name = _actor_name(user, RESIDENT_NAME)
    before = _snapshot(case)
    CaseEvent.objects.create(
        case=case,
        at=now,
        actor=user,
        actor_name=actor_name,
        action=Action.ESCALATION_REQUEST,
        from_state=before.state,
        to_state=before.state,
        from_tier=before.tier,
        to_tier=before.tier,
        region_id=case.region_id,
        note=reason,
        data={"routed_to": routed_to.code, "escalated": movable},
    )
    if movable and target is not None:
        _move_tier(
            case, target, action=Action.ESCALATE, user=user, now=now, actor_name=actor_name, note=reason,
            data={"resident_request": request.pk},
        )  # fmt: skip
    else:
        _notify(
            "case.escalation_requested",
            case,
            _("群众申请提级：%(number)s") % {"number": case.number},
            _("%(title)s：%(reason)s") % {"title": case.title, "reason": reason or _("（未填写理由）")},
            recipients=[*_center_users(routed_to.pk), *_center_users(case.region_id)],
            exclude=user,
        )
    return request


# --- residents' own actions: add a voice, add information ----------------------------------------


def _public_channel(channel: str, category: Category, user: User | None) -> None:
    """The rules of ``case_create`` for a resident without a staff user: a public channel, and a category
    residents may report through the portal or Open311."""
    if channel not in Channel.values:
        raise ValidationError({"channel": _("来源渠道无效。")}, code="channel")
    if user is not None:
        return
    if channel not in PUBLIC_CHANNELS:
        raise ValidationError({"channel": _("此渠道须由工作人员录入。")}, code="channel")
    if channel in {Channel.RESIDENT, Channel.OPEN311} and not category.is_public:
        raise ValidationError(_("该事件不接受网上附议，请拨打服务热线。"), code="not_public")


def _touch(case: Case, now: datetime) -> None:
    """A change beside the workflow: the case shows as updated, its version (what staff act on) stays."""
    case.updated_at = now
    case.save(update_fields=["updated_at"])


@transaction.atomic
def case_add_reporter(
    *,
    case: Case,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    anonymous: bool = False,
    note: str = "",
    channel: str = Channel.RESIDENT,
    user: User | None = None,
) -> Reporter:
    """我也遇到 / 附议: another resident reports the same open case instead of filing a new one.

    ``user`` None is the resident themselves through a public channel (the rules of ``case_create``);
    a staff ``user`` taking it down needs ``case.add_reporter``. The reporter is kept with the case
    (``joined``; anonymous keeps only an e-mail address, no contact data at all is allowed) and gets the
    case's progress mails; the timeline records that one more resident reported it, never who.
    """
    note = _text(note, "note")
    reporter = _reporter(reporter_name, reporter_phone, reporter_email, anonymous) or Reporter()
    case = _lock(case)
    if user is not None:
        authz.require(user, "case.add_reporter", case)
    _public_channel(channel, case.category, user)
    if case.state not in OPEN_STATES:
        raise ValidationError(_("该事件已办结或已关闭，不能附议，请重新上报。"), code="case_not_open")
    now = timezone.now()
    reporter.case, reporter.joined, reporter.created_at = case, True, now
    reporter.save()
    _touch(case, now)
    count = Reporter.objects.filter(case_id=case.pk).count()
    CaseEvent.objects.create(
        case=case,
        at=now,
        actor=user,
        actor_name=_actor_name(user, RESIDENT_NAME),
        action=Action.REPORTER_ADDED,
        from_state=case.state,
        to_state=case.state,
        from_tier=case.tier,
        to_tier=case.tier,
        region_id=case.region_id,
        note=note,
        data={"channel": channel, "reporters": count},
    )
    _notify(
        "case.reporter_added",
        case,
        _("又有群众反映：%(number)s") % {"number": case.number},
        _("%(title)s：又有群众反映了同一问题（共 %(n)d 人）。") % {"title": case.title, "n": count},
        recipients=[*_center_users(case.region_id), *([case.owner] if case.owner else [])],
        exclude=user,
    )
    return reporter


# Information can be added until the case is gone (rejected or merged: the surviving case takes it).
_INFO_CLOSED_STATES = frozenset({State.REJECTED, State.MERGED})


def case_add_info(
    *, case: Case, text: str, attachments: Sequence[AttachmentUpload] = (), user: User | None = None
) -> CaseEvent:
    """The resident adds information (text and photos) to their case, e.g. from the tracking page.

    ``user`` None is the resident themselves (the caller has proven their link to the case); a staff
    ``user`` taking it down needs ``case.add_info``. The text is kept in the timeline row's note, which
    only staff see; photos become report attachments. The center holding the case (and the unit working
    it) are told — without the text, which may carry personal data.
    """
    text = _text(text, "text")
    if not text and not attachments:
        raise ValidationError({"text": _("请填写补充信息或上传照片。")}, code="required")
    written: list[str] = []
    try:
        with transaction.atomic():
            case = _lock(case)
            if user is not None:
                authz.require(user, "case.add_info", case)
            if case.state in _INFO_CLOSED_STATES:
                raise ValidationError(_("该事件已不予立案或已合并，不能补充信息。"), code="case_closed")
            files = _prepare(attachments, caches.case_settings(), existing=case.attachments.count())
            now = timezone.now()
            rows = _store(case, files, user=user, purpose=AttachmentPurpose.REPORT, now=now, written=written)
            _touch(case, now)
            event = CaseEvent.objects.create(
                case=case,
                at=now,
                actor=user,
                actor_name=_actor_name(user, RESIDENT_NAME),
                action=Action.INFO_ADDED,
                from_state=case.state,
                to_state=case.state,
                from_tier=case.tier,
                to_tier=case.tier,
                region_id=case.region_id,
                note=text,
                data={"attachments": [row.pk for row in rows]},
            )
            working = case.lead_unit_id if case.state in {State.DISPATCHED, State.SIGNED} else None
            _notify(
                "case.info_added",
                case,
                _("群众补充信息：%(number)s") % {"number": case.number},
                ngettext(
                    "%(title)s：群众补充了信息（照片 %(n)d 张），请查看事件。",
                    "%(title)s：群众补充了信息（照片 %(n)d 张），请查看事件。",
                    len(rows),
                )
                % {"title": case.title, "n": len(rows)},
                recipients=[
                    *_center_users(case.region_id),
                    *([case.owner] if case.owner else []),
                    *_unit_users([working] if working else []),
                ],
                exclude=user,
            )
    except BaseException:
        _discard(written)
        raise
    return event


# --- summons (吹哨) -------------------------------------------------------------------------------


@transaction.atomic
def case_summon(
    *, user: User, case: Case, units: Sequence[Unit], reason: str, limit_hours: float | None = None
) -> Summons:
    """吹哨: the town or street center calls departments to the case; each must report within the limit."""
    from civicgrid.workcalendar.working_time import due_after

    reason = _text(reason, "reason", required=True)
    case = _lock(case)
    authz.require(user, "case.summon", case)
    if case.state not in OPEN_STATES:
        raise TransitionNotAllowed(case.state, Action.SUMMON)
    chosen = list({u.pk: u for u in units}.values())
    if not chosen:
        raise ValidationError({"units": _("请选择要召集的部门。")}, code="units")
    if any(not u.is_active for u in chosen):
        raise ValidationError({"units": _("部门已停用。")}, code="unit_inactive")
    hours = float(limit_hours) if limit_hours is not None else float(caches.case_settings().summons_report_hours)
    if not hours > 0:
        raise ValidationError({"limit_hours": _("报到时限必须大于零。")})
    now = timezone.now()
    due_at = due_after(now, working_hours=hours).due_at
    town = case.town
    if town is None:  # unreachable: the permission needs the case's town center
        raise TransitionNotAllowed(case.state, Action.SUMMON)
    summons = Summons.objects.create(case=case, region=town, reason=reason, created_at=now, created_by=user)
    SummonsUnit.objects.bulk_create(SummonsUnit(summons=summons, unit=u, due_at=due_at) for u in chosen)
    before = _snapshot(case)
    case.updated_at = now
    case.save(update_fields=["updated_at"])
    CaseEvent.objects.create(
        case=case,
        at=now,
        actor=user,
        actor_name=_actor_name(user),
        action=Action.SUMMON,
        from_state=before.state,
        to_state=before.state,
        from_tier=before.tier,
        to_tier=before.tier,
        region=town,
        note=reason,
        data={"summons": summons.pk, "units": [u.code for u in chosen], "due_at": due_at.isoformat()},
    )
    _notify(
        "case.summoned",
        case,
        _("吹哨报到：%(number)s") % {"number": case.number},
        _("%(title)s：请在 %(due)s 前报到。")
        % {"title": case.title, "due": timezone.localtime(due_at, LOCAL_TZ).strftime("%Y-%m-%d %H:%M")},
        recipients=_unit_users([u.pk for u in chosen]),
        exclude=user,
    )
    return summons


@transaction.atomic
def summons_report(*, user: User, summons_unit: SummonsUnit, note: str = "") -> SummonsUnit:
    """报到: a handler of a summoned unit reports for duty; on time or late is recorded."""
    note = _text(note, "note")
    row = SummonsUnit.objects.select_for_update().get(pk=summons_unit.pk)
    authz.require(user, "case.summons_report", row)
    if row.reported_at is not None:
        raise ValidationError(_("该部门已报到。"), code="already_reported")
    now = timezone.now()
    row.reported_at, row.reported_by, row.note = now, user, note
    row.on_time = now <= row.due_at
    row.save()
    summons = row.summons
    case = summons.case
    CaseEvent.objects.create(
        case=case,
        at=now,
        actor=user,
        actor_name=_actor_name(user),
        action=Action.SUMMONS_REPORT,
        from_state=case.state,
        to_state=case.state,
        from_tier=case.tier,
        to_tier=case.tier,
        region_id=summons.region_id,
        unit_id=row.unit_id,
        note=note,
        data={"summons": summons.pk, "on_time": row.on_time},
    )
    _notify(
        "case.summons_reported",
        case,
        _("部门已报到：%(number)s") % {"number": case.number},
        _("%(unit)s 已报到。") % {"unit": row.unit.name},
        recipients=_center_users(summons.region_id),
        exclude=user,
    )
    return row


# --- attachments after creation -------------------------------------------------------------------


def attachment_add(
    *,
    user: User,
    case: Case,
    filename: str,
    content: bytes | IO[bytes],
    purpose: str = AttachmentPurpose.OTHER,
) -> Attachment:
    """Add an image or PDF to a case (those handling it). Type from content, EXIF stripped, size-limited."""
    if purpose not in AttachmentPurpose.values:
        raise ValidationError({"purpose": _("附件用途无效。")})
    written: list[str] = []
    try:
        with transaction.atomic():
            case = _lock(case)
            authz.require(user, "case.attachment_add", case)
            files = _prepare([(filename, content)], caches.case_settings(), existing=case.attachments.count())
            now = timezone.now()
            (row,) = _store(case, files, user=user, purpose=purpose, now=now, written=written)
            CaseEvent.objects.create(
                case=case,
                at=now,
                actor=user,
                actor_name=_actor_name(user),
                action=Action.ATTACHMENT,
                from_state=case.state,
                to_state=case.state,
                from_tier=case.tier,
                to_tier=case.tier,
                region_id=case.region_id,
                data={"attachment": row.pk, "content_type": row.content_type, "size": row.size},
            )
    except BaseException:
        _discard(written)
        raise
    return row


# --- timeline rows from other apps ---------------------------------------------------------------


@transaction.atomic
def case_event_append(
    *,
    case: Case,
    user: User | None,
    action: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    actor_name: str = "",
) -> CaseEvent:
    """One timeline row for a step another app took on the case without changing its state (a mediation
    session, a risk assessment): state, tier and version stay as they are.

    ``action`` is one of ``ANNOTATION_ACTIONS``; the workflow's own actions only come from the services
    above. The calling app has already checked its own permission for the step (e.g. an assigned
    mediator, who may work a case they could not otherwise see), so none is checked again here. Notes
    and data must not carry residents' personal data (the timeline is shown to everyone on the case).
    """
    if action not in ANNOTATION_ACTIONS:
        raise ValueError(f"action must be one of {sorted(ANNOTATION_ACTIONS)}, got {action!r}")
    if data is not None and not isinstance(data, dict):
        raise ValueError("data must be a dict")
    note = _text(note, "note")
    locked = _lock(case)  # the row's state is the case's state at this moment, not a stale copy's
    return CaseEvent.objects.create(
        case=locked,
        at=timezone.now(),
        actor=user,
        actor_name=(actor_name or "").strip()[:150] or _actor_name(user),
        action=action,
        from_state=locked.state,
        to_state=locked.state,
        from_tier=locked.tier,
        to_tier=locked.tier,
        region_id=locked.region_id,
        note=note,
        data=data or {},
    )


# --- the deadline sweep ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Due:
    """What the sweep needs of a due case (plain values: no model objects for thousands of rows)."""

    pk: int
    kind: str  # "yellow" | "red" | "escalate" | "stale"
    region_id: int
    owner_id: int | None
    lead_unit_id: int | None
    stage: str


def _due_kind(now: datetime) -> CaseWhen:
    """Which threshold a due row has reached, decided by the database (no datetimes cross the wire)."""
    return CaseWhen(
        When(Q(state=State.SUSPENDED) | Q(stage_due_at__isnull=True), then=Value("stale")),
        When(stage_escalate_at__lte=now, then=Value("escalate")),
        When(Q(stage_due_at__lte=now) & ~Q(deadline_status=DeadlineStatus.RED), then=Value("red")),
        When(Q(stage_warn_at__lte=now, deadline_status=DeadlineStatus.OK), then=Value("yellow")),
        default=Value("stale"),
        output_field=CharField(),
    )


def case_deadlines_refresh(*, now: datetime | None = None, batch: int = 500, seconds: float = 20.0) -> int:
    """Recompute the deadlines of running stages after the working calendar changed; returns stages changed.

    A stage's deadline is computed when it starts, on the calendar of that moment. Later calendar changes
    matter: a closure declared for tomorrow (a typhoon) must move every deadline across it; a year's
    holidays are published only weeks before the year, so a deadline reaching into it was computed on
    weekdays and flagged ``estimated``. When the calendar's version differs from the one last applied
    (``CalendarApplied``), every running stage is recomputed from its start with the same limit and the
    suspensions so far; where the deadline or the flag changes, the case is locked and updated, a yellow/red
    mark the new deadline no longer justifies is lowered (raising one is left to the sweep, with its
    notices) and the timeline records it. Suspended cases are left to ``case_resume``, which recomputes.

    A pass over many stages is cut into runs of about ``seconds`` (the worker's other jobs, the sweep and
    notifications, go on between them); the next run continues where the last stopped, and a calendar
    change in the middle starts the pass again. Unchanged calendar: one version check.
    """
    from civicgrid.workcalendar.working_time import calendar_stamp

    stamp = calendar_stamp()
    state = CalendarApplied.objects.filter(pk=1).first() or CalendarApplied(pk=1)
    if state.stamp == stamp:
        return 0
    if state.pass_stamp != stamp:
        state.pass_stamp, state.cursor = stamp, 0
    now = now or timezone.now()
    stop_at = time.monotonic() + seconds
    changed = 0
    while True:
        rows = list(
            CaseStage.objects.filter(ended_at__isnull=True, due_at__isnull=False, id__gt=state.cursor)
            .exclude(case__state=State.SUSPENDED)
            .order_by("id")
            .values_list("id", "case_id", "started_at", "limit_amount", "limit_unit", "due_at", "estimated")[:batch]
        )
        if not rows:
            state.stamp, state.cursor, state.applied_at = stamp, 0, timezone.now()
            break
        paused = _finished_suspensions({row[1] for row in rows})
        moved = []
        for stage_id, case_id, started_at, amount, unit, due_at, estimated in rows:
            excluded = _ending_after(paused.get(case_id, []), started_at)
            due = _due(started_at, amount, unit, excluded)
            if due.due_at != due_at or due.estimated != estimated:
                moved.append((stage_id, case_id, excluded))
        if moved:
            changed += _refresh_stages(moved, now)
        state.cursor = rows[-1][0]
        if time.monotonic() >= stop_at:
            break
    state.save()
    return changed


@transaction.atomic
def _refresh_stages(moved: list[tuple[int, int, Periods]], now: datetime) -> int:
    """Write the new deadlines of these running stages (``(stage id, case id, suspensions to leave out)``),
    their cases locked, in one transaction: UPDATEs sent together and one INSERT of timeline rows. Returns
    how many changed."""
    case_ids = sorted({case_id for _stage_id, case_id, _excluded in moved})
    cases = {
        case.pk: case
        for case in Case.objects.select_for_update(of=("self",))
        .select_related("city", "town", "village")
        .filter(pk__in=case_ids)
        .order_by("pk")
    }
    stages = {row.pk: row for row in CaseStage.objects.filter(pk__in=[m[0] for m in moved], ended_at__isnull=True)}
    settings = caches.case_settings()
    changed_stages: list[CaseStage] = []
    changed_cases: list[Case] = []
    events: list[CaseEvent] = []
    for stage_id, case_id, excluded in moved:
        case, row = cases.get(case_id), stages.get(stage_id)
        if case is None or row is None or row.case_id != case_id or case.state == State.SUSPENDED:
            continue  # the stage ended, or the case was suspended, since it was read
        if case.stage_started_at != row.started_at or case.stage_due_at is None:
            continue  # not the case's running stage any more
        before_due, before_estimated = row.due_at, row.estimated
        due = _restart_clock(case, row, settings, excluded)
        if row.due_at == before_due and row.estimated == before_estimated:
            continue  # another worker was first
        warn_at, due_at = case.stage_warn_at, case.stage_due_at
        if case.deadline_status == DeadlineStatus.RED and due_at is not None and now < due_at:
            warned = warn_at is not None and now >= warn_at
            case.deadline_status = DeadlineStatus.YELLOW if warned else DeadlineStatus.OK
        elif case.deadline_status == DeadlineStatus.YELLOW and warn_at is not None and now < warn_at:
            case.deadline_status = DeadlineStatus.OK
        case.next_check_at = _next_check(case)
        changed_stages.append(row)
        changed_cases.append(case)
        events.append(
            CaseEvent(
                case=case,
                at=now,
                actor=None,
                actor_name=SYSTEM_NAME,
                action=Action.DEADLINE_RECOMPUTED,
                from_state=case.state,
                to_state=case.state,
                from_tier=case.tier,
                to_tier=case.tier,
                region_id=case.region_id,
                data={
                    "stage": row.stage,
                    "due_at_before": timezone.localtime(before_due).isoformat() if before_due else None,
                    "due_at": timezone.localtime(row.due_at).isoformat() if row.due_at else None,
                    "estimated": due.estimated,
                },
            )
        )
    if changed_stages:
        _update_rows(changed_stages, ["due_at", "warn_at", "escalate_at", "working_seconds_allowed", "estimated"])
        _update_rows(
            changed_cases, ["stage_due_at", "stage_warn_at", "stage_escalate_at", "deadline_status", "next_check_at"]
        )
        CaseEvent.objects.bulk_create(events)
    return len(changed_stages)


def _update_rows(rows: Sequence[Any], fields: list[str]) -> None:
    """UPDATE these fields of these rows, one parameterised statement sent for all of them (executemany;
    Django's bulk_update builds one CASE per field over every id, which costs more than the rows)."""
    model = type(rows[0])
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)  # type: ignore[union-attr]
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608 -- names from model metadata
    params = [
        [column.get_db_prep_save(getattr(row, column.attname), connection) for column in columns]  # type: ignore[union-attr]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _restart_clock(case: Case, row: CaseStage, settings: CaseSettings, excluded: Periods | None = None) -> Any:
    """Recompute the running stage's deadlines from its start, its limit and the suspensions so far (on
    the stage row and the case; ``excluded``: those suspensions, when the caller has read them already);
    returns the calendar's ``Due``."""
    from civicgrid.workcalendar.working_time import share_point, working_seconds_between

    if excluded is None:
        excluded = _suspensions(case, row.started_at)
    due = _due(row.started_at, row.limit_amount, row.limit_unit, excluded)
    row.due_at = due.due_at
    row.warn_at = share_point(row.started_at, due.due_at, float(settings.warn_share), excluded)
    row.escalate_at = _escalate_at(case, due.due_at, settings)
    row.working_seconds_allowed = working_seconds_between(row.started_at, due.due_at, excluded=excluded)
    row.estimated = due.estimated
    case.stage_due_at, case.stage_warn_at, case.stage_escalate_at = row.due_at, row.warn_at, row.escalate_at
    return due


def case_deadline_sweep(*, now: datetime | None = None, batch: int | None = None, max_batches: int = 50) -> int:
    """Mark yellow warnings and red overdue stages and escalate automatically; returns rows handled.

    Idempotent and only touches due rows (``next_check_at <= now``, a partial index). Each batch is one
    transaction whose rows are claimed with SKIP LOCKED, so several workers can sweep at once.
    """
    now = now or timezone.now()
    size = batch or caches.case_settings().sweep_batch
    total = 0
    for _round in range(max_batches):
        with transaction.atomic():
            handled = _sweep_batch(now, size)
        total += handled
        if handled < size:
            break
    return total


def _sweep_batch(now: datetime, size: int) -> int:
    from civicgrid.core.jobs import claim

    due = (
        Case.objects.filter(next_check_at__lte=now)
        .order_by("next_check_at")
        .annotate(kind=_due_kind(now))
        .values_list("pk", "kind", "region_id", "owner_id", "lead_unit_id", "stage")
    )
    rows = [_Due(*values) for values in claim(cast(Any, due), limit=size)]
    if not rows:
        return 0
    by_kind: dict[str, list[_Due]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(row)
    if by_kind["yellow"]:
        _mark(by_kind["yellow"], DeadlineStatus.YELLOW, now)
    if by_kind["red"]:
        _mark(by_kind["red"], DeadlineStatus.RED, now)
    for row in by_kind["stale"]:  # a threshold moved (e.g. settings changed): look again when it comes
        case = Case.objects.get(pk=row.pk)
        upcoming = _next_check(case)
        Case.objects.filter(pk=row.pk).update(next_check_at=upcoming if upcoming and upcoming > now else None)
    for row in by_kind["escalate"]:
        _auto_escalate(row.pk, now)
    return len(rows)


def _mark(rows: list[_Due], status: str, now: datetime) -> None:
    """Set-based: one UPDATE of the cases and one INSERT … SELECT of their timeline rows (the stage run
    records warned/overdue when it ends)."""
    ids = [row.pk for row in rows]
    if status == DeadlineStatus.YELLOW:
        Case.objects.filter(pk__in=ids).update(deadline_status=status, next_check_at=F("stage_due_at"))
        action, event = Action.WARNING, "case.warning"
    else:
        Case.objects.filter(pk__in=ids).update(deadline_status=status, next_check_at=F("stage_escalate_at"))
        action, event = Action.OVERDUE, "case.overdue"
    _insert_sweep_events(ids, action, now)
    _notify_deadlines(rows, status, event)


def _insert_sweep_events(ids: list[int], action: str, now: datetime) -> None:
    """The timeline rows of one sweep step, written by the database from the case rows themselves
    (INSERT … SELECT): a burst of thousands of warnings costs one statement, not thousands of objects."""
    events = connection.ops.quote_name(CaseEvent._meta.db_table)
    cases = connection.ops.quote_name(Case._meta.db_table)
    data = """'{"stage": "' || stage || '"}'"""
    id_params: list[Any]
    if connection.vendor == "postgresql":
        data, where, id_params = f"CAST({data} AS jsonb)", "id = ANY(%s)", [list(ids)]
    else:
        where, id_params = f"id IN ({', '.join(['%s'] * len(ids))})", list(ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {events} (case_id, at, actor_name, action, from_state, to_state, from_tier, "  # noqa: S608
            f"to_tier, region_id, note, data) SELECT id, %s, %s, %s, state, state, tier, tier, region_id, '', "
            f"{data} FROM {cases} WHERE {where}",
            [connection.ops.adapt_datetimefield_value(now), SYSTEM_NAME, action, *id_params],
        )


# Above this many recipient groups in one batch (a burst: thousands of cases crossing a threshold at
# once), each recipient gets one short digest pointing to their filtered list instead of one message
# per group: the cost of a batch stays bounded by a couple of inserts, not by the number of regions.
DIGEST_GROUP_LIMIT = 20


def _notify_deadlines(rows: list[_Due], status: str, event: str) -> None:
    """Tell the owner, the current center and (in the unit's stages) the lead unit; one message per group
    of recipients listing its cases, or one digest for everybody in a burst."""
    from civicgrid.notifications.services import notification_queue

    region_ids = {row.region_id for row in rows}
    unit_ids = {row.lead_unit_id for row in rows if row.lead_unit_id and row.stage in {Stage.SIGN_FOR, Stage.HANDLE}}
    by_region: dict[int, set[int]] = defaultdict(set)
    by_unit: dict[int, set[int]] = defaultdict(set)
    for grant in RoleAssignment.objects.filter(
        Q(role__in=[Role.CENTER_STAFF, Role.CENTER_HEAD], region_id__in=region_ids)
        | Q(role=Role.UNIT_HANDLER, unit_id__in=unit_ids)
    ).values("user_id", "region_id", "unit_id", "role"):
        if grant["role"] == Role.UNIT_HANDLER:
            by_unit[grant["unit_id"]].add(grant["user_id"])
        else:
            by_region[grant["region_id"]].add(grant["user_id"])
    groups: dict[frozenset[int], list[_Due]] = defaultdict(list)
    for row in rows:
        ids = set(by_region.get(row.region_id, ()))
        if row.owner_id:
            ids.add(row.owner_id)
        if row.lead_unit_id in unit_ids:
            ids |= by_unit.get(row.lead_unit_id, set())
        if ids:
            groups[frozenset(ids)].append(row)
    if not groups:
        return
    users = User.objects.filter(pk__in={uid for key in groups for uid in key}, is_active=True).in_bulk()
    label = DeadlineStatus(status).label
    if len(groups) > DIGEST_GROUP_LIMIT:
        notification_queue(
            event=event,
            subject=_("有事件%(label)s，请查看") % {"label": label},
            body=_("您负责的事件中有新的%(label)s，请在事件列表中按时限状态查看。") % {"label": label},
            recipients=[users[uid] for uid in sorted({uid for key in groups for uid in key}) if uid in users],
            link=f"/cases/?deadline={status}",
            payload={"count": len(rows)},
        )
        return
    listed = {row.pk for group in groups.values() for row in group[:50]}
    names = {
        pk: (number, title)
        for pk, number, title in Case.objects.filter(pk__in=listed).values_list("pk", "number", "title")
    }
    for key, group in groups.items():
        lines = [f"{names[row.pk][0]} {names[row.pk][1]}" for row in group[:50]]
        if len(group) > 50:
            lines.append(ngettext("……共 %(n)d 件", "……共 %(n)d 件", len(group)) % {"n": len(group)})
        first = names[group[0].pk][0]
        notification_queue(
            event=event,
            subject=ngettext("%(n)d 件事件%(label)s", "%(n)d 件事件%(label)s", len(group))
            % {"n": len(group), "label": label},
            body="\n".join(lines),
            recipients=[users[uid] for uid in sorted(key) if uid in users],
            link=f"/cases/{first}/" if len(group) == 1 else f"/cases/?deadline={status}",
            payload={"cases": [names[row.pk][0] for row in group[:50]], "count": len(group)},
        )


def _auto_escalate(pk: int, now: datetime) -> None:
    case = Case.objects.select_related("category").get(pk=pk)  # the row is locked by the claim
    if case.deadline_status != DeadlineStatus.RED:
        due = _Due(case.pk, "red", case.region_id, case.owner_id, case.lead_unit_id, case.stage)
        _mark([due], DeadlineStatus.RED, now)
        case.refresh_from_db()
    target = _tier_above(case)
    if target is None or "escalate" not in TRANSITIONS[case.state] or not caches.case_settings().auto_escalate:
        Case.objects.filter(pk=pk).update(next_check_at=None)
        return
    _move_tier(
        case,
        target,
        action=Action.AUTO_ESCALATE,
        user=None,
        now=now,
        actor_name=SYSTEM_NAME,
        note=_("超时自动提级"),
        data={"stage": case.stage},
    )


def summons_late_sweep(*, now: datetime | None = None, batch: int = 200) -> int:
    """Mark summoned units that let the limit pass without reporting; tells the center once."""
    from civicgrid.core.jobs import claim

    now = now or timezone.now()
    with transaction.atomic():
        rows = claim(
            SummonsUnit.objects.filter(reported_at__isnull=True, late_marked_at__isnull=True, due_at__lte=now)
            .order_by("due_at")
            .select_related("summons", "summons__case", "unit"),
            limit=batch,
        )
        for row in rows:
            SummonsUnit.objects.filter(pk=row.pk).update(late_marked_at=now)
            case = row.summons.case
            CaseEvent.objects.create(
                case=case,
                at=now,
                actor_name=SYSTEM_NAME,
                action=Action.SUMMONS_LATE,
                from_state=case.state,
                to_state=case.state,
                from_tier=case.tier,
                to_tier=case.tier,
                region_id=row.summons.region_id,
                unit_id=row.unit_id,
                data={"summons": row.summons_id, "due_at": row.due_at.isoformat()},
            )
            _notify(
                "case.summons_late",
                case,
                _("部门报到超时：%(number)s") % {"number": case.number},
                _("%(unit)s 未在时限内报到。") % {"unit": row.unit.name},
                recipients=[*_center_users(row.summons.region_id), *_unit_users([row.unit_id])],
            )
    return len(rows)
