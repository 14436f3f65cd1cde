"""``civicgrid demo`` against the test database: the whole city, its people, logins that work, re-runs."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from civicgrid.cases.models import Case, CaseEvent, Reporter, Tier
from civicgrid.cases.selectors import case_todo
from civicgrid.demo.casework import WORK_TOWN, WORK_VILLAGE, casework_build, expected_escalated, expected_states
from civicgrid.demo.city import DEFAULT_SEED
from civicgrid.demo.services import CITY_UNITS, DEMO_LOGINS
from civicgrid.people.models import Center, Role, RoleAssignment, Unit, User
from civicgrid.regions.models import Region

pytestmark = pytest.mark.django_db


# The demo city is built once for this module (inside a transaction rolled back at the end); each test
# runs in a savepoint on top of it. A fast hasher keeps the dozen demo passwords from dominating the run.
def _fast_hashing() -> override_settings:
    return override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@pytest.fixture(scope="module")
def built(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    with django_db_blocker.unblock(), _fast_hashing(), transaction.atomic():
        yield _demo()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _fast_hasher() -> Iterator[None]:
    with _fast_hashing():
        yield


def _demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


def _snapshot() -> dict[str, Any]:
    return {
        "regions": Counter(Region.objects.values_list("kind", flat=True)),
        "units": Unit.objects.count(),
        "centers": Center.objects.count(),
        "stationed": Center.stationed_units.through.objects.count(),
        "users": User.objects.count(),
        "roles": Counter(RoleAssignment.objects.values_list("role", flat=True)),
        "cases": Case.objects.count(),
        "case_events": CaseEvent.objects.count(),
    }


def test_demo_builds_the_city_with_its_people_and_working_logins(built: str) -> None:
    output = built

    assert _snapshot() == {
        "regions": {"county": 1, "street": 4, "town": 14, "community": 36, "village": 500, "grid": 655},
        "units": len(CITY_UNITS) + 18 * 3,
        "centers": 1 + 18 + 536,
        # city center 6 bureaus, each town/street center 3 of its own units, each village/community 2
        "stationed": 6 + 18 * 3 + 536 * 2,
        "users": 655 + len(DEMO_LOGINS) - 1,
        "cases": 120,
        "case_events": _snapshot()["case_events"],
        "roles": {
            "grid_worker": 655,
            "center_staff": 3,
            "center_head": 1,
            "unit_handler": 1,
            "mediator": 1,
            "supervisor": 1,
            "leader": 1,
            "system_admin": 1,
            "security_admin": 1,
            "audit_admin": 1,
        },
    }
    # one grid worker per grid, on that grid
    grid_roles = RoleAssignment.objects.filter(role=Role.GRID_WORKER).select_related("user", "region")
    assert sorted(ra.user.username for ra in grid_roles) == sorted(
        f"gw{code}" for code in Region.objects.filter(kind="grid").values_list("code", flat=True)
    )
    assert all(ra.user.username == f"gw{ra.region.code}" for ra in grid_roles)
    # only the printed grid worker can log in with a password
    usable = [u.username for u in User.objects.filter(username__startswith="gw") if u.has_usable_password()]
    assert usable == [DEMO_LOGINS[0].username]

    town_police = Unit.objects.get(code="420683100-police")
    assert town_police.kind == "police"
    assert town_police.name.endswith("派出所")
    assert list(town_police.regions_covered.values_list("code", flat=True)) == ["420683100"]
    town_center = Center.objects.get(region__code="420683100")
    assert sorted(town_center.stationed_units.values_list("code", flat=True)) == [
        "420683100-enforcement",
        "420683100-justice",
        "420683100-police",
    ]
    city = Region.objects.get(code="420683")
    assert list(Unit.objects.get(code="420683-water").regions_covered.all()) == [city]

    for login in DEMO_LOGINS:
        assert f"  {login.username} " in output
        assert f" {login.password} " in output
        client = Client()
        response = client.post("/accounts/login/", {"username": login.username, "password": login.password})
        assert response.status_code == 302, login.username
        assert client.session["_auth_user_id"] == str(User.objects.get(username=login.username).pk)
    assert "区划新增 1210、更新 0、未变 0；部门 68 个，综治中心 555 个，网格员 655 名；新建账号 666 个。" in output
    assert "其余 654 名网格员" in output


def test_running_demo_again_restores_without_duplicating(built: str) -> None:
    before = _snapshot()
    grid_worker = User.objects.get(username=DEMO_LOGINS[0].username)
    grid_worker.set_password("Changed-2026-pass")
    grid_worker.save()

    output = _demo()

    assert _snapshot() == before
    assert "区划新增 0、更新 0、未变 1210" in output
    assert "新建账号 0 个" in output
    grid_worker.refresh_from_db()
    assert grid_worker.check_password(DEMO_LOGINS[0].password)


def test_a_different_seed_on_a_demo_database_is_refused(built: str) -> None:
    before = _snapshot()
    with pytest.raises(CommandError, match="--seed"):
        _demo("--seed", "7")
    assert _snapshot() == before


def test_demo_serves_after_building_unless_told_not_to(built: str, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[dict[str, Any]] = []
    monkeypatch.setattr(
        "civicgrid.core.management.commands.serve.Command.handle", lambda self, *a, **options: served.append(options)
    )
    call_command("demo", "--port", "8123", "--no-worker", stdout=StringIO())
    assert len(served) == 1
    assert served[0]["port"] == 8123
    assert served[0]["host"] == "127.0.0.1"
    assert served[0]["no_migrate"] is True
    assert served[0]["no_worker"] is True


def _sample() -> list[tuple[Any, ...]]:
    rows = Case.objects.order_by("idempotency_key").values_list(
        "idempotency_key", "state", "tier", "grid__code", "category__code", "channel", "lon", "lat", "title"
    )
    return list(rows)


def test_demo_has_sample_cases_in_every_stage(built: str) -> None:
    sample = Case.objects.select_related("category", "grid", "region")
    assert Counter(sample.values_list("state", flat=True)) == expected_states()
    assert expected_states() == {
        "reported": 69,
        "accepted": 6,
        "registered": 6,
        "dispatched": 8,
        "signed": 5,
        "handled": 6,
        "verified": 3,
        "closed": 5,
        "followed_up": 12,
    }
    assert sorted(sample.values_list("idempotency_key", flat=True)) == [f"demo-2026-{n:03d}" for n in range(1, 121)]
    assert set(sample.values_list("channel", flat=True)) == {"grid_patrol", "resident", "hotline", "walk_in"}
    assert set(sample.values_list("location_status", flat=True)) == {"inside"}
    assert all(case.category.is_public for case in sample)
    # escalated by the village center: now in the town's queue
    assert sample.filter(tier=Tier.TOWN, region__code=WORK_TOWN).count() == expected_escalated() == 9
    assert CaseEvent.objects.filter(action="escalate").count() == 9
    # worked cases lie in the worked village; fresh reports spread over the city
    worked = sample.exclude(state="reported") | sample.filter(tier=Tier.TOWN)
    assert {case.area_code[:12] for case in worked} == {WORK_VILLAGE}
    assert len({case.area_code[:9] for case in sample}) > 8
    # reports spread over the last 30 days, the stages' steps at build time
    now = timezone.now()
    ages = [now - case.created_at for case in sample]
    assert max(ages) < timedelta(days=30.1)
    assert min(ages) > timedelta(hours=1)
    assert max(ages) > timedelta(days=15)
    # residents: most anonymous, the rest only a surname with 先生/女士; never a phone or e-mail
    reporters = Reporter.objects.all()
    assert reporters.filter(anonymous=True).count() > reporters.filter(anonymous=False).count() > 0
    assert not reporters.exclude(phone="").exists() and not reporters.exclude(email="").exists()
    assert all(re.fullmatch(r".(先生|女士)", r.name) for r in reporters.filter(anonymous=False))


def test_sample_steps_were_taken_by_the_demo_staff(built: str) -> None:
    actors = Counter(CaseEvent.objects.exclude(action="create").values_list("action", "actor__username"))
    by_action: dict[str, set[str]] = {}
    for action, username in actors:
        by_action.setdefault(action, set()).add(username)
    assert by_action["accept"] == {"village_staff"}
    assert by_action["dispatch"] == {"village_staff", "town_staff"}
    assert by_action["sign_for"] == by_action["handle"] == {"police_handler"}
    assert by_action["close"] == by_action["follow_up"] == {"village_staff"}
    assert by_action["escalate"] == {"village_staff"}
    verify = CaseEvent.objects.filter(action="verify_pass").select_related("actor", "case__grid")
    assert verify.count() == 3 + 5 + 12
    assert all(event.actor.username == f"gw{event.case.grid.code}" for event in verify)
    patrols = Case.objects.filter(channel="grid_patrol").select_related("created_by", "grid")
    assert all(case.created_by.username == f"gw{case.grid.code}" for case in patrols)


def test_printed_logins_have_work_waiting(built: str) -> None:
    def todo(username: str) -> Counter[str]:
        return Counter(case_todo(user=User.objects.get(username=username)).values_list("state", flat=True))

    assert todo(DEMO_LOGINS[0].username) == {"handled": 6}  # the printed grid worker verifies
    assert todo("town_staff") == {"reported": 3, "accepted": 2, "registered": 2}
    assert todo("police_handler") == {"dispatched": 8, "signed": 5}
    assert todo("village_staff") == {"reported": 6, "accepted": 4, "registered": 4, "verified": 3, "closed": 5}


def test_sample_cases_are_fixed_by_the_seed(built: str) -> None:
    first = _sample()
    Case.objects.all().delete()
    with _fast_hashing():
        assert casework_build(seed=DEFAULT_SEED) == 120
    assert _sample() == first
    assert casework_build(seed=DEFAULT_SEED) == 0
