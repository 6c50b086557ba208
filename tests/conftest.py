"""Shared fixtures: one real sandbox server per test session, and Digest clients for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import requests
from requests.auth import HTTPDigestAuth

from sandbox.core.clock import Clock
from sandbox.testing.server import SandboxServer
from tests.support import postgres
from tests.support.constants import ACME, DEMO, PARTNER_HEADERS
from tests.support.servers import make_settings

# pytester drives the plugin's consumer suites (tests/plugin); it must be enabled at the top level.
pytest_plugins = ["pytester", "tests.support.fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--through-plugin",
        action="store_true",
        help="Serve the shared `server` through the pytest plugin's door (minted_sandbox_server, reset "
        "by minted_sandbox before every test that uses it), as an integrator's suite would.",
    )
    parser.addoption(
        "--store",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="The store of every server the suites start: a SQLite file each (default), or a database "
        "each on a throwaway PostgreSQL server this session starts (tests/support/postgres.py).",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("store") == "postgresql":  # each xdist worker starts a server of its own
        worker = getattr(config, "workerinput", {}).get("workerid", "main")
        postgres.start(worker)


def pytest_unconfigure(config: pytest.Config) -> None:
    postgres.stop()


def through_plugin(config: pytest.Config) -> bool:
    return bool(config.getoption("through_plugin"))


@pytest.fixture(scope="session")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxServer]:
    """The default seeded world (seed 42) behind a real uvicorn on a free port. Treat it as read-only."""
    if through_plugin(request.config):
        yield request.getfixturevalue("minted_sandbox_server")
        return
    settings = make_settings(tmp_path_factory.mktemp("world"))
    with SandboxServer(settings, nonce_clock=Clock()) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset_through_plugin(request: pytest.FixtureRequest) -> None:
    """Through the plugin's door, every test on the shared server starts from a fresh reset, as
    `minted_sandbox` gives an integrator's tests."""
    if through_plugin(request.config) and "server" in request.fixturenames:
        request.getfixturevalue("minted_sandbox")


@pytest.fixture
def client(server: SandboxServer) -> Iterator[httpx.Client]:
    """httpx client for the demo partner: base URL, Digest auth and `x-client-id` preset."""
    with httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS) as http:
        yield http


@pytest.fixture
def acme_client(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*ACME), headers=PARTNER_HEADERS) as http:
        yield http


@pytest.fixture
def session(server: SandboxServer) -> Iterator[requests.Session]:
    """requests Session for the demo partner (HTTPDigestAuth, `x-client-id` preset)."""
    with requests.Session() as http:
        http.auth = HTTPDigestAuth(*DEMO)
        http.headers.update(PARTNER_HEADERS)
        yield http
