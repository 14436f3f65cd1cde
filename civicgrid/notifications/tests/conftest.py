"""A real webhook receiver on 127.0.0.1 for the delivery tests, and small row builders."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers ``status`` (with ``location`` for redirects) and ``answer`` as the body."""

    url: str = ""
    status: int = 200
    answer: bytes = b"ok"
    location: str = ""
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture(autouse=True)
def _loopback_receivers_allowed(settings: Any) -> None:
    """The test receivers listen on 127.0.0.1, which production refuses (see notifications/delivery.py)."""
    settings.CIVICGRID = {**settings.CIVICGRID, "NOTIFY_WEBHOOK_ALLOWED_NETWORKS": ["127.0.0.1/32"]}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(state.status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/civicgrid"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
