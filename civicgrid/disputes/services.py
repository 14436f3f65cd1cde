"""Every write of the disputes app: screening rounds and reports, dispute intake, parties (with the
audited reveal), risk assessment (alert and escalate at once), mediators, sessions, outcome, the
written agreement and its PDF, signed scans, performance follow-up and the reminders job.

Each public function is keyword-only, checks permission through ``civicgrid.people.authorization``,
and runs in one transaction; case-side effects go through ``casework``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from civicgrid.audit.services import audit_record
from civicgrid.cases.models import Case, Category, CategoryKind, Channel, Tier
from civicgrid.core import crypto
from civicgrid.people import authorization as authz
from civicgrid.people.models import Center, Role, RoleAssignment, Unit, User
from civicgrid.regions.models import Level, Region

from . import casework, identity
from .models import (
    RISK_ORDER,
    SETTING_DEFAULTS,
    AgreementCounter,
    AgreementForm,
    DisputeSetting,
    DocumentKind,
    Mediation,
    MediationDocument,
    MediationReminder,
    MediationSession,
    Mediator,
    MediatorKind,
    Outcome,
    Party,
    PartyKind,
    PartyRole,
    PerformanceCheck,
    PerformanceStatus,
    Referral,
    ReminderKind,
    RiskKeyword,
    RiskLevel,
    RiskRule,
    RiskSignal,
    ScreeningKind,
    ScreeningReport,
    ScreeningRound,
    ScreeningStatus,
    Sex,
)

logger = logging.getLogger("civicgrid.disputes")

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
REMINDER_HOUR = 9  # reminders fall due at 09:00 local time on their day
_TEXT_MAX = 5000
CENTER_ROLES = (Role.CENTER_STAFF, Role.CENTER_HEAD)


# --- small helpers --------------------------------------------------------------------------------


def setting(key: str) -> Any:
    """A knob from ``DisputeSetting`` (editable data), else its seeded default."""
    row = DisputeSetting.objects.filter(key=key).values_list("value", flat=True).first()
    return SETTING_DEFAULTS.get(key) if row is None else row


def local_today() -> dt.date:
    return timezone.localtime(timezone.now(), LOCAL_TZ).date()


def local_morning(day: dt.date, hour: int = REMINDER_HOUR) -> dt.datetime:
    """``hour`` o'clock on ``day`` in Asia/Shanghai, as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def _text(value: str | None, field_name: str, *, required: bool = False, limit: int = _TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field_name: _("此项为必填项。")}, code="required")
    if len(value) > limit:
        raise ValidationError({field_name: _("内容过长（最多 %(n)d 字）。") % {"n": limit}}, code="too_long")
    return value


def _choice(value: str, choices: Iterable[str], field_name: str, *, blank: bool = False) -> str:
    value = (value or "").strip()
    if blank and not value:
        return ""
    if value not in set(choices):
        raise ValidationError({field_name: _("选项无效。")}, code="invalid_choice")
    return value


def _amount(value: Decimal | str | float | None) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount_involved": _("金额格式不正确。")}, code="amount") from None
    if amount < 0 or amount >= Decimal("1e12"):
        raise ValidationError({"amount_involved": _("金额超出范围。")}, code="amount")
    return amount


def _users_with(
    *, roles: Iterable[str], region_ids: Iterable[int | None] = (), unit_ids: Iterable[int] = ()
) -> list[User]:
    region_ids = [r for r in region_ids if r]
    unit_ids = [u for u in unit_ids if u]
    if not region_ids and not unit_ids:
        return []
    scope = Q(region_id__in=region_ids) | Q(unit_id__in=unit_ids)
    ids = RoleAssignment.objects.filter(scope, role__in=[str(r) for r in roles]).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def dispute_link(mediation: Mediation) -> str:
    return f"/disputes/{mediation.case.number}/"


def _notify(
    mediation: Mediation,
    event: str,
    subject: str,
    body: str,
    recipients: Iterable[User],
    *,
    exclude: User | None = None,
) -> int:
    from civicgrid.notifications.services import notification_queue

    seen: dict[int, User] = {}
    for user in recipients:
        if user is not None and (exclude is None or user.pk != exclude.pk):
            seen.setdefault(user.pk, user)
    if not seen:
        return 0
    case = mediation.case
    return notification_queue(
        event=event,
        subject=subject,
        body=body,
        recipients=list(seen.values()),
        link=dispute_link(mediation),
        # Leaves the system by webhook: numbers and codes only, never parties' data.
        payload={"case": case.number, "risk": mediation.risk_level, "outcome": mediation.outcome},
    )


def _mediator_users(mediation: Mediation) -> list[User]:
    mediators = [mediation.lead_mediator, *mediation.co_mediators.all()]
    return [m.user for m in mediators if m is not None and m.user is not None and m.user.is_active]


def _lock(mediation: Mediation) -> Mediation:
    return Mediation.objects.select_for_update().select_related("case", "case__category").get(pk=mediation.pk)


def _require_open(mediation: Mediation) -> None:
    if mediation.outcome != Outcome.OPEN:
        raise ValidationError(
            _("调解已有结果（%(outcome)s），不能再修改。") % {"outcome": mediation.get_outcome_display()}
        )


def _touch(mediation: Mediation, *fields: str) -> None:
    mediation.updated_at = timezone.now()
    mediation.save(update_fields=[*fields, "updated_at"])


# --- parties --------------------------------------------------------------------------------------


@dataclass
class PartyData:
    """What a form or the API gives for one party; ``services`` validates and normalises it."""

    role: str
    name: str
    kind: str = PartyKind.PERSON
    sex: str = ""
    birth_date: dt.date | None = None
    age: int | None = None
    phone: str = ""
    id_number: str = ""
    address: str = ""
    credit_code: str = ""
    representative: str = ""


