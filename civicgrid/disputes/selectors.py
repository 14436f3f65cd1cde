"""Reads of the disputes app that need permission or cleverness: the mediator's workbench, the center's
dispute board, screening coverage, mediator suggestions and the figures (per region, tier, type, period).

Figures, defined once here (the page, the API and the quarterly reports use these):

- ``screened``: disputes recorded in the period (mediation records created, whatever the channel);
  ``found_by_screening``: those of them that came from a screening report.
- ``mediated``: disputes whose mediation ended in the period (agreement, no agreement or terminated).
- ``agreed``; ``success_rate`` = agreed / mediated (调解成功率).
- ``performance_checked``: agreements of the period with a performance follow-up; ``performed``: those
  fully performed; ``performance_rate`` = performed / performance_checked (履行率).
- ``resolved_in_village``: agreements reached while a village (community) center held the case;
  ``resolved_in_town``: reached at village or town level (小事不出村、大事不出镇); their rates are over
  ``mediated``.
- ``referred``: ended disputes for which a further path (litigation, arbitration, administrative
  reconsideration, petitions, other) was given.
Rates are Decimals rounded half-up to 4 places, or None when the denominator is 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases.models import Category, Tier
from civicgrid.people import authorization as authz
from civicgrid.people.models import User
from civicgrid.regions.models import Level, Region

from .models import (
    CONCLUDED_OUTCOMES,
    RISK_ORDER,
    AgreementForm,
    Mediation,
    MediationSession,
    Mediator,
    MediatorKind,
    Outcome,
    PerformanceStatus,
    RiskLevel,
    ScreeningReport,
    ScreeningRound,
    ScreeningStatus,
)
from .services import LOCAL_TZ, local_morning, local_today, setting

# --- lists ---------------------------------------------------------------------------------------


def mediations_visible(user: User) -> QuerySet[Mediation]:
    return authz.visible(user, Mediation.objects.all()).select_related(
        "case", "case__category", "case__region", "lead_mediator"
    )


def mediation_for_page(*, user: User, number: str) -> Mediation:
    """The dispute with case number ``number`` if the user may see it (else DoesNotExist: a 404, not a hint)."""
    return mediations_visible(user).select_related("case__town", "case__village", "case__grid").get(case__number=number)


# --- the mediator's workbench ---------------------------------------------------------------------


@dataclass
class Workbench:
    cases: list[Mediation]
    next_sessions: list[MediationSession]
    follow_ups_due: list[Mediation]
    court_confirmations_due: list[Mediation]


def _mine_q(user: User, prefix: str = "") -> Q:
    return Q(**{f"{prefix}lead_mediator__user_id": user.pk}) | Q(**{f"{prefix}co_mediators__user_id": user.pk})


def workbench(*, user: User) -> Workbench:
    """My open disputes (highest risk first), my next sessions, follow-ups and court confirmations due."""
    mine = Mediation.objects.filter(_mine_q(user)).values("pk")
    base = Mediation.objects.filter(pk__in=mine).select_related("case", "case__category", "lead_mediator")
    cases = sorted(
        base.filter(outcome=Outcome.OPEN),
        key=lambda m: (-RISK_ORDER[RiskLevel(m.risk_level)], m.created_at),
    )
    now = timezone.now()
    sessions = list(
        MediationSession.objects.filter(
            mediation__in=mine,
            mediation__outcome=Outcome.OPEN,
            recorded_at__isnull=True,
            held_at__gte=now - dt.timedelta(hours=12),
        )
        .select_related("mediation__case")
        .order_by("held_at")[:20]
    )
    horizon = local_today() + dt.timedelta(days=int(setting("performance_remind_days_before")))
    follow_ups = list(
        base.filter(outcome=Outcome.AGREEMENT, performance_deadline__lte=horizon)
        .exclude(performance_status=PerformanceStatus.FULL)
        .order_by("performance_deadline")
    )
    court = list(
        base.filter(
            outcome=Outcome.AGREEMENT,
            court_confirmation_wanted=True,
            court_confirmation_applied_on__isnull=True,
            court_confirmation_deadline__gte=local_today(),
        ).order_by("court_confirmation_deadline")
    )
    return Workbench(cases=cases, next_sessions=sessions, follow_ups_due=follow_ups, court_confirmations_due=court)


# --- the center's board ---------------------------------------------------------------------------

AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (("0-7", 7), ("8-30", 30), ("31-90", 90), (">90", None))


@dataclass
class Board:
    by_risk_and_age: dict[str, dict[str, int]]
    high_risk: list[Mediation]
    oldest: list[Mediation]
    rounds: list[RoundCoverage]
    open_total: int


def _age_bucket(days: int) -> str:
    for label, limit in AGE_BUCKETS:
        if limit is None or days <= limit:
            return label
    return AGE_BUCKETS[-1][0]


def dispute_board(*, user: User, region: Region | None = None) -> Board:
    """Open disputes in the user's view by risk and age (days since recorded), and the latest rounds' coverage."""
    qs = mediations_visible(user).filter(outcome=Outcome.OPEN)
    if region is not None:
        qs = qs.filter(case__area_code__startswith=region.code)
    today = local_today()
    table: dict[str, dict[str, int]] = {
        level: dict.fromkeys((b for b, _l in AGE_BUCKETS), 0) for level in RiskLevel.values
    }
    rows = list(qs.values_list("risk_level", "created_at"))
    for level, created in rows:
        days = (today - timezone.localtime(created, LOCAL_TZ).date()).days
        table[level][_age_bucket(days)] += 1
    rounds = authz.visible(user, ScreeningRound.objects.all()).order_by("-period_start", "-id")[:5]
    return Board(
        by_risk_and_age=table,
        high_risk=list(qs.filter(risk_level=RiskLevel.HIGH).order_by("created_at")[:50]),
        oldest=list(qs.order_by("created_at")[:20]),
        rounds=[screening_coverage(user=user, round_=r) for r in rounds],
        open_total=len(rows),
    )


# --- screening coverage ---------------------------------------------------------------------------


@dataclass
class CoverageRow:
    report: ScreeningReport
    late: bool  # not reported and past the due date
    reported_late: bool  # reported after the due date


@dataclass
class RoundCoverage:
    round: ScreeningRound
    rows: list[CoverageRow]
    total: int = 0
    reported: int = 0
    none_found: int = 0
    found_grids: int = 0
    pending: int = 0
    late: int = 0
    reported_late: int = 0
    disputes_found: int = 0
    by_category: list[tuple[str, int]] = field(default_factory=list)

    @property
    def coverage_rate(self) -> Decimal | None:
        return rate(self.reported, self.total)


def screening_coverage(*, user: User, round_: ScreeningRound) -> RoundCoverage:
    """Which grids reported, which are late, what was found and of which types (the user's grids only)."""
    authz.require(user, "screening.view", round_)
    today = local_today()
    reports = list(
        authz.visible(user, ScreeningReport.objects.filter(round=round_)).select_related("grid").order_by("grid__code")
    )
    coverage = RoundCoverage(round=round_, rows=[])
    for report in reports:
        pending = report.status == ScreeningStatus.PENDING
        late = pending and today > round_.due_date
        reported_late = (
            not pending
            and report.reported_at is not None
            and timezone.localtime(report.reported_at, LOCAL_TZ).date() > round_.due_date
        )
        coverage.rows.append(CoverageRow(report=report, late=late, reported_late=reported_late))
        coverage.total += 1
        coverage.pending += pending
        coverage.reported += not pending
        coverage.none_found += report.status == ScreeningStatus.NONE_FOUND
        coverage.found_grids += report.status == ScreeningStatus.FOUND
        coverage.late += late
        coverage.reported_late += reported_late
    found = (
        Mediation.objects.filter(screening_report__in=[r.pk for r in reports])
        .values("case__category__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "case__category__name")
    )
    coverage.by_category = [(row["case__category__name"], row["n"]) for row in found]
    coverage.disputes_found = sum(n for _name, n in coverage.by_category)
    return coverage


# --- mediator suggestions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    mediator: Mediator
    reasons: list[str]
    score: tuple[int, ...]


def _category_chain(category: Category) -> list[int]:
    chain: list[int] = []
    node: Category | None = category
    while node is not None:
        chain.append(node.pk)
        node = node.parent
    return chain


def mediators_suggest(*, user: User, mediation: Mediation, limit: int = 8) -> list[Suggestion]:
    """Roster rows serving the dispute's place, best first: those for this type of dispute, those closest
    to the place (the village's legal advisor before the city's), and those with fewer open cases."""
    authz.require(user, "mediation.view", mediation)
    case = mediation.case
    places = {r.pk: r for r in (case.grid, case.village, case.town, case.city) if r is not None}
    categories = set(_category_chain(case.category))
    candidates = (
        Mediator.objects.filter(is_active=True, regions__in=list(places))
        .distinct()
        .prefetch_related("regions", "categories")
    )
    load = dict(
        Mediation.objects.filter(outcome=Outcome.OPEN, lead_mediator__isnull=False)
        .values_list("lead_mediator")
        .annotate(n=Count("pk"))
        .values_list("lead_mediator", "n")
    )
    suggestions = []
    for mediator in candidates:
        served = [r for r in mediator.regions.all() if r.pk in places]
        closest = max(r.level for r in served)
        kinds = {c.pk for c in mediator.categories.all()}
        specialist = bool(kinds & categories)
        reasons = [_("服务%(region)s") % {"region": max(served, key=lambda r: r.level).name}]
        if specialist:
            reasons.append(_("擅长此类纠纷"))
        elif not kinds:
            reasons.append(_("各类纠纷"))
        if mediator.kind == MediatorKind.LEGAL_ADVISOR:
            reasons.append(_("本村法律顾问"))
        open_cases = load.get(mediator.pk, 0)
        reasons.append(_("在办 %(n)d 件") % {"n": open_cases})
        if kinds and not specialist:
            continue  # a specialist in other types is still choosable, but not suggested
        score = (0 if specialist else 1, -closest, open_cases, mediator.pk)
        suggestions.append(Suggestion(mediator=mediator, reasons=reasons, score=score))
    suggestions.sort(key=lambda s: s.score)
    return suggestions[:limit]


# --- figures --------------------------------------------------------------------------------------

GROUPINGS = ("", "region", "tier", "category", "month")


def rate(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    key: str
    label: str
    screened: int = 0
    found_by_screening: int = 0
    mediated: int = 0
    agreed: int = 0
    agreed_written: int = 0
    no_agreement: int = 0
    terminated: int = 0
    referred: int = 0
    performance_checked: int = 0
    performed: int = 0
    resolved_in_village: int = 0
    resolved_in_town: int = 0

    @property
    def success_rate(self) -> Decimal | None:
        return rate(self.agreed, self.mediated)

    @property
    def performance_rate(self) -> Decimal | None:
        return rate(self.performed, self.performance_checked)

    @property
    def village_rate(self) -> Decimal | None:
        return rate(self.resolved_in_village, self.mediated)

    @property
    def town_rate(self) -> Decimal | None:
        return rate(self.resolved_in_town, self.mediated)

    def as_dict(self) -> dict[str, Any]:
        rates = {
            name: (str(value) if value is not None else None)
            for name, value in (
                ("success_rate", self.success_rate),
                ("performance_rate", self.performance_rate),
                ("village_rate", self.village_rate),
                ("town_rate", self.town_rate),
            )
        }
        counts = {k: v for k, v in self.__dict__.items()}
        return {**counts, **rates}


def _period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if end < start:
        raise ValidationError({"end": _("结束日期不能早于开始日期。")})
    return local_morning(start, 0), local_morning(end + dt.timedelta(days=1), 0)


def _group_expr(group_by: str, region: Region | None, side: str) -> tuple[Any, dict[str, str]]:
    """(expression for the group key, {key: label}) for one side ("intake" by created_at, "outcome")."""
    if group_by == "region":
        children = list(Region.objects.filter(parent=region) if region else Region.objects.filter(level=Level.CITY))
        if not children:
            raise ValidationError({"group_by": _("该区域没有下级区域。")})
        width = len(children[0].code)
        labels = {c.code: c.name for c in children}
        return Substr("case__area_code", 1, width), labels
    if group_by == "tier":
        labels = {str(t.value): str(t.label) for t in Tier}
        return ("case__tier" if side == "intake" else "outcome_tier"), labels
    if group_by == "category":
        labels = {str(pk): name for pk, name in Category.objects.values_list("pk", "name")}
        return "case__category_id", labels
    if group_by == "month":
        column = "created_at" if side == "intake" else "outcome_at"
        return TruncMonth(column, tzinfo=LOCAL_TZ), {}
    return None, {"": str(_("合计"))}


def _key(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, LOCAL_TZ).strftime("%Y-%m")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    return str(value)


def _grouped(qs: QuerySet[Mediation], key: Any, **measures: Any) -> list[dict[str, Any]]:
    """Aggregate ``measures`` per value of ``key`` (or once over everything when ``key`` is None)."""
    if key is None:
        totals = qs.aggregate(**measures)
        return [{"group": None, **totals}] if totals.get(next(iter(measures))) else []
    if isinstance(key, str):
        key = F(key)
    return list(qs.annotate(group=key).values("group").annotate(**measures).order_by("group"))


def dispute_figures(
    *, user: User, start: dt.date, end: dt.date, region: Region | None = None, group_by: str = ""
) -> list[Figures]:
    """The figures over the disputes the user may see, in ``region`` (by place), for local dates
    ``start``–``end`` inclusive, optionally grouped by child region, tier, type (category) or month."""
    if group_by not in GROUPINGS:
        raise ValidationError({"group_by": _("分组方式无效。")})
    since, until = _period_bounds(start, end)
    base = authz.visible(user, Mediation.objects.all())
    if region is not None:
        base = base.filter(case__area_code__startswith=region.code)
    rows: dict[str, Figures] = {}

    intake_key, labels = _group_expr(group_by, region, "intake")
    outcome_key, _labels = _group_expr(group_by, region, "outcome")

    def row(value: Any) -> Figures:
        key = _key(value)
        if key not in rows:
            rows[key] = Figures(key=key, label=labels.get(key, key) if labels else key)
        return rows[key]

    intake = base.filter(created_at__gte=since, created_at__lt=until)
    for item in _grouped(
        intake, intake_key, screened=Count("pk"), found=Count("pk", filter=Q(screening_report__isnull=False))
    ):
        figures = row(item["group"])
        figures.screened += item["screened"]
        figures.found_by_screening += item["found"]

    ended = base.filter(outcome__in=list(CONCLUDED_OUTCOMES), outcome_at__gte=since, outcome_at__lt=until)
    agreed = Q(outcome=Outcome.AGREEMENT)
    for item in _grouped(
        ended,
        outcome_key,
        mediated=Count("pk"),
        agreed=Count("pk", filter=agreed),
        agreed_written=Count("pk", filter=agreed & Q(agreement_form=AgreementForm.WRITTEN)),
        no_agreement=Count("pk", filter=Q(outcome=Outcome.NO_AGREEMENT)),
        terminated=Count("pk", filter=Q(outcome=Outcome.TERMINATED)),
        referred=Count("pk", filter=~Q(referral="")),
        checked=Count("pk", filter=agreed & ~Q(performance_status="")),
        performed=Count("pk", filter=agreed & Q(performance_status=PerformanceStatus.FULL)),
        village=Count("pk", filter=agreed & Q(outcome_tier=Tier.VILLAGE)),
        town=Count("pk", filter=agreed & Q(outcome_tier__in=[Tier.VILLAGE, Tier.TOWN])),
    ):
        figures = row(item["group"])
        figures.mediated += item["mediated"]
        figures.agreed += item["agreed"]
        figures.agreed_written += item["agreed_written"]
        figures.no_agreement += item["no_agreement"]
        figures.terminated += item["terminated"]
        figures.referred += item["referred"]
        figures.performance_checked += item["checked"]
        figures.performed += item["performed"]
        figures.resolved_in_village += item["village"]
        figures.resolved_in_town += item["town"]
    if not group_by and not rows:
        row(None)
    return sorted(rows.values(), key=lambda f: f.key)


def figures_total(figures: Iterable[Figures]) -> Figures:
    total = Figures(key="", label=str(_("合计")))
    for item in figures:
        for name, value in item.__dict__.items():
            if isinstance(value, int):
                setattr(total, name, getattr(total, name) + value)
    return total


__all__ = [
    "Board",
    "Figures",
    "RoundCoverage",
    "Workbench",
    "dispute_board",
    "dispute_figures",
    "mediators_suggest",
    "screening_coverage",
    "workbench",
]
