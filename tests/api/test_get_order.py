"""Get Order (GET /partner/order/{id}) and Get Order (Alternative) (POST /partner/order), and the
shape of every seeded order they can return."""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import select

from sandbox.store.models import Order as OrderRow
from sandbox.store.models import WebhookEvent
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from sandbox.wire.orders import Order, OrderPage
from tests.api.helpers import error_body, field_errors, notices, ok_data
from tests.support.constants import GOLDEN_GUID

IDENTIFIERS = ("guid", "order_code", "external_id")
UNKNOWN = {
    "guid": "00000000-0000-4000-8000-000000000000",
    "order_code": "ZZZZZZZZ",
    "external_id": "no-such-order",
}
CARD_NUMBER = re.compile(r"^\d{6}\*{6}\d{4}$")
ORDER_AT = re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}$")
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def order(demo_orders: list[dict[str, Any]]) -> dict[str, Any]:
    """A seeded demo order (not the golden one) with all three identifiers."""
    return next(o for o in demo_orders if o["external_id"] and o["guid"] != GOLDEN_GUID)


@pytest.fixture(scope="module")
def other_order(demo_orders: list[dict[str, Any]], order: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in demo_orders if o["external_id"] and o["guid"] not in (GOLDEN_GUID, order["guid"]))


@pytest.fixture(scope="module")
def acme_order(acme_orders: list[dict[str, Any]]) -> dict[str, Any]:
    return next(o for o in acme_orders if o["external_id"])


def line_total(price: Decimal | int, amount: Decimal | int) -> Decimal:
    return (Decimal(price) * Decimal(amount)).quantize(CENT, ROUND_HALF_UP)


def webhook_events(server: SandboxServer, guid: str) -> list[WebhookEvent]:
    with server.sandbox.store.session() as session:
        row = session.exec(select(OrderRow).where(OrderRow.guid == guid)).one()
        return list(session.exec(select(WebhookEvent).where(WebhookEvent.order_id == row.id)))


# -- Get Order ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_get_order_by_identifier_returns_that_order(
    client: httpx.Client, order: dict[str, Any], identifier: str
) -> None:
    assert ok_data(client.get(f"/partner/order/{order[identifier]}")) == order


def test_get_order_lower_case_guid_returns_that_order(client: httpx.Client, order: dict[str, Any]) -> None:
    assert ok_data(client.get(f"/partner/order/{order['guid'].lower()}")) == order


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_get_order_unknown_identifier_returns_404(client: httpx.Client, identifier: str) -> None:
    body = error_body(client.get(f"/partner/order/{UNKNOWN[identifier]}"), 404, "order_not_found")

    assert body["data"] == {"error": "order_not_found"}
    assert body["message"] == "Sipariş bulunamadı."


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_get_order_other_partners_order_returns_404_not_403(
    client: httpx.Client, acme_order: dict[str, Any], identifier: str
) -> None:
    error_body(client.get(f"/partner/order/{acme_order[identifier]}"), 404, "order_not_found")


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_get_order_other_partner_sees_own_order_returns_200(
    acme_client: httpx.Client, acme_order: dict[str, Any], identifier: str
) -> None:
    assert ok_data(acme_client.get(f"/partner/order/{acme_order[identifier]}")) == acme_order


def test_get_order_answers_the_order_as_it_is_after_a_write(
    client: httpx.Client, server: SandboxServer, order: dict[str, Any]
) -> None:
    """Rendered answers are cached per process while the database is unchanged: a commit empties it."""
    path = f"/partner/order/{order['guid']}"
    assert ok_data(client.get(path)) == ok_data(client.get(path)) == order

    def set_external_id(value: str) -> None:
        with server.sandbox.store.session(write=True) as session:
            row = session.exec(select(OrderRow).where(OrderRow.guid == order["guid"])).one()
            row.external_id = value
            session.add(row)

    set_external_id("changed-after-a-read")
    try:
        assert ok_data(client.get(path))["external_id"] == "changed-after-a-read"
    finally:
        set_external_id(order["external_id"])
    assert ok_data(client.get(path)) == order


# -- Get Order (Alternative) -------------------------------------------------------------------------


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_order_alternative_by_identifier_returns_that_order(
    client: httpx.Client, order: dict[str, Any], identifier: str
) -> None:
    assert ok_data(client.post("/partner/order", json={identifier: order[identifier]})) == order


def test_order_alternative_all_identifiers_of_one_order_returns_that_order(
    client: httpx.Client, order: dict[str, Any]
) -> None:
    body = {name: order[name] for name in IDENTIFIERS}

    assert ok_data(client.post("/partner/order", json=body)) == order