def _clean_party(data: PartyData, prefix: str = "") -> dict[str, Any]:
    """Validated field values for a Party row (errors keyed ``<prefix><field>``)."""
    errors: dict[str, Any] = {}

    def fail(field_name: str, error: ValidationError | str) -> None:
        errors[f"{prefix}{field_name}"] = error.messages if isinstance(error, ValidationError) else [error]

    values: dict[str, Any] = {
        "sex": "",
        "birth_date": None,
        "age": None,
        "id_number": "",
        "credit_code": "",
        "representative": "",
    }
    try:
        values["role"] = _choice(data.role, PartyRole.values, "role")
    except ValidationError:
        fail("role", _("当事人地位无效。"))
    try:
        values["kind"] = _choice(data.kind, PartyKind.values, "kind")
    except ValidationError:
        fail("kind", _("当事人类型无效。"))
    name = (data.name or "").strip()
    if not name:
        fail("name", _("请填写当事人姓名或名称。"))
    elif len(name) > 100:
        fail("name", _("姓名或名称过长。"))
    values["name"] = name
    address = (data.address or "").strip()
    if len(address) > 200:
        fail("address", _("住址过长。"))
    values["address"] = address
    values["phone"] = ""
    if (data.phone or "").strip():
        try:
            values["phone"] = identity.validate_phone(data.phone)
        except ValidationError as exc:
            fail("phone", exc)
    if values.get("kind") == PartyKind.ORGANISATION:
        if (data.credit_code or "").strip():
            try:
                values["credit_code"] = identity.validate_credit_code(data.credit_code)
            except ValidationError as exc:
                fail("credit_code", exc)
        values["representative"] = (data.representative or "").strip()[:100]
    elif values.get("kind") == PartyKind.PERSON:
        sex = (data.sex or "").strip()
        if sex and sex not in Sex.values:
            fail("sex", _("性别无效。"))
        values["sex"] = sex
        values["birth_date"] = data.birth_date
        if data.birth_date is not None and data.birth_date > local_today():
            fail("birth_date", _("出生日期不能晚于今天。"))
        if data.age is not None:
            if not 0 <= int(data.age) <= 150:
                fail("age", _("年龄应在0至150之间。"))
            values["age"] = int(data.age)
        if (data.id_number or "").strip():
            try:
                number = identity.validate_id_number(data.id_number, today=local_today())
            except ValidationError as exc:
                fail("id_number", exc)
            else:
                values["id_number"] = number
                born, id_sex = identity.id_birth_date(number), identity.id_sex(number)
                if sex and sex != id_sex:
                    fail("sex", _("性别与身份证号码不一致。"))
                if data.birth_date is not None and data.birth_date != born:
                    fail("birth_date", _("出生日期与身份证号码不一致。"))
                values["sex"] = values["sex"] or id_sex
                values["birth_date"] = values["birth_date"] or born
    if errors:
        raise ValidationError(errors)
    values["id_number_index"] = identity.id_index(values["id_number"]) if values["id_number"] else ""
    values["phone_index"] = identity.phone_index(values["phone"]) if values["phone"] else ""
    if values["id_number"]:
        values["identity_key"] = f"id:{values['id_number_index']}"
    elif values["credit_code"]:
        values["identity_key"] = "org:" + crypto.blind_index(values["credit_code"], context="party.credit_code")
    elif values["phone"]:
        values["identity_key"] = f"ph:{values['phone_index']}"
    else:
        values["identity_key"] = ""
    return values


def _party_create(mediation: Mediation, values: dict[str, Any], sort_order: int) -> Party:
    return Party.objects.create(mediation=mediation, sort_order=sort_order, **values)


@transaction.atomic
def party_add(*, user: User, mediation: Mediation, data: PartyData) -> Party:
    mediation = _lock(mediation)
    authz.require(user, "mediation.edit", mediation)
    _require_open(mediation)
    values = _clean_party(data)
    order = (mediation.parties.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0) + 1
    party = _party_create(mediation, values, order)
    mediation_assess_risk(mediation=mediation, actor=user)
    return party


@transaction.atomic
def party_update(*, user: User, party: Party, data: PartyData) -> Party:
    mediation = _lock(party.mediation)
    authz.require(user, "mediation.edit", mediation)
    _require_open(mediation)
    values = _clean_party(data)
    party = Party.objects.select_for_update().get(pk=party.pk)
    for name, value in values.items():
        setattr(party, name, value)
    party.save()
    mediation_assess_risk(mediation=mediation, actor=user)
    return party


@transaction.atomic
def party_remove(*, user: User, party: Party) -> None:
    mediation = _lock(party.mediation)
    authz.require(user, "mediation.edit", mediation)
    _require_open(mediation)
    if mediation.sessions.filter(attended_parties=party).exists():
        raise ValidationError(_("该当事人已出现在调解记录中，不能删除。"), code="party_in_use")
    party.delete()
    mediation_assess_risk(mediation=mediation, actor=user)


@dataclass(frozen=True)
class RevealedParty:
    party_id: int
    name: str
    id_number: str
    phone: str


@transaction.atomic
def party_reveal(*, user: User, party: Party, request: HttpRequest | None = None) -> RevealedParty:
    """The ID number and phone in clear, for the mediators and the center handling the case; audited."""
    party = Party.objects.select_related("mediation", "mediation__case").get(pk=party.pk)
    authz.require(user, "mediation.reveal", party.mediation)
    audit_record(
        actor=user,
        action="disputes.party.reveal",
        target=party,
        detail={
            "case": party.mediation.case.number,
            "fields": [f for f in ("id_number", "phone") if getattr(party, f)],
        },
        request=request,
    )
    return RevealedParty(party_id=party.pk, name=party.name, id_number=party.id_number, phone=party.phone)


# --- dispute intake -------------------------------------------------------------------------------


@dataclass
class DisputeDraft:
    """A dispute as a grid worker or center records it (pre-filled from a screening report)."""

    category: Category
    title: str
    facts: str
    points_in_dispute: str = ""
    amount_involved: Decimal | str | None = None
    people_involved: int = 0
    parties: Sequence[PartyData] = field(default_factory=list)
    grid: Region | None = None
    lon: float | None = None
    lat: float | None = None
    address: str = ""


def _check_dispute_category(category: Category) -> None:
    if category.kind != CategoryKind.DISPUTE or not category.is_active:
        raise ValidationError({"category": _("请选择矛盾纠纷类的分类。")}, code="not_dispute")


def _create_dispute(
    *, user: User, draft: DisputeDraft, channel: str, screening_report: ScreeningReport | None
) -> Mediation:
    _check_dispute_category(draft.category)
    facts = _text(draft.facts, "facts", required=True)
    points = _text(draft.points_in_dispute, "points_in_dispute")
    amount = _amount(draft.amount_involved)
    people = int(draft.people_involved or 0)
    if people < 0:
        raise ValidationError({"people_involved": _("涉及人数不能为负数。")})
    cleaned, errors = [], {}
    for index, data in enumerate(draft.parties):
        try:
            cleaned.append(_clean_party(data, prefix=f"parties.{index}."))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    case = casework.create_case(
        user=user,
        title=_text(draft.title, "title", required=True, limit=200),
        category=draft.category,
        description=facts,
        region=draft.grid,
        lon=draft.lon,
        lat=draft.lat,
        address=draft.address,
        channel=channel,
    )
    now = timezone.now()
    mediation = Mediation.objects.create(
        case=case,
        screening_report=screening_report,
        amount_involved=amount,
        people_involved=max(people, len(cleaned)),
        facts=facts,
        points_in_dispute=points,
        created_at=now,
        updated_at=now,
    )
    for order, values in enumerate(cleaned, start=1):
        _party_create(mediation, values, order)
    mediation_assess_risk(mediation=mediation, actor=user)
    return mediation


