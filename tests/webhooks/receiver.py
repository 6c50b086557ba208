"""A real webhook receiver for the tests: an `http.server` on a free port in a daemon thread.

It records every POST and answers from a script: `answers` is consumed one status per request (then
`status`), `delay` makes it slow (to provoke the sender's timeout), and `held` keeps every answer back
until the test sets it (`arrived` tells that a request is waiting).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def delivery(self) -> str:
        return self.headers["x-minted-delivery"]


@dataclass
class Receiver:
    status: int = 200
    answers: list[int] = field(default_factory=list)
    delay: float = 0.0
    reply: bytes = b'{"ok":true}'
    held: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    answer = receiver.answers.pop(0) if receiver.answers else receiver.status
                    delay = receiver.delay
                receiver.arrived.set()
                if receiver.held is not None:
                    receiver.held.wait()
                if delay:
                    threading.Event().wait(delay)
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver._lock:
                    receiver.received.append(Received(self.path, headers, body, answer))
                self.send_response(answer)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.reply)))
                self.end_headers()
                self.wfile.write(receiver.reply)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/minted"

    def successes(self) -> Counter[str]:
        """2xx answers per X-Minted-Delivery: exactly-once means every value is 1."""
        with self._lock:
            return Counter(r.delivery for r in self.received if 200 <= r.answered < 300)

    def calls(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
