"""Delivery Create paid with cash (POST /partner/delivery/create): the order it makes, what it writes, its
addresses, and its refusals (customer, KYC, idempotency, each address field). Balance refusals are in
test_delivery_lifecycle.py, sku/amount rules in test_delivery_fees.py; both use the builders below."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import select

from sandbox.partner.delivery.schemas import DeliveryOrderResponse
from sandbox.partner.schemas import Envelope
from sandbox.store.models import OrderAddress, OrderItem
from sandbox.testing.server import SandboxServer
from tests.api.helpers import field_errors, ok_data
from tests.api.trading_helpers import (
    FROZEN_AT,
    add_customer,
    dedicated_server,
    fund,
    ledger_lines,
    new_id,
    order_rows,
    partner_client,
    refusal,
    request_rows,
    snapshot,
    status_history,
)
from tests.conftest import ACME, DEMO

CREATE = "/partner/delivery/create"
FROZEN_ISO = "2025-03-10T12:30:15+03:00"
ENGLISH = {"Accept-Language": "en"}
COMPANY_TAX_NUMBER = "1234567793"
PERSON_ID = "10000000146"  # passes the T.C. kimlik no checksum

# -- builders (shared with the lifecycle tests) ------------------------------------------------------


def shipping_address(**overrides: Any) -> dict[str, Any]:
    body = {
        "external_id": "ADR-SHIP-1", "fullname": "Ayşe Yılmaz", "phone": "+90 532 280 80 35",
        "city": "İstanbul", "county": "Kadıköy", "district": "Caferağa Mah.",
        "address": "Moda Cad. No:12 D:3", "zipcode": "34710", "street": "Moda Cad.",
    }  # fmt: skip
    return body | overrides


def billing_address(**overrides: Any) -> dict[str, Any]:
    """An Individual invoice to the same person and address."""
    body = shipping_address(external_id="ADR-BILL-1", invoice_type="Individual", email="ayse@example.com")
    return body | overrides


def corporate_billing(**overrides: Any) -> dict[str, Any]:
    company = {"company_name": "Test AŞ", "tax_office": "Ümraniye", "tax_number": COMPANY_TAX_NUMBER}
    return billing_address(invoice_type="Corporate", **company) | overrides


def create_body(customer: str, **overrides: Any) -> dict[str, Any]:
    """A Delivery Create body shaped like the documented one: 5 g of gold paid with cash."""
    body = {
        "customer": {"external_id": customer, "firstname": "Ayşe", "lastname": "Yılmaz"},
        "external_id": new_id("DLV"),
        "sku": "GAU",
        "amount": 5,
        "address": {"billing": billing_address(), "shipping": shipping_address()},
    }
    return body | overrides


def deliverable_customer(
    server: SandboxServer,
    *,
    metal: tuple[str, Decimal] = ("GAU", Decimal(10)),
    cash: tuple[str, Decimal] = ("TRY", Decimal(1_000)),
    kyc_status: str = "approved",
) -> str:
    """A new demo customer (KYC `kyc_status`) holding `metal` grams and `cash`; returns its external_id."""
    customer = new_id("DCUS")
    add_customer(server, customer, kyc_status=kyc_status)
    for asset, amount in (metal, cash):
        if amount:
            fund(server, customer_external_id=customer, asset=asset, amount=amount)
    return customer


def delivery_data(response: httpx.Response) -> dict[str, Any]:
    data = ok_data(response)
    Envelope[DeliveryOrderResponse].model_validate(response.json())
    return data


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with dedicated_server(tmp_path_factory, "delivery-create") as running:
        yield running


@pytest.fixture(autouse=True)
def at_frozen_instant(world: SandboxServer) -> None:
    world.sandbox.clock.freeze(FROZEN_AT)


@pytest.fixture
def demo(world: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(world, DEMO) as http:
        http.headers.update(ENGLISH)
        yield http


# -- the order -------------------------------------------------------------------------------------------


def test_create_returns_order_response_with_iso_order_at(demo: httpx.Client, world: SandboxServer) -> None:
    customer = deliverable_customer(world)

    data = delivery_data(demo.post(CREATE, json=create_body(customer)))

    assert list(data) == ["order_code", "guid", "price", "tax", "total", "order_at", "orders"]
    assert (data["price"], data["tax"], data["total"]) == (325, 0, 325)
    assert data["order_at"] == data["orders"][0]["order_at"] == FROZEN_ISO
    order = data["orders"][0]
    assert (data["guid"], data["order_code"]) == ([order["guid"]], [order["order_code"]])


def test_create_makes_a_created_cash_delivery_order_priced_by_the_fee(
    demo: httpx.Client, world: SandboxServer
) -> None:
    customer = deliverable_customer(world)
    body = create_body(customer)

    order = delivery_data(demo.post(CREATE, json=body))["orders"][0]

    assert (order["type"], order["status_name"], order["payment_type"], order["currency_code"]) == (
        "Delivery", "Created", "cash", "TRY",
    )  # fmt: skip
    assert (order["external_id"], order["customer"]["external_id"], order["payment"]) == (
        body["external_id"], customer, None,
    )  # fmt: skip
    assert (order["price"], order["tax"], order["total"], order["payment_cost"]) == (325, 0, 325, 0)
    assert order["items"] == [
        {
            "product_id": 3000001, "sku": "GAU", "product_name": "Gold - Digital storage",
            "spot_price": float(world.sandbox.feed.quote("GAU", FROZEN_AT).spot),
            "price": 65, "tax_rate": 0, "tax": 0, "amount": 5, "total": 325,
        }
    ]  # fmt: skip
    assert "description" not in order


def test_create_renders_delivery_block_not_yet_synced_nor_shipped(
    demo: httpx.Client, world: SandboxServer
) -> None:
    order = delivery_data(demo.post(CREATE, json=create_body(deliverable_customer(world))))["orders"][0]

    assert order["delivery"] == {
        "status_id": 1, "status_name": "Created", "cargo_tracking_url": None, "cargo_tracking_number": None,
        "sync_status": False,
        "products": [
            {"product_id": 3000001, "sku": "GAU", "product_name": "Gold - Digital storage", "amount": 5}
        ],
    }  # fmt: skip


def test_create_renders_both_addresses_as_sent(demo: httpx.Client, world: SandboxServer) -> None:
    body = create_body(deliverable_customer(world))

    address = delivery_data(demo.post(CREATE, json=body))["orders"][0]["address"]

    shipping = address["shipping"]
    assert address["billing"] == billing_address(company_name=None, tax_office=None, tax_number=None)
    assert shipping == {"id": shipping["id"], "tax_number": None, **shipping_address()}
    assert list(shipping)[:3] == ["id", "external_id", "tax_number"]


def test_create_stores_order_item_addresses_and_request_and_moves_nothing(
    demo: httpx.Client, world: SandboxServer
) -> None:
    body = create_body(deliverable_customer(world, metal=("GAG", Decimal(150))), sku="GAG", amount=150)

    guid = delivery_data(demo.post(CREATE, json=body))["guid"][0]

    (order,) = order_rows(world, body["external_id"])
    with world.sandbox.store.session() as session:
        item = session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).one()
        kinds = session.exec(select(OrderAddress.kind).where(OrderAddress.order_id == order.id)).all()
    assert (order.flow, order.type, order.sync_status, order.description) == (
        "delivery-cash", "Delivery", False, None,
    )  # fmt: skip
    assert (order.price, order.total, order.payment_cost) == (Decimal(270), Decimal(270), Decimal(0))
    assert (item.sku, item.amount, item.price, item.total) == (
        "GAG", Decimal(150), Decimal("1.8"), Decimal(270),
    )  # fmt: skip
    assert sorted(kinds) == ["billing", "shipping"]
    assert [row.kind for row in request_rows(world, body["external_id"])] == ["delivery"]
    assert status_history(world, guid) == [1]
    assert ledger_lines(world, guid) == []


def test_create_in_usd_prices_the_fee_in_usd(demo: httpx.Client, world: SandboxServer) -> None:
    customer = deliverable_customer(world, metal=("GPT", Decimal(12)), cash=("USD", Decimal(100)))
    per_gram = (Decimal(55) / world.sandbox.feed.fx["USD"]).quantize(Decimal("0.01"))
    body = create_body(customer, sku="GPT", amount=10, currency_code="USD")

    data = delivery_data(demo.post(CREATE, json=body))

    item = data["orders"][0]["items"][0]
    assert data["orders"][0]["currency_code"] == "USD"
    assert (Decimal(str(item["price"])), Decimal(str(data["total"]))) == (per_gram, per_gram * 10)


def test_create_stores_city_and_county_in_their_canonical_spelling(
    demo: httpx.Client, world: SandboxServer
) -> None:
    shipping = shipping_address(city="ISTANBUL", county="KADIKÖY")
    billing = billing_address(city="izmir", county="karşıyaka")
    body = create_body(deliverable_customer(world), address={"billing": billing, "shipping": shipping})

    address = delivery_data(demo.post(CREATE, json=body))["orders"][0]["address"]

    assert (address["shipping"]["city"], address["shipping"]["county"]) == ("İstanbul", "Kadıköy")
    assert (address["billing"]["city"], address["billing"]["county"]) == ("İzmir", "Karşıyaka")


def test_create_accepts_any_county_of_a_province_without_a_district_list(
    demo: httpx.Client, world: SandboxServer
) -> None:
    shipping = shipping_address(city="rize", county="Çayeli", zipcode="53200")
    address = {"billing": billing_address(), "shipping": shipping}
    body = create_body(deliverable_customer(world), address=address)

    rendered = delivery_data(demo.post(CREATE, json=body))["orders"][0]["address"]

    assert (rendered["shipping"]["city"], rendered["shipping"]["county"]) == ("Rize", "Çayeli")


def test_create_with_corporate_billing_keeps_company_and_tax_fields(
    demo: httpx.Client, world: SandboxServer
) -> None:
    address = {"billing": corporate_billing(), "shipping": shipping_address(tax_number=PERSON_ID)}
    body = create_body(deliverable_customer(world), address=address)

    rendered = delivery_data(demo.post(CREATE, json=body))["orders"][0]["address"]

    billing = rendered["billing"]
    assert [billing[key] for key in ("invoice_type", "company_name", "tax_office", "tax_number")] == [
        "Corporate", "Test AŞ", "Ümraniye", COMPANY_TAX_NUMBER,
    ]  # fmt: skip
    assert rendered["shipping"]["tax_number"] == PERSON_ID


# -- refusals: nothing is written --------------------------------------------------------------------


def test_create_unknown_customer_returns_404(demo: httpx.Client, world: SandboxServer) -> None:
    before = snapshot(world)

    refusal(demo.post(CREATE, json=create_body("NOBODY-123")), 404, "customer_not_found")

    assert snapshot(world) == before


def test_create_for_another_partners_customer_returns_404(world: SandboxServer) -> None:
    customer = deliverable_customer(world)

    with partner_client(world, ACME) as acme:
        refusal(acme.post(CREATE, json=create_body(customer)), 404, "customer_not_found")


@pytest.mark.parametrize("kyc_status", ["pending", "rejected"])
def test_create_without_approved_kyc_returns_403(
    demo: httpx.Client, world: SandboxServer, kyc_status: str
) -> None:
    customer = deliverable_customer(world, kyc_status=kyc_status)
    before = snapshot(world)

    refusal(demo.post(CREATE, json=create_body(customer)), 403, "kyc_required")

    assert snapshot(world) == before


def test_create_reusing_an_external_id_returns_409_and_writes_nothing(
    demo: httpx.Client, world: SandboxServer
) -> None:
    customer = deliverable_customer(world)
    body = create_body(customer, amount=1)
    delivery_data(demo.post(CREATE, json=body))
    before = snapshot(world)

    refusal(demo.post(CREATE, json=body), 409, "duplicate_external_id")

    assert snapshot(world) == before
    assert len(order_rows(world, body["external_id"])) == 1


# -- addresses -----------------------------------------------------------------------------------------

MISSING = object()
TOO_SHORT, TOO_LONG = "Must have at least {} characters.", "Must have at most {} characters."
REQUIRED, NOT_ALLOWED = "This field is required.", "This field is not allowed."
# (field, value, message) checked on both addresses; MISSING leaves the field out.
COMMON_CASES = [
    ("fullname", MISSING, REQUIRED), ("fullname", "Al", TOO_SHORT.format(3)),
    ("fullname", "A" * 81, TOO_LONG.format(80)),
    ("phone", MISSING, REQUIRED), ("phone", "call me", "Must be a valid phone number."),
    ("city", MISSING, REQUIRED), ("city", "Gotham", "Must be a province of Türkiye."),
    ("city", "", "Must be a province of Türkiye."), ("city", 34, "Must be a string."),
    ("county", MISSING, REQUIRED), ("county", "Narnia", "Must be a district of İstanbul."),
    ("county", "K", TOO_SHORT.format(2)),
    ("district", MISSING, REQUIRED), ("district", "M", TOO_SHORT.format(2)),
    ("district", "M" * 61, TOO_LONG.format(60)),
    ("address", MISSING, REQUIRED), ("address", "No:12", TOO_SHORT.format(10)),
    ("address", "A" * 251, TOO_LONG.format(250)),
    ("zipcode", MISSING, REQUIRED), ("zipcode", "3471", "Must be a 5-digit postal code."),
    ("zipcode", "347100", "Must be a 5-digit postal code."),
    ("zipcode", "34a10", "Must be a 5-digit postal code."),
    ("zipcode", 34710, "Must be a string."),
    ("street", "M", TOO_SHORT.format(2)), ("street", "M" * 121, TOO_LONG.format(120)),
    ("external_id", "A" * 65, TOO_LONG.format(64)),
    ("tax_number", "123", "Must be a 10-digit tax number."),
    ("tax_number", "12345677938", "Must be a valid Turkish identity number (11 digits with checksum)."),
    ("id", 5, NOT_ALLOWED),
]  # fmt: skip
BILLING_CASES = [
    ("invoice_type", MISSING, REQUIRED),
    ("invoice_type", "Personal", "Must be one of: 'Individual' or 'Corporate'."),
    ("email", MISSING, REQUIRED), ("email", "ayse@", "Must be a valid email address."),
    ("company_name", "X", TOO_SHORT.format(2)), ("tax_office", "X", TOO_SHORT.format(2)),
]  # fmt: skip
CORPORATE_CASES = [
    ("company_name", MISSING, "Required for a Corporate invoice."),
    ("company_name", " ", "Required for a Corporate invoice."),
    ("tax_office", MISSING, "Required for a Corporate invoice."),
    ("tax_number", MISSING, "Required for a Corporate invoice."),
    ("tax_number", "123456779", "Must be a 10-digit tax number."),
    ("tax_number", PERSON_ID, "Must be a 10-digit tax number."),
    ("tax_number", "12345 67793", "Must be a 10-digit tax number."),
]


def _changed(address: dict[str, Any], field: str, value: object) -> dict[str, Any]:
    changed = dict(address)
    changed.pop(field, None)
    return changed if value is MISSING else changed | {field: value}


def _address_refusal(demo: httpx.Client, world: SandboxServer, billing: dict, shipping: dict) -> dict:
    """Addresses are checked before the customer is looked up: an unknown one makes no difference."""
    body = create_body("NOBODY-404", address={"billing": billing, "shipping": shipping})
    before = snapshot(world)
    errors = field_errors(demo.post(CREATE, json=body))
    assert snapshot(world) == before
    return errors


@pytest.mark.parametrize(("field", "value", "message"), COMMON_CASES + BILLING_CASES)
def test_create_with_an_invalid_billing_field_returns_422_naming_it(
    demo: httpx.Client, world: SandboxServer, field: str, value: object, message: str
) -> None:
    billing = _changed(billing_address(), field, value)

    errors = _address_refusal(demo, world, billing, shipping_address())

    assert errors == {f"address.billing.{field}": [message]}


@pytest.mark.parametrize(("field", "value", "message"), [*COMMON_CASES, ("email", "a@b.co", NOT_ALLOWED)])
def test_create_with_an_invalid_shipping_field_returns_422_naming_it(
    demo: httpx.Client, world: SandboxServer, field: str, value: object, message: str
) -> None:
    shipping = _changed(shipping_address(), field, value)

    errors = _address_refusal(demo, world, billing_address(), shipping)

    assert errors == {f"address.shipping.{field}": [message]}


@pytest.mark.parametrize(("field", "value", "message"), CORPORATE_CASES)
def test_create_corporate_billing_without_company_fields_returns_422(
    demo: httpx.Client, world: SandboxServer, field: str, value: object, message: str
) -> None:
    billing = _changed(corporate_billing(), field, value)

    errors = _address_refusal(demo, world, billing, shipping_address())

    assert errors == {f"address.billing.{field}": [message]}


def test_create_corporate_billing_names_every_missing_company_field(
    demo: httpx.Client, world: SandboxServer
) -> None:
    billing = billing_address(invoice_type="Corporate")

    errors = _address_refusal(demo, world, billing, shipping_address())

    assert errors == {
        f"address.billing.{field}": ["Required for a Corporate invoice."]
        for field in ("company_name", "tax_office", "tax_number")
    }


def test_create_without_addresses_names_both(demo: httpx.Client, world: SandboxServer) -> None:
    body = create_body("NOBODY-404", address={})

    assert field_errors(demo.post(CREATE, json=body)) == {
        "address.billing": [REQUIRED],
        "address.shipping": [REQUIRED],
    }