@transaction.atomic
def dispute_create(*, user: User, draft: DisputeDraft, channel: str = Channel.WALK_IN) -> Mediation:
    """Take in a dispute: a case in a dispute category, with its mediation record and parties."""
    authz.require(user, "mediation.create")
    if channel not in Channel.values:
        raise ValidationError({"channel": _("来源渠道无效。")})
    return _create_dispute(user=user, draft=draft, channel=channel, screening_report=None)


@transaction.atomic
def mediation_update(
    *,
    user: User,
    mediation: Mediation,
    facts: str,
    points_in_dispute: str = "",
    amount_involved: Decimal | str | None = None,
    people_involved: int = 0,
) -> Mediation:
    mediation = _lock(mediation)
    authz.require(user, "mediation.edit", mediation)
    _require_open(mediation)
    mediation.facts = _text(facts, "facts", required=True)
    mediation.points_in_dispute = _text(points_in_dispute, "points_in_dispute")
    mediation.amount_involved = _amount(amount_involved)
    if int(people_involved or 0) < 0:
        raise ValidationError({"people_involved": _("涉及人数不能为负数。")})
    mediation.people_involved = int(people_involved or 0)
    _touch(mediation, "facts", "points_in_dispute", "amount_involved", "people_involved")
    mediation_assess_risk(mediation=mediation, actor=user)
    return mediation


# --- screening ------------------------------------------------------------------------------------


@transaction.atomic
def screening_round_schedule(
    *,
    user: User,
    region: Region,
    title: str,
    period_start: dt.date,
    period_end: dt.date,
    due_date: dt.date,
    kind: str = ScreeningKind.REGULAR,
    note: str = "",
) -> ScreeningRound:
    """A center schedules a round for every grid of its region; each grid gets a pending report row."""
    round_ = ScreeningRound(
        region=region,
        title=_text(title, "title", required=True, limit=100),
        kind=_choice(kind, ScreeningKind.values, "kind"),
        period_start=period_start,
        period_end=period_end,
        due_date=due_date,
        note=_text(note, "note"),
        created_by=user,
    )
    authz.require(user, "screening.schedule", round_)
    if period_end < period_start:
        raise ValidationError({"period_end": _("结束日期不能早于开始日期。")})
    if due_date < period_start:
        raise ValidationError({"due_date": _("报送截止日期不能早于排查开始日期。")})
    grids = list(Region.objects.filter(region.subtree_q(), level=Level.GRID).order_by("code"))
    if not grids:
        raise ValidationError({"region": _("该区域下没有网格。")}, code="no_grids")
    round_.created_at = timezone.now()
    round_.save()
    ScreeningReport.objects.bulk_create([ScreeningReport(round=round_, grid=grid) for grid in grids])
    from civicgrid.notifications.services import notification_queue

    workers = _users_with(roles=[Role.GRID_WORKER], region_ids=[g.pk for g in grids])
    if workers:
        notification_queue(
            event="dispute.screening_scheduled",
            subject=_("矛盾纠纷排查：%(title)s") % {"title": round_.title},
            body=_("请于 %(due)s 前报送本网格排查情况（发现的纠纷或“未发现”）。") % {"due": due_date.isoformat()},
            recipients=workers,
            link=f"/disputes/screening/{round_.pk}/",
            payload={"round": round_.pk},
        )
    audit_record(actor=user, action="disputes.screening.schedule", target=round_, detail={"grids": len(grids)})
    return round_


@transaction.atomic
def screening_report_submit(
    *,
    user: User,
    report: ScreeningReport,
    screened_on: dt.date,
    disputes: Sequence[DisputeDraft] = (),
    none_found: bool = False,
    note: str = "",
) -> ScreeningReport:
    """A grid's answer: the disputes found (each becomes a dispute case) or "none found", with the date.

    A grid that reported "none found" may still report disputes found later in the round; one that
    found disputes cannot turn that into "none found".
    """
    report = ScreeningReport.objects.select_for_update().select_related("round", "grid").get(pk=report.pk)
    authz.require(user, "screening.report", report)
    if none_found == bool(disputes):
        raise ValidationError(_("请填写发现的纠纷，或选择“未发现矛盾纠纷”（二选一）。"), code="screening_choice")
    if none_found and report.status == ScreeningStatus.FOUND:
        raise ValidationError(_("本网格本轮已报送发现的纠纷。"), code="screening_found")
    if screened_on > local_today():
        raise ValidationError({"screened_on": _("排查日期不能晚于今天。")})
    if screened_on < report.round.period_start:
        raise ValidationError({"screened_on": _("排查日期早于本轮排查开始日期。")})
    created = []
    for draft in disputes:
        if draft.grid is not None and draft.grid.pk != report.grid_id:
            raise ValidationError({"grid": _("纠纷须发生在本网格。")})
        draft.grid = report.grid
        created.append(_create_dispute(user=user, draft=draft, channel=Channel.GRID_PATROL, screening_report=report))
    now = timezone.now()
    report.status = ScreeningStatus.FOUND if (created or report.found_count) else ScreeningStatus.NONE_FOUND
    report.found_count += len(created)
    report.screened_on = screened_on
    report.note = _text(note, "note")
    report.reported_at = report.reported_at or now
    report.reported_by = report.reported_by or user
    report.save()
    return report


# --- risk -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskFinding:
    signal: str
    level: str
    detail: str
    escalate: bool
    alert: bool


_jieba_words: set[str] = set()


def _tokens(text: str, words: Iterable[str]) -> set[str]:
    """jieba tokens of ``text``; the keywords are added to its dictionary so each stays one token."""
    import jieba

    for word in words:
        if word not in _jieba_words:
            jieba.add_word(word)
            _jieba_words.add(word)
    return {token.strip() for token in jieba.lcut(text) if token.strip()}


