"""``civicgrid demo`` against the test database: the whole city, its people, logins that work, re-runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client, override_settings

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
