"""The links the sandbox hands out (a card order's 3-D Secure `redirect_url`, Get Orders' page links) start
with SANDBOX_PUBLIC_BASE_URL, whatever Host the request that made them carried; by default the address the
server listens on, also the free port a test server picked."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.api.card_helpers import card_buy, get_order
from tests.support.clients import partner_client
from tests.support.constants import DEMO
from tests.support.trading import FROZEN_AT

PUBLIC = "https://sandbox.example.com/minted"


@pytest.fixture
def proxied(pooled: Callable[..., SandboxServer]) -> SandboxServer:
    """A server behind a proxy: SANDBOX_PUBLIC_BASE_URL set, with a trailing slash the links drop."""
    return pooled(frozen_at=FROZEN_AT, public_base_url=PUBLIC + "/")


@pytest.fixture
def plain(trading: SandboxServer) -> SandboxServer:
    """The session server: no public base URL set."""
    return trading


def test_a_card_orders_redirect_url_starts_with_the_public_base_url(proxied: SandboxServer) -> None:
    with partner_client(proxied, DEMO) as demo:
        order = card_buy(demo)["orders"][0]
        token = order["payment"]["token"]

        assert order["payment"]["redirect_url"] == f"{PUBLIC}/pay/{token}"
        assert get_order(demo, order["guid"])["payment"]["redirect_url"] == f"{PUBLIC}/pay/{token}"


def test_the_host_a_request_carries_does_not_change_the_links(proxied: SandboxServer) -> None:
    with partner_client(proxied, DEMO) as demo:
        guid = card_buy(demo)["orders"][0]["guid"]
        other_host = demo.get(f"/partner/order/{guid}", headers={"Host": f"localhost:{proxied.port}"})
        listed = demo.get("/partner/orders", params={"total": 5}, headers={"Host": "localhost"})

    assert other_host.status_code == 200, other_host.text
    assert other_host.json()["data"]["payment"]["redirect_url"].startswith(f"{PUBLIC}/pay/")
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"]["path"] == f"{PUBLIC}/partner/orders"


def test_by_default_the_links_name_the_port_the_test_server_listens_on(plain: SandboxServer) -> None:
    with partner_client(plain, DEMO) as demo:
        redirect_url = card_buy(demo)["orders"][0]["payment"]["redirect_url"]
        from_localhost = demo.get("/partner/orders", params={"total": 5}, headers={"Host": "localhost"})

    assert plain.settings.public_base_url == plain.url
    assert redirect_url.startswith(f"{plain.url}/pay/")
    page = httpx.get(redirect_url)  # the cardholder's browser follows it
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert from_localhost.json()["data"]["path"] == f"{plain.url}/partner/orders"