def _same_party_mediations(mediation: Mediation) -> dict[int, int]:
    """Other mediations sharing at least two parties with this one: {mediation id: shared parties}."""
    keys = set(mediation.parties.exclude(identity_key="").values_list("identity_key", flat=True))
    if len(keys) < 2:
        return {}
    rows = Party.objects.filter(identity_key__in=keys).exclude(mediation_id=mediation.pk)
    counts = rows.values("mediation_id").annotate(shared=Count("identity_key", distinct=True)).filter(shared__gte=2)
    return {row["mediation_id"]: row["shared"] for row in counts}


def risk_findings(mediation: Mediation) -> list[RiskFinding]:
    """The signals that fire for this dispute now, per the enabled ``RiskRule`` rows."""
    rules = {rule.signal: rule for rule in RiskRule.objects.filter(enabled=True)}
    findings: list[RiskFinding] = []
    now = timezone.now()

    def add(rule: RiskRule, detail: str) -> None:
        findings.append(RiskFinding(rule.signal, rule.level, detail, rule.escalate, rule.alert))

    if (rule := rules.get(RiskSignal.KEYWORDS)) is not None:
        keywords = list(RiskKeyword.objects.filter(enabled=True).values_list("word", flat=True))
        if keywords:
            texts = [mediation.facts, mediation.points_in_dispute, mediation.case.description]
            texts += list(mediation.sessions.values_list("record", flat=True))
            hits = sorted(_tokens("\n".join(t for t in texts if t), keywords) & set(keywords))
            if hits:
                add(rule, _("言语中出现：%(words)s") % {"words": pgettext("列表分隔符", "、").join(hits)})
    if (rule := rules.get(RiskSignal.GROUP)) is not None and rule.threshold:
        sides = dict(
            mediation.parties.filter(role__in=[PartyRole.APPLICANT, PartyRole.RESPONDENT])
            .values_list("role")
            .annotate(n=Count("id"))
            .values_list("role", "n")
        )
        big = {role: n for role, n in sides.items() if n >= rule.threshold}
        if big:
            add(
                rule,
                pgettext("分句分隔符", "；").join(
                    ngettext("%(side)s一方 %(n)d 人", "%(side)s一方 %(n)d 人", n)
                    % {"side": PartyRole(role).label, "n": n}
                    for role, n in sorted(big.items())
                ),
            )
    rule = rules.get(RiskSignal.AMOUNT)
    amount = mediation.amount_involved
    if rule is not None and rule.threshold and amount is not None and amount >= rule.threshold:
        add(rule, _("涉及金额 %(amount)s 元") % {"amount": mediation.amount_involved})
    repeated = rules.get(RiskSignal.REPEATED)
    failed = rules.get(RiskSignal.FAILED_BEFORE)
    if repeated is not None or failed is not None:
        others = _same_party_mediations(mediation)
        if others:
            rows = list(
                Mediation.objects.filter(pk__in=others)
                .select_related("case")
                .order_by("created_at")
                .values_list("pk", "created_at", "outcome", "outcome_at", "case__number")
            )
            if repeated is not None:
                start = now - dt.timedelta(days=repeated.window_days) if repeated.window_days else None
                earlier = [r for r in rows if start is None or r[1] >= start]
                if len(earlier) >= (repeated.threshold or 1):
                    add(
                        repeated,
                        _("同一当事人之间此前纠纷：%(cases)s")
                        % {"cases": pgettext("列表分隔符", "、").join(r[4] for r in earlier)},
                    )
            if failed is not None:
                start = now - dt.timedelta(days=failed.window_days) if failed.window_days else None
                failures = [
                    r
                    for r in rows
                    if r[2] in {Outcome.NO_AGREEMENT, Outcome.TERMINATED}
                    and r[3] is not None
                    and (start is None or r[3] >= start)
                ]
                if failures:
                    add(
                        failed,
                        _("此前调解未成：%(cases)s")
                        % {"cases": pgettext("列表分隔符", "、").join(r[4] for r in failures)},
                    )
    return findings


@dataclass(frozen=True)
class RiskAssessment:
    level: str
    findings: list[RiskFinding]
    alerted: bool
    escalated: bool


def _level_max(*levels: str) -> str:
    return max(levels, key=lambda level: RISK_ORDER[RiskLevel(level)])


def _alert_recipients(case: Case) -> list[User]:
    """The town (street) center's staff and the police liaisons stationed there (or covering the town)."""
    town_id = case.town_id or case.region_id
    kinds = [str(k) for k in setting("alert_unit_kinds") or []]
    units: list[int] = []
    if kinds:
        center = Center.objects.filter(region_id=town_id).first()
        if center is not None:
            units = list(center.stationed_units.filter(kind__in=kinds, is_active=True).values_list("pk", flat=True))
        if not units and case.town is not None:
            chain = [case.town.code[:i] for i in range(1, len(case.town.code) + 1)]
            units = list(
                Unit.objects.filter(kind__in=kinds, is_active=True, regions_covered__code__in=chain)
                .distinct()
                .values_list("pk", flat=True)
            )
    return [
        *_users_with(roles=CENTER_ROLES, region_ids=[town_id]),
        *_users_with(roles=[Role.UNIT_HANDLER], unit_ids=units),
    ]


