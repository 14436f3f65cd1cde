"""``civicgrid serve`` in a real subprocess: migrates, answers /healthz, stops with its worker on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_health(url: str, proc: subprocess.Popen[bytes], deadline: float) -> dict[str, str]:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own local server
                return json.loads(response.read())
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail("serve did not answer /healthz in time")


def _wait_for_line(path: Path, text: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        if text in path.read_text():
            return
        time.sleep(0.2)
    pytest.fail(f"no {text!r} in the log in time")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_migrates_answers_health_and_stops_with_its_worker(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "serve.log"
    # A throwaway SQLite database in its own data folder, whatever database the suite itself runs on.
    env = {**os.environ, "CIVICGRID_DATA_DIR": str(tmp_path), "CIVICGRID_DATABASE_URL": ""}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "civicgrid.cli", "serve", "--port", str(port), "--workers", "1"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            health = _wait_for_health(f"http://127.0.0.1:{port}/healthz", proc, time.monotonic() + 30)
            # The worker is a separate interpreter: let it finish starting before stopping everything.
            _wait_for_line(log, 'logger=civicgrid.worker msg="worker started"', time.monotonic() + 20)
            proc.send_signal(signal.SIGTERM)
            returncode = proc.wait(timeout=25)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    output = log.read_text()
    assert health == {"status": "ok"}
    assert returncode == 0, output
    assert (tmp_path / "civicgrid.sqlite3").exists()  # migrate ran before serving
    assert f'msg="Listening at: http://127.0.0.1:{port}' in output
    assert "logger=civicgrid.request msg=request method=GET path=/healthz status=200" in output
    started = re.search(r'logger=civicgrid.serve msg="worker started" pid=(\d+)', output)
    assert started is not None, output
    worker_pid = int(started.group(1))
    assert f'logger=civicgrid.serve msg="worker stopped" pid={worker_pid} returncode=0' in output
    assert output.count('logger=civicgrid.serve msg="worker stopped"') == 1
    assert not _alive(worker_pid)
    assert "Traceback" not in output


def test_serve_without_worker_or_migrate_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "CIVICGRID_DATA_DIR": str(tmp_path), "CIVICGRID_DATABASE_URL": ""}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "civicgrid.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-worker",
            "--no-migrate",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        _wait_for_health(f"http://127.0.0.1:{port}/healthz", proc, time.monotonic() + 30)
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        output, _ = proc.communicate(timeout=25)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert b"worker started" not in output
    assert b'msg="Handling signal: int"' in output
