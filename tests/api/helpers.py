"""Assertions and readers shared by the API tests: the envelope, and every page of Get Orders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from sandbox.core.clock import ISTANBUL
from sandbox.testing.server import SandboxServer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
GOLDEN_FILE = FIXTURES / "golden" / "get-order-alternative.json"
ENVELOPE_KEYS = {"data", "success", "code", "message"}
PAGE_SIZE = 30
PROFILE = "/_sandbox/profile"


def golden_fixture() -> dict[str, Any]:
    return json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))


def ok_data(response: httpx.Response) -> Any:
    """The `data` of a success envelope, after checking the envelope itself."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["data", "success", "code", "message"]
    assert (body["success"], body["code"], body["message"]) == (True, 0, "")
    return body["data"]


def error_body(response: httpx.Response, status: int, key: str) -> dict[str, Any]:
    """The whole error envelope, after checking its shape, its code and its `data.error` key."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["success"] is False
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert body["data"]["error"] == key
    return body


def set_profile(server: SandboxServer, profile: str | None, partner: str = "demo") -> None:
    """Put `partner` on the `lenient` or `strict` profile (None: the server's default)."""
    response = httpx.put(f"{server.url}{PROFILE}", json={"partner": partner, "profile": profile}, timeout=30)
    assert response.status_code == 200, response.text


@contextmanager
def partner_profile(server: SandboxServer, profile: str, partner: str = "demo") -> Iterator[None]:
    """`partner` on `profile` for the block, then on the server's default again."""
    set_profile(server, profile, partner)
    try:
        yield
    finally:
        set_profile(server, None, partner)


def notices(response: httpx.Response) -> list[str]:
    """Every `X-Sandbox-Notice` of a lenient answer, in order: one per profile rule the request broke."""
    return response.headers.get_list("x-sandbox-notice")


def field_errors(response: httpx.Response) -> dict[str, list[str]]:
    """`data.errors` of a 422 validation failure."""
    return error_body(response, 422, "validation_failed")["data"]["errors"]


def page_texts(http: httpx.Client, **params: Any) -> list[str]:
    """The raw JSON text of every Get Orders page for `params`, 30 orders a page."""
    texts: list[str] = []
    page, last = 1, 1
    while page <= last:
        response = http.get("/partner/orders", params={**params, "total": PAGE_SIZE, "page": page})
        last = ok_data(response)["last_page"]
        texts.append(response.text)
        page += 1
    return texts


def all_orders(http: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    return [order for text in page_texts(http, **params) for order in json.loads(text)["data"]["data"]]


def order_time(order: dict[str, Any]) -> datetime:
    """documented: Get Order renders `order_at` as `dd-mm-YYYY HH:MM`, Europe/Istanbul."""
    return datetime.strptime(order["order_at"], "%d-%m-%Y %H:%M").replace(tzinfo=ISTANBUL)