def mediation_assess_risk(*, mediation: Mediation, actor: User | None = None) -> RiskAssessment:
    """Recompute the risk level from the signals and the mediator's judgment; alert and escalate at once
    (each only once per dispute) when a signal or the high level calls for it. Runs inside the caller's
    transaction (every service that changes a signal's input calls it)."""
    given, mediation = mediation, Mediation.objects.select_related("case", "case__town").get(pk=mediation.pk)
    findings = risk_findings(mediation)
    level = _level_max(mediation.risk_judged_level, *(f.level for f in findings))
    reasons = [{"signal": f.signal, "level": f.level, "detail": f.detail} for f in findings]
    if mediation.risk_judged_level != RiskLevel.LOW and mediation.risk_judged_reason:
        reasons.insert(
            0, {"signal": "judged", "level": mediation.risk_judged_level, "detail": mediation.risk_judged_reason}
        )
    high = level == RiskLevel.HIGH
    want_alert = any(f.alert for f in findings) or (high and bool(setting("high_risk_alert")))
    want_escalate = any(f.escalate for f in findings) or (high and bool(setting("high_risk_escalate")))
    changed = level != mediation.risk_level or reasons != mediation.risk_reasons
    now = timezone.now()
    before = mediation.risk_level
    mediation.risk_level, mediation.risk_reasons, mediation.risk_assessed_at = level, reasons, now
    alerted = escalated = False
    case = mediation.case
    summary = pgettext("分句分隔符", "；").join(r["detail"] for r in reasons) or str(RiskLevel(level).label)
    if want_escalate and mediation.risk_escalated_at is None and mediation.is_open:
        min_tier = int(setting("high_risk_min_tier") or Tier.TOWN)
        if case.tier > min_tier:
            escalated = casework.escalate_by_system(
                case=case,
                reason=_("高风险纠纷自动提级：%(why)s") % {"why": summary},
                data={"risk": level, "signals": [f.signal for f in findings]},
            )
            if escalated:
                mediation.risk_escalated_at = now
                case.refresh_from_db()
    if want_alert and mediation.alerted_at is None and mediation.is_open:
        _notify(
            mediation,
            "dispute.high_risk",
            _("高风险矛盾纠纷：%(number)s %(title)s") % {"number": case.number, "title": case.title},
            _("风险等级：%(level)s。%(why)s") % {"level": RiskLevel(level).label, "why": summary},
            _alert_recipients(case),
        )
        mediation.alerted_at = now
        alerted = True
    mediation.save(update_fields=["risk_level", "risk_reasons", "risk_assessed_at", "alerted_at", "risk_escalated_at"])
    if changed and (level != before or findings):
        casework.timeline_append(
            case=case,
            user=actor,
            action=casework.RISK_ACTION,
            note=_("风险等级：%(level)s。%(why)s") % {"level": RiskLevel(level).label, "why": summary},
            data={"from": before, "to": level, "signals": [f.signal for f in findings]},
        )
    for name in ("risk_level", "risk_reasons", "risk_assessed_at", "alerted_at", "risk_escalated_at"):
        setattr(given, name, getattr(mediation, name))  # the caller's object stays current
    if escalated:
        given.case.refresh_from_db()
    return RiskAssessment(level=level, findings=findings, alerted=alerted, escalated=escalated)


@transaction.atomic
def mediation_judge_risk(*, user: User, mediation: Mediation, level: str, reason: str = "") -> RiskAssessment:
    """The mediator's own assessment; signals can only raise the level above it, never lower it."""
    mediation = _lock(mediation)
    authz.require(user, "mediation.judge_risk", mediation)
    _require_open(mediation)
    mediation.risk_judged_level = _choice(level, RiskLevel.values, "level")
    mediation.risk_judged_reason = _text(reason, "reason", required=level != RiskLevel.LOW)
    _touch(mediation, "risk_judged_level", "risk_judged_reason")
    return mediation_assess_risk(mediation=mediation, actor=user)


# --- mediators ------------------------------------------------------------------------------------


def mediator_check_regions(*, kind: str, regions: Sequence[Region], is_active: bool, exclude_pk: int | None) -> None:
    """Village legal advisors (一村一法律顾问) serve villages only, one active advisor per village."""
    if kind != MediatorKind.LEGAL_ADVISOR or not is_active:
        return
    if any(r.level != Level.VILLAGE for r in regions):
        raise ValidationError({"regions": _("村（居）法律顾问的服务区域必须是村（社区）。")})
    rows = Mediator.objects.filter(kind=MediatorKind.LEGAL_ADVISOR, is_active=True, regions__in=list(regions))
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    taken = list(rows.values_list("name", flat=True).distinct())
    if taken:
        raise ValidationError(
            {
                "regions": _("该村（社区）已有法律顾问：%(names)s。")
                % {"names": pgettext("列表分隔符", "、").join(taken)}
            },
            code="one_advisor_per_village",
        )


@transaction.atomic
def mediator_save(
    *,
    user: User,
    name: str,
    kind: str,
    regions: Sequence[Region],
    mediator: Mediator | None = None,
    account: User | None = None,
    organisation: str = "",
    phone: str = "",
    categories: Sequence[Category] = (),
    is_active: bool = True,
    note: str = "",
) -> Mediator:
    """Add or change a roster row. Village legal advisors: one per village, serving villages only."""
    row = mediator or Mediator()
    if row.pk is not None:
        row = Mediator.objects.select_for_update().get(pk=row.pk)
    authz.require(user, "mediator.change" if row.pk else "mediator.add", row)
    if not regions:
        raise ValidationError({"regions": _("请至少选择一个服务区域。")})
    if not authz.has_role(user, Role.SYSTEM_ADMIN) and not all(
        authz.region_in_scope(user, r, CENTER_ROLES) for r in regions
    ):
        raise ValidationError({"regions": _("只能选择本中心管辖范围内的区域。")})
    kind = _choice(kind, MediatorKind.values, "kind")
    mediator_check_regions(kind=kind, regions=regions, is_active=is_active, exclude_pk=row.pk)
    if any(c.kind != CategoryKind.DISPUTE for c in categories):
        raise ValidationError({"categories": _("擅长类型只能是矛盾纠纷类分类。")})
    if account is not None:
        if not RoleAssignment.objects.filter(user=account, role=Role.MEDIATOR).exists():
            raise ValidationError({"account": _("关联的账号须具有调解员角色。")})
        if Mediator.objects.filter(user=account).exclude(pk=row.pk).exists():
            raise ValidationError({"account": _("该账号已关联其他调解员。")})
    row.name = _text(name, "name", required=True, limit=100)
    row.kind = kind
    row.user = account
    row.organisation = _text(organisation, "organisation", limit=100)
    row.phone = identity.validate_phone(phone) if phone.strip() else ""
    row.is_active = is_active
    row.note = _text(note, "note")
    row.save()
    row.regions.set(regions)
    row.categories.set(categories)
    audit_record(actor=user, action="disputes.mediator.save", target=row, detail={"kind": kind})
    return row


def mediators_in_scope(*, user: User, mediation: Mediation) -> Any:
    """The roster rows the center may choose from: serving the dispute's place or anywhere in its scope."""
    case = mediation.case
    chain = [r.pk for r in (case.city, case.town, case.village, case.grid) if r is not None]
    q = Q(regions__in=chain) | authz.region_scope_q(user, "regions", CENTER_ROLES)
    return Mediator.objects.filter(q, is_active=True).distinct()


