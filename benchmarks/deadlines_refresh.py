"""Speed of recomputing running deadlines after a working-calendar change, on PostgreSQL.

Run: .venv/bin/python benchmarks/deadlines_refresh.py [--cases 5000]
Creates the database ``cg_bench_refresh`` on 127.0.0.1:5432 (user postgres; CIVICGRID_BENCH_PG to change
the server URL), reports ``--cases`` cases through ``case_create`` (their deadlines computed by the
calendar, as in production), measures, and drops it. Prints ``name: value unit`` lines; never asserts.

Measured: the version check when nothing changed; a full pass in which nothing moves (every stage's
deadline recomputed and compared); a full pass after a one-day closure that moves every deadline (one
locked transaction and one timeline row per stage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SERVER = os.environ.get("CIVICGRID_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "cg_bench_refresh"
os.environ["CIVICGRID_DATABASE_URL"] = f"{SERVER}/{DB_NAME}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
os.environ.setdefault("CIVICGRID_DATA_DIR", tempfile.mkdtemp(prefix="cg-bench-"))
os.environ.setdefault("CIVICGRID_LOG_LEVEL", "WARNING")

import psycopg  # noqa: E402


def admin_sql(sql: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup() -> tuple[object, tuple[float, float]]:
    """A county, a town, a village with a center and one grid; returns (category, a point in the grid)."""
    import shapely

    from civicgrid.cases.models import Category, CategoryKind, Tier
    from civicgrid.people.models import Center
    from civicgrid.regions.models import Kind, Level, Region

    def region(code: str, kind: str, level: int, parent: object, box: tuple[float, ...]) -> Region:
        row = Region(code=code, name=code, kind=kind, level=level, parent=parent)
        row.set_shape(shapely.box(*box))
        row.save()
        return row

    county = region("420683", Kind.COUNTY, Level.CITY, None, (111.9, 31.9, 112.5, 32.5))
    town = region("420683100", Kind.TOWN, Level.TOWN, county, (111.9, 31.9, 112.2, 32.5))
    village = region("420683100200", Kind.VILLAGE, Level.VILLAGE, town, (111.9, 31.9, 112.2, 32.5))
    region("420683100200001", Kind.GRID, Level.GRID, village, (112.0, 32.0, 112.1, 32.1))
    for row in (county, town, village):
        Center.objects.create(region=row, name=f"{row.code}中心")
    category = Category.objects.create(
        code="B01", name="基准", kind=CategoryKind.EVENT, default_tier=Tier.VILLAGE,
        accept_limit=5, accept_limit_unit="days",
    )  # fmt: skip
    return category, (112.05, 32.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=5000)
    args = parser.parse_args()

    print(f"machine: {platform.platform()} python {platform.python_version()} cpus {os.cpu_count()}")
    admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{DB_NAME}"')
    try:
        import django

        django.setup()
        import time_machine
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        from civicgrid.cases.services import case_create, case_deadlines_refresh
        from civicgrid.workcalendar.services import closure_add

        category, (lon, lat) = setup()
        start = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        with time_machine.travel(start, tick=False):
            began = time.perf_counter()
            for i in range(args.cases):
                case_create(user=None, title=f"基准{i}", category=category, channel="resident", lon=lon, lat=lat)
            print(f"setup_cases: {args.cases} cases in {time.perf_counter() - began:.1f} s")
            case_deadlines_refresh(seconds=3600)  # the first pass records the calendar version

            checks = []
            for _ in range(20):
                t = time.perf_counter()
                case_deadlines_refresh(seconds=3600)
                checks.append(time.perf_counter() - t)
            print(f"refresh_unchanged_calendar: {sorted(checks)[len(checks) // 2] * 1000:.2f} ms")

            from civicgrid.cases.models import CalendarApplied

            CalendarApplied.objects.all().delete()  # forget the version: a full pass in which nothing moves
            t = time.perf_counter()
            moved = case_deadlines_refresh(seconds=3600)
            elapsed = time.perf_counter() - t
            print(f"refresh_full_pass_nothing_moves: {elapsed:.2f} s ({moved} moved)")
            print(f"refresh_full_pass_rate: {args.cases / elapsed:.0f} stages/s")

            closure_add(start_date=dt.date(2026, 11, 4), reason="台风停工")
            t = time.perf_counter()
            moved = case_deadlines_refresh(seconds=3600)
            elapsed = time.perf_counter() - t
            print(f"refresh_all_move: {elapsed:.2f} s ({moved} moved)")
            print(f"refresh_move_rate: {moved / elapsed:.0f} stages/s")
        connection.close()
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
