"""Two people (or workers) at once, on real PostgreSQL connections in threads: exactly one transition
wins, numbers stay unique, an idempotency key makes one case, and parallel sweeps mark each row once.

SQLite serialises every writer at BEGIN (IMMEDIATE transactions), so these races cannot happen there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from civicgrid.cases import services as s
from civicgrid.cases.models import Case, CaseConflict, CaseEvent, State
from civicgrid.cases.tests.conftest import bj

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent writers need PostgreSQL; SQLite serialises writers at BEGIN",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def in_threads(count: int, fn: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run ``fn(i)`` in ``count`` threads released together; returns ("ok", value) or ("error", exc)."""
    barrier = threading.Barrier(count)
    results: list[tuple[str, Any]] = [("error", None)] * count

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", fn(index))
        except Exception as exc:
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_exactly_one_of_two_simultaneous_transitions_wins(personas: Any, new_case: Any) -> None:
    case = new_case()

    def act(index: int) -> Case:
        if index == 0:
            return s.case_accept(user=personas.village_center, case=case, expected_version=1)
        return s.case_reject(user=personas.village_center, case=case, expected_version=1, reason="重复")

    results = in_threads(2, act)
    outcomes = sorted(kind for kind, _value in results)
    assert outcomes == ["error", "ok"]
    error = next(value for kind, value in results if kind == "error")
    assert isinstance(error, CaseConflict) and error.current_version == 2
    winner = next(value for kind, value in results if kind == "ok")
    case.refresh_from_db()
    assert (case.version, case.state) == (2, winner.state)
    assert case.state in {State.ACCEPTED, State.REJECTED}
    assert CaseEvent.objects.filter(case=case).count() == 2  # create + the winner's row


def test_case_numbers_are_unique_under_concurrency(clock: Any, personas: Any, new_case: Any) -> None:
    clock.at(bj(2025, 11, 27, 10, 0))
    results = in_threads(6, lambda i: [new_case(title=f"并发{i}-{n}").number for n in range(5)])
    assert all(kind == "ok" for kind, _value in results), results
    numbers = sorted(number for _kind, value in results for number in value)
    assert numbers == [f"420683-20251127-{n:05d}" for n in range(1, 31)]


def test_the_same_idempotency_key_at_once_makes_one_case(personas: Any, new_case: Any) -> None:
    def submit(i: int) -> tuple[int, bool]:
        case = new_case(idempotency_key="open311-token-1", title=f"第{i}次提交")
        return case.pk, case.replayed

    results = in_threads(4, submit)
    assert all(kind == "ok" for kind, _value in results), results
    assert len({pk for _kind, (pk, _replayed) in results}) == 1
    assert sorted(replayed for _kind, (_pk, replayed) in results) == [False, True, True, True]  # one created it
    assert Case.objects.count() == 1


def test_parallel_sweeps_mark_each_case_once(clock: Any, personas: Any, new_case: Any) -> None:
    clock.at(bj(2025, 9, 22, 9, 0))
    for i in range(20):
        new_case(title=f"第{i}件")
    clock.at(bj(2025, 9, 22, 10, 31))
    results = in_threads(2, lambda i: s.case_deadline_sweep(batch=3))
    assert sum(value for _kind, value in results) == 20
    assert CaseEvent.objects.filter(action="warning").count() == 20
    assert set(Case.objects.values_list("deadline_status", flat=True)) == {"yellow"}
