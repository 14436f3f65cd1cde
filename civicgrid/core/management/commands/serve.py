"""``civicgrid serve``: the site under gunicorn, with ``civicgrid worker`` as a child process.

Migrations run first (``--no-migrate`` skips them). SIGTERM or Ctrl-C stops gunicorn gracefully and
then the worker; every log line goes to stdout in the project's key=value format.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from gunicorn.app.base import BaseApplication

logger = logging.getLogger("civicgrid.serve")

WORKER_STOP_SECONDS = 20


class Command(BaseCommand):
    help = "Serve the site with gunicorn (default http://127.0.0.1:8000) and run the background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
        parser.add_argument(
            "--threads",
            type=int,
            # Two threads: a worker serves one request while another waits on the database or on a client
            # closing its connection (gunicorn's gthread workers); measured in benchmarks/api_create.py.
            default=os.environ.get("CIVICGRID_THREADS", "2"),  # a string: argparse checks it like typed input
            help="threads per worker process (default 2, or CIVICGRID_THREADS; 1 = sync workers)",
        )
        parser.add_argument("--no-migrate", action="store_true", help="do not run migrate first")
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            logger.info("migrating the database")
            call_command("migrate", interactive=False, verbosity=max(options["verbosity"] - 1, 0))
        # gunicorn forks its workers from this process: none may inherit an open database connection.
        connections.close_all()
        worker = None if options["no_worker"] else _start_worker()
        server_pid = os.getpid()
        try:
            _Gunicorn(
                {
                    "bind": f"{options['host']}:{options['port']}",
                    "workers": options["workers"],
                    "threads": options["threads"],
                    "graceful_timeout": 10,
                    "accesslog": None,  # RequestLogMiddleware writes one line per request
                    "logconfig_dict": _gunicorn_logging(),
                    # gunicorn's runtime control socket sits at one path per user: two servers would clash.
                    "control_socket_disable": True,
                }
            ).run()
        finally:
            # gunicorn's forked workers unwind through here too when they exit; only the server stops it.
            if worker is not None and os.getpid() == server_pid:
                _stop_worker(worker)


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from civicgrid.wsgi import application

        return application


def _gunicorn_logging() -> dict[str, Any]:
    """The project's logging settings, with gunicorn's own loggers passed to the stdout handler."""
    config: dict[str, Any] = dict(settings.LOGGING)
    config["loggers"] = {
        **config.get("loggers", {}),
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
    }
    return config


def _start_worker() -> subprocess.Popen[bytes]:
    # Its own process group, so Ctrl-C reaches gunicorn only and the worker is stopped in order after it.
    worker = subprocess.Popen(
        [sys.executable, "-m", "civicgrid.cli", "worker"],
        process_group=0,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    logger.info("worker started", extra={"pid": worker.pid})
    return worker


def _die_with_parent() -> None:
    """Linux: the kernel sends the worker SIGTERM if serve itself is killed without cleaning up."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning("worker did not stop in time; killing it", extra={"pid": worker.pid})
            worker.kill()
            worker.wait()
    logger.info("worker stopped", extra={"pid": worker.pid, "returncode": worker.returncode})
