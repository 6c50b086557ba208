"""Card helpers shared by the card-buy, magic-card and 3-D Secure page tests (tests/api and tests/e2e):
the documented test cards, card buy bodies, the cardholder's answer on the 3-D page, and readers."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import select

from sandbox.store.models import Payment
from sandbox.testing.server import SandboxServer
from tests.api.helpers import ok_data
from tests.support.trading import BUY, fix_price, new_id, order_data

TEST_CARD = "4048095010857528"  # documented test card: 404809******7528, Visa
MASTERCARD = "5400610000004581"  # BIN 540061, Garanti BBVA: installments 1–12
TROY_DEBIT = "9792040000001007"  # BIN 979204, Ziraat debit: one installment
AMEX = "374245455400126"  # BIN 374245: one installment, 4-digit CVV
GAU_HALF = [{"sku": "GAU", "amount": 0.5}]


def card(number: str = TEST_CARD, **change: Any) -> dict[str, Any]:
    """A `payment` block with the card itself (valid on the frozen clock, March 2025)."""
    cvv = "1234" if number.startswith(("34", "37")) else "000"
    block = {"card_holder": "John Due", "card_number": number, "card_expiry": "05/28", "card_cvv": cvv}
    return {**block, "customer_ip": "127.0.0.1", **change}


def card_body(
    http: httpx.Client, payment: dict[str, Any] | None, items: list[dict[str, Any]] = GAU_HALF, **body: Any
) -> dict[str, Any]:
    """A card buy with a fresh price token and external_id (`payment` left out when None)."""
    payload = {
        "price_token": fix_price(http)["token"],
        "external_id": new_id("CARD"),
        "payment_type": "creditcard",
        "items": items,
        **body,
    }
    return payload if payment is None else {**payload, "payment": payment}


def card_buy(http: httpx.Client, payment: dict[str, Any] | None = None, **body: Any) -> dict[str, Any]:
    """A card buy that must succeed; the validated Order Response data."""
    return order_data(http.post(BUY, json=card_body(http, card() if payment is None else payment, **body)))


def answer(redirect_url: str, action: str) -> httpx.Response:
    """The cardholder's form post on the 3-D Secure page (a browser: no Digest, form-encoded)."""
    return httpx.post(redirect_url, data={"action": action})


def get_order(http: httpx.Client, guid: str) -> dict[str, Any]:
    return ok_data(http.get(f"/partner/order/{guid}"))


def violations(http: httpx.Client) -> list[dict[str, Any]]:
    return ok_data(http.get("/_sandbox/invariants"))["violations"]


def payment_count(server: SandboxServer) -> int:
    with server.sandbox.store.session() as session:
        return session.exec(select(func.count()).select_from(Payment)).one()


def save_card(http: httpx.Client, customer: str, number: str = TEST_CARD) -> str:
    """Store a card for the customer through Card Storage Add; its card_token."""
    body = {"customer_external_id": customer, **card(number)}
    del body["customer_ip"]
    return ok_data(http.post("/partner/card/storage/save", json=body))["card_token"]
