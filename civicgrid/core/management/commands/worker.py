"""``civicgrid worker``: run the background jobs (deadline sweeps, notification delivery).

Runs until SIGTERM or SIGINT (the job in progress finishes first; a second signal stops at once).
``--once`` runs every job one time and exits, for tests and cron.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.core import jobs


class Command(BaseCommand):
    help = "Run background jobs: every job when due, until SIGTERM/SIGINT (--once: each job once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument(
            "--job", action="append", dest="only", metavar="NAME", help="run only this job (repeatable)"
        )
        parser.add_argument(
            "--max-sleep", type=float, default=60.0, help="longest pause between rounds, in seconds (default 60)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        jobs.load_job_modules()
        selected = jobs.registered_jobs()
        if options["only"]:
            unknown = set(options["only"]) - {job.name for job in selected}
            if unknown:
                raise CommandError(f"unknown job(s): {', '.join(sorted(unknown))}")
            selected = [job for job in selected if job.name in options["only"]]
        if options["once"]:
            failed = jobs.run_once(selected)
            if failed:
                raise CommandError(f"{failed} job(s) failed; see the log")
            return
        stop = threading.Event()
        restore = _install_stop_handlers(stop)
        try:
            jobs.run_loop(stop, selected, max_sleep=options["max_sleep"])
        finally:
            restore()


def _install_stop_handlers(stop: threading.Event) -> Callable[[], None]:
    """SIGTERM/SIGINT set ``stop``; the previous handlers come back for a second signal."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signals reach only the main thread; the embedding caller stops us
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        restore()

    for sig in previous:
        signal.signal(sig, on_signal)
    return restore
