"""Fault-rule modules: each runs its own small world, starts every test without rules, and talks as demo."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.control.traffic_support import partner, small_server
from tests.support.constants import DEMO


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxServer]:
    with small_server(tmp_path_factory, request.module.__name__.rsplit(".", 1)[-1]) as running:
        yield running


@pytest.fixture(autouse=True)
def no_rules(server: SandboxServer) -> None:
    assert httpx.delete(f"{server.url}/_sandbox/faults").status_code == 200


@pytest.fixture
def demo(server: SandboxServer) -> Iterator[httpx.Client]:
    with partner(server, DEMO) as http:
        yield http
