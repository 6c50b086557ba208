"""Delivery Create's billing and shipping addresses (POST /partner/delivery/create): the cities and counties
it accepts and the canonical spelling it stores, corporate invoices, and the 422 naming each invalid
address field (nothing written). The builders are in delivery_support.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.api.delivery_support import (
    COMPANY_TAX_NUMBER,
    CREATE,
    ENGLISH,
    PERSON_ID,
    billing_address,
    corporate_billing,
    create_body,
    deliverable_customer,
    delivery_data,
    shipping_address,
)
from tests.api.helpers import field_errors
from tests.api.trading_helpers import FROZEN_AT, dedicated_server, partner_client, snapshot
from tests.conftest import DEMO

# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with dedicated_server(tmp_path_factory, "delivery-addresses") as running:
        yield running


@pytest.fixture(autouse=True)
def at_frozen_instant(world: SandboxServer) -> None:
    world.sandbox.clock.freeze(FROZEN_AT)


@pytest.fixture
def demo(world: SandboxServer) -> Iterator[httpx.Client]:
    with partner_client(world, DEMO) as http:
        http.headers.update(ENGLISH)
        yield http


# -- accepted addresses --------------------------------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("city", "county", "district", "line", "zipcode", "canonical"),
    [
        ("İstanbul", "Pendik", "Batı Mah.", "Ankara Cad. No:45 D:7", "34890", ("İstanbul", "Pendik")),
        ("Ankara", "KEÇİÖREN", "Etlik Mah.", "Yunus Emre Cad. No:8 D:4", "06010", ("Ankara", "Keçiören")),
    ],
    ids=["istanbul-pendik", "ankara-kecioren-upper"],
)
def test_create_accepts_a_real_district_of_a_listed_province(
    demo: httpx.Client,
    world: SandboxServer,
    city: str,
    county: str,
    district: str,
    line: str,
    zipcode: str,
    canonical: tuple[str, str],
) -> None:
    place = {"city": city, "county": county, "district": district, "address": line, "zipcode": zipcode}
    address = {"billing": billing_address(**place), "shipping": shipping_address(**place)}
    body = create_body(deliverable_customer(world), address=address)

    rendered = delivery_data(demo.post(CREATE, json=body))["orders"][0]["address"]

    for kind in ("billing", "shipping"):
        assert (rendered[kind]["city"], rendered[kind]["county"]) == canonical


# -- refusals: each invalid field is named, nothing is written -------------------------------------------

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
