"""demo_build's guards and plans, apart from the full build (which test_commands covers)."""

from __future__ import annotations

import pytest

from civicgrid.demo.services import CITY_UNITS, DemoConflict, demo_build, grid_worker_names, unit_plan
from civicgrid.people.models import User
from civicgrid.regions.models import Region


@pytest.mark.django_db
def test_a_database_with_other_accounts_is_refused() -> None:
    User.objects.create_user(username="someone")
    with pytest.raises(DemoConflict, match="CIVICGRID_DATA_DIR"):
        demo_build()
    assert Region.objects.count() == 0
    assert list(User.objects.values_list("username", flat=True)) == ["someone"]


@pytest.mark.django_db
def test_a_database_with_another_city_under_the_demo_code_is_refused(world: object) -> None:
    regions = Region.objects.count()
    with pytest.raises(DemoConflict, match="--seed"):
        demo_build()
    assert Region.objects.count() == regions


def test_unit_plan_gives_each_town_and_street_its_own_units() -> None:
    plan = unit_plan(
        [("420683", "溪山市", "county"), ("420683001", "城关街道", "street"), ("420683100", "东湖镇", "town")]
    )
    assert [(u.code, u.name, u.kind, u.region_code) for u in plan[len(CITY_UNITS) :]] == [
        ("420683001-police", "城关派出所", "police", "420683001"),
        ("420683001-justice", "城关司法所", "justice", "420683001"),
        ("420683001-enforcement", "城关街道综合行政执法中队", "law_enforcement", "420683001"),
        ("420683100-police", "东湖派出所", "police", "420683100"),
        ("420683100-justice", "东湖司法所", "justice", "420683100"),
        ("420683100-enforcement", "东湖镇综合行政执法中队", "law_enforcement", "420683100"),
    ]
    assert plan[0].code == "420683-police"
    assert plan[0].name == "溪山市公安局"
    assert all(len(u.code) <= 32 for u in plan)


def test_grid_worker_names_are_fixed_by_the_seed() -> None:
    names = grid_worker_names(2026, 655)
    assert names == grid_worker_names(2026, 655)
    assert names != grid_worker_names(2027, 655)
    assert all(len(surname) == 1 and 1 <= len(given) <= 2 for surname, given in names)
