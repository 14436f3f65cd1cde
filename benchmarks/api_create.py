"""Case creation through the API (POST /api/v1/cases/) against gunicorn with 2 workers on PostgreSQL,
beside the ceiling of the same database: a bare single-row INSERT with commit from one connection.

Run: .venv/bin/python benchmarks/api_create.py [--requests 3000] [--concurrency 4] [--seconds 60] [--threads 2]

It creates a throwaway database ``cg_bench_api`` (dropped at the end) on the server of
CIVICGRID_BENCH_PG (default postgres://postgres@127.0.0.1:5432/postgres), migrates it, seeds a minimal
world (a county, a town, a village with its center and two staff, one grid, a grid worker with an API
token), starts ``civicgrid serve --workers 2`` (the production setup: 2 gunicorn workers of 2 threads each;
``--threads 1`` for sync workers) on a free port of 127.0.0.1, and drives it from a separate process: a pool
of threads, each with its own http.client connection, posting until --requests are done or --seconds have
passed. Every request carries a fresh Idempotency-Key, as the mobile clients do. Prints ``name: value unit``
lines; never asserts.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "cg_bench_api"
ADMIN_URL = os.environ.get("CIVICGRID_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
BENCH_URL = urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{DB_NAME}"))
GRID_BOX = (112.0, 32.0, 112.1, 32.1)  # the one grid: lon/lat square inside the county


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def migrate_and_seed() -> str:
    """Migrate the throwaway database and seed the minimal world; returns the grid worker's API token."""
    import django

    django.setup()
    import shapely
    from django.core.management import call_command
    from django.db import connections
    from rest_framework.authtoken.models import Token

    from civicgrid.cases.models import CaseSettings
    from civicgrid.people.models import Center, RoleAssignment, User
    from civicgrid.regions.models import Kind, Level, Region

    call_command("migrate", verbosity=0)

    def region(code: str, name: str, kind: str, level: int, parent: Any, box: tuple[float, ...]) -> Any:
        row = Region(code=code, name=name, kind=kind, level=level, parent=parent)
        row.set_shape(shapely.box(*box))
        row.save()
        return row

    county = region("420683", "枣阳市", Kind.COUNTY, Level.CITY, None, (111.9, 31.9, 112.5, 32.5))
    town = region("420683100", "甲镇", Kind.TOWN, Level.TOWN, county, (111.9, 31.9, 112.2, 32.5))
    village = region("420683100200", "甲一村", Kind.VILLAGE, Level.VILLAGE, town, (111.9, 31.9, 112.2, 32.5))
    grid = region("420683100200001", "甲一村第1网格", Kind.GRID, Level.GRID, village, GRID_BOX)
    for level_region, name in ((county, "市综治中心"), (town, "甲镇综治中心"), (village, "甲一村综治中心")):
        Center.objects.create(region=level_region, name=name)
    for i in range(2):
        staff = User.objects.create(username=f"village_staff_{i}", first_name=f"村中心{i}")
        RoleAssignment.objects.create(user=staff, role="center_staff", region=village)
    worker = User.objects.create(username="bench_grid_worker", first_name="网格员")
    RoleAssignment.objects.create(user=worker, role="grid_worker", region=grid)
    CaseSettings.current()
    token = Token.objects.create(user=worker).key
    connections.close_all()
    return token


def checkpoint() -> None:
    """Write out what creating, migrating and seeding the database left in the WAL, so that a checkpoint
    it would trigger does not land in the middle of the measurement (needs a superuser; else skipped)."""
    import psycopg

    try:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
    except psycopg.Error as exc:
        print(f"checkpoint_skipped: {type(exc).__name__}")


