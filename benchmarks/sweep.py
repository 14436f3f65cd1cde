"""Speed of the deadline sweep over many open cases, on PostgreSQL.

Run: .venv/bin/python benchmarks/sweep.py [--cases 1000000] [--due-share 0.01] [--batch N]
Creates the database ``cg_bench_sweep`` on 127.0.0.1:5432 (user postgres; CIVICGRID_BENCH_PG to change
the server URL), fills it with COPY, measures, and drops it. Prints ``name: value unit`` lines.

The city: 10 towns of 10 villages, a center with one staff member at each; every case is open in the
accept or handle stage of a village. ``--due-share`` of them have a threshold that has come (half a
yellow warning, half a red overdue mark); the rest are due later. Escalation thresholds lie in the
future (an escalation is a full per-case transition, measured by the tests, not here).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SERVER = os.environ.get("CIVICGRID_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "cg_bench_sweep"
os.environ["CIVICGRID_DATABASE_URL"] = f"{SERVER}/{DB_NAME}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
os.environ.setdefault("CIVICGRID_DATA_DIR", tempfile.mkdtemp(prefix="cg-bench-"))
os.environ.setdefault("CIVICGRID_LOG_LEVEL", "WARNING")

import psycopg  # noqa: E402

BJ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2025, 9, 22, 10, 0, tzinfo=BJ).astimezone(dt.UTC)


def admin_sql(sql: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_city() -> tuple[int, list[int], int]:
    """Regions, centers, staff and one category; returns (city id, village ids, category id)."""
    from civicgrid.cases.models import Category, CategoryKind
    from civicgrid.people.models import Center, Role, RoleAssignment, User
    from civicgrid.regions.models import Kind, Level, Region

    city = Region.objects.create(code="420683", name="基准市", kind=Kind.COUNTY, level=Level.CITY)
    villages = []
    centers = [Center(region=city, name="市中心")]
    for t in range(10):
        town = Region.objects.create(
            code=f"420683{100 + t:03d}", name=f"镇{t}", kind=Kind.TOWN, level=Level.TOWN, parent=city
        )
        centers.append(Center(region=town, name=f"镇{t}中心"))
        for v in range(10):
            village = Region.objects.create(
                code=f"{town.code}{200 + v:03d}", name=f"村{t}-{v}", kind=Kind.VILLAGE, level=Level.VILLAGE, parent=town
            )
            villages.append(village)
            centers.append(Center(region=village, name=f"村{t}-{v}中心"))
    Center.objects.bulk_create(centers)
    for center in centers:
        user = User.objects.create(username=f"staff-{center.region.code}")
        RoleAssignment.objects.create(user=user, role=Role.CENTER_STAFF, region=center.region)
    category = Category.objects.create(code="B01", name="基准事件", kind=CategoryKind.EVENT, lead_unit_kind="police")
    return city.pk, [v.pk for v in villages], category.pk


def fill(total: int, due_share: float, city_id: int, village_ids: list[int], village_codes: dict[int, str], cat: int):
    """COPY ``total`` open cases, then their running stage rows (INSERT … SELECT); returns (seconds, due)."""
    from django.db import connection

    rng = random.Random(20251127)
    due_every = round(1 / due_share) if due_share > 0 else 0
    case_cols = (
        "id, number, title, description, category_id, channel, priority, attributes, external_ref, address, "
        "location_status, city_id, area_code, tier, region_id, state, suspended_from_state, reject_reason, "
        "satisfaction, rework_count, reopen_count, escalation_count, stage, stage_started_at, stage_warn_at, "
        "stage_due_at, stage_escalate_at, deadline_status, next_check_at, version, created_at, updated_at"
    )
    stage_cols = (
        "case_id, stage, tier, region_id, started_at, limit_amount, limit_unit, warn_at, due_at, escalate_at, "
        "estimated, warned, overdue, end_action"
    )
    due = 0
    began = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection  # the psycopg connection under Django's
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY cases_case ({case_cols}) FROM STDIN") as copy_case:
            for i in range(1, total + 1):
                village = village_ids[i % len(village_ids)]
                started = NOW - dt.timedelta(minutes=rng.randrange(1, 600))
                handle = i % 3 == 0
                stage, state = ("handle", "signed") if handle else ("accept", "reported")
                if due_every and i % due_every == 0:
                    due += 1
                    if due % 2:  # warning has come, due later
                        status, warn_at = "ok", NOW - dt.timedelta(minutes=rng.randrange(1, 30))
                        due_at = NOW + dt.timedelta(hours=1)
                    else:  # due has come
                        status, warn_at = "yellow", NOW - dt.timedelta(hours=2)
                        due_at = NOW - dt.timedelta(minutes=rng.randrange(1, 30))
                    next_check = warn_at if status == "ok" else due_at
                else:
                    status = "ok"
                    warn_at = NOW + dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 5))
                    due_at = warn_at + dt.timedelta(hours=1)
                    next_check = warn_at
                escalate_at = due_at + dt.timedelta(days=3)
                copy_case.write_row(
                    (
                        i, f"420683-20250922-{i:07d}", f"基准事件{i}", "", cat, "resident", 3, "{}", "", "",
                        "none", city_id, village_codes[village], 3, village, state, "", "",
                        "", 0, 0, 0, stage, started, warn_at,
                        due_at, escalate_at, status, next_check, 1, started, started,
                    )
                )  # fmt: skip
        cursor.execute(
            f"INSERT INTO cases_casestage ({stage_cols}) "
            "SELECT id, stage, tier, region_id, stage_started_at, 2, 'hours', stage_warn_at, stage_due_at, "
            "stage_escalate_at, false, deadline_status <> 'ok', false, '' FROM cases_case"
        )
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [total])
    raw.commit()
    with raw.cursor() as cursor:
        cursor.execute("ANALYZE")
    raw.commit()
    return time.perf_counter() - began, due


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.01)
    parser.add_argument("--batch", type=int, default=None, help="rows per sweep transaction (default: settings row)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    admin_sql(f"CREATE DATABASE {DB_NAME}")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from civicgrid.cases.models import Case, CaseEvent
        from civicgrid.cases.services import case_deadline_sweep
        from civicgrid.regions.models import Region

        call_command("migrate", verbosity=0)
        city_id, village_ids, category_id = setup_city()
        codes = dict(Region.objects.filter(pk__in=village_ids).values_list("pk", "code"))
        seconds, due = fill(args.cases, args.due_share, city_id, village_ids, codes, category_id)
        print(f"setup_cases: {args.cases} rows")
        print(f"setup_copy: {seconds:.1f} s")
        print(f"due_cases: {due} rows")

        idle_now = NOW - dt.timedelta(hours=3)  # before every threshold: nothing is due
        idle = []
        for _ in range(7):
            began = time.perf_counter()
            handled = case_deadline_sweep(now=idle_now, batch=args.batch)
            idle.append((time.perf_counter() - began) * 1000)
            assert handled == 0, handled
        print(f"sweep_nothing_due_median: {statistics.median(idle):.1f} ms")
        print(f"sweep_nothing_due_max: {max(idle):.1f} ms")

        began = time.perf_counter()
        handled = case_deadline_sweep(now=NOW, batch=args.batch, max_batches=10_000)
        elapsed = time.perf_counter() - began
        print(f"load_average_1m_during_sweep: {os.getloadavg()[0]:.1f} procs ({os.cpu_count()} cpus)")
        print(f"sweep_due_rows: {handled} rows")
        print(f"sweep_due_total: {elapsed:.2f} s")
        print(f"sweep_due_rate: {handled / elapsed:.0f} rows/s")
        assert handled == due, (handled, due)
        assert CaseEvent.objects.count() == due

        began = time.perf_counter()
        again = case_deadline_sweep(now=NOW, batch=args.batch)
        print(f"sweep_again_after_all_marked: {(time.perf_counter() - began) * 1000:.1f} ms ({again} rows)")
        still_due = Case.objects.filter(next_check_at__lte=NOW).count()
        print(f"still_due_after_sweep: {still_due} rows")
        connection.close()
    finally:
        if not args.keep:
            admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
