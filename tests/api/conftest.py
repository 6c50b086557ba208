"""API-test fixtures: clients without partner headers, and every seeded order read once per session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.api.helpers import all_orders, page_texts, partner_profile
from tests.support.clients import partner_client
from tests.support.constants import ACME, DEMO, PARTNER_HEADERS
from tests.support.trading import FROZEN_AT


@pytest.fixture
def bare_client(server: SandboxServer) -> Iterator[httpx.Client]:
    """Digest auth for demo but no `x-client-id`: for the header rules."""
    with httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*DEMO)) as http:
        yield http


@pytest.fixture
def anonymous(server: SandboxServer) -> Iterator[httpx.Client]:
    """No Digest credentials at all (docs, OpenAPI, 401s)."""
    with httpx.Client(base_url=server.url, headers=PARTNER_HEADERS) as http:
        yield http


@pytest.fixture
def strict(server: SandboxServer) -> Iterator[None]:
    """demo on the shared server's strict profile for one test: the rules the docs do not state refuse."""
    with partner_profile(server, "strict"):
        yield


@pytest.fixture(scope="session")
def demo_page_texts(server: SandboxServer) -> list[str]:
    """Raw JSON of every Get Orders page of demo (30 a page, newest first); read before any test writes."""
    with httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS) as http:
        return page_texts(http)


@pytest.fixture(scope="session")
def demo_orders(server: SandboxServer) -> list[dict[str, Any]]:
    with httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS) as http:
        return all_orders(http)


@pytest.fixture(scope="session")
def acme_orders(server: SandboxServer) -> list[dict[str, Any]]:
    with httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*ACME), headers=PARTNER_HEADERS) as http:
        return all_orders(http)


# -- modules with their own `trading` server (prices, buy, sell, cards) -------------------------------


@pytest.fixture(autouse=True)
def _trading_clock_frozen(request: pytest.FixtureRequest) -> None:
    """A module that runs its own `trading` server starts every test at FROZEN_AT."""
    if "trading" in request.fixturenames:
        request.getfixturevalue("trading").sandbox.clock.freeze(FROZEN_AT)


@pytest.fixture
def demo(trading: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(trading, DEMO) as http:
        yield http


@pytest.fixture
def acme(trading: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(trading, ACME) as http:
        yield http
