"""Building the demo city into the database: regions, departments, centers, grid workers, demo logins
and sample casework (``casework.py``).

``demo_build`` goes through the regions and people services, so the demo passes the same validation,
invariants and audit as real data. Running it again restores the demo city instead of duplicating it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from axes.models import AccessAttempt
from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.demo.casework import casework_build
from civicgrid.demo.city import CITY_CODE, CITY_NAME, DEFAULT_SEED, city_features
from civicgrid.people.models import (
    ADMIN_ROLES,
    REGION_SCOPED_ROLES,
    UNIT_SCOPED_ROLES,
    Center,
    Role,
    RoleAssignment,
    Unit,
    User,
)
from civicgrid.people.services import (
    admins_bootstrap,
    center_create,
    center_update,
    role_assign,
    unit_create,
    unit_update,
    user_activate,
    user_create,
    user_set_password,
    user_unlock,
    user_update,
)
from civicgrid.regions.models import Kind, Region
from civicgrid.regions.services import regions_import

# City bureaus: (code suffix, kind, name after the city's name); all cover the whole city.
# Unit codes are "<region code>-<suffix>", e.g. 420683-police, 420683100-police.
CITY_UNITS = [
    ("police", "police", "公安局"),
    ("justice", "justice", "司法局"),
    ("court", "court", "人民法院"),
    ("petitions", "petitions", "信访局"),
    ("enforcement", "law_enforcement", "综合行政执法局"),
    ("emergency", "emergency_management", "应急管理局"),
    ("ecology", "ecology_environment", "生态环境局"),
    ("urban", "urban_management", "城市管理局"),
    ("health", "health", "卫生健康局"),
    ("water", "water_resources", "水利局"),
    ("housing", "housing", "住房和城乡建设局"),
    ("civil", "civil_affairs", "民政局"),
    ("hrss", "human_resources_social_security", "人力资源和社会保障局"),
    ("education", "education", "教育局"),
]
# Bureaus with people stationed in the city center (只进一门).
CITY_CENTER_UNITS = ["police", "justice", "court", "petitions", "enforcement", "civil"]
# Each town and street has its own police station, judicial office and law-enforcement squad, all
# stationed in its center; the first two also serve in its villages' and communities' centers.
TOWN_UNITS = [
    ("police", "police", "派出所"),
    ("justice", "justice", "司法所"),
    ("enforcement", "law_enforcement", "综合行政执法中队"),
]
VILLAGE_CENTER_UNITS = ["police", "justice"]

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程魏苏吕丁任")
GIVEN_CHARS = list("建国华明丽军伟芳敏静强磊洋艳勇杰娟涛超平刚桂英霞红玉兰秀志文斌海燕波辉鹏飞春雪梅林晓宇")


@dataclass(frozen=True)
class DemoLogin:
    """One printed demo account: the role it shows off and where that role applies."""

    username: str
    password: str
    role: str
    scope_code: str  # a region code, a unit code, or "" for the administrators
    last_name: str
    first_name: str


# Fixed and printed on purpose: this is a demo. Each satisfies the strong-password rules.
DEMO_LOGINS = [
    DemoLogin(f"gw{CITY_CODE}100200001", "Demo-2026-grid", Role.GRID_WORKER, f"{CITY_CODE}100200001", "", ""),
    DemoLogin("village_staff", "Demo-2026-village", Role.CENTER_STAFF, f"{CITY_CODE}100200", "王", "建国"),
    DemoLogin("town_staff", "Demo-2026-town", Role.CENTER_STAFF, f"{CITY_CODE}100", "李", "秀英"),
    DemoLogin("town_head", "Demo-2026-head", Role.CENTER_HEAD, f"{CITY_CODE}100", "张", "伟"),
    DemoLogin("city_staff", "Demo-2026-city", Role.CENTER_STAFF, CITY_CODE, "刘", "洋"),
    DemoLogin("police_handler", "Demo-2026-unit", Role.UNIT_HANDLER, f"{CITY_CODE}-police", "陈", "静"),
    DemoLogin("mediator", "Demo-2026-mediate", Role.MEDIATOR, f"{CITY_CODE}100", "杨", "帆"),
    DemoLogin("supervisor", "Demo-2026-oversee", Role.SUPERVISOR, CITY_CODE, "赵", "磊"),
    DemoLogin("leader", "Demo-2026-lead", Role.LEADER, CITY_CODE, "黄", "海"),
    DemoLogin("sysadmin", "Demo-2026-system", Role.SYSTEM_ADMIN, "", "周", "敏"),
    DemoLogin("secadmin", "Demo-2026-security", Role.SECURITY_ADMIN, "", "吴", "强"),
    DemoLogin("auditadmin", "Demo-2026-audit", Role.AUDIT_ADMIN, "", "徐", "丽"),
]


class DemoConflict(Exception):
    """The database holds a different demo city (another seed) or a different city under its code."""


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    regions_created: int
    regions_updated: int
    regions_unchanged: int
    units: int
    centers: int
    grid_workers: int
    users_created: int
    cases_created: int
    seconds: float


@dataclass(frozen=True)
class _UnitPlan:
    code: str
    name: str
    kind: str
    region_code: str


def unit_plan(regions: list[tuple[str, str, str]]) -> list[_UnitPlan]:
    """The demo's departments for the (code, name, kind) of the city and its towns/streets."""
    plan = [
        _UnitPlan(f"{CITY_CODE}-{suffix}", f"{CITY_NAME}{name}", kind, CITY_CODE) for suffix, kind, name in CITY_UNITS
    ]
    for code, name, kind in regions:
        if kind in ("street", "town"):
            short = name.removesuffix("街道").removesuffix("镇")
            for suffix, unit_kind, unit_name in TOWN_UNITS:
                # 城关派出所, 城关司法所, but 城关街道综合行政执法中队
                full = f"{name}{unit_name}" if suffix == "enforcement" else f"{short}{unit_name}"
                plan.append(_UnitPlan(f"{code}-{suffix}", full, unit_kind, code))
    return plan


