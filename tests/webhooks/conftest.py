"""Webhook fixtures: a small seeded world built once and copied per test, each test's own sandbox on a
frozen business clock, a real receiver, and the few partner calls that make events."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.core.clock import Clock
from sandbox.testing.server import SandboxServer
from tests.support.servers import make_settings
from tests.support.trading import FROZEN_AT
from tests.support.webhooks import WORLD, StartServer
from tests.webhooks.receiver import Receiver


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded database (coverage orders only), built once for every webhook test."""
    folder = tmp_path_factory.mktemp("webhook-world")
    with SandboxServer(make_settings(folder, **WORLD)):
        pass
    return folder / "sandbox.db"


@pytest.fixture
def start_server(world_template: Path, tmp_path: Path) -> Iterator[StartServer]:
    """`start_server(**settings)`: a sandbox on a copy of the template (the same file on every call, so a
    second call is a restart), its clock frozen at FROZEN_AT unless a `clock` is given."""
    database = tmp_path / "sandbox.db"
    with sqlite3.connect(world_template) as source, sqlite3.connect(database) as target:
        source.backup(target)
    running: list[SandboxServer] = []

    def start(*, clock: Clock | None = None, **overrides: Any) -> SandboxServer:
        settings = make_settings(tmp_path, **{**WORLD, **overrides})
        server = SandboxServer(settings, clock=clock or Clock(frozen_at=FROZEN_AT), nonce_clock=Clock())
        running.append(server.start())
        return server

    yield start
    for server in running:
        server.stop()


@pytest.fixture
def server(start_server: StartServer) -> SandboxServer:
    return start_server()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
