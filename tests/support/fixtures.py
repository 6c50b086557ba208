"""Fixtures every suite may use, registered through `pytest_plugins` in tests/conftest.py."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import httpx._transports.default as httpx_transports
import pytest

from sandbox.testing.plugin import Control
from sandbox.testing.server import SandboxServer
from tests.support.servers import ServerPool, fresh_world
from tests.support.trading import FROZEN_AT, fund


@pytest.fixture(scope="session", autouse=True)
def _one_tls_context() -> Iterator[None]:
    """Every httpx client of the suite shares one default TLS context. httpx builds a new one per
    client (loading certifi's bundle: about 60 ms here), and the suite opens thousands of clients to
    plain-HTTP servers that never use it; httpx's docs advise sharing one context."""
    shared = httpx.create_ssl_context()
    build = httpx_transports.create_ssl_context

    def reuse(
        verify: ssl.SSLContext | str | bool = True, cert: object = None, trust_env: bool = True
    ) -> ssl.SSLContext:
        if verify is True and cert is None:
            return shared
        return build(verify=verify, cert=cert, trust_env=trust_env)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx_transports, "create_ssl_context", reuse)
        yield


@pytest.fixture(scope="session")
def server_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    """Session servers with process settings of their own, one per distinct Settings."""
    pool = ServerPool(tmp_path_factory.mktemp("pool"))
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def server_control(server: SandboxServer) -> Iterator[Control]:
    """`/_sandbox` of the session server (the plugin's Control), on one keep-alive connection."""
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield Control(http)


@pytest.fixture
def pooled(server_pool: ServerPool) -> Iterator[Callable[..., SandboxServer]]:
    """`pooled(**settings)`: the pool's server for those settings holding a fresh seed-42 world for this
    test (`frozen_at=` also freezes its business clock), reset again afterwards."""
    with ExitStack() as resets:

        def fresh(frozen_at: datetime | str | None = None, **settings: Any) -> SandboxServer:
            return resets.enter_context(server_pool.fresh(frozen_at, **settings))

        yield fresh


@pytest.fixture
def fresh_server(server: SandboxServer, server_control: Control) -> Iterator[SandboxServer]:
    """The session server holding a fresh seed-42 world on the real clock; reset again afterwards."""
    with fresh_world(server_control):
        yield server


@pytest.fixture(scope="module")
def module_server(server: SandboxServer, server_control: Control) -> Iterator[SandboxServer]:
    """The session server holding one fresh world for a whole module, reset before its first test and
    after its last: for large parametrized modules whose tests do not disturb each other, where a reset
    per test would cost more than the tests."""
    with fresh_world(server_control):
        yield server


@pytest.fixture
def trading(server: SandboxServer, server_control: Control) -> Iterator[SandboxServer]:
    """The session server holding a fresh seed-42 world, its business clock frozen at FROZEN_AT, so
    prices, expiry and `order_at` are the same whatever order tests run in; reset again afterwards."""
    with fresh_world(server_control, FROZEN_AT):
        yield server


@pytest.fixture
def strict_trading(trading: SandboxServer, server_control: Control) -> SandboxServer:
    """`trading` with demo and acme on the strict profile, as a `SANDBOX_PROFILE=strict` server; demo
    holds the cash and the gold its refused orders would take."""
    server_control.profile("demo", "strict")
    server_control.profile("acme", "strict")
    fund(trading, asset="GAU", amount=Decimal(1_000))
    fund(trading, amount=Decimal(1_000_000))
    return trading