def grid_worker_names(seed: int, count: int) -> list[tuple[str, str]]:
    """``count`` (surname, given name) pairs for the grid workers, fixed by the seed."""
    rng = np.random.default_rng([seed, 1])
    surnames = rng.choice(SURNAMES, size=count)
    lengths = rng.choice([1, 2], size=count, p=[0.3, 0.7])
    given = ["".join(rng.choice(GIVEN_CHARS, size=n)) for n in lengths]
    return [(str(s), g) for s, g in zip(surnames, given, strict=True)]


def demo_build(*, seed: int = DEFAULT_SEED) -> DemoSummary:
    """Build (or restore) the demo city with ``seed``: one transaction, nothing half-written."""
    started = time.perf_counter()
    collection = city_features(seed)
    features = [f["properties"] for f in collection["features"]]
    _check_same_city({p["code"] for p in features})
    with transaction.atomic():
        report = regions_import(data=collection)
        regions = {r.code: r for r in Region.objects.filter(code__startswith=CITY_CODE)}
        admins = [(login.role, login.username, login.password) for login in DEMO_LOGINS if login.role in ADMIN_ROLES]
        created = {user.username for user in admins_bootstrap(accounts=admins)}
        system_admin = _admin(Role.SYSTEM_ADMIN)
        security_admin = _admin(Role.SECURITY_ADMIN)
        plan = unit_plan([(p["code"], p["name"], p["kind"]) for p in features])
        units = _ensure_units(actor=system_admin, plan=plan, regions=regions)
        centers = _ensure_centers(actor=system_admin, regions=regions, units=units)
        grids = sorted((r for r in regions.values() if r.kind == Kind.GRID), key=lambda r: r.code)
        created |= _ensure_grid_workers(actor=security_admin, grids=grids, seed=seed)
        created |= _ensure_demo_logins(actor=security_admin, regions=regions, units=units, fresh=created)
        cases_created = casework_build(seed=seed)
    return DemoSummary(
        seed=seed,
        regions_created=report.created,
        regions_updated=report.updated,
        regions_unchanged=report.unchanged,
        units=len(units),
        centers=centers,
        grid_workers=len(grids),
        users_created=len(created),
        cases_created=cases_created,
        seconds=time.perf_counter() - started,
    )


def _check_same_city(codes: set[str]) -> None:
    """The demo needs its own database: empty, or holding this very demo city."""
    existing = set(Region.objects.filter(code__startswith=CITY_CODE).values_list("code", flat=True))
    if existing and existing != codes:
        raise DemoConflict(
            _(
                "数据库中已有另一座示范城市（%(code)s，可能用了不同的 --seed）。"
                "请使用新的数据库，例如设置 CIVICGRID_DATA_DIR 指向一个空目录。"
            )
            % {"code": CITY_CODE}
        )
    if not existing and (Region.objects.exists() or User.objects.exists()):
        raise DemoConflict(
            _(
                "数据库中已有数据，不是示范数据库；示范城市只建在空数据库中。"
                "请使用新的数据库，例如设置 CIVICGRID_DATA_DIR 指向一个空目录。"
            )
        )


def _admin(role: str) -> User:
    """The demo's administrator for ``role`` if it holds the role, else whoever does (bootstrap ran first)."""
    holders = User.objects.filter(is_active=True, roles__role=role).order_by("pk")
    demo_name = next(login.username for login in DEMO_LOGINS if login.role == role)
    return holders.filter(username=demo_name).first() or holders.first() or _missing_admin(role)


