"""Delivery Create's billing and shipping addresses (POST /partner/delivery/create). The documented fields
a courier cannot do without (billing invoice_type; fullname, city, county, district and address on both)
are refused when missing under either profile. The courier's own checks (phone, email, zip codes, line
lengths, provinces and districts in their canonical spelling, corporate tax fields) are profile rule
`delivery_address`: a strict partner (demo, here) gets a 422 naming each field and nothing is written; a
lenient one (acme) gets the address stored as sent and an `X-Sandbox-Notice`. The builders are in
delivery_support.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from sandbox.testing.plugin import Control
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
from tests.api.helpers import field_errors, notices
from tests.support.clients import partner_client
from tests.support.constants import ACME, DEMO
from tests.support.trading import FROZEN_AT, snapshot

# -- fixtures: demo is strict, acme lenient (the server's default) ----------------------------------------

PARTNERS = {"strict": ("demo", DEMO), "lenient": ("acme", ACME)}


@pytest.fixture
def world(trading: SandboxServer, server_control: Control) -> SandboxServer:
    """The session server on a fresh world, its clock frozen (tests/support/fixtures.py)."""
    server_control.profile("demo", "strict")
    return trading


@pytest.fixture(autouse=True)
def at_frozen_instant(world: SandboxServer) -> None:
    world.sandbox.clock.freeze(FROZEN_AT)


@contextmanager
def profile_client(world: SandboxServer, profile: str) -> Iterator[httpx.Client]:
    with partner_client(world, PARTNERS[profile][1]) as http:
        http.headers.update(ENGLISH)
        yield http


@pytest.fixture
def strict(world: SandboxServer) -> Iterator[httpx.Client]:
    with profile_client(world, "strict") as http:
        yield http


@pytest.fixture
def lenient(world: SandboxServer) -> Iterator[httpx.Client]:
    with profile_client(world, "lenient") as http:
        yield http


def _create(
    http: httpx.Client, world: SandboxServer, profile: str, billing: dict, shipping: dict
) -> httpx.Response:
    customer = deliverable_customer(world, partner=PARTNERS[profile][0])
    return http.post(CREATE, json=create_body(customer, address={"billing": billing, "shipping": shipping}))


# -- strict: accepted addresses, stored in their canonical spelling ----------------------------------------


def test_strict_create_stores_city_and_county_in_their_canonical_spelling(
    strict: httpx.Client, world: SandboxServer
) -> None:
    shipping = shipping_address(city="ISTANBUL", county="KADIKÖY")
    billing = billing_address(city="izmir", county="karşıyaka")

    address = delivery_data(_create(strict, world, "strict", billing, shipping))["address"]

    assert (address["shipping"]["city"], address["shipping"]["county"]) == ("İstanbul", "Kadıköy")
    assert (address["billing"]["city"], address["billing"]["county"]) == ("İzmir", "Karşıyaka")


def test_strict_create_accepts_any_county_of_a_province_without_a_district_list(
    strict: httpx.Client, world: SandboxServer
) -> None:
    shipping = shipping_address(city="rize", county="Çayeli", zipcode="53200")

    address = delivery_data(_create(strict, world, "strict", billing_address(), shipping))["address"]

    assert (address["shipping"]["city"], address["shipping"]["county"]) == ("Rize", "Çayeli")


def test_strict_create_with_corporate_billing_keeps_company_and_tax_fields(
    strict: httpx.Client, world: SandboxServer
) -> None:
    shipping = shipping_address(tax_number=PERSON_ID)

    address = delivery_data(_create(strict, world, "strict", corporate_billing(), shipping))["address"]

    billing = address["billing"]
    assert [billing[key] for key in ("invoice_type", "company_name", "tax_office", "tax_number")] == [
        "Corporate", "Test AŞ", "Ümraniye", COMPANY_TAX_NUMBER,
    ]  # fmt: skip
    assert address["shipping"]["tax_number"] == PERSON_ID


@pytest.mark.parametrize(
    ("city", "county", "district", "line", "zipcode", "canonical"),
    [
        ("İstanbul", "Pendik", "Batı Mah.", "Ankara Cad. No:45 D:7", "34890", ("İstanbul", "Pendik")),
        ("Ankara", "KEÇİÖREN", "Etlik Mah.", "Yunus Emre Cad. No:8 D:4", "06010", ("Ankara", "Keçiören")),
    ],
    ids=["istanbul-pendik", "ankara-kecioren-upper"],
)
def test_strict_create_accepts_a_real_district_of_a_listed_province(
    strict: httpx.Client,
    world: SandboxServer,
    city: str,
    county: str,
    district: str,
    line: str,
    zipcode: str,
    canonical: tuple[str, str],
) -> None:
    place = {"city": city, "county": county, "district": district, "address": line, "zipcode": zipcode}

    response = _create(strict, world, "strict", billing_address(**place), shipping_address(**place))

    address = delivery_data(response)["address"]
    for kind in ("billing", "shipping"):
        assert (address[kind]["city"], address[kind]["county"]) == canonical


# -- lenient: the documented example address, and any text stored as sent ----------------------------------

# The address Delivery Create's page sends (no phone, no zip code, a 8-character address line).
DOCS_ADDRESS = {
    "company_name": "Şirket Adı", "fullname": "John Due", "city": "İstanbul", "county": "Beykoz",
    "district": "Acarlar Mah.", "address": "No: 37/4",
}  # fmt: skip
DOCS_BILLING = {**DOCS_ADDRESS, "invoice_type": "Individual"}
DOCS_REFUSED = {
    "address.billing.phone": ["This field is required."],
    "address.billing.email": ["This field is required."],
    "address.billing.address": ["Must have at least 10 characters."],
    "address.billing.zipcode": ["This field is required."],
    "address.shipping.phone": ["This field is required."],
    "address.shipping.address": ["Must have at least 10 characters."],
    "address.shipping.zipcode": ["This field is required."],
}


def _as_stored(rendered: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """`sent` as the answer renders it: every other key null, blank text null, the sandbox's `id` kept."""
    stored = {
        key: None if isinstance(value, str) and not value.strip() else value for key, value in sent.items()
    }
    return dict.fromkeys(rendered) | stored | ({"id": rendered["id"]} if "id" in rendered else {})


