"""Background jobs: a registry of periodic functions, a safe way to claim due rows, and the loop
that ``civicgrid worker`` runs.

A job is a plain idempotent function ``fn() -> int`` (rows handled) over rows that carry their own
"next due at" column. Several workers may run at once: each job claims its rows with ``claim``,
so no two workers handle the same row.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.apps import apps
from django.db import close_old_connections, connections, transaction
from django.db.models import Model, QuerySet

logger = logging.getLogger("civicgrid.worker")

JobFunction = Callable[[], int]
F = TypeVar("F", bound=JobFunction)
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    fn: JobFunction


_registry: dict[str, Job] = {}


def periodic(name: str, every_seconds: float) -> Callable[[F], F]:
    """Register ``fn`` to run every ``every_seconds`` in ``civicgrid worker``.

    Names are unique; registering the same function again (a re-import) is harmless.
    """
    if every_seconds <= 0:
        raise ValueError(f"job {name!r}: every_seconds must be positive")

    def register(fn: F) -> F:
        existing = _registry.get(name)
        if existing is not None and _qualname(existing.fn) != _qualname(fn):
            raise ValueError(f"job {name!r} is already registered by {_qualname(existing.fn)}")
        _registry[name] = Job(name=name, every_seconds=every_seconds, fn=fn)
        return fn

    return register


def _qualname(fn: Callable[..., object]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def registered_jobs() -> list[Job]:
    """Every registered job, in name order."""
    return [_registry[name] for name in sorted(_registry)]


def load_job_modules() -> list[str]:
    """Import ``<app>.jobs`` for every installed civicgrid app that has one; returns the modules."""
    loaded = []
    for config in apps.get_app_configs():
        if not config.name.startswith("civicgrid."):
            continue
        module = f"{config.name}.jobs"
        if importlib.util.find_spec(module) is None:
            continue
        importlib.import_module(module)
        loaded.append(module)
    return loaded


def claim(queryset: QuerySet[M], *, limit: int) -> list[M]:
    """Lock up to ``limit`` rows of ``queryset`` for the caller's transaction and return them.

    On PostgreSQL this is ``SELECT … FOR UPDATE SKIP LOCKED``: rows another worker holds are
    passed over, not waited for. SQLite has no row locks; there the IMMEDIATE transaction mode
    (settings) makes every write transaction take the database lock at BEGIN, so a second worker
    waits until the first commits and then sees its changes. Either way the caller must, in the
    same transaction, move the claimed rows out of "due" (advance their next-due column or change
    their status) so they are not claimed again after commit.
    """
    if not transaction.get_connection(queryset.db).in_atomic_block:
        raise transaction.TransactionManagementError("claim() must run inside transaction.atomic()")
    features = transaction.get_connection(queryset.db).features
    if features.has_select_for_update_skip_locked:
        of: tuple[str, ...] = ("self",) if features.has_select_for_update_of else ()
        queryset = queryset.select_for_update(skip_locked=True, of=of)
    return list(queryset[:limit])


def _tidy_connections() -> None:
    """Drop broken or expired database connections between jobs, as Django does between requests.

    Not while a transaction is open around the worker (tests run it inside one): closing would end it.
    """
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


def run_job(job: Job) -> bool:
    """Run one job, log one line about it; returns False when it raised (it never propagates)."""
    _tidy_connections()
    started = time.perf_counter()
    try:
        handled = job.fn()
    except Exception:
        ms = round((time.perf_counter() - started) * 1000, 1)
        logger.exception("job failed", extra={"job": job.name, "handled": 0, "ms": ms, "status": "error"})
        return False
    finally:
        _tidy_connections()
    ms = round((time.perf_counter() - started) * 1000, 1)
    logger.info("job done", extra={"job": job.name, "handled": handled, "ms": ms, "status": "ok"})
    return True


def run_once(jobs: Sequence[Job] | None = None) -> int:
    """Run every job once; returns how many raised."""
    return sum(not run_job(job) for job in (registered_jobs() if jobs is None else jobs))


def run_loop(stop: threading.Event, jobs: Sequence[Job] | None = None, *, max_sleep: float = 60.0) -> None:
    """Run each job when due until ``stop`` is set; a job that raises is tried again next round.

    The job in progress when ``stop`` is set finishes first, so no work is cut off midway.
    """
    jobs = registered_jobs() if jobs is None else list(jobs)
    if not jobs:
        logger.warning("no jobs registered")
    next_due = {job.name: time.monotonic() for job in jobs}
    logger.info("worker started", extra={"jobs": ",".join(job.name for job in jobs)})
    while not stop.is_set():
        for job in jobs:
            if stop.is_set():
                break
            if time.monotonic() >= next_due[job.name]:
                run_job(job)
                next_due[job.name] = time.monotonic() + job.every_seconds
        if jobs:
            stop.wait(max(0.0, min(min(next_due.values()) - time.monotonic(), max_sleep)))
        else:
            stop.wait(max_sleep)
    logger.info("worker stopped")
