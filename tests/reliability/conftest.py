"""Servers for the reliability suite (issue 7, part 2).

The schema fuzzer gets a small world of its own (40 orders, a few customers a partner, seeded in well
under a second): its cases reseed with any seed and size and move the clock, which no reset undoes.
The hostile-input table and the auth coverage run on pool servers (tests/support/servers.py) holding
one fresh world for their module.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.support.clients import partner_client
from tests.support.constants import CONTROL_TOKEN, SMALL_WORLD_FROZEN_AT
from tests.support.servers import ServerPool, small_world


@pytest.fixture(scope="session")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A throw-away world for schemathesis: any operation may reset, reseed or move its clock."""
    with small_world(tmp_path_factory.mktemp("fuzz-world")) as running:
        yield running


@pytest.fixture(scope="module")
def hostile_server(server_pool: ServerPool) -> Iterator[SandboxServer]:
    """A world whose state the hostile-input table compares before and after every request, clock
    frozen. Its partners are strict: the table's bodies are invalid by rules a lenient partner may let
    through (an unknown field is ignored under lenient; tests/reliability/test_lenient_inputs.py covers
    that)."""
    with server_pool.fresh(SMALL_WORLD_FROZEN_AT, profile="strict") as strict:
        yield strict


@pytest.fixture(scope="module")
def token_server(server_pool: ServerPool) -> Iterator[SandboxServer]:
    """A world whose control API is locked with `SANDBOX_CONTROL_TOKEN=tok`."""
    with server_pool.fresh(control_token=CONTROL_TOKEN) as locked:
        yield locked


@pytest.fixture(scope="module")
def hostile_client(hostile_server: SandboxServer) -> Iterator[httpx.Client]:
    """The demo partner on the hostile world."""
    with partner_client(hostile_server) as http:
        yield http
