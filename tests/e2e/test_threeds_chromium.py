"""The 3-D Secure page in a real browser: headless Chromium (tests/browser.py: Debian's `/usr/bin/chromium`
driven by Playwright) opens a card order's `redirect_url`, clicks Approve or Decline and follows the form
post and its 303 to the callback page, exactly as a cardholder would."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from playwright.sync_api import Browser, Page

from sandbox.testing.server import SandboxServer
from tests.api.card_helpers import card_buy, get_order, violations
from tests.browser import chromium
from tests.support.clients import partner_client
from tests.support.constants import DEMO
from tests.support.trading import FROZEN_AT, balance


@pytest.fixture(autouse=True)
def at_frozen_instant(trading: SandboxServer) -> None:
    trading.sandbox.clock.freeze(FROZEN_AT)


@pytest.fixture
def demo(trading: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(trading, DEMO) as http:
        yield http


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies, no history) per cardholder."""
    context = browser.new_context()
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def click_and_land(page: Page, redirect_url: str, button: str) -> None:
    page.goto(redirect_url)
    page.click(f"#{button}")
    page.wait_for_url("**/callback/*")


def text_of(page: Page, element_id: str) -> str:
    return page.inner_text(f"#{element_id}")


def test_chromium_approve_lands_on_success_page_and_completes_the_order(
    page: Page, demo: httpx.Client, trading: SandboxServer
) -> None:
    gold = balance(trading, asset="GAU")
    data = card_buy(demo)

    click_and_land(page, data["payment"]["redirect_url"], "approve")

    assert page.url == f"{data['payment']['redirect_url']}/callback/success"
    assert page.get_attribute("#result", "data-state") == "success"
    assert (text_of(page, "order-code"), text_of(page, "order-status")) == (
        data["order_code"][0],
        "Completed",
    )
    order = get_order(demo, data["guid"][0])
    assert (order["status_name"], order["payment"]["state"]) == ("Completed", "success")
    assert balance(trading, asset="GAU") == gold + Decimal("0.5")
    assert violations(demo) == []


def test_chromium_decline_lands_on_fail_page_and_cancels_the_order(
    page: Page, demo: httpx.Client, trading: SandboxServer
) -> None:
    gold = balance(trading, asset="GAU")
    data = card_buy(demo)

    click_and_land(page, data["payment"]["redirect_url"], "decline")

    assert page.url == f"{data['payment']['redirect_url']}/callback/fail"
    assert text_of(page, "payment-state") == "fail"
    assert get_order(demo, data["guid"][0])["status_name"] == "Cancelled"
    assert balance(trading, asset="GAU") == gold
    assert violations(demo) == []
