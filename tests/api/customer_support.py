"""Builders and readers shared by the customer and KYC tests (the server is shared: ids are unique), and
the switch to the strict profile for the tests of rules the partner docs do not state."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlmodel import col, select

from sandbox.catalog import STATUS_IDS
from sandbox.core.clock import Clock
from sandbox.domain.flows import OPEN_STATUSES
from sandbox.store.models import Customer, Order, Partner, Wallet
from sandbox.testing.server import SandboxServer
from tests.api.helpers import ok_data

PROFILE = "/_sandbox/profile"
# Identity numbers that pass the T.C. kimlik no checksum (and are not KYC magic numbers).
PERSON_ID = "10000000146"
OTHER_PERSON_ID = "46714948610"
COMPANY_TAX_NUMBER = "1234567793"  # documented example (Create Business Customer)
DOCS_PERSON_ID = "12345677938"  # documented example: FAILS the checksum
# 2025-03-14 09:30:00 UTC = 12:30:00 in Istanbul (UTC+3).
FROZEN_AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
FROZEN_SQL = "2025-03-14 12:30:00"

_counter = itertools.count(1)


def unique_id(tag: str) -> str:
    """A customer external_id no other test uses (3–40 characters of `[A-Za-z0-9_-]`)."""
    return f"{tag[:30]}-{next(_counter)}"


def person_body(external_id: str, **overrides: Any) -> dict[str, Any]:
    """A Create Customer body shaped like the documented example, with a valid identity number."""
    body = {
        "external_id": external_id,
        "firstname": "Ayşe",
        "middlename": "",
        "lastname": "Yılmaz",
        "email": "ayse.yilmaz@example.com",
        "phone": "+90 532 280 80 35",
        "gender": "F",
        "identity_number": PERSON_ID,
        "birthdate": "1970-01-31",
    }
    return body | overrides


def company_body(external_id: str, **overrides: Any) -> dict[str, Any]:
    """The documented Create Business Customer example."""
    body = {
        "external_id": external_id,
        "firstname": "Test AŞ",
        "email": "muhasebe@example.com",
        "phone": "+90 532 280 80 35",
        "identity_number": COMPANY_TAX_NUMBER,
        "tax_office": "Ümraniye",
        "birthdate": "1970-01-31",
        "account_type": "company",
    }
    return body | overrides


def create(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    return ok_data(http.post("/partner/customer", json=body))


def kyc_body(external_id: str, number: str = PERSON_ID, **extra: Any) -> dict[str, Any]:
    return {"customer_external_id": external_id, "identity_number": number, **extra}


def new_person(http: httpx.Client, tag: str, **overrides: Any) -> str:
    external_id = unique_id(tag)
    create(http, person_body(external_id, **overrides))
    return external_id


def new_company(http: httpx.Client, tag: str, **overrides: Any) -> str:
    external_id = unique_id(tag)
    create(http, company_body(external_id, **overrides))
    return external_id


def get_kyc(http: httpx.Client, external_id: str) -> dict[str, Any]:
    return ok_data(http.get(f"/partner/customer/{external_id}/kyc"))


def frozen(server: SandboxServer) -> Iterator[Clock]:
    """Freeze the shared server's business clock at FROZEN_AT for one test, then let it run again."""
    clock = server.sandbox.clock
    clock.freeze(FROZEN_AT)
    try:
        yield clock
    finally:
        clock.unfreeze()


def partner_id(server: SandboxServer, username: str) -> int:
    with server.sandbox.store.session() as session:
        return session.exec(select(Partner.id).where(Partner.username == username)).one()


def stored_customer(server: SandboxServer, customer_id: int) -> Customer:
    with server.sandbox.store.session() as session:
        return session.get(Customer, customer_id)


def seeded_customers(server: SandboxServer, username: str) -> list[tuple[Customer, bool, list[Wallet]]]:
    """Every live seeded customer of a partner: (customer, has an open order, wallets holding > 0)."""
    open_ids = [STATUS_IDS[status] for status in OPEN_STATUSES]
    with server.sandbox.store.session() as session:
        owner = session.exec(select(Partner.id).where(Partner.username == username)).one()
        customers = session.exec(
            select(Customer)
            .where(Customer.partner_id == owner, col(Customer.deleted_at).is_(None))
            .order_by(Customer.id)
        ).all()
        rows = []
        for customer in customers:
            has_open = session.exec(
                select(Order.id).where(Order.customer_id == customer.id, col(Order.status_id).in_(open_ids))
            ).first()
            holding = session.exec(
                select(Wallet).where(Wallet.customer_id == customer.id, col(Wallet.balance) > 0)
            ).all()
            rows.append((customer, has_open is not None, list(holding)))
        return rows