def test_lenient_create_stores_the_documented_example_address_as_sent_with_a_notice(
    lenient: httpx.Client, world: SandboxServer
) -> None:
    response = _create(lenient, world, "lenient", DOCS_BILLING, DOCS_ADDRESS)

    address = delivery_data(response)["address"]
    assert address["billing"] == _as_stored(address["billing"], DOCS_BILLING)
    assert address["shipping"] == _as_stored(address["shipping"], DOCS_ADDRESS)
    assert notices(response) == [
        "delivery_address: kept as sent; strict would refuse " + ", ".join(DOCS_REFUSED)
    ]


def test_strict_create_refuses_the_documented_example_address_naming_each_field(
    strict: httpx.Client, world: SandboxServer
) -> None:
    assert _refusal(strict, world, "strict", DOCS_BILLING, DOCS_ADDRESS) == DOCS_REFUSED


def test_lenient_create_stores_city_and_county_as_sent(lenient: httpx.Client, world: SandboxServer) -> None:
    shipping = shipping_address(city="ISTANBUL", county="KADIKÖY")
    billing = billing_address(city="izmir", county="karşıyaka")

    response = _create(lenient, world, "lenient", billing, shipping)

    address = delivery_data(response)["address"]
    assert (address["shipping"]["city"], address["shipping"]["county"]) == ("ISTANBUL", "KADIKÖY")
    assert (address["billing"]["city"], address["billing"]["county"]) == ("izmir", "karşıyaka")
    assert notices(response) == []


# -- refusals: each invalid field is named, nothing is written -------------------------------------------

