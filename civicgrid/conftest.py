"""Shared test personas: a small region tree (``world``) and one named user per role and tier (``personas``).

Every permission test says who tried and what they must not see. The tree::

    city 420683 (county, 112.0–112.4 E × 32.0–32.4 N)
    ├── town_a 420683100 (west half, 112.0–112.2)
    │   ├── village_a1 420683100200 (north, 32.2–32.4)
    │   │   ├── grid_a1_1 420683100200001 (112.0–112.1)
    │   │   └── grid_a1_2 420683100200002 (112.1–112.2)
    │   └── village_a2 420683100201 (south, 32.0–32.2)
    │       └── grid_a2_1 420683100201001
    └── town_b 420683101 (east half, 112.2–112.4)
        └── village_b1 420683101200
            └── grid_b1_1 420683101200001

Units (all city bureaus covering the whole city): ``police``, ``urban`` (urban_management), ``water``
(water_resources). Centers at city, town_a, town_b and village_a1; police and urban are stationed in the
city center, police also in town_a's.

Rows are written with the ORM directly so the fixtures do not depend on the services under test.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import pytest
import shapely

#: The password of every persona (strong enough for the password rules).
PERSONA_PASSWORD = "Persona-Pass-2024!"

#: (name, role, scope attribute on ``world`` or None) — one row per persona, in a stable order for parametrize.
PERSONA_ROLES: tuple[tuple[str, str | None, str | None], ...] = (
    ("grid_worker", "grid_worker", "grid_a1_1"),
    ("other_village_grid_worker", "grid_worker", "grid_a2_1"),
    ("town_center", "center_staff", "town_a"),
    ("town_head", "center_head", "town_a"),
    ("other_town_center", "center_staff", "town_b"),
    ("village_center", "center_staff", "village_a1"),
    ("city_center", "center_staff", "city"),
    ("unit_handler", "unit_handler", "police"),
    ("other_unit_handler", "unit_handler", "water"),
    ("mediator", "mediator", "town_a"),
    ("supervisor", "supervisor", "city"),
    ("leader", "leader", "city"),
    ("system_admin", "system_admin", None),
    ("security_admin", "security_admin", None),
    ("audit_admin", "audit_admin", None),
    ("outsider", None, None),
)

#: Persona names, for ``@pytest.mark.parametrize("name", PERSONA_NAMES)``.
PERSONA_NAMES: tuple[str, ...] = tuple(row[0] for row in PERSONA_ROLES)

#: Roles that get the ``is_staff`` flag (Django admin access); mirrors civicgrid.people.services.
_STAFF_ROLES = frozenset({"system_admin", "security_admin", "audit_admin", "center_staff", "center_head"})


@dataclass
class World:
    city: Any
    town_a: Any
    town_b: Any
    village_a1: Any
    village_a2: Any
    village_b1: Any
    grid_a1_1: Any
    grid_a1_2: Any
    grid_a2_1: Any
    grid_b1_1: Any
    police: Any
    urban: Any
    water: Any
    center_city: Any
    center_town_a: Any
    center_town_b: Any
    center_village_a1: Any

    def regions(self) -> list[Any]:
        return [
            getattr(self, f.name) for f in fields(self) if f.name.startswith(("city", "town_", "village_", "grid_"))
        ]


@dataclass
class Personas:
    grid_worker: Any
    other_village_grid_worker: Any
    town_center: Any
    town_head: Any
    other_town_center: Any
    village_center: Any
    city_center: Any
    unit_handler: Any
    other_unit_handler: Any
    mediator: Any
    supervisor: Any
    leader: Any
    system_admin: Any
    security_admin: Any
    audit_admin: Any
    outsider: Any

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __iter__(self) -> Iterator[Any]:
        return iter(getattr(self, name) for name in PERSONA_NAMES)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Tests hash with MD5: PBKDF2's deliberate slowness would cost a second per login. The password rules
    (validators) are unchanged; production keeps Django's default hashers."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _fresh_working_calendar() -> Iterator[None]:
    """The calendar is cached per process; rows a test wrote and rolled back must not leak into the next."""
    from civicgrid.workcalendar.working_time import invalidate

    invalidate()
    yield
    invalidate()


@functools.cache
def _persona_password_hash() -> str:
    """Hash the shared password once per run."""
    from django.contrib.auth.hashers import make_password

    return make_password(PERSONA_PASSWORD, hasher="md5")


def _region(code: str, name: str, kind: str, level: int, parent: Any, box: tuple[float, float, float, float]) -> Any:
    from civicgrid.regions.models import Region

    region = Region(code=code, name=name, kind=kind, level=level, parent=parent)
    region.set_shape(shapely.box(*box))
    region.save()
    return region


@pytest.fixture
def world(db: None) -> World:
    from civicgrid.people.models import Center, Unit
    from civicgrid.regions.models import Kind, Level

    city = _region("420683", "枣阳市", Kind.COUNTY, Level.CITY, None, (112.0, 32.0, 112.4, 32.4))
    town_a = _region("420683100", "甲镇", Kind.TOWN, Level.TOWN, city, (112.0, 32.0, 112.2, 32.4))
    town_b = _region("420683101", "乙镇", Kind.TOWN, Level.TOWN, city, (112.2, 32.0, 112.4, 32.4))
    village_a1 = _region("420683100200", "甲一村", Kind.VILLAGE, Level.VILLAGE, town_a, (112.0, 32.2, 112.2, 32.4))
    village_a2 = _region("420683100201", "甲二村", Kind.VILLAGE, Level.VILLAGE, town_a, (112.0, 32.0, 112.2, 32.2))
    village_b1 = _region("420683101200", "乙一村", Kind.VILLAGE, Level.VILLAGE, town_b, (112.2, 32.0, 112.4, 32.4))
    grid_a1_1 = _region(
        "420683100200001", "甲一村第1网格", Kind.GRID, Level.GRID, village_a1, (112.0, 32.2, 112.1, 32.4)
    )
    grid_a1_2 = _region(
        "420683100200002", "甲一村第2网格", Kind.GRID, Level.GRID, village_a1, (112.1, 32.2, 112.2, 32.4)
    )
    grid_a2_1 = _region(
        "420683100201001", "甲二村第1网格", Kind.GRID, Level.GRID, village_a2, (112.0, 32.0, 112.2, 32.2)
    )
    grid_b1_1 = _region(
        "420683101200001", "乙一村第1网格", Kind.GRID, Level.GRID, village_b1, (112.2, 32.0, 112.4, 32.4)
    )

    police = Unit.objects.create(code="police", name="市公安局", kind="police", region=city)
    urban = Unit.objects.create(code="urban", name="市城市管理局", kind="urban_management", region=city)
    water = Unit.objects.create(code="water", name="市水利局", kind="water_resources", region=city)
    for unit in (police, urban, water):
        unit.regions_covered.add(city)

    center_city = Center.objects.create(region=city, name="市综治中心")
    center_town_a = Center.objects.create(region=town_a, name="甲镇综治中心")
    center_town_b = Center.objects.create(region=town_b, name="乙镇综治中心")
    center_village_a1 = Center.objects.create(region=village_a1, name="甲一村综治中心")
    center_city.stationed_units.add(police, urban)
    center_town_a.stationed_units.add(police)

    return World(
        city=city,
        town_a=town_a,
        town_b=town_b,
        village_a1=village_a1,
        village_a2=village_a2,
        village_b1=village_b1,
        grid_a1_1=grid_a1_1,
        grid_a1_2=grid_a1_2,
        grid_a2_1=grid_a2_1,
        grid_b1_1=grid_b1_1,
        police=police,
        urban=urban,
        water=water,
        center_city=center_city,
        center_town_a=center_town_a,
        center_town_b=center_town_b,
        center_village_a1=center_village_a1,
    )


@pytest.fixture
def personas(world: World) -> Personas:
    from civicgrid.people.models import RoleAssignment, Unit, User

    users: dict[str, Any] = {}
    for name, role, scope_name in PERSONA_ROLES:
        user = User.objects.create(
            username=name,
            password=_persona_password_hash(),
            first_name=name,
            is_staff=role in _STAFF_ROLES,
        )
        if role is not None:
            scope = getattr(world, scope_name) if scope_name else None
            RoleAssignment.objects.create(
                user=user,
                role=role,
                unit=scope if isinstance(scope, Unit) else None,
                region=None if isinstance(scope, Unit) else scope,
            )
        users[name] = user
    return Personas(**users)


# --- seed rows across transactional tests (owner: cases2) ----------------------------------------
# Data migrations seed rows (categories, the working calendar, unit kinds, …) that the closing flush of
# a transactional test deletes. So every transactional test gets ``serialized_rollback``: Django puts
# back the rows it serialised when it created the test database. Django finds them on
# ``connections[alias]`` — and once Playwright's sync API runs (the session-scoped ``browser``), that is
# another object: Playwright keeps an asyncio loop marked as running in the main thread, and Django's
# connection handler (an asgiref Local, thread_critical) then keeps connections per context instead of
# per thread. The test gets a fresh wrapper without ``_test_serialized_contents``: nothing is restored,
# and its closing flush re-runs post_migrate. ``_seed_rows_restored`` hands that wrapper the rows, and
# moves the id sequences past the restored ids (a ``flush`` command run by a test resets them).

_SERIALIZED_SEED: dict[str, tuple[str, list[Any]]] = {}  # alias → (serialised rows, their models)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every transactional test gets ``serialized_rollback`` (through the marker pytest-django reads)."""
    from django.test import TransactionTestCase
    from pytest_django.fixtures import validate_django_db

    for item in items:
        cls = getattr(item, "cls", None)
        if cls is not None and issubclass(cls, TransactionTestCase):
            continue  # Django's own test classes set it themselves
        marker = item.get_closest_marker("django_db")
        transaction, reset_sequences, databases, serialized, apps = (
            validate_django_db(marker) if marker else (False, False, None, False, None)
        )
        fixtures = getattr(item, "fixturenames", ())
        transactional = transaction or reset_sequences or "transactional_db" in fixtures or "live_server" in fixtures
        if transactional and not serialized:
            flags = {"reset_sequences": reset_sequences, "databases": databases, "available_apps": apps}
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True, **flags), append=False)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None) -> None:
    """pytest-django's test databases; then keep the rows serialised at their creation (before any browser)."""
    import json

    from django.apps import apps
    from django.db import connections

    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents is not None:
            labels = sorted({row["model"] for row in json.loads(contents)})
            _SERIALIZED_SEED[alias] = (contents, [apps.get_model(label) for label in labels])


@pytest.fixture(autouse=True)
def _seed_rows_restored(request: pytest.FixtureRequest) -> None:
    """After Django's own restore: restore where it could not (a connection wrapper made after Playwright
    started), and give that wrapper the rows so that its closing flush leaves post_migrate off too."""
    from pytest_django.fixtures import validate_django_db

    marker = request.node.get_closest_marker("django_db")
    if marker is None or not validate_django_db(marker)[3]:
        return
    request.getfixturevalue("transactional_db")
    from django.core.management.color import no_style
    from django.db import connections

    for alias, (contents, models) in _SERIALIZED_SEED.items():
        wrapper = connections[alias]
        if not hasattr(wrapper, "_test_serialized_contents"):
            wrapper._test_serialized_contents = contents
            wrapper.creation.deserialize_db_from_string(contents)
        with wrapper.cursor() as cursor:
            for sql in wrapper.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
