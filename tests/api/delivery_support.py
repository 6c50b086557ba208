"""Delivery Create request builders shared by the delivery tests (create, addresses, fees, lifecycle): a
documented-shape body, its billing and shipping addresses, a customer able to pay for it, a partner's
profile (lenient or strict) and the notices a lenient answer carries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from sandbox.partner.delivery.schemas import CreatedDelivery
from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from tests.api.helpers import ok_data
from tests.support.trading import add_customer, fund, new_id

CREATE = "/partner/delivery/create"
PROFILE = "/_sandbox/profile"
ENGLISH = {"Accept-Language": "en"}
COMPANY_TAX_NUMBER = "1234567793"
PERSON_ID = "10000000146"  # passes the T.C. kimlik no checksum


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
        "customer": {
            "external_id": customer,
            "firstname": "Ayşe",
            "lastname": "Yılmaz",
            "phone": "+905321112233",
            "email": "ayse@example.com",
        },
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
    partner: str = "demo",
) -> str:
    """A new customer of `partner` (KYC `kyc_status`) holding `metal` grams and `cash`; its external_id."""
    customer = new_id("DCUS")
    add_customer(server, customer, partner=partner, kyc_status=kyc_status)
    for asset, amount in (metal, cash):
        if amount:
            fund(server, partner, customer_external_id=customer, asset=asset, amount=amount)
    return customer


def delivery_data(response: httpx.Response) -> dict[str, Any]:
    """Delivery Create's answer: one order, in the documented (older) shape of that page."""
    data = ok_data(response)
    Envelope[CreatedDelivery].model_validate(response.json())
    return data


def delivered_order(client: httpx.Client, response: httpx.Response) -> dict[str, Any]:
    """The created delivery as Get Order renders it (the shape every other order endpoint uses)."""
    return ok_data(client.get(f"/partner/order/{delivery_data(response)['guid']}"))