MISSING = object()
TOO_SHORT, TOO_LONG = "Must have at least {} characters.", "Must have at most {} characters."
REQUIRED, NOT_A_STRING = "This field is required.", "Must be a string."
# (field, value, message); MISSING leaves the field out. Refused under both profiles: the documented
# required fields missing or empty, text too long, or not text at all.
REQUIRED_COMMON = [
    ("fullname", MISSING, REQUIRED), ("city", MISSING, REQUIRED), ("city", "", TOO_SHORT.format(1)),
    ("city", 34, NOT_A_STRING), ("county", MISSING, REQUIRED), ("district", MISSING, REQUIRED),
    ("address", MISSING, REQUIRED), ("address", "A" * 251, TOO_LONG.format(250)),
    ("zipcode", 34710, NOT_A_STRING),
]  # fmt: skip
REQUIRED_BILLING = [
    ("invoice_type", MISSING, REQUIRED),
    ("invoice_type", "Personal", "Must be one of: 'Individual' or 'Corporate'."),
]
# Refused by the strict profile only (rule `delivery_address`), on both addresses.
COURIER_COMMON = [
    ("fullname", "Al", TOO_SHORT.format(3)), ("fullname", "A" * 81, TOO_LONG.format(80)),
    ("phone", MISSING, REQUIRED), ("phone", "call me", "Must be a valid phone number."),
    ("city", "Gotham", "Must be a province of Türkiye."),
    ("county", "Narnia", "Must be a district of İstanbul."), ("county", "K", TOO_SHORT.format(2)),
    ("district", "M", TOO_SHORT.format(2)), ("district", "M" * 61, TOO_LONG.format(60)),
    ("address", "No:12", TOO_SHORT.format(10)),
    ("zipcode", MISSING, REQUIRED), ("zipcode", "3471", "Must be a 5-digit postal code."),
    ("zipcode", "347100", "Must be a 5-digit postal code."),
    ("zipcode", "34a10", "Must be a 5-digit postal code."),
    ("street", "M", TOO_SHORT.format(2)), ("street", "M" * 121, TOO_LONG.format(120)),
    ("external_id", "A" * 65, TOO_LONG.format(64)),
    ("tax_number", "123", "Must be a 10-digit tax number."),
    ("tax_number", "12345677938", "Must be a valid Turkish identity number (11 digits with checksum)."),
]  # fmt: skip
COURIER_BILLING = [
    ("email", MISSING, REQUIRED), ("email", "ayse@", "Must be a valid email address."),
    ("company_name", "X", TOO_SHORT.format(2)), ("tax_office", "X", TOO_SHORT.format(2)),
]  # fmt: skip
COURIER_CORPORATE = [
    ("company_name", MISSING, "Required for a Corporate invoice."),
    ("company_name", " ", "Required for a Corporate invoice."),
    ("tax_office", MISSING, "Required for a Corporate invoice."),
    ("tax_number", MISSING, "Required for a Corporate invoice."),
    ("tax_number", "123456779", "Must be a 10-digit tax number."),
    ("tax_number", PERSON_ID, "Must be a 10-digit tax number."),
    ("tax_number", "12345 67793", "Must be a 10-digit tax number."),
]
# (kind, field, value): fields no address has, refused by the strict profile only (rule `unknown_fields`).
UNKNOWN = [("billing", "id", 5), ("shipping", "id", 5), ("shipping", "email", "a@b.co")]
# (kind, field, value, message, base address) of every courier check.
COURIER = (
    [("billing", field, value, message, billing_address) for field, value, message in COURIER_COMMON]
    + [("billing", field, value, message, billing_address) for field, value, message in COURIER_BILLING]
    + [("billing", field, value, message, corporate_billing) for field, value, message in COURIER_CORPORATE]
    + [("shipping", field, value, message, shipping_address) for field, value, message in COURIER_COMMON]
)
REQUIRED_CASES = [("billing", *case) for case in REQUIRED_COMMON + REQUIRED_BILLING] + [
    ("shipping", *case) for case in REQUIRED_COMMON
]


def _ids(cases: list[tuple]) -> list[str]:
    return [f"{case[0]}-{case[1]}-{'missing' if case[2] is MISSING else str(case[2])[:12]}" for case in cases]


def _changed(address: dict[str, Any], field: str, value: object) -> dict[str, Any]:
    changed = dict(address)
    changed.pop(field, None)
    return changed if value is MISSING else changed | {field: value}