def start_server(port: int, env: dict[str, str], threads: int = 2) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(  # noqa: S603 -- our own interpreter and arguments
        [sys.executable, "-m", "civicgrid.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2", "--threads", str(threads), "--no-migrate", "--no-worker"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, process_group=0,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not come up within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- the load (runs in its own process) ------------------------------------------------------------


def _body(rng: random.Random) -> bytes:
    lon = rng.uniform(GRID_BOX[0] + 0.001, GRID_BOX[2] - 0.001)
    lat = rng.uniform(GRID_BOX[1] + 0.001, GRID_BOX[3] - 0.001)
    return json.dumps(
        {
            "title": "暴露垃圾",
            "category": "E0102",
            "channel": "grid_patrol",
            "description": "路边垃圾堆放，影响通行。",
            "lon": round(lon, 6),
            "lat": round(lat, 6),
            "address": "甲一村东路口",
            "reporter_name": "张三",
            "reporter_phone": "13812345678",
        },
        ensure_ascii=False,
    ).encode()


def drive(port: int, token: str, total: int, concurrency: int, seconds: float, out: Any) -> None:
    """Closed loop: ``concurrency`` threads post until ``total`` requests are sent or time runs out."""
    lock = threading.Lock()
    sent = [0]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop_at = time.monotonic() + seconds

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn: HTTPConnection | None = None
        mine: list[float] = []
        codes: dict[int, int] = {}
        while time.monotonic() < stop_at:
            with lock:
                if sent[0] >= total:
                    break
                sent[0] += 1
            headers = {
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            body = _body(rng)
            began = time.perf_counter()
            for _attempt in range(2):  # a closed connection (sync workers close after each response): reopen
                try:
                    if conn is None:
                        conn = HTTPConnection("127.0.0.1", port, timeout=30)
                    conn.request("POST", "/api/v1/cases/", body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    if response.getheader("Connection", "").lower() == "close":
                        conn.close()
                        conn = None
                    break
                except OSError:
                    if conn is not None:
                        conn.close()
                    conn = None
                    status = 0
            mine.append(time.perf_counter() - began)
            codes[status] = codes.get(status, 0) + 1
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put({"elapsed": time.perf_counter() - began, "latencies": latencies, "statuses": statuses})


def run_load(port: int, token: str, total: int, concurrency: int, seconds: float) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=drive, args=(port, token, total, concurrency, seconds, queue))
    process.start()
    result = queue.get(timeout=seconds + 120)
    process.join()
    return dict(result)


# --- the ceiling ---------------------------------------------------------------------------------


def bare_insert_rate(n: int) -> float:
    """Single-row INSERT + COMMIT from one connection: the most this database takes one at a time."""
    import psycopg

    with psycopg.connect(BENCH_URL) as conn:
        conn.execute("CREATE TABLE bench_insert (id bigserial PRIMARY KEY, title text, at timestamptz)")
        conn.commit()
        began = time.perf_counter()
        for i in range(n):
            conn.execute("INSERT INTO bench_insert (title, at) VALUES (%s, now())", (f"row {i}",))
            conn.commit()
        elapsed = time.perf_counter() - began
        conn.execute("DROP TABLE bench_insert")
        conn.commit()
    return n / elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=3000, help="creations to send after the warm-up")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--seconds", type=float, default=60.0, help="stop sending after this long")
    parser.add_argument(
        "--threads", type=int, default=2, help="threads per gunicorn worker (default 2, as civicgrid serve; 1: sync)"
    )
    parser.add_argument("--warmup", type=int, default=500, help="creations sent first and not measured")
    parser.add_argument("--inserts", type=int, default=5000, help="rows for the bare INSERT ceiling")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="cg-bench-api-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "civicgrid.settings",
        "CIVICGRID_DATABASE_URL": BENCH_URL,
        "CIVICGRID_DATA_DIR": data_dir,
        "CIVICGRID_SECRET_KEY": "bench-" + uuid.uuid4().hex,
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    print(f"machine: {platform.platform()} python {platform.python_version()}")
    print(f"cpu_count: {os.cpu_count()} cores")
    # Other work on the machine skews every figure below: say how busy it was.
    print(f"load_average_1m_at_start: {os.getloadavg()[0]:.2f} runnable")
    recreate_database()
    server = None
    try:
        token = migrate_and_seed()
        checkpoint()
        port = free_port()
        server = start_server(port, env, args.threads)
        if args.warmup:
            run_load(port, token, args.warmup, args.concurrency, args.seconds)
        result = run_load(port, token, args.requests, args.concurrency, args.seconds)
        stop_server(server)
        server = None
        latencies = result["latencies"]
        statuses = result["statuses"]
        created = statuses.get(201, 0)
        print(f"api_create_server: gunicorn 2 workers x {args.threads} thread(s)")
        print(f"api_create_concurrency: {args.concurrency} threads")
        print(f"api_create_requests: {len(latencies)} requests")
        print(f"api_create_created_201: {created} requests")
        print(f"api_create_other_status: {len(latencies) - created} requests {dict(sorted(statuses.items()))}")
        print(f"api_create_rate: {created / result['elapsed']:.1f} creations/s")
        if latencies:
            print(f"api_create_p50: {percentile(latencies, 0.50) * 1000:.1f} ms")
            print(f"api_create_p90: {percentile(latencies, 0.90) * 1000:.1f} ms")
            print(f"api_create_p99: {percentile(latencies, 0.99) * 1000:.1f} ms")
            print(f"api_create_max: {max(latencies) * 1000:.1f} ms")
            print(f"api_create_mean: {statistics.fmean(latencies) * 1000:.1f} ms")
        print(f"bare_insert_commit_rate: {bare_insert_rate(args.inserts):.1f} rows/s")
        print(f"load_average_1m_at_end: {os.getloadavg()[0]:.2f} runnable")
    finally:
        if server is not None:
            stop_server(server)
        drop_database()


if __name__ == "__main__":
    main()
