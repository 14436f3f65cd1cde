from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from civicgrid.core import jobs
from civicgrid.core.jobs import Job, claim, periodic
from civicgrid.notifications.models import Channel, OutboxMessage

POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks to skip: its IMMEDIATE transactions let only one writer in at a time, "
    "so two claimers cannot overlap there; SKIP LOCKED is exercised on PostgreSQL",
)


@pytest.fixture
def registry(monkeypatch):
    """An empty job registry for the test; the worker loads no app modules into it."""
    fresh: dict[str, Job] = {}
    monkeypatch.setattr(jobs, "_registry", fresh)
    monkeypatch.setattr(jobs, "load_job_modules", lambda: [])
    return fresh


def worker_records(caplog):
    return [r for r in caplog.records if r.name == "civicgrid.worker" and hasattr(r, "job")]


def due_rows(count: int) -> list[OutboxMessage]:
    start = timezone.now() - timedelta(minutes=1)
    return OutboxMessage.objects.bulk_create(
        OutboxMessage(
            channel=Channel.EMAIL, event="test", target=f"u{n}@example.cn", next_attempt_at=start + timedelta(seconds=n)
        )
        for n in range(count)
    )


def due_queryset():
    return OutboxMessage.objects.filter(next_attempt_at__lte=timezone.now()).order_by("next_attempt_at", "id")


# --- the registry --------------------------------------------------------------------------------


def test_periodic_registers_a_job_and_returns_the_function(registry):
    def sweep() -> int:
        return 3

    assert periodic("test.sweep", every_seconds=30)(sweep) is sweep
    assert jobs.registered_jobs() == [Job(name="test.sweep", every_seconds=30, fn=sweep)]


def test_a_name_cannot_be_taken_by_another_function(registry):
    @periodic("test.sweep", every_seconds=30)
    def sweep() -> int:
        return 0

    periodic("test.sweep", every_seconds=30)(sweep)  # the same function again (a re-import) is fine

    def other() -> int:
        return 0

    with pytest.raises(ValueError, match="already registered"):
        periodic("test.sweep", every_seconds=30)(other)


def test_the_interval_must_be_positive(registry):
    with pytest.raises(ValueError, match="every_seconds must be positive"):
        periodic("test.never", every_seconds=0)


def test_the_worker_loads_the_jobs_module_of_every_civicgrid_app_that_has_one():
    loaded = jobs.load_job_modules()
    assert "civicgrid.notifications.jobs" in loaded
    assert all(module.startswith("civicgrid.") and module.endswith(".jobs") for module in loaded)
    assert "notifications.deliver" in {job.name for job in jobs.registered_jobs()}


# --- claim ---------------------------------------------------------------------------------------


def test_claim_returns_the_first_due_rows_up_to_the_limit(db):
    rows = due_rows(5)
    with transaction.atomic():
        claimed = claim(due_queryset(), limit=3)
    assert [row.pk for row in claimed] == [row.pk for row in rows[:3]]


@pytest.mark.django_db(transaction=True)
def test_claim_refuses_to_run_outside_a_transaction():
    with pytest.raises(transaction.TransactionManagementError, match=r"inside transaction\.atomic"):
        claim(due_queryset(), limit=3)


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claimers_never_get_the_same_row():
    """The first claimer holds its locks open while the second claims: the second skips them."""
    due_rows(20)
    first_claimed, second_done = threading.Event(), threading.Event()
    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                claimed["first"] = [row.pk for row in claim(due_queryset(), limit=12)]
                first_claimed.set()
                second_done.wait(10)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            first_claimed.set()
            connection.close()

    def second() -> None:
        try:
            first_claimed.wait(10)
            with transaction.atomic():
                claimed["second"] = [row.pk for row in claim(due_queryset(), limit=12)]
        except BaseException as exc:
            errors.append(exc)
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert len(claimed["first"]) == 12
    assert len(claimed["second"]) == 8
    assert set(claimed["first"]).isdisjoint(claimed["second"])
    assert set(claimed["first"]) | set(claimed["second"]) == set(OutboxMessage.objects.values_list("pk", flat=True))


# --- the worker ----------------------------------------------------------------------------------


