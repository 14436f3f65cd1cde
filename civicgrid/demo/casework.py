"""Sample casework for the demo city: about 120 cases in every stage, made through the cases services.

Every case is taken in and moved on by ``civicgrid.cases.services`` with the demo's own staff as actors,
so the permission checks, timeline, deadlines and notifications are the real ones:

- the printed village center staff (village 420683100200) accepts, registers, dispatches, closes,
  follows up and escalates to the town; the printed town staff dispatches what was escalated;
- the printed police handler (city police bureau) signs for and handles; the grid worker of the case's
  grid verifies (the printed grid worker's grid gets every case waiting for verification).

Only that village has center staff, so the worked cases lie in its grids; the rest are fresh reports
(grid patrols by each grid's own worker, residents, the 12345 hotline) spread over random grids of the
whole city. ``reported_at`` spreads the reports over the last 30 days (further back the further a case
has got); the later steps happen at build time: the services take no other time, and the demo does not
fake the clock. Reporters are fictional and minimal: most are anonymous, a few give only a surname.

Deterministic per seed; every case carries the idempotency key ``demo-<seed>-<n>`` and the whole set is
made only when none of them exists yet, so re-running the demo adds nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import shapely
from django.utils import timezone

from civicgrid.cases import services as cases
from civicgrid.cases.models import Case, Category, Channel, Satisfaction, State, Tier
from civicgrid.demo.city import CITY_CODE
from civicgrid.people.models import Role, Unit, User
from civicgrid.regions.models import Kind, Region

KEY_PREFIX = "demo-"
WORK_VILLAGE = f"{CITY_CODE}100200"  # the printed village center staff's village
WORK_TOWN = f"{CITY_CODE}100"  # the printed town staff's town
PRINTED_GRID = f"{CITY_CODE}100200001"  # the printed grid worker's grid
POLICE = f"{CITY_CODE}-police"  # the printed police handler's unit

# The steps from a fresh report, in order; a plan row stops after ``steps[:depth]``.
STEPS = ["accept", "register", "dispatch", "sign_for", "handle", "verify", "close", "follow_up"]
DEPTH: dict[str, int] = {
    State.REPORTED: 0,
    State.ACCEPTED: 1,
    State.REGISTERED: 2,
    State.DISPATCHED: 3,
    State.SIGNED: 4,
    State.HANDLED: 5,
    State.VERIFIED: 6,
    State.CLOSED: 7,
    State.FOLLOWED_UP: 8,
}


@dataclass(frozen=True)
class PlanRow:
    state: str  # where the case ends up
    count: int
    escalated: bool = False  # escalated by the village center to the town before its last step
    citywide: bool = False  # a fresh report anywhere in the city instead of in the worked village


PLAN = [
    PlanRow(State.REPORTED, 6),
    PlanRow(State.ACCEPTED, 4),
    PlanRow(State.REGISTERED, 4),
    PlanRow(State.DISPATCHED, 6),
    PlanRow(State.SIGNED, 5),
    PlanRow(State.HANDLED, 6),
    PlanRow(State.VERIFIED, 3),
    PlanRow(State.CLOSED, 5),
    PlanRow(State.FOLLOWED_UP, 12),
    # at the town: waiting for the town staff to accept, register, dispatch; two dispatched by the town
    PlanRow(State.REPORTED, 3, escalated=True),
    PlanRow(State.ACCEPTED, 2, escalated=True),
    PlanRow(State.REGISTERED, 2, escalated=True),
    PlanRow(State.DISPATCHED, 2, escalated=True),
    PlanRow(State.REPORTED, 60, citywide=True),
]

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
DESCRIPTIONS = {
    "event": "现场发现，请尽快处理。",
    "component": "设施损坏，影响群众出行和使用。",
    "dispute": "双方因此发生争执，请求调解。",
    "errand": "群众请求协助办理。",
    "hazard": "存在安全隐患，请尽快排查。",
    "hotline": "来电反映情况，请核实处理。",
}


def expected_states() -> Counter[str]:
    """How many sample cases end up in each state."""
    counts: Counter[str] = Counter()
    for row in PLAN:
        counts[str(row.state)] += row.count
    return counts


def expected_escalated() -> int:
    return sum(row.count for row in PLAN if row.escalated)


def casework_exists() -> bool:
    return Case.objects.filter(idempotency_key__startswith=KEY_PREFIX).exists()


def casework_build(*, seed: int) -> int:
    """Make the sample cases for ``seed`` unless any exists already; returns how many were made.

    Runs inside the caller's transaction (``demo_build``'s), so a failure leaves none behind.
    """
    if casework_exists():
        return 0
    rng = np.random.default_rng([seed, 2])
    now = timezone.now()
    grids = list(Region.objects.filter(kind=Kind.GRID, code__startswith=CITY_CODE).order_by("code"))
    work_grids = [g for g in grids if g.code.startswith(WORK_VILLAGE)]
    workers = User.objects.filter(roles__role=Role.GRID_WORKER, username__startswith=f"gw{CITY_CODE}")
    grid_workers = {user.username.removeprefix("gw"): user for user in workers}  # gw<grid code>
    village_staff = User.objects.get(username="village_staff")
    town_staff = User.objects.get(username="town_staff")
    police_handler = User.objects.get(username="police_handler")
    police = Unit.objects.get(code=POLICE)
    leaves = Category.objects.filter(is_public=True, is_active=True, children__isnull=True).order_by("code")
    public = list(leaves)
    # Worked cases need categories handled at the village (the 12345 ones start at the city center).
    village = [c for c in public if c.default_tier == Tier.VILLAGE]
    police_kind = [c for c in village if c.lead_unit_kind == "police"]

    number = 0
    for row in PLAN:
        depth = DEPTH[row.state]
        for _i in range(row.count):
            number += 1
            if row.citywide:
                grid = grids[int(rng.integers(len(grids)))]
            elif row.state == State.HANDLED:
                grid = next(g for g in work_grids if g.code == PRINTED_GRID)  # for the printed grid worker
            else:
                grid = work_grids[int(rng.integers(len(work_grids)))]
            # Cases that reach a unit go to the city police (the one bureau with a demo handler).
            choices = public if row.citywide else police_kind if depth >= DEPTH[State.DISPATCHED] else village
            category = choices[int(rng.integers(len(choices)))]
            lon, lat = _point_in(grid, rng)
            # further along = reported longer ago: fresh reports within 3 days, finished ones up to 30
            days = float(rng.uniform(0.05, 3.0) + depth / 8 * rng.uniform(0, 27.0))
            channel, user, name, anonymous = _intake(rng, grid, grid_workers, village_staff, row)
            case = cases.case_create(
                user=user,
                title=category.name,
                category=category,
                channel=channel,
                description=DESCRIPTIONS.get(category.kind, ""),
                lon=lon,
                lat=lat,
                address=grid.name,
                idempotency_key=f"{KEY_PREFIX}{seed}-{number:03d}",
                reported_at=now - timedelta(days=days),
                reporter_name=name,
                anonymous=anonymous,
            )
            _advance(
                case,
                depth=depth,
                escalated=row.escalated,
                satisfaction=str(rng.choice([Satisfaction.SATISFIED, Satisfaction.BASICALLY], p=[0.75, 0.25])),
                village_staff=village_staff,
                town_staff=town_staff,
                police_handler=police_handler,
                police=police,
                grid_worker=grid_workers[grid.code],
            )
    return number


def _point_in(grid: Region, rng: np.random.Generator) -> tuple[float, float]:
    """A random point inside the grid's polygon (a little way in from its edge)."""
    shape = grid.shape
    inner = shape.buffer(-0.0002)
    if inner.is_empty:
        inner = shape
    min_x, min_y, max_x, max_y = inner.bounds
    while True:
        x, y = rng.uniform((min_x, min_y), (max_x, max_y))
        if shapely.contains_xy(inner, x, y):
            return round(float(x), 6), round(float(y), 6)