@pytest.mark.parametrize(
    "body",
    [{}, {"push_hook": True}, {"guid": None}, {"guid": "", "order_code": "", "external_id": ""}],
    ids=["empty", "push_hook_only", "null_guid", "empty_strings"],
)
def test_order_alternative_without_identifier_returns_422_required(
    client: httpx.Client, body: dict[str, Any]
) -> None:
    response = client.post("/partner/order", json=body)

    error_body(response, 422, "order_identifier_required")


def test_order_alternative_without_identifier_in_english_returns_english_message(
    client: httpx.Client,
) -> None:
    response = client.post("/partner/order", json={}, headers={"Accept-Language": "en"})

    body = error_body(response, 422, "order_identifier_required")
    assert body["message"] == "At least one of guid, order_code or external_id is required."


@pytest.mark.parametrize(("first", "second"), [("guid", "order_code"), ("order_code", "external_id")])
def test_order_alternative_identifiers_of_two_orders_returns_422_conflict(
    client: httpx.Client, order: dict[str, Any], other_order: dict[str, Any], first: str, second: str
) -> None:
    response = client.post("/partner/order", json={first: order[first], second: other_order[second]})

    error_body(response, 422, "order_identifiers_conflict")


@pytest.mark.parametrize("unknown", IDENTIFIERS)
def test_order_alternative_unknown_and_known_identifier_returns_422_conflict(
    client: httpx.Client, order: dict[str, Any], unknown: str
) -> None:
    known = next(name for name in IDENTIFIERS if name != unknown)

    response = client.post("/partner/order", json={known: order[known], unknown: UNKNOWN[unknown]})

    error_body(response, 422, "order_identifiers_conflict")


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_order_alternative_unknown_identifier_returns_404(client: httpx.Client, identifier: str) -> None:
    response = client.post("/partner/order", json={identifier: UNKNOWN[identifier]})

    error_body(response, 404, "order_not_found")


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_order_alternative_other_partners_order_returns_404_not_403(
    client: httpx.Client, acme_order: dict[str, Any], identifier: str
) -> None:
    response = client.post("/partner/order", json={identifier: acme_order[identifier]})

    error_body(response, 404, "order_not_found")


def test_order_alternative_push_hook_true_records_pushed_event(
    client: httpx.Client, server: SandboxServer, order: dict[str, Any]
) -> None:
    before = webhook_events(server, order["guid"])

    data = ok_data(client.post("/partner/order", json={"guid": order["guid"], "push_hook": True}))

    assert data == order
    new = [event for event in webhook_events(server, order["guid"]) if event.id not in {e.id for e in before}]
    assert [(event.event, event.state, event.attempts) for event in new] == [("order.pushed", "pending", 0)]
    assert new[0].partner_id == server.sandbox.partner_id("demo")


@pytest.mark.parametrize("push_hook", [False, None], ids=["false", "null"])
def test_order_alternative_push_hook_not_true_records_no_event(
    client: httpx.Client, server: SandboxServer, other_order: dict[str, Any], push_hook: bool | None
) -> None:
    before = len(webhook_events(server, other_order["guid"]))

    data = ok_data(client.post("/partner/order", json={"guid": other_order["guid"], "push_hook": push_hook}))

    assert data == other_order
    assert len(webhook_events(server, other_order["guid"])) == before


@pytest.mark.parametrize("push_hook", ["yes", "true", 1, [True]], ids=["yes", "true_string", "one", "list"])
def test_order_alternative_push_hook_not_boolean_returns_422(
    client: httpx.Client, order: dict[str, Any], push_hook: object
) -> None:
    response = client.post("/partner/order", json={"guid": order["guid"], "push_hook": push_hook})

    assert field_errors(response) == {"push_hook": ["true veya false olmalıdır."]}


@pytest.mark.parametrize(("field", "locale", "message"), [
    ("foo", "tr", "Bu alan tanınmıyor."),
    ("guid_", "en", "This field is not allowed."),
    ("customer", "en", "This field is not allowed."),
])  # fmt: skip
def test_order_alternative_unknown_body_field_strict_returns_422_extra_forbidden(
    client: httpx.Client, strict: None, order: dict[str, Any], field: str, locale: str, message: str
) -> None:
    response = client.post(
        "/partner/order", json={"guid": order["guid"], field: 1}, headers={"Accept-Language": locale}
    )

    assert field_errors(response) == {field: [message]}