@transaction.atomic
def mediation_assign(
    *, user: User, mediation: Mediation, lead: Mediator, co_mediators: Sequence[Mediator] = ()
) -> Mediation:
    """The center holding the case names the lead mediator and any co-mediators."""
    mediation = _lock(mediation)
    authz.require(user, "mediation.assign", mediation)
    _require_open(mediation)
    co = {m.pk: m for m in co_mediators if m.pk != lead.pk}
    allowed = set(mediators_in_scope(user=user, mediation=mediation).values_list("pk", flat=True))
    outside = [m.name for m in (lead, *co.values()) if m.pk not in allowed]
    if outside:
        raise ValidationError(
            {
                "mediators": _("以下调解员不在可选范围内或已不在册：%(names)s")
                % {"names": pgettext("列表分隔符", "、").join(outside)}
            }
        )
    previous = set(_mediator_users(mediation))
    mediation.lead_mediator = lead
    _touch(mediation, "lead_mediator")
    mediation.co_mediators.set(list(co.values()))
    names = pgettext("列表分隔符", "、").join([lead.name, *(m.name for m in co.values())])
    casework.timeline_append(
        case=mediation.case,
        user=user,
        note=_("指定调解员：%(names)s") % {"names": names},
        data={"step": "assigned", "lead": lead.pk, "co": sorted(co)},
    )
    newcomers = [u for u in _mediator_users(mediation) if u not in previous]
    _notify(
        mediation,
        "dispute.assigned",
        _("您被指定调解纠纷：%(number)s") % {"number": mediation.case.number},
        mediation.case.title,
        newcomers,
        exclude=user,
    )
    return mediation


# --- sessions -------------------------------------------------------------------------------------


@transaction.atomic
def session_schedule(*, user: User, mediation: Mediation, held_at: dt.datetime, place: str) -> MediationSession:
    """Book the next sitting (the mediators see it on their workbench)."""
    mediation = _lock(mediation)
    authz.require(user, "mediation.session", mediation)
    _require_open(mediation)
    if timezone.is_naive(held_at):
        raise ValidationError({"held_at": _("时间须带时区。")})
    session = MediationSession.objects.create(
        mediation=mediation, held_at=held_at, place=_text(place, "place", required=True, limit=200), created_by=user
    )
    _notify(
        mediation,
        "dispute.session_scheduled",
        _("调解会安排：%(number)s") % {"number": mediation.case.number},
        _("%(when)s 在 %(place)s")
        % {"when": timezone.localtime(held_at, LOCAL_TZ).strftime("%Y-%m-%d %H:%M"), "place": session.place},
        _mediator_users(mediation),
        exclude=user,
    )
    return session


@transaction.atomic
def session_record(
    *,
    user: User,
    mediation: Mediation,
    held_at: dt.datetime,
    place: str,
    record: str,
    session: MediationSession | None = None,
    attended_parties: Sequence[Party] = (),
    attended_mediators: Sequence[Mediator] = (),
    other_attendees: str = "",
    next_step: str = "",
) -> MediationSession:
    """Record a sitting that took place (a booked one, or a new one): who came, what was said, next step."""
    mediation = _lock(mediation)
    authz.require(user, "mediation.session", mediation)
    _require_open(mediation)
    if timezone.is_naive(held_at):
        raise ValidationError({"held_at": _("时间须带时区。")})
    if held_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"held_at": _("尚未举行的调解会不能登记记录。")})
    if any(p.mediation_id != mediation.pk for p in attended_parties):
        raise ValidationError({"attended_parties": _("到场当事人须是本纠纷的当事人。")})
    if session is None:
        session = MediationSession(mediation=mediation, created_by=user)
    else:
        session = MediationSession.objects.select_for_update().get(pk=session.pk, mediation=mediation)
    session.held_at = held_at
    session.place = _text(place, "place", required=True, limit=200)
    session.record = _text(record, "record", required=True, limit=20000)
    session.next_step = _text(next_step, "next_step")
    session.other_attendees = _text(other_attendees, "other_attendees", limit=300)
    session.recorded_at = timezone.now()
    session.save()
    session.attended_parties.set(list(attended_parties))
    session.attended_mediators.set(list(attended_mediators))
    number = mediation.sessions.filter(recorded_at__isnull=False, held_at__lte=held_at).count()
    casework.timeline_append(
        case=mediation.case,
        user=user,
        note=_("第 %(n)d 次调解（%(place)s）。下一步：%(next)s")
        % {"n": number, "place": session.place, "next": session.next_step or "—"},
        data={"step": "session", "session": session.pk},
    )
    mediation_assess_risk(mediation=mediation, actor=user)
    return session


# --- outcome and agreement ------------------------------------------------------------------------


def _next_agreement_number(region: Region, year: int) -> str:
    counter, _created = AgreementCounter.objects.get_or_create(region=region, year=year)
    counter = AgreementCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{region.code}-{year}-{counter.last:04d}"


def _schedule(mediation: Mediation, kind: str, due_at: dt.datetime) -> None:
    MediationReminder.objects.update_or_create(
        mediation=mediation, kind=kind, defaults={"due_at": due_at, "sent_at": None, "cancelled_at": None}
    )


def _cancel(mediation: Mediation, *kinds: str) -> None:
    MediationReminder.objects.filter(
        mediation=mediation, kind__in=kinds, sent_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=timezone.now())


def _schedule_performance(mediation: Mediation) -> None:
    deadline = mediation.performance_deadline
    if deadline is None:
        return
    before = int(setting("performance_remind_days_before"))
    after = int(setting("performance_follow_up_days_after"))
    _schedule(mediation, ReminderKind.PERFORMANCE_DUE, local_morning(deadline - dt.timedelta(days=before)))
    _schedule(mediation, ReminderKind.PERFORMANCE_FOLLOW_UP, local_morning(deadline + dt.timedelta(days=after)))


def _schedule_court_confirmation(mediation: Mediation) -> None:
    if not mediation.court_confirmation_wanted or mediation.court_confirmation_deadline is None:
        _cancel(mediation, ReminderKind.COURT_CONFIRMATION)
        return
    if mediation.court_confirmation_applied_on is not None:
        _cancel(mediation, ReminderKind.COURT_CONFIRMATION)
        return
    before = int(setting("court_confirmation_remind_days_before"))
    _schedule(
        mediation,
        ReminderKind.COURT_CONFIRMATION,
        local_morning(mediation.court_confirmation_deadline - dt.timedelta(days=before)),
    )


def _set_signed(mediation: Mediation, signed_on: dt.date) -> None:
    if signed_on > local_today():
        raise ValidationError({"signed_on": _("签订日期不能晚于今天。")})
    mediation.agreement_signed_on = signed_on
    mediation.court_confirmation_deadline = signed_on + dt.timedelta(
        days=int(setting("court_confirmation_window_days"))
    )


@dataclass
class AgreementTerms:
    """What an agreement states (Art. 29): each side's responsibility, the terms, manner and deadline."""

    form: str
    terms: str
    responsibilities: str = ""
    performance_manner: str = ""
    performance_deadline: dt.date | None = None
    signed_on: dt.date | None = None
    court_confirmation_wanted: bool = False


