"""``civicgrid serve`` hands its options to gunicorn."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from civicgrid.core.management.commands import serve


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    class Recording:
        def __init__(self, options: dict[str, Any]) -> None:
            seen.append(options)

        def run(self) -> None:
            pass

    monkeypatch.setattr(serve, "_Gunicorn", Recording)
    return seen


def test_defaults_are_two_workers_of_two_threads(
    started: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CIVICGRID_THREADS", raising=False)
    call_command("serve", "--no-migrate", "--no-worker")
    assert started[0]["workers"] == 2 and started[0]["threads"] == 2
    assert started[0]["bind"] == "127.0.0.1:8000"


def test_threads_from_the_option(started: list[dict[str, Any]]) -> None:
    call_command("serve", "--no-migrate", "--no-worker", "--threads", "3", "--port", "8123")
    assert started[0]["threads"] == 3 and started[0]["bind"] == "127.0.0.1:8123"


def test_threads_from_the_environment(started: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVICGRID_THREADS", "1")
    call_command("serve", "--no-migrate", "--no-worker")
    assert started[0]["threads"] == 1