def _intake(
    rng: np.random.Generator,
    grid: Region,
    grid_workers: dict[str, User],
    village_staff: User,
    row: PlanRow,
) -> tuple[str, User | None, str, bool]:
    """Channel, acting user, reporter name and anonymity: patrols by the grid's worker (no reporter),
    residents, calls and visits (most anonymous, a few giving only a surname)."""
    channels = [Channel.GRID_PATROL, Channel.RESIDENT, Channel.HOTLINE]
    if not row.citywide:
        channels.append(Channel.WALK_IN)  # the village center takes in visitors in its own village only
    channel = channels[int(rng.integers(len(channels)))]
    name = f"{rng.choice(SURNAMES)}{rng.choice(['先生', '女士'])}" if rng.random() < 0.2 else ""
    if channel == Channel.GRID_PATROL:
        return channel, grid_workers[grid.code], "", False
    user = village_staff if channel == Channel.WALK_IN else None
    return channel, user, name, not name


def _advance(
    case: Case,
    *,
    depth: int,
    escalated: bool,
    satisfaction: str,
    village_staff: User,
    town_staff: User,
    police_handler: User,
    police: Unit,
    grid_worker: User,
) -> Case:
    """Take the case ``depth`` steps along; an escalated one goes to the town before its last step."""
    center = village_staff
    steps = STEPS[:depth]
    for index, step in enumerate(steps):
        if escalated and index == len(steps) - 1 and step == "dispatch":
            case = cases.case_escalate(
                user=center, case=case, expected_version=case.version, reason="涉及多个村，需镇级统筹。"
            )
            center = town_staff
        case = _step(case, step, center, police_handler, police, grid_worker, satisfaction)
    if escalated and (not steps or steps[-1] != "dispatch"):
        case = cases.case_escalate(
            user=center, case=case, expected_version=case.version, reason="涉及多个村，需镇级统筹。"
        )
    return case


def _step(
    case: Case,
    step: str,
    center: User,
    police_handler: User,
    police: Unit,
    grid_worker: User,
    satisfaction: str,
) -> Case:
    v = case.version
    if step == "accept":
        return cases.case_accept(user=center, case=case, expected_version=v)
    if step == "register":
        return cases.case_register(user=center, case=case, expected_version=v)
    if step == "dispatch":
        return cases.case_dispatch(user=center, case=case, expected_version=v, lead_unit=police)
    if step == "sign_for":
        return cases.case_sign_for(user=police_handler, case=case, expected_version=v)
    if step == "handle":
        return cases.case_handle(user=police_handler, case=case, expected_version=v, note="已到现场处置完毕。")
    if step == "verify":
        return cases.case_verify(user=grid_worker, case=case, expected_version=v, passed=True, note="现场核查属实。")
    if step == "close":
        return cases.case_close(user=center, case=case, expected_version=v)
    if step == "follow_up":
        return cases.case_follow_up(user=center, case=case, expected_version=v, satisfaction=satisfaction)
    raise ValueError(step)
