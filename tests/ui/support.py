"""Shared by the dashboard tests: the partner API through Digest, control calls, and
the browser page's helpers (screenshots, waiting for a form post's redirect)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

from sandbox.testing.server import SandboxServer
from tests.support.constants import DEMO, PARTNER_HEADERS

UI = "/_sandbox/ui"
BUY = "/partner/order/digital/buy"
TEST_CARD = "4048095010857528"  # the documented test card: 3-D Secure, approves
_serial = itertools.count(1)


def partner(server: SandboxServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS, timeout=30
    )


def data(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True, body
    return body["data"]


def control(server: SandboxServer, method: str, path: str, **kwargs: Any) -> Any:
    """A /_sandbox control call (what the dashboard's buttons must have changed)."""
    return data(httpx.request(method, f"{server.url}/_sandbox{path}", timeout=30, **kwargs))


def new_id(prefix: str) -> str:
    return f"UI-{prefix}-{next(_serial):04d}"


def buy(http: httpx.Client, grams: float = 0.01, **extra: Any) -> dict[str, Any]:
    """A B2B buy of GAU (the partner's own wallets) at a fresh price; the Order Response data."""
    token = data(http.post("/partner/pricefix", json={"type": "digital"}))["token"]
    body = {"price_token": token, "external_id": new_id("BUY"), "items": [{"sku": "GAU", "amount": grams}]}
    return data(http.post(BUY, json=body | extra))


def card_buy(http: httpx.Client) -> dict[str, Any]:
    """A B2B card buy with the documented test card: Pending, waiting for 3-D Secure."""
    card = {"card_holder": "John Due", "card_number": TEST_CARD, "card_expiry": "05/30", "card_cvv": "000"}
    return buy(http, 0.5, payment_type="creditcard", payment=card)


def get_order(http: httpx.Client, ref: str) -> dict[str, Any]:
    return data(http.get(f"/partner/order/{ref}"))


def shot(page: Page, directory: Path, name: str) -> Path:
    """A full-page screenshot into the test's tmp dir; the path is printed for the closing note."""
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(path)
    return path


def click_and_land(page: Page, selector: str) -> None:
    """Click a form button and wait for the post/redirect/get to finish on the next page."""
    with page.expect_navigation():
        page.locator(selector).first.click()


def texts(page: Page, selector: str) -> list[str]:
    return [text.strip() for text in page.locator(selector).all_inner_texts()]