@transaction.atomic
def mediation_conclude(
    *,
    user: User,
    mediation: Mediation,
    outcome: str,
    agreement: AgreementTerms | None = None,
    referral: str = "",
    referral_note: str = "",
    terminated_reason: str = "",
) -> Mediation:
    """Record the outcome: agreement (oral or written, Art. 28), no agreement (with the referral given so
    the resident's path continues), or terminated (with the reason)."""
    mediation = _lock(mediation)
    authz.require(user, "mediation.conclude", mediation)
    _require_open(mediation)
    outcome = _choice(outcome, [o for o in Outcome.values if o != Outcome.OPEN], "outcome")
    held = mediation.sessions.filter(recorded_at__isnull=False).exists()
    if outcome in {Outcome.AGREEMENT, Outcome.NO_AGREEMENT} and not held:
        raise ValidationError(_("请先登记至少一次调解会记录。"), code="no_session")
    roles = set(mediation.parties.values_list("role", flat=True))
    if outcome == Outcome.AGREEMENT and not {PartyRole.APPLICANT, PartyRole.RESPONDENT} <= roles:
        raise ValidationError(_("调解协议须有申请人和被申请人。"), code="parties_missing")
    now = timezone.now()
    case = mediation.case
    mediation.outcome = outcome
    mediation.outcome_at = now
    mediation.outcome_by = user
    mediation.outcome_tier = case.tier
    mediation.outcome_region = case.region
    mediation.committee_name = str(setting("committee_name_format")).format(region=case.region.name)[:100]
    if outcome == Outcome.AGREEMENT:
        if agreement is None:
            raise ValidationError({"agreement": _("请填写协议内容。")})
        mediation.agreement_form = _choice(agreement.form, AgreementForm.values, "form")
        mediation.terms = _text(agreement.terms, "terms", required=True)
        written = mediation.agreement_form == AgreementForm.WRITTEN
        mediation.responsibilities = _text(agreement.responsibilities, "responsibilities", required=written)
        mediation.performance_manner = _text(
            agreement.performance_manner, "performance_manner", required=written, limit=200
        )
        if written and agreement.performance_deadline is None:
            raise ValidationError({"performance_deadline": _("书面协议须写明履行期限。")})
        if agreement.performance_deadline is not None and agreement.performance_deadline < local_today():
            raise ValidationError({"performance_deadline": _("履行期限不能早于今天。")})
        mediation.performance_deadline = agreement.performance_deadline
        mediation.court_confirmation_wanted = bool(agreement.court_confirmation_wanted)
        signed_on = agreement.signed_on or (None if written else local_today())
        if signed_on is not None:
            _set_signed(mediation, signed_on)
        if written:
            mediation.agreement_number = _next_agreement_number(case.region, local_today().year)
        mediation.referral = ""
    elif outcome == Outcome.NO_AGREEMENT:
        mediation.referral = _choice(referral, Referral.values, "referral")
        mediation.referral_note = _text(referral_note, "referral_note")
    else:
        mediation.terminated_reason = _text(terminated_reason, "terminated_reason", required=True)
        mediation.referral = _choice(referral, Referral.values, "referral", blank=True)
        mediation.referral_note = _text(referral_note, "referral_note")
    mediation.updated_at = now
    mediation.save()
    if outcome == Outcome.AGREEMENT:
        _schedule_performance(mediation)
        _schedule_court_confirmation(mediation)
    note = str(Outcome(outcome).label)
    if mediation.referral:
        note += _("；告知途径：%(path)s") % {"path": Referral(mediation.referral).label}
    if mediation.terminated_reason:
        note += _("；终止理由：%(why)s") % {"why": mediation.terminated_reason}
    casework.timeline_append(
        case=case,
        user=user,
        note=note,
        data={"step": "outcome", "outcome": outcome, "referral": mediation.referral, "tier": case.tier},
    )
    _notify(
        mediation,
        "dispute.concluded",
        _("纠纷调解结果：%(number)s %(outcome)s") % {"number": case.number, "outcome": Outcome(outcome).label},
        note,
        [*_mediator_users(mediation), *_users_with(roles=CENTER_ROLES, region_ids=[case.region_id])],
        exclude=user,
    )
    return mediation


def _store_document(
    mediation: Mediation,
    *,
    kind: str,
    content: bytes,
    content_type: str,
    name: str,
    user: User,
    original_name: str = "",
) -> MediationDocument:
    """Write the file and its row, last in the calling service, so nothing after it can fail and leave an orphan."""
    document = MediationDocument(
        mediation=mediation,
        kind=kind,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        original_name=(original_name or name)[:200],
        created_by=user,
    )
    document.file.save(name, ContentFile(content), save=False)
    try:
        document.save()
    except BaseException:
        document.file.delete(save=False)
        raise
    return document


@transaction.atomic
def agreement_generate(*, user: User, mediation: Mediation) -> MediationDocument:
    """Render the written agreement (every copy) as a PDF and keep it with the record."""
    from .agreement import agreement_pdf

    mediation = _lock(mediation)
    authz.require(user, "mediation.agreement", mediation)
    if mediation.outcome != Outcome.AGREEMENT or mediation.agreement_form != AgreementForm.WRITTEN:
        raise ValidationError(_("只有达成书面协议的纠纷才能生成调解协议书。"), code="not_written")
    content = agreement_pdf(mediation)
    casework.timeline_append(
        case=mediation.case,
        user=user,
        note=_("生成调解协议书 %(number)s") % {"number": mediation.agreement_number},
        data={"step": "agreement", "number": mediation.agreement_number},
    )
    return _store_document(
        mediation,
        kind=DocumentKind.AGREEMENT,
        content=content,
        content_type="application/pdf",
        name=f"agreement-{mediation.agreement_number}.pdf",
        user=user,
    )


