"""An example webhook endpoint: `minted-sandbox webhook-receiver` (stdlib only, no FastAPI).

Point the sandbox at it (`SANDBOX_WEBHOOK_URL=http://127.0.0.1:9000/`, or `PUT /_sandbox/webhooks`) and
it answers 200 to every POST, on any path, and prints one JSON line per delivery on stdout:

    {"n": 1, "delivery": "7", "event": "order.status_changed", "order_guid": "…", "order_code": "…",
     "status": "Shipped", "signature": "verified", "verified": true, "path": "/", "bytes": 1234}

`signature` is `verified` (the HMAC matches and `t` is within the tolerance), `stale` (the HMAC matches
but `t` is too far from this machine's time: the sandbox clock was frozen or moved, see
docs/manual/webhooks.md), `invalid`, `missing` (no X-Minted-Signature header) or `unchecked` (no secret
given); `verified` is true or false, null when unchecked. `GET /` (or `/deliveries`) answers the last N
deliveries as a JSON list, oldest first, each with its parsed `payload`, so a script can check what
arrived.

An example, not a pattern to copy blindly: a real endpoint answers 4xx to a bad signature (the sandbox
then retries with backoff); this one always answers 200 so that it only observes.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

from sandbox.webhooks.signing import HEADER, verify_signature

DEFAULT_KEEP = 100
MAX_BODY_BYTES = 1_048_576  # an order renders to a few KiB; the sandbox's own request limit


class Deliveries:
    """The last `keep` deliveries, and the log they are printed to."""

    def __init__(self, secret: str, tolerance: float, keep: int, out: TextIO) -> None:
        self.secret = secret
        self.tolerance = tolerance
        self.out = out
        self._items: deque[dict[str, Any]] = deque(maxlen=keep)
        self._count = 0
        self._lock = threading.Lock()

    def check(self, header: str | None, body: bytes) -> str:
        if not self.secret:
            return "unchecked"
        if not header:
            return "missing"
        if verify_signature(self.secret, header, body, tolerance=self.tolerance):
            return "verified"
        # Same HMAC with the time check off: a right secret on a frozen or moved sandbox clock.
        if verify_signature(self.secret, header, body, tolerance=math.inf):
            return "stale"
        return "invalid"

    def add(self, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        signature = self.check(headers.get(HEADER.lower()), body)
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = None
        document = payload if isinstance(payload, dict) else {}
        data = document.get("data")
        data = data if isinstance(data, dict) else {}
        with self._lock:
            self._count += 1
            record = {
                "n": self._count,
                "delivery": headers.get("x-minted-delivery"),
                "event": headers.get("x-minted-event") or document.get("event"),
                "order_guid": data.get("guid"),
                "order_code": data.get("order_code"),
                "status": data.get("status_name"),
                "signature": signature,
                "verified": None if signature == "unchecked" else signature == "verified",
                "path": path,
                "bytes": len(body),
            }
            self._items.append({**record, "payload": payload})
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.out.flush()
        return record

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items)


def make_server(
    host: str,
    port: int,
    secret: str = "",
    *,
    tolerance: float = 300,
    keep: int = DEFAULT_KEEP,
    out: TextIO | None = None,
) -> ThreadingHTTPServer:
    """A bound, not yet serving, receiver."""
    if not 0 <= port <= 65535:
        raise ValueError("--port must be between 0 and 65535")
    if keep < 1:
        raise ValueError("--keep must be at least 1")
    if not tolerance > 0:
        raise ValueError("--tolerance must be positive")
    deliveries = Deliveries(secret, tolerance, keep, out or sys.stdout)

    class Handler(BaseHTTPRequestHandler):
        server_version = "minted-sandbox-webhook-receiver"

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY_BYTES:
                self._answer(413 if length > MAX_BODY_BYTES else 400, {"received": False})
                return
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            record = deliveries.add(self.path, headers, body)
            self._answer(
                200, {"received": True, "delivery": record["delivery"], "verified": record["verified"]}
            )

        def do_GET(self) -> None:
            if self.path.split("?")[0].rstrip("/") in ("", "/deliveries"):
                self._answer(200, deliveries.list())
            else:
                self._answer(404, {"error": "not found: GET / or /deliveries lists the deliveries"})

        def _answer(self, status: int, document: Any) -> None:
            body = json.dumps(document, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # stdout carries one JSON line per delivery, nothing else

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve(host: str, port: int, secret: str, *, tolerance: float = 300, keep: int = DEFAULT_KEEP) -> None:
    server = make_server(host, port, secret, tolerance=tolerance, keep=keep)
    bound_host, bound_port = server.server_name, server.server_port
    check = "signature check on" if secret else "no --secret: signatures unchecked"
    print(
        f"minted-sandbox webhook-receiver: listening on http://{bound_host}:{bound_port}/ "
        f"({check}); GET / lists the last {keep} deliveries",
        file=sys.stderr,
        flush=True,
    )
    if threading.current_thread() is threading.main_thread():
        # As a container's PID 1 a process without a SIGTERM handler ignores `docker stop`.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)
