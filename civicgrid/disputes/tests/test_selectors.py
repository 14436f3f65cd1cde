"""The figures over a known set of disputes, checked against values computed by hand; the workbench,
the board and screening coverage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from civicgrid.cases.models import Case, Tier
from civicgrid.disputes import selectors, services
from civicgrid.disputes.models import Mediation, Outcome, PartyRole, PerformanceStatus, Referral, RiskLevel

from .conftest import NOW, new_dispute, person

pytestmark = pytest.mark.django_db

MARCH_20 = NOW + dt.timedelta(days=15)
APRIL_2 = NOW + dt.timedelta(days=28)


@pytest.fixture
def known(world: Any, personas: Any, categories: Any, clock: Any) -> dict[str, Mediation]:
    """Nine disputes recorded on 2025-03-05; their outcomes set directly so the figures are known:

    name tier    place   outcome        referral    performance  type
    A    village town_a  agreement      -           full         neighbours
    B    village town_a  agreement      -           partial      neighbours
    C    town    town_a  agreement      -           -            family
    D    town    town_a  no_agreement   litigation  -            contract
    E    city    town_a  agreement      -           -            contract
    F    village town_a  terminated     petitions   -            family
    G    village town_a  (open)         -           -            neighbours
    H    town    town_b  agreement      -           -            land
    I    village town_a  agreement, but on 2 April (outside March)   neighbours
    """
    plan = [
        ("A", Tier.VILLAGE, Outcome.AGREEMENT, "", PerformanceStatus.FULL, categories.neighbours),
        ("B", Tier.VILLAGE, Outcome.AGREEMENT, "", PerformanceStatus.PARTIAL, categories.neighbours),
        ("C", Tier.TOWN, Outcome.AGREEMENT, "", "", categories.family),
        ("D", Tier.TOWN, Outcome.NO_AGREEMENT, Referral.LITIGATION, "", categories.contract),
        ("E", Tier.CITY, Outcome.AGREEMENT, "", "", categories.contract),
        ("F", Tier.VILLAGE, Outcome.TERMINATED, Referral.PETITIONS, "", categories.family),
        ("G", Tier.VILLAGE, Outcome.OPEN, "", "", categories.neighbours),
        ("H", Tier.TOWN, Outcome.AGREEMENT, "", "", categories.land),
        ("I", Tier.VILLAGE, Outcome.AGREEMENT, "", "", categories.neighbours),
    ]
    region_of = {Tier.VILLAGE: world.village_a1, Tier.TOWN: world.town_a, Tier.CITY: world.city}
    made: dict[str, Mediation] = {}
    for name, tier, outcome, referral, performance, category in plan:
        if name == "H":
            mediation = new_dispute(personas.other_town_center, category, grid=world.grid_b1_1, title=name)
            region = world.town_b
        else:
            mediation = new_dispute(personas.village_center, category, grid=world.grid_a1_1, title=name)
            region = region_of[tier]
        Case.objects.filter(pk=mediation.case_id).update(tier=tier, region=region)
        if outcome != Outcome.OPEN:
            Mediation.objects.filter(pk=mediation.pk).update(
                outcome=outcome,
                outcome_at=APRIL_2 if name == "I" else MARCH_20,
                outcome_tier=tier,
                outcome_region=region,
                referral=referral,
                performance_status=performance,
                agreement_form="written" if outcome == Outcome.AGREEMENT else "",
            )
        made[name] = mediation
    return made


def _one(rows: list[selectors.Figures]) -> selectors.Figures:
    assert len(rows) == 1
    return rows[0]


def test_city_totals_match_the_hand_computed_figures(personas: Any, known: dict[str, Mediation]) -> None:
    figures = _one(
        selectors.dispute_figures(user=personas.city_center, start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 31))
    )
    counts = (
        figures.screened,
        figures.mediated,
        figures.agreed,
        figures.no_agreement,
        figures.terminated,
        figures.referred,
        figures.performance_checked,
        figures.performed,
        figures.resolved_in_village,
        figures.resolved_in_town,
    )
    assert counts == (9, 7, 5, 1, 1, 2, 2, 1, 2, 4)
    assert figures.success_rate == Decimal("0.7143")  # 5 / 7
    assert figures.performance_rate == Decimal("0.5000")  # 1 / 2
    assert figures.village_rate == Decimal("0.2857")  # 2 / 7
    assert figures.town_rate == Decimal("0.5714")  # 4 / 7


def test_grouped_by_town_and_by_tier(world: Any, personas: Any, known: dict[str, Mediation]) -> None:
    by_town = selectors.dispute_figures(
        user=personas.city_center,
        start=dt.date(2025, 3, 1),
        end=dt.date(2025, 3, 31),
        region=world.city,
        group_by="region",
    )
    assert [
        (f.key, f.label, f.screened, f.mediated, f.agreed, f.resolved_in_village, f.resolved_in_town) for f in by_town
    ] == [
        (world.town_a.code, "甲镇", 8, 6, 4, 2, 3),
        (world.town_b.code, "乙镇", 1, 1, 1, 0, 1),
    ]
    assert by_town[0].success_rate == Decimal("0.6667")  # 4 / 6
    by_tier = {
        f.key: (f.mediated, f.agreed)
        for f in selectors.dispute_figures(
            user=personas.city_center, start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 31), group_by="tier"
        )
        if f.mediated
    }
    assert by_tier == {str(Tier.CITY.value): (1, 1), str(Tier.TOWN.value): (3, 2), str(Tier.VILLAGE.value): (3, 2)}
    totals = selectors.figures_total(by_town)
    assert (totals.mediated, totals.agreed, totals.success_rate) == (7, 5, Decimal("0.7143"))


def test_grouped_by_type_and_month(personas: Any, categories: Any, known: dict[str, Mediation]) -> None:
    by_type = {
        f.label: (f.screened, f.mediated, f.agreed)
        for f in selectors.dispute_figures(
            user=personas.city_center, start=dt.date(2025, 3, 1), end=dt.date(2025, 4, 30), group_by="category"
        )
    }
    assert by_type == {
        "邻里纠纷": (4, 3, 3),
        "婚姻家庭纠纷": (2, 2, 1),
        "合同纠纷": (2, 2, 1),
        "山林土地纠纷": (1, 1, 1),
    }
    by_month = [
        (f.key, f.screened, f.mediated)
        for f in selectors.dispute_figures(
            user=personas.city_center, start=dt.date(2025, 3, 1), end=dt.date(2025, 4, 30), group_by="month"
        )
    ]
    assert by_month == [("2025-03", 9, 7), ("2025-04", 0, 1)]


def test_figures_only_count_what_the_user_may_see(personas: Any, known: dict[str, Mediation]) -> None:
    town = _one(
        selectors.dispute_figures(user=personas.town_center, start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 31))
    )
    assert (town.screened, town.mediated, town.agreed, town.success_rate) == (8, 6, 4, Decimal("0.6667"))
    nobody = _one(
        selectors.dispute_figures(user=personas.outsider, start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 31))
    )
    assert (nobody.screened, nobody.mediated, nobody.success_rate) == (0, 0, None)


def test_workbench_and_board(world: Any, personas: Any, categories: Any, roster: Any, clock: Any) -> None:
    calm = new_dispute(personas.village_center, categories.neighbours, grid=world.grid_a1_1, title="平常纠纷")
    hot = new_dispute(
        personas.village_center,
        categories.neighbours,
        grid=world.grid_a1_2,
        title="群体纠纷",
        parties=[person(PartyRole.APPLICANT, f"甲{i}") for i in range(5)],
    )
    hot.case.refresh_from_db()
    for mediation, user in ((calm, personas.village_center), (hot, personas.town_center)):
        services.mediation_assign(user=user, mediation=mediation, lead=roster.lead)
    session = services.session_schedule(
        user=personas.mediator, mediation=calm, held_at=NOW + dt.timedelta(days=1), place="村委会"
    )
    bench = selectors.workbench(user=personas.mediator)
    assert [m.case.title for m in bench.cases] == ["群体纠纷", "平常纠纷"]  # high risk first
    assert bench.next_sessions == [session]
    assert bench.follow_ups_due == [] and bench.court_confirmations_due == []
    assert selectors.workbench(user=personas.grid_worker).cases == []

    clock.move_to(NOW + dt.timedelta(days=40))
    board = selectors.dispute_board(user=personas.town_center)
    assert board.open_total == 2
    assert board.by_risk_and_age[RiskLevel.HIGH]["31-90"] == 1
    assert board.by_risk_and_age[RiskLevel.LOW]["31-90"] == 1
    assert [m.case.title for m in board.high_risk] == ["群体纠纷"]
    assert selectors.dispute_board(user=personas.other_town_center).open_total == 0


def test_screening_coverage_shows_who_reported_who_is_late_and_what_was_found(
    world: Any, personas: Any, categories: Any, clock: Any
) -> None:
    round_ = services.screening_round_schedule(
        user=personas.town_center,
        region=world.town_a,
        title="三月排查",
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 3, 31),
        due_date=dt.date(2025, 3, 10),
    )
    services.screening_report_submit(
        user=personas.grid_worker,
        report=round_.reports.get(grid=world.grid_a1_1),
        screened_on=dt.date(2025, 3, 5),
        disputes=[
            services.DisputeDraft(category=categories.neighbours, title="甲", facts="排水"),
            services.DisputeDraft(category=categories.family, title="乙", facts="赡养"),
        ],
    )
    clock.move_to(timezone.make_aware(dt.datetime(2025, 3, 12, 10), services.LOCAL_TZ))
    services.screening_report_submit(
        user=personas.other_village_grid_worker,
        report=round_.reports.get(grid=world.grid_a2_1),
        screened_on=dt.date(2025, 3, 11),
        none_found=True,
    )
    coverage = selectors.screening_coverage(user=personas.town_center, round_=round_)
    summary = (
        coverage.total,
        coverage.reported,
        coverage.pending,
        coverage.late,
        coverage.reported_late,
        coverage.found_grids,
        coverage.none_found,
        coverage.disputes_found,
    )
    assert summary == (3, 2, 1, 1, 1, 1, 1, 2)
    assert coverage.coverage_rate == Decimal("0.6667")
    assert coverage.by_category == [("婚姻家庭纠纷", 1), ("邻里纠纷", 1)]
    assert [(row.report.grid.code, row.late, row.reported_late) for row in coverage.rows] == [
        (world.grid_a1_1.code, False, False),
        (world.grid_a1_2.code, True, False),
        (world.grid_a2_1.code, False, True),
    ]
    # A grid worker sees the round through their own grid only.
    own = selectors.screening_coverage(user=personas.grid_worker, round_=round_)
    assert [row.report.grid for row in own.rows] == [world.grid_a1_1]
