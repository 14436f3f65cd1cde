"""Speed of deadline computation on the working calendar, as a sweep over many case stages would use it.

Run: .venv/bin/python benchmarks/calendar_deadlines.py  (a throwaway SQLite database unless
CIVICGRID_DATABASE_URL is set; the seeded 2020–2026 calendar). Prints ``name: value unit`` lines.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
os.environ.setdefault("CIVICGRID_DATA_DIR", tempfile.mkdtemp(prefix="cg-bench-"))

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from civicgrid.workcalendar import working_time  # noqa: E402
from civicgrid.workcalendar.working_time import CALENDAR_TZ  # noqa: E402

N = 100_000


def per_call_us(label: str, calls: list, fn) -> None:
    began = time.perf_counter()
    for args in calls:
        fn(*args)
    elapsed = time.perf_counter() - began
    print(f"{label}: {elapsed / len(calls) * 1e6:.2f} us/call")


def main() -> None:
    call_command("migrate", verbosity=0)
    rng = random.Random(20261128)
    base = dt.datetime(2020, 1, 1, tzinfo=CALENDAR_TZ)
    span = int((dt.datetime(2026, 12, 31, tzinfo=CALENDAR_TZ) - base).total_seconds())
    starts = [base + dt.timedelta(seconds=rng.randrange(span)) for _ in range(N)]

    working_time.invalidate()
    began = time.perf_counter()
    working_time.current_calendar()
    print(f"calendar_cold_load: {(time.perf_counter() - began) * 1e3:.2f} ms")
    began = time.perf_counter()
    for _ in range(100):
        working_time._read_stamp()
    print(f"calendar_stamp_check: {(time.perf_counter() - began) / 100 * 1e3:.3f} ms")

    per_call_us(
        "due_after_working_days",
        [(s, rng.choice([1, 3, 5, 13, 30])) for s in starts],
        lambda s, n: working_time.due_after(s, working_days=n),
    )
    per_call_us(
        "due_after_working_hours",
        [(s, rng.choice([0.5, 2, 4, 24, 72])) for s in starts],
        lambda s, h: working_time.due_after(s, working_hours=h),
    )
    per_call_us(
        "due_after_working_days_3_suspensions",
        [
            (s, [(s + dt.timedelta(days=k), s + dt.timedelta(days=k, hours=rng.randrange(1, 60))) for k in (1, 4, 9)])
            for s in starts[: N // 5]
        ],
        lambda s, ex: working_time.due_after(s, working_days=13, excluded=ex),
    )
    per_call_us(
        "working_seconds_between_up_to_1_year",
        [(s, s + dt.timedelta(seconds=rng.randrange(366 * 86400))) for s in starts],
        working_time.working_seconds_between,
    )
    dues = [(s, working_time.due_after(s, working_days=5).due_at) for s in starts[: N // 5]]
    per_call_us("share_point_75", dues, lambda s, d: working_time.share_point(s, d, 0.75))


if __name__ == "__main__":
    main()