def _addresses(kind: str, changed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(billing, shipping): the `changed` one and the other one valid."""
    return (changed, shipping_address()) if kind == "billing" else (billing_address(), changed)


def _refusal(
    http: httpx.Client, world: SandboxServer, profile: str, billing: dict, shipping: dict
) -> dict[str, list[str]]:
    customer = deliverable_customer(world, partner=PARTNERS[profile][0])
    before = snapshot(world)
    response = http.post(
        CREATE, json=create_body(customer, address={"billing": billing, "shipping": shipping})
    )
    errors = field_errors(response)
    assert snapshot(world) == before
    assert notices(response) == []
    return errors


@pytest.mark.parametrize("profile", ["strict", "lenient"])
@pytest.mark.parametrize(("kind", "field", "value", "message"), REQUIRED_CASES, ids=_ids(REQUIRED_CASES))
def test_create_with_a_documented_address_field_missing_or_mistyped_returns_422_in_both_profiles(
    world: SandboxServer, profile: str, kind: str, field: str, value: object, message: str
) -> None:
    base = billing_address if kind == "billing" else shipping_address

    with profile_client(world, profile) as http:
        errors = _refusal(http, world, profile, *_addresses(kind, _changed(base(), field, value)))

    assert errors == {f"address.{kind}.{field}": [message]}


@pytest.mark.parametrize(("kind", "field", "value", "message", "base"), COURIER, ids=_ids(COURIER))
def test_strict_create_with_an_address_field_a_courier_refuses_returns_422_naming_it(
    strict: httpx.Client, world: SandboxServer, kind: str, field: str, value: object, message: str, base: Any
) -> None:
    errors = _refusal(strict, world, "strict", *_addresses(kind, _changed(base(), field, value)))

    assert errors == {f"address.{kind}.{field}": [message]}


@pytest.mark.parametrize(("kind", "field", "value", "message", "base"), COURIER, ids=_ids(COURIER))
def test_lenient_create_with_an_address_field_a_courier_refuses_stores_it_as_sent_with_a_notice(
    lenient: httpx.Client, world: SandboxServer, kind: str, field: str, value: object, message: str, base: Any
) -> None:
    sent = _changed(base(), field, value)

    response = _create(lenient, world, "lenient", *_addresses(kind, sent))

    stored = delivery_data(response)["address"][kind]
    assert stored == _as_stored(stored, sent)
    assert notices(response) == [
        f"delivery_address: kept as sent; strict would refuse address.{kind}.{field}"
    ]


def test_strict_create_corporate_billing_names_every_missing_company_field(
    strict: httpx.Client, world: SandboxServer
) -> None:
    billing = billing_address(invoice_type="Corporate")

    errors = _refusal(strict, world, "strict", billing, shipping_address())

    assert errors == {
        f"address.billing.{field}": ["Required for a Corporate invoice."]
        for field in ("company_name", "tax_office", "tax_number")
    }


@pytest.mark.parametrize(("kind", "field", "value"), UNKNOWN, ids=_ids(UNKNOWN))
def test_strict_create_with_an_unknown_address_field_returns_422_naming_it(
    strict: httpx.Client, world: SandboxServer, kind: str, field: str, value: object
) -> None:
    base = billing_address if kind == "billing" else shipping_address

    errors = _refusal(strict, world, "strict", *_addresses(kind, _changed(base(), field, value)))

    assert errors == {f"address.{kind}.{field}": ["This field is not allowed."]}


@pytest.mark.parametrize(("kind", "field", "value"), UNKNOWN, ids=_ids(UNKNOWN))
def test_lenient_create_with_an_unknown_address_field_ignores_it_with_a_notice(
    lenient: httpx.Client, world: SandboxServer, kind: str, field: str, value: object
) -> None:
    base = billing_address if kind == "billing" else shipping_address

    response = _create(lenient, world, "lenient", *_addresses(kind, _changed(base(), field, value)))

    stored = delivery_data(response)["address"][kind]
    assert stored == _as_stored(stored, base())
    assert notices(response) == [f"unknown_fields: ignored {field}"]


@pytest.mark.parametrize("profile", ["strict", "lenient"])
def test_create_without_addresses_names_both(world: SandboxServer, profile: str) -> None:
    body = create_body(deliverable_customer(world, partner=PARTNERS[profile][0]), address={})

    with profile_client(world, profile) as http:
        errors = field_errors(http.post(CREATE, json=body))

    assert errors == {"address.billing": [REQUIRED], "address.shipping": [REQUIRED]}
