"""Servers for the suites: the settings every test world starts from, a pool of session servers keyed
by their Settings, and the per-test reset that lets writing tests share one server.

A test that only needs a fresh seed-42 world (or a frozen business clock, or a strict partner) uses the
session `server` through `fresh_world`; the reset takes milliseconds. A test whose server needs other
process settings (control token, CORS origins, digest algorithms, ...) takes one from `ServerPool`:
tests asking for the same Settings share one server for the whole session. Only a test that needs a
process of its own (it restarts it, damages its files, moves its nonce clock, compares two fresh
processes, or reseeds at random) starts a `dedicated_server`.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from sandbox.config import Settings
from sandbox.core.clock import Clock
from sandbox.testing.plugin import Control
from sandbox.testing.server import SandboxServer
from tests.support import postgres


def make_settings(tmp_dir: Any, **overrides: Any) -> Settings:
    """The suite's default world (seed 42, 400 orders) in `tmp_dir`, or in a database of its own on the
    session's PostgreSQL server (`--store postgresql`); `overrides` change any setting."""
    cluster = postgres.active()
    database = cluster.database(str(tmp_dir)) if cluster else f"sqlite:///{tmp_dir}/sandbox.db"
    values = {"database_url": database, "seed": 42, "orders": 400}
    values.update(overrides)
    return Settings(**values)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dedicated_server(tmp_dir: Any, *, frozen_at: datetime | None = None, **overrides: Any) -> SandboxServer:
    """A server of its own (start it with `with`), for the tests no shared server can host: they move
    its nonce clock, restart it, damage its files or watch its process. make_settings' world in
    `tmp_dir` unless `overrides` say otherwise; its business clock frozen at `frozen_at` when given."""
    clock = None if frozen_at is None else Clock(frozen_at=frozen_at)
    return SandboxServer(make_settings(tmp_dir, **overrides), clock=clock, nonce_clock=Clock())


def small_world(tmp_dir: Any, **overrides: Any) -> SandboxServer:
    """A dedicated server on a small world (40 orders, 5 customers a partner) that seeds in about a second."""
    return dedicated_server(tmp_dir, **{"orders": 40, "customers": 5, **overrides})


class ServerPool:
    """Session servers, one per distinct set of process settings, started on first use."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._servers: dict[tuple[tuple[str, Any], ...], SandboxServer] = {}
        self._controls: dict[str, Control] = {}
        self._stack = ExitStack()

    def get(self, **overrides: Any) -> SandboxServer:
        """The pool's server for make_settings(**overrides). Shared: a test that writes resets it first
        (`fresh_world`, the `pooled` fixture), and undoes the configuration it set."""
        key = tuple(sorted((name, _hashable(value)) for name, value in overrides.items()))
        if key not in self._servers:
            folder = self._root / f"pool-{len(self._servers)}"
            folder.mkdir()
            settings = make_settings(folder, **overrides)
            server = self._stack.enter_context(SandboxServer(settings, nonce_clock=Clock()))
            token = {"Authorization": f"Bearer {settings.control_token}"} if settings.control_token else {}
            http = self._stack.enter_context(httpx.Client(base_url=server.url, headers=token, timeout=60))
            self._servers[key] = server
            self._controls[server.url] = Control(http)
        return self._servers[key]

    def control(self, server: SandboxServer) -> Control:
        """`/_sandbox` of one of the pool's servers (with its control token), on one keep-alive connection."""
        return self._controls[server.url]

    @contextmanager
    def fresh(self, frozen_at: datetime | str | None = None, **overrides: Any) -> Iterator[SandboxServer]:
        """The pool's server for make_settings(**overrides), holding a fresh world until the block ends
        (`fresh_world`)."""
        server = self.get(**overrides)
        with fresh_world(self.control(server), frozen_at):
            yield server

    def close(self) -> None:
        self._stack.close()


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | set | frozenset) else value


@contextmanager
def fresh_world(control: Control, frozen_at: datetime | str | None = None) -> Iterator[None]:
    """The seeded world copied back (`POST /_sandbox/reset`), the business clock frozen at `frozen_at`
    (`POST /_sandbox/clock`); afterwards a full reset drops what the test configured (profiles, webhook
    config, faults, lifecycle modes) and the clock runs on real time again, for the next test."""
    control.reset(everything=True)
    if frozen_at is not None:
        control.clock.freeze(frozen_at)
    try:
        yield
    finally:
        control.reset(everything=True)
