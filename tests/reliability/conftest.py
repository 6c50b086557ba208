"""Dedicated small worlds for the reliability suite (issue 7, part 2).

Each server here is its own uvicorn on a free port with its own SQLite file and nonce clock, so the
fuzzers may reset, reseed and move the clock without touching the shared session `server` of
tests/conftest.py. Worlds are small (40 orders, a few customers per partner) so they seed in about
a second.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.support.clients import partner_client
from tests.support.constants import CONTROL_TOKEN, SMALL_WORLD_FROZEN_AT
from tests.support.servers import small_world


@pytest.fixture(scope="session")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A throw-away world for schemathesis: any operation may reset, reseed or move its clock."""
    with small_world(tmp_path_factory.mktemp("fuzz-world")) as running:
        yield running


@pytest.fixture(scope="session")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A world whose state the hostile-input table compares before and after every request. Its
    partners are strict: the table's bodies are invalid by rules a lenient partner may let through (an
    unknown field is ignored under lenient; tests/reliability/test_lenient_inputs.py covers that)."""
    with small_world(tmp_path_factory.mktemp("hostile-world"), profile="strict") as running:
        httpx.post(f"{running.url}/_sandbox/clock", json={"at": SMALL_WORLD_FROZEN_AT}).raise_for_status()
        yield running


@pytest.fixture(scope="session")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A world whose control API is locked with `SANDBOX_CONTROL_TOKEN=tok`."""
    with small_world(
        tmp_path_factory.mktemp("token-world"), orders=0, customers=1, control_token=CONTROL_TOKEN
    ) as running:
        yield running


@pytest.fixture(scope="session")
def hostile_client(hostile_server: SandboxServer) -> Iterator[httpx.Client]:
    """The demo partner on the hostile world."""
    with partner_client(hostile_server) as http:
        yield http