def _missing_admin(role: str) -> User:
    raise DemoConflict(_("找不到在职的 %(role)s，无法建立示范城市。") % {"role": role})


def _ensure_units(*, actor: User, plan: list[_UnitPlan], regions: dict[str, Region]) -> dict[str, Unit]:
    existing = {u.code: u for u in Unit.objects.filter(code__in=[item.code for item in plan])}
    units: dict[str, Unit] = {}
    for item in plan:
        region = regions[item.region_code]
        unit = existing.get(item.code)
        if unit is None:
            unit = unit_create(
                actor=actor, code=item.code, name=item.name, kind=item.kind, region=region, regions_covered=[region]
            )
        else:
            unit = unit_update(
                actor=actor,
                unit=unit,
                name=item.name,
                kind=item.kind,
                region=region,
                regions_covered=[region],
                is_active=True,
            )
        units[item.code] = unit
    return units


def _stationed(region: Region, units: dict[str, Unit]) -> list[Unit]:
    if region.kind == Kind.COUNTY:
        return [units[f"{region.code}-{suffix}"] for suffix in CITY_CENTER_UNITS]
    if region.kind in (Kind.STREET, Kind.TOWN):
        return [units[f"{region.code}-{suffix}"] for suffix, _kind, _name in TOWN_UNITS]
    return [units[f"{region.code[:9]}-{suffix}"] for suffix in VILLAGE_CENTER_UNITS]


def _ensure_centers(*, actor: User, regions: dict[str, Region], units: dict[str, Unit]) -> int:
    existing = {c.region_id: c for c in Center.objects.filter(region__code__startswith=CITY_CODE)}
    count = 0
    for code in sorted(regions):
        region = regions[code]
        if region.kind == Kind.GRID:
            continue
        name = f"{region.name}综治中心"
        center = existing.get(region.pk)
        if center is None:
            center_create(actor=actor, region=region, name=name, stationed_units=_stationed(region, units))
        else:
            center_update(actor=actor, center=center, name=name, stationed_units=_stationed(region, units))
        count += 1
    return count


def _ensure_grid_workers(*, actor: User, grids: list[Region], seed: int) -> set[str]:
    """One grid worker per grid, ``gw<grid code>``; only the printed demo one gets a usable password.

    Returns the usernames created.
    """
    passwords = {login.username: login.password for login in DEMO_LOGINS}
    existing = {u.username: u for u in User.objects.filter(username__startswith=f"gw{CITY_CODE}")}
    assigned = set(
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, region__in=grids).values_list(
            "user__username", "region_id"
        )
    )
    created: set[str] = set()
    for grid, (surname, given) in zip(grids, grid_worker_names(seed, len(grids)), strict=True):
        username = f"gw{grid.code}"
        user = existing.get(username)
        if user is None:
            user = user_create(
                actor=actor,
                username=username,
                password=passwords.get(username),
                last_name=surname,
                first_name=given,
            )
            created.add(username)
        elif (user.last_name, user.first_name) != (surname, given):
            user_update(actor=actor, user=user, last_name=surname, first_name=given)
        if not user.is_active:
            user_activate(actor=actor, user=user)
        if (username, grid.pk) not in assigned:
            role_assign(actor=actor, user=user, role=Role.GRID_WORKER, region=grid)
    return created


def _ensure_demo_logins(
    *, actor: User, regions: dict[str, Region], units: dict[str, Unit], fresh: set[str]
) -> set[str]:
    """The printed accounts exist, are active, hold their role and have their printed name and password.

    ``fresh`` are accounts created moments ago with their password (no need to hash it again to check).
    Returns the usernames created.
    """
    created: set[str] = set()
    for login in DEMO_LOGINS:
        user = User.objects.filter(username=login.username).first()
        if user is None:
            user = user_create(
                actor=actor,
                username=login.username,
                password=login.password,
                last_name=login.last_name,
                first_name=login.first_name,
            )
            created.add(login.username)
        elif login.username not in fresh and not user.check_password(login.password):
            user_set_password(actor=actor, user=user, password=login.password)
        if login.last_name and (user.last_name, user.first_name) != (login.last_name, login.first_name):
            user_update(actor=actor, user=user, last_name=login.last_name, first_name=login.first_name)
        if not user.is_active:
            user_activate(actor=actor, user=user)
        if AccessAttempt.objects.filter(username=login.username).exists():
            user_unlock(actor=actor, username=login.username)
        region = regions.get(login.scope_code) if login.role in REGION_SCOPED_ROLES else None
        unit = units.get(login.scope_code) if login.role in UNIT_SCOPED_ROLES else None
        if not RoleAssignment.objects.filter(user=user, role=login.role, region=region, unit=unit).exists():
            role_assign(actor=actor, user=user, role=login.role, region=region, unit=unit)
    return created