@transaction.atomic
def signed_scan_attach(
    *,
    user: User,
    mediation: Mediation,
    upload: bytes | IO[bytes],
    filename: str,
    signed_on: dt.date | None = None,
) -> MediationDocument:
    """Attach the signed, sealed agreement scan (PDF or image; images lose their EXIF); records the
    signing date, from which the 30-day window for court confirmation runs (Art. 33)."""
    from civicgrid.cases.attachments import clean_upload, read_limited
    from civicgrid.cases.models import CaseSettings

    mediation = _lock(mediation)
    authz.require(user, "mediation.document_add", mediation)
    if mediation.outcome != Outcome.AGREEMENT or mediation.agreement_form != AgreementForm.WRITTEN:
        raise ValidationError(_("只有书面调解协议才能上传签字扫描件。"), code="not_written")
    limits = CaseSettings.current()
    clean = clean_upload(read_limited(upload, limits.attachment_max_bytes), max_pixels=limits.attachment_max_pixels)
    if signed_on is not None:
        _set_signed(mediation, signed_on)
        mediation.updated_at = timezone.now()
        mediation.save(update_fields=["agreement_signed_on", "court_confirmation_deadline", "updated_at"])
        _schedule_court_confirmation(mediation)
    elif mediation.agreement_signed_on is None:
        raise ValidationError({"signed_on": _("请填写协议签订日期。")})
    casework.timeline_append(
        case=mediation.case,
        user=user,
        note=_("上传签字盖章的调解协议书，签订日期 %(day)s") % {"day": mediation.agreement_signed_on},
        data={"step": "signed_scan"},
    )
    return _store_document(
        mediation,
        kind=DocumentKind.SIGNED_SCAN,
        content=clean.content,
        content_type=clean.content_type,
        name=f"signed-{mediation.agreement_number}.{clean.extension}",
        user=user,
        original_name=filename,
    )


@transaction.atomic
def court_confirmation_update(
    *, user: User, mediation: Mediation, wanted: bool, applied_on: dt.date | None = None
) -> Mediation:
    """Whether the parties want court confirmation (Art. 33) and when they applied."""
    mediation = _lock(mediation)
    authz.require(user, "mediation.follow_up", mediation)
    if mediation.outcome != Outcome.AGREEMENT:
        raise ValidationError(_("只有调解成功的纠纷才能申请司法确认。"))
    if applied_on is not None and applied_on > local_today():
        raise ValidationError({"applied_on": _("申请日期不能晚于今天。")})
    mediation.court_confirmation_wanted = wanted
    mediation.court_confirmation_applied_on = applied_on if wanted else None
    _touch(mediation, "court_confirmation_wanted", "court_confirmation_applied_on")
    _schedule_court_confirmation(mediation)
    return mediation


@transaction.atomic
def performance_check_record(
    *, user: User, mediation: Mediation, checked_on: dt.date, status: str, note: str = ""
) -> PerformanceCheck:
    """A follow-up on performance (fully / partly / not performed)."""
    mediation = _lock(mediation)
    authz.require(user, "mediation.follow_up", mediation)
    if mediation.outcome != Outcome.AGREEMENT:
        raise ValidationError(_("只有调解成功的纠纷才需要回访履行情况。"), code="not_agreed")
    status = _choice(status, PerformanceStatus.values, "status")
    if checked_on > local_today():
        raise ValidationError({"checked_on": _("回访日期不能晚于今天。")})
    check = PerformanceCheck.objects.create(
        mediation=mediation, checked_on=checked_on, status=status, note=_text(note, "note"), created_by=user
    )
    mediation.performance_status = status
    mediation.performance_checked_at = timezone.now()
    _touch(mediation, "performance_status", "performance_checked_at")
    if status == PerformanceStatus.FULL:
        _cancel(mediation, ReminderKind.PERFORMANCE_DUE, ReminderKind.PERFORMANCE_FOLLOW_UP)
    else:
        _cancel(mediation, ReminderKind.PERFORMANCE_FOLLOW_UP)
    casework.timeline_append(
        case=mediation.case,
        user=user,
        note=_("履行回访：%(status)s") % {"status": PerformanceStatus(status).label},
        data={"step": "performance", "status": status},
    )
    return check


@transaction.atomic
def document_open(*, user: User, document: MediationDocument, request: HttpRequest | None = None) -> MediationDocument:
    """Permission check and audit row for a download of an agreement or a signed scan (it names the parties)."""
    document = MediationDocument.objects.select_related("mediation", "mediation__case").get(pk=document.pk)
    authz.require(user, "mediation.view", document.mediation)
    audit_record(
        actor=user,
        action="disputes.document.download",
        target=document,
        detail={"case": document.mediation.case.number, "kind": document.kind},
        request=request,
    )
    return document


# --- reminders (the worker's job) -----------------------------------------------------------------


def _reminder_text(reminder: MediationReminder) -> tuple[str, str]:
    mediation = reminder.mediation
    number = mediation.case.number
    if reminder.kind == ReminderKind.PERFORMANCE_DUE:
        return (
            _("调解协议履行期限将至：%(number)s") % {"number": number},
            _("履行期限 %(day)s，请提醒当事人按约履行。") % {"day": mediation.performance_deadline},
        )
    if reminder.kind == ReminderKind.PERFORMANCE_FOLLOW_UP:
        return (
            _("请回访调解协议履行情况：%(number)s") % {"number": number},
            _("履行期限 %(day)s 已届满，请登记履行情况。") % {"day": mediation.performance_deadline},
        )
    return (
        _("司法确认申请期限将至：%(number)s") % {"number": number},
        _("当事人拟申请司法确认，须在 %(day)s 前共同向人民法院提出（人民调解法第三十三条）。")
        % {"day": mediation.court_confirmation_deadline},
    )


def reminders_send_due(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Send every reminder that is due, once; safe to run from several workers at the same time."""
    from civicgrid.core.jobs import claim

    now = now or timezone.now()
    batch = limit or int(setting("reminder_batch"))
    with transaction.atomic():
        rows = claim(
            MediationReminder.objects.filter(sent_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now)
            .select_related("mediation", "mediation__case", "mediation__lead_mediator__user")
            .order_by("due_at", "id"),
            limit=batch,
        )
        for reminder in rows:
            MediationReminder.objects.filter(pk=reminder.pk).update(sent_at=now)
            mediation = reminder.mediation
            if mediation.outcome != Outcome.AGREEMENT:
                continue
            subject, body = _reminder_text(reminder)
            recipients = _mediator_users(mediation) or _users_with(
                roles=CENTER_ROLES, region_ids=[mediation.case.region_id]
            )
            _notify(mediation, f"dispute.{reminder.kind}", subject, body, recipients)
    return len(rows)


__all__ = [
    "AgreementTerms",
    "DisputeDraft",
    "PartyData",
    "RevealedParty",
    "RiskAssessment",
    "agreement_generate",
    "court_confirmation_update",
    "dispute_create",
    "document_open",
    "mediation_assess_risk",
    "mediation_assign",
    "mediation_conclude",
    "mediation_judge_risk",
    "mediation_update",
    "mediator_save",
    "party_add",
    "party_remove",
    "party_reveal",
    "party_update",
    "performance_check_record",
    "reminders_send_due",
    "screening_report_submit",
    "screening_round_schedule",
    "session_record",
    "session_schedule",
]