def test_order_alternative_unknown_body_field_lenient_returns_order_with_notice(
    client: httpx.Client, order: dict[str, Any]
) -> None:
    response = client.post("/partner/order", json={"guid": order["guid"], "customer": 1})

    assert ok_data(response) == order
    assert notices(response) == ["unknown_fields: ignored customer"]


@pytest.mark.parametrize(("body", "field"), [
    ({"guid": 123}, "guid"),
    ({"order_code": ["X"]}, "order_code"),
    ({"external_id": {"a": 1}}, "external_id"),
])  # fmt: skip
def test_order_alternative_identifier_not_string_returns_422(
    client: httpx.Client, body: dict[str, Any], field: str
) -> None:
    assert field_errors(client.post("/partner/order", json=body)) == {field: ["Metin olmalıdır."]}


def test_order_alternative_guid_longer_than_64_returns_422(client: httpx.Client) -> None:
    response = client.post("/partner/order", json={"guid": "A" * 65})

    assert field_errors(response) == {"guid": ["En fazla 64 karakter olabilir."]}


# -- every seeded demo order, through the list pages -------------------------------------------------


def test_seeded_delivery_orders_have_delivery_and_address_blocks(demo_orders: list[dict[str, Any]]) -> None:
    deliveries = [o for o in demo_orders if o["type"] == "Delivery"]

    assert deliveries
    for o in deliveries:
        assert set(o["delivery"]) == {
            "status_id", "status_name", "cargo_tracking_url", "cargo_tracking_number", "sync_status",
            "products",
        }  # fmt: skip
        assert o["delivery"]["status_name"] == o["status_name"]
        assert [p["sku"] for p in o["delivery"]["products"]] == [i["sku"] for i in o["items"]]
        assert set(o["address"]) == {"billing", "shipping"}
        assert o["address"]["billing"]["invoice_type"] in ("Individual", "Corporate")
        assert "description" not in o


def test_seeded_buy_and_sell_orders_have_no_delivery_or_address(demo_orders: list[dict[str, Any]]) -> None:
    digital = [o for o in demo_orders if o["type"] in ("Buy", "Sell")]

    assert digital
    for o in digital:
        assert "delivery" not in o
        assert "address" not in o


def test_seeded_card_orders_have_masked_card_and_hidden_cvv(demo_orders: list[dict[str, Any]]) -> None:
    cards = [o for o in demo_orders if o["payment_type"] == "credit-card"]

    assert cards
    for o in cards:
        details = o["payment"]["details"]
        assert CARD_NUMBER.match(details["card_number"]), details["card_number"]
        assert details["card_cvv"] == "***"
        assert o["payment"]["order_reference"] == o["external_id"]


def test_seeded_cash_orders_have_no_payment(demo_orders: list[dict[str, Any]]) -> None:
    cash = [o for o in demo_orders if o["payment_type"] == "cash"]

    assert cash
    assert {json.dumps(o["payment"]) for o in cash} == {"null"}


def test_seeded_orders_order_at_is_day_month_year_hour_minute(demo_orders: list[dict[str, Any]]) -> None:
    assert [o["order_at"] for o in demo_orders if not ORDER_AT.match(o["order_at"])] == []


def test_seeded_order_items_total_is_price_times_amount_at_2dp(demo_page_texts: list[str]) -> None:
    items = [
        item
        for text in demo_page_texts
        for o in json.loads(text, parse_float=Decimal)["data"]["data"]
        for item in o["items"]
    ]

    assert items
    wrong = [item for item in items if Decimal(item["total"]) != line_total(item["price"], item["amount"])]
    assert wrong == []


def test_seeded_orders_total_is_sum_of_item_totals(demo_page_texts: list[str]) -> None:
    orders = [o for text in demo_page_texts for o in json.loads(text, parse_float=Decimal)["data"]["data"]]

    assert [
        o["guid"] for o in orders if Decimal(o["total"]) != sum(Decimal(i["total"]) for i in o["items"])
    ] == []


def test_seeded_order_pages_validate_against_wire_models(demo_page_texts: list[str]) -> None:
    pages = [Envelope[OrderPage].model_validate_json(text) for text in demo_page_texts]

    assert sum(len(page.data.data) for page in pages) == pages[0].data.total
    assert all(isinstance(o, Order) for page in pages for o in page.data.data)


def test_get_order_every_seeded_order_equals_its_list_rendering(
    client: httpx.Client, demo_orders: list[dict[str, Any]]
) -> None:
    mismatched = [o["guid"] for o in demo_orders if ok_data(client.get(f"/partner/order/{o['guid']}")) != o]

    assert mismatched == []
