"""Builders and readers shared by the card storage tests (Add in test_card_storage_save.py; List, Delete
and find_card in test_card_storage.py)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from sandbox.partner.cards.schemas import StoredCardList, StoredCardRecord
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from tests.api.helpers import ok_data
from tests.support.trading import add_customer, customer_row, new_id

SAVE = "/partner/card/storage/save"
LIST = "/partner/card/storage/list"
STORAGE = "/partner/card/storage"
VISA = "4048095010857528"  # the documented test card: 404809******7528
EN = {"Accept-Language": "en"}


def customer(server: SandboxServer, partner: str = "demo") -> str:
    external_id = new_id("CARD")
    add_customer(server, external_id, partner=partner)
    return external_id


def card_body(customer_external_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "customer_external_id": customer_external_id, "card_holder": "Ayşe Yılmaz", "card_number": VISA,
        "card_expiry": "12/30", "card_cvv": "739",
    } | overrides  # fmt: skip


def save(http: httpx.Client, customer_external_id: str, **overrides: Any) -> dict[str, Any]:
    response = http.post(SAVE, json=card_body(customer_external_id, **overrides))
    Envelope[StoredCardRecord].model_validate(response.json())
    return ok_data(response)


def listed(http: httpx.Client, customer_external_id: str) -> list[dict[str, Any]]:
    response = http.post(LIST, json={"customer_external_id": customer_external_id})
    Envelope[StoredCardList].model_validate(response.json())
    return ok_data(response)["cards"]


def delete(http: httpx.Client, customer_external_id: str, token: str, **headers: str) -> httpx.Response:
    body = {"customer_external_id": customer_external_id, "card_token": token}
    return http.request("DELETE", STORAGE, json=body, headers=headers)


def raw_rows(server: SandboxServer, external_id: str, columns: str = "*") -> list[tuple[Any, ...]]:
    """The customer's `stored_card` rows as SQLite holds them, oldest first."""
    query = text(f"SELECT {columns} FROM stored_card WHERE customer_id = :id ORDER BY id")
    with server.sandbox.store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query, {"id": customer_row(server, external_id).id})]


def rows_of(server: SandboxServer, external_id: str) -> list[tuple[Any, ...]]:
    return raw_rows(server, external_id, "token")