def test_worker_once_runs_every_job_once_and_logs_a_line_per_run(db, registry, caplog):
    runs: list[str] = []

    @periodic("test.a", every_seconds=60)
    def a() -> int:
        runs.append("a")
        return 2

    @periodic("test.b", every_seconds=3600)
    def b() -> int:
        runs.append("b")
        return 0

    with caplog.at_level(logging.INFO, logger="civicgrid.worker"):
        call_command("worker", "--once")

    assert runs == ["a", "b"]
    lines = worker_records(caplog)
    assert [(r.job, r.handled, r.status, r.levelname) for r in lines] == [
        ("test.a", 2, "ok", "INFO"),
        ("test.b", 0, "ok", "INFO"),
    ]
    assert all(isinstance(r.ms, float) and r.ms >= 0 for r in lines)


def test_worker_once_runs_the_other_jobs_when_one_raises_and_then_reports_failure(db, registry, caplog):
    runs: list[str] = []

    @periodic("test.a_broken", every_seconds=60)
    def broken() -> int:
        runs.append("broken")
        raise RuntimeError("database on fire")

    @periodic("test.b_fine", every_seconds=60)
    def fine() -> int:
        runs.append("fine")
        return 1

    with pytest.raises(CommandError, match="1 job"):
        call_command("worker", "--once")

    assert runs == ["broken", "fine"]
    [failure] = [r for r in worker_records(caplog) if r.levelname == "ERROR"]
    assert (failure.job, failure.status) == ("test.a_broken", "error")
    assert "RuntimeError: database on fire" in failure.exc_text


def test_worker_can_run_chosen_jobs_only(db, registry):
    runs: list[str] = []
    periodic("test.a", every_seconds=60)(lambda: runs.append("a") or 0)
    periodic("test.b", every_seconds=60)(lambda: runs.append("b") or 0)
    call_command("worker", "--once", "--job", "test.b")
    assert runs == ["b"]
    with pytest.raises(CommandError, match="unknown job"):
        call_command("worker", "--once", "--job", "test.nope")


def test_a_raising_job_is_retried_next_round_and_never_stops_the_loop(db, caplog):
    stop = threading.Event()
    calls = {"broken": 0, "fine": 0}

    def broken() -> int:
        calls["broken"] += 1
        if calls["broken"] == 3:
            stop.set()
        raise RuntimeError("boom")

    def fine() -> int:
        calls["fine"] += 1
        return 0

    loop_jobs = [Job("test.broken", 0.001, broken), Job("test.fine", 0.001, fine)]
    jobs.run_loop(stop, loop_jobs, max_sleep=0.01)

    assert calls["broken"] == 3
    assert calls["fine"] == 2  # ran after each of the first two failures; the stop came during the third round
    assert [r.job for r in worker_records(caplog) if r.levelname == "ERROR"] == ["test.broken"] * 3


def test_the_loop_waits_for_a_job_until_it_is_due(db):
    stop = threading.Event()
    calls = {"often": 0, "rarely": 0}

    def often() -> int:
        calls["often"] += 1
        if calls["often"] == 3:
            stop.set()
        return 0

    def rarely() -> int:
        calls["rarely"] += 1
        return 0

    jobs.run_loop(stop, [Job("test.often", 0.001, often), Job("test.rarely", 3600, rarely)], max_sleep=0.01)

    assert calls == {"often": 3, "rarely": 1}


def test_sigterm_stops_the_worker_after_the_running_job(db, registry, caplog):
    runs: list[str] = []
    previous = signal.getsignal(signal.SIGTERM)

    @periodic("test.a_stop", every_seconds=0.001)
    def ask_to_stop() -> int:
        runs.append("stop")
        os.kill(os.getpid(), signal.SIGTERM)
        return 0

    @periodic("test.b_after", every_seconds=0.001)
    def after() -> int:
        runs.append("after")
        return 0

    with caplog.at_level(logging.INFO, logger="civicgrid.worker"):
        call_command("worker", "--max-sleep", "0.01")

    assert runs == ["stop"]  # the job finished; nothing started after the signal
    assert signal.getsignal(signal.SIGTERM) == previous  # handlers are put back
    assert [r.msg for r in caplog.records if r.name == "civicgrid.worker"][-1] == "worker stopped"
