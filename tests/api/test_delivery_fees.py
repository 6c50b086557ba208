"""The delivery fee table (sandbox/domain/fees.py) and its sku/amount rules, through Calculate
(POST /partner/delivery/calculate), through Create's request checks, and in the seeded world. Nothing
here writes, so these tests use the shared read-only server (lenient, the default), and a small strict
one for the unknown-field refusal; expected fees are written out from the published table, not computed
by the app's code."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

import httpx
import pytest
from sqlmodel import select

from sandbox.domain.fees import FEE_TABLE
from sandbox.partner.delivery.schemas import DeliveryCalculateResponse
from sandbox.store.models import Customer, Order, OrderItem, Partner, Payment
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from tests.api.delivery_support import CREATE, create_body
from tests.api.helpers import field_errors, notices, ok_data
from tests.support.clients import partner_client
from tests.support.constants import DEMO
from tests.support.servers import make_settings
from tests.support.trading import refusal, snapshot

CALCULATE = "/partner/delivery/calculate"
ENGLISH = {"Accept-Language": "en"}
# (sku, grams from, grams to, minting, shipping & insurance): TRY per gram, as docs/manual/delivery.md
# publishes it.
PUBLISHED = [
    ("GAU", 1, 4, "60.00", "35.00"), ("GAU", 5, 19, "45.00", "20.00"), ("GAU", 20, 1000, "35.00", "12.00"),
    ("GAG", 1, 99, "2.50", "1.50"), ("GAG", 100, 999, "1.20", "0.60"), ("GAG", 1000, 10000, "0.80", "0.30"),
    ("GPT", 1, 9, "55.00", "30.00"), ("GPT", 10, 1000, "40.00", "15.00"),
]  # fmt: skip
# Every tier edge: (sku, grams, fee in TRY).
TIER_EDGES = [
    ("GAU", 1, "95"), ("GAU", 4, "380"), ("GAU", 5, "325"), ("GAU", 19, "1235"), ("GAU", 20, "940"),
    ("GAU", 1000, "47000"),
    ("GAG", 1, "4"), ("GAG", 99, "396"), ("GAG", 100, "180"), ("GAG", 999, "1798.2"), ("GAG", 1000, "1100"),
    ("GAG", 10000, "11000"),
    ("GPT", 1, "85"), ("GPT", 9, "765"), ("GPT", 10, "550"), ("GPT", 1000, "55000"),
]  # fmt: skip
CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def per_gram_try(sku: str, grams: Decimal) -> Decimal:
    """The published fee per gram (minting + shipping & insurance) for a delivery of `grams`."""
    for row_sku, low, high, minting, shipping in PUBLISHED:
        if row_sku == sku and low <= grams <= high:
            return Decimal(minting) + Decimal(shipping)
    raise AssertionError(f"no published tier for {grams} g of {sku}")


def calculated(response: httpx.Response) -> dict[str, Any]:
    data = ok_data(response)
    Envelope[DeliveryCalculateResponse].model_validate(response.json())
    return data


def a_customer(server: SandboxServer, partner: str) -> str:
    with server.sandbox.store.session() as session:
        query = select(Customer.external_id).join(Partner, Partner.id == Customer.partner_id)
        return session.exec(query.where(Partner.username == partner).order_by(Customer.id)).first()


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """An empty world whose partners are all strict: an unknown body field is refused there."""
    settings = make_settings(
        tmp_path_factory.mktemp("delivery-fees-strict"), profile="strict", scenario="empty"
    )
    with SandboxServer(settings) as running:
        yield running


@pytest.fixture
def english(client: httpx.Client) -> Iterator[httpx.Client]:
    client.headers.update(ENGLISH)
    yield client


# -- the table -----------------------------------------------------------------------------------------


def test_fee_table_rows_are_the_published_ones() -> None:
    rows = [(t.sku, t.min_grams, t.max_grams, t.minting, t.shipping) for t in FEE_TABLE]

    assert rows == [(s, low, high, Decimal(m), Decimal(sh)) for s, low, high, m, sh in PUBLISHED]


@pytest.mark.parametrize("sku", ["GAU", "GAG", "GPT"])
def test_fee_table_tiers_of_a_sku_cover_every_gram_from_one_without_overlap(sku: str) -> None:
    tiers = [(t.min_grams, t.max_grams) for t in FEE_TABLE if t.sku == sku]

    assert tiers[0][0] == 1
    assert all(following[0] == previous[1] + 1 for previous, following in pairwise(tiers))


# -- Calculate -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sku", "grams", "fee"), TIER_EDGES)
def test_calculate_at_every_tier_edge_returns_the_published_fee(
    client: httpx.Client, sku: str, grams: int, fee: str
) -> None:
    data = calculated(client.post(CALCULATE, json={"sku": sku, "amount": grams}))

    assert data == {"total": float(fee), "items": [{"sku": sku, "price": float(fee)}]}


@pytest.mark.parametrize("currency", ["USD", "EUR", "GBP"])
@pytest.mark.parametrize(("sku", "grams"), [("GAU", 3), ("GAU", 20), ("GAG", 250), ("GPT", 9), ("GPT", 10)])
def test_calculate_in_another_currency_converts_the_fee_per_gram_at_the_sandbox_rate(
    client: httpx.Client, server: SandboxServer, currency: str, sku: str, grams: int
) -> None:
    per_gram = cents(per_gram_try(sku, Decimal(grams)) / server.sandbox.feed.fx[currency])
    fee = float(cents(per_gram * grams))

    data = calculated(client.post(CALCULATE, json={"sku": sku, "amount": grams, "currency_code": currency}))

    assert data == {"total": fee, "items": [{"sku": sku, "price": fee}]}


def test_calculate_without_currency_quotes_try(client: httpx.Client) -> None:
    explicit = calculated(client.post(CALCULATE, json={"sku": "GPT", "amount": 3, "currency_code": "TRY"}))

    assert calculated(client.post(CALCULATE, json={"sku": "GPT", "amount": 3})) == explicit


def test_calculate_accepts_whole_grams_written_as_a_decimal(client: httpx.Client) -> None:
    data = calculated(client.post(CALCULATE, json={"sku": "GAU", "amount": 5.0}))

    assert data["total"] == 325


def test_calculate_for_a_known_customer_returns_the_same_fee(
    client: httpx.Client, server: SandboxServer
) -> None:
    body = {"sku": "GAG", "amount": 100, "customer_external_id": a_customer(server, "demo")}

    assert calculated(client.post(CALCULATE, json=body))["total"] == 180


def test_calculate_for_an_unknown_customer_returns_404(client: httpx.Client) -> None:
    body = {"sku": "GAU", "amount": 1, "customer_external_id": "NOBODY-404"}

    refusal(client.post(CALCULATE, json=body), 404, "customer_not_found")


def test_calculate_for_another_partners_customer_returns_404(
    client: httpx.Client, server: SandboxServer
) -> None:
    body = {"sku": "GAU", "amount": 1, "customer_external_id": a_customer(server, "acme")}

    refusal(client.post(CALCULATE, json=body), 404, "customer_not_found")


def test_calculate_writes_nothing(client: httpx.Client, server: SandboxServer) -> None:
    before = snapshot(server)

    calculated(client.post(CALCULATE, json={"sku": "GAU", "amount": 7}))

    assert snapshot(server) == before


NOT_DELIVERABLE = "Physical delivery is available for: GAU, GAG, GPT."


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"sku": "GPD", "amount": 1}, "sku", NOT_DELIVERABLE),
        ({"sku": "BGAU", "amount": 1}, "sku", NOT_DELIVERABLE),
        ({"sku": "BGAG", "amount": 1}, "sku", NOT_DELIVERABLE),
        ({"sku": "XAU", "amount": 1}, "sku", NOT_DELIVERABLE),
        ({"sku": "gau", "amount": 1}, "sku", NOT_DELIVERABLE),
        ({"amount": 1}, "sku", "This field is required."),
        ({"sku": "GAU", "amount": 2.5}, "amount", "Must be whole grams."),
        ({"sku": "GAG", "amount": 0.5}, "amount", "Must be whole grams."),
        ({"sku": "GAU", "amount": 1001}, "amount", "At most 1000 grams can be delivered."),
        ({"sku": "GAG", "amount": 10001}, "amount", "At most 10000 grams can be delivered."),
        ({"sku": "GPT", "amount": 1001}, "amount", "At most 1000 grams can be delivered."),
        ({"sku": "GAU", "amount": 0}, "amount", "Must be greater than 0."),
        ({"sku": "GAU", "amount": -3}, "amount", "Must be greater than 0."),
        ({"sku": "GAU", "amount": "five"}, "amount", "Must be a number."),
        ({"sku": "GAU"}, "amount", "This field is required."),
        ({"sku": "GAU", "amount": 1, "currency_code": "JPY"}, "currency_code",
         "Must be one of: 'TRY', 'USD', 'EUR' or 'GBP'."),
        ({"sku": "GAU", "amount": 1, "customer_external_id": "x"}, "customer_external_id",
         "Must have at least 3 characters."),
    ],
)  # fmt: skip
def test_calculate_with_an_invalid_field_returns_422_naming_it(
    english: httpx.Client, body: dict[str, Any], field: str, message: str
) -> None:
    assert field_errors(english.post(CALCULATE, json=body)) == {field: [message]}


def test_strict_calculate_with_an_unknown_field_returns_422_naming_it(strict_server: SandboxServer) -> None:
    with partner_client(strict_server, DEMO) as strict:
        response = strict.post(CALCULATE, json={"sku": "GAU", "amount": 1, "price": 5}, headers=ENGLISH)

    assert field_errors(response) == {"price": ["This field is not allowed."]}


def test_lenient_calculate_with_an_unknown_field_ignores_it_with_a_notice(english: httpx.Client) -> None:
    response = english.post(CALCULATE, json={"sku": "GAU", "amount": 1, "price": 5})

    assert calculated(response) == {"total": 95, "items": [{"sku": "GAU", "price": 95}]}
    assert notices(response) == ["unknown_fields: ignored price"]


def test_calculate_with_undeliverable_sku_and_broken_amount_names_both(english: httpx.Client) -> None:
    errors = field_errors(english.post(CALCULATE, json={"sku": "GPD", "amount": 1.5}))

    assert errors == {"sku": [NOT_DELIVERABLE], "amount": ["Must be whole grams."]}


def test_calculate_messages_follow_accept_language(client: httpx.Client) -> None:
    errors = field_errors(client.post(CALCULATE, json={"sku": "GAU", "amount": 1001}))

    assert errors == {"amount": ["En fazla 1000 gram teslim edilebilir."]}


# -- Create: the same rules, checked before anything else -----------------------------------------

# The documented customer block: every field required.
CUSTOMER = create_body("NOBODY-404")["customer"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"sku": "GPD"}, "sku", "Physical delivery is available for: GAU, GAG, GPT."),
        ({"sku": "BGAU"}, "sku", "Physical delivery is available for: GAU, GAG, GPT."),
        ({"amount": 1.5}, "amount", "Must be whole grams."),
        ({"amount": 1001}, "amount", "At most 1000 grams can be delivered."),
        ({"sku": "GAG", "amount": 10001}, "amount", "At most 10000 grams can be delivered."),
        ({"amount": 0}, "amount", "Must be greater than 0."),
        ({"currency_code": "JPY"}, "currency_code", "Must be one of: 'TRY', 'USD', 'EUR' or 'GBP'."),
        ({"external_id": ""}, "external_id", "Must have at least 1 characters."),
        ({"customer": CUSTOMER | {"external_id": "C1"}}, "customer.external_id",
         "Must have at least 3 characters."),
        ({"customer": CUSTOMER | {"email": "nope"}}, "customer.email", "Must be a valid email address."),
        ({"customer": CUSTOMER | {"phone": "call me"}}, "customer.phone", "Must be a valid phone number."),
        *[({"customer": {k: v for k, v in CUSTOMER.items() if k != field}}, f"customer.{field}",
           "This field is required.") for field in CUSTOMER],
        ({"payment_type": "iban"}, "payment_type", "Must be one of: 'cash', 'creditcard' or 'credit-card'."),
        ({"address": None}, "address", "Must be an object."),
    ],
)  # fmt: skip
def test_create_with_an_invalid_field_returns_422_naming_it(
    english: httpx.Client, server: SandboxServer, change: dict[str, Any], field: str, message: str
) -> None:
    """Fields are checked before the customer is looked up: an unknown one makes no difference."""
    body = create_body("NOBODY-404") | change
    before = snapshot(server)

    errors = field_errors(english.post(CREATE, json=body))

    assert errors == {field: [message]}
    assert snapshot(server) == before


# -- the seeded world ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_deliveries(server: SandboxServer) -> list[tuple[Order, OrderItem, Payment | None]]:
    with server.sandbox.store.session() as session:
        query = (
            select(Order, OrderItem, Payment)
            .join(OrderItem, OrderItem.order_id == Order.id)
            .outerjoin(Payment, Payment.order_id == Order.id)
            .where(Order.type == "Delivery")
            .order_by(Order.id)
        )
        return list(session.exec(query))


def test_seeded_deliveries_cover_every_deliverable_sku_and_both_flows(
    seeded_deliveries: list[tuple[Order, OrderItem, Payment | None]],
) -> None:
    assert {item.sku for _, item, _ in seeded_deliveries} == {"GAU", "GAG", "GPT"}
    assert {order.flow for order, _, _ in seeded_deliveries} == {"delivery-cash", "delivery-card"}


def test_seeded_deliveries_are_whole_grams_within_the_table(
    seeded_deliveries: list[tuple[Order, OrderItem, Payment | None]],
) -> None:
    limits = {"GAU": 1000, "GAG": 10000, "GPT": 1000}
    odd = [
        (order.guid, item.sku, item.amount)
        for order, item, _ in seeded_deliveries
        if item.amount != int(item.amount) or not 1 <= item.amount <= limits[item.sku]
    ]

    assert odd == []


def test_seeded_deliveries_are_priced_by_the_fee_table(
    server: SandboxServer, seeded_deliveries: list[tuple[Order, OrderItem, Payment | None]]
) -> None:
    fx = server.sandbox.feed.fx
    wrong = []
    for order, item, _ in seeded_deliveries:
        per_gram = cents(per_gram_try(item.sku, item.amount) / fx[order.currency_code])
        fee = cents(per_gram * item.amount)
        if (item.price, item.total, order.price, order.total, order.tax) != (per_gram, fee, fee, fee, 0):
            wrong.append((order.guid, item.sku, item.amount, order.currency_code, item.price, item.total))

    assert wrong == []


def test_seeded_card_deliveries_charge_the_fee_to_the_card(
    seeded_deliveries: list[tuple[Order, OrderItem, Payment | None]],
) -> None:
    cards = [(order, payment) for order, _, payment in seeded_deliveries if order.flow == "delivery-card"]

    assert cards
    assert [order.guid for order, payment in cards if payment is None or payment.amount != order.total] == []
