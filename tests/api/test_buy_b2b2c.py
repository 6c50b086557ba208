"""Buy for a customer (B2B2C): an existing customer named by external_id alone, or an unknown one created
from the `customer` block (documented); the customer's wallets pay, never the partner's own.

What the customer's cash wallet lacks is profile rule `customer_cash`: the default, lenient partner
settles the shortfall (a `deposit` "partner settlement" into the customer's wallet, then the buy takes
it as usual, with an X-Sandbox-Notice); a strict partner is refused with 422 insufficient_balance."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from sandbox.testing.server import SandboxServer
from sandbox.wire.base import Envelope
from sandbox.wire.orders import OrderPage
from tests.api.helpers import error_body, notices, ok_data, partner_profile
from tests.support.trading import (
    BUY,
    balance,
    buy,
    cents,
    customer_block,
    customer_row,
    dec,
    fix_price,
    funded_customer,
    new_id,
    order_data,
    row_of,
    snapshot,
    wallet_entries,
)

ITEMS = [{"sku": "GAU", "amount": 0.5}, {"sku": "GAG", "amount": 10}, {"sku": "GPT", "amount": 0.25}]


# -- B2B2C -------------------------------------------------------------------------------------------


def test_buy_existing_customer_by_external_id_only_debits_the_customer(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer = funded_customer(trading)
    partner_cash = balance(trading, asset="TRY")
    fix = fix_price(demo, customer_external_id=customer)

    data = buy(demo, fix, [{"sku": "GAU", "amount": 1}], customer={"external_id": customer})

    assert balance(trading, customer_external_id=customer, asset="TRY") == Decimal(50_000) - dec(
        data["total"]
    )
    assert balance(trading, customer_external_id=customer, asset="GAU") == 1
    assert balance(trading, asset="TRY") == partner_cash


def test_buy_existing_customer_renders_the_stored_customer(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer = funded_customer(trading)
    block = customer_block(customer)

    fix = fix_price(demo, customer_external_id=customer)

    data = buy(demo, fix, [{"sku": "GAG", "amount": 1}], customer={"external_id": customer})

    assert data["orders"][0]["customer"] == {
        "external_id": customer,
        "firstname": "Mehmet",
        "middlename": None,
        "lastname": "Gülbilge",
        "fullname": "Mehmet Gülbilge",
        "email": block["email"],
        "phone": "+905322808035",
        "gender": "M",
        "identity_number": block["identity_number"],
        "birthdate": None,
    }


def test_buy_existing_customer_creates_no_customer(demo: httpx.Client, trading: SandboxServer) -> None:
    customer = funded_customer(trading)
    before = snapshot(trading)["Customer"]

    buy(demo, fix_price(demo), [{"sku": "GAG", "amount": 1}], customer={"external_id": customer})

    assert snapshot(trading)["Customer"] == before


def test_buy_existing_customer_then_listed_under_the_customer(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer = funded_customer(trading)
    data = buy(demo, fix_price(demo), ITEMS, customer={"external_id": customer})

    response = demo.get("/partner/orders", params={"customer_external_id": customer})

    Envelope[OrderPage].model_validate(response.json())
    page = ok_data(response)
    assert page["total"] == 3
    assert sorted(o["guid"] for o in page["data"]) == sorted(data["guid"])


def new_customer_body(demo: httpx.Client, block: dict[str, Any]) -> dict[str, Any]:
    """A cash buy of 0.1 g gold for a customer the request itself creates from `block`."""
    return {
        "price_token": fix_price(demo, customer_external_id=block["external_id"])["token"],
        "external_id": new_id("BUY"),
        "customer": block,
        "items": [{"sku": "GAU", "amount": 0.1}],
    }


def settled(amount: Decimal) -> str:
    """The notice of profile rule `customer_cash` (the amount in cents, as money always is)."""
    return f"customer_cash: the partner settled {cents(amount)} TRY the customer's cash wallet lacked"


# -- the customer's cash: profile rule `customer_cash` ------------------------------------------------


def test_buy_new_customer_with_no_cash_is_settled_by_the_partner_with_a_notice(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    """Lenient: a customer created by this very request has no cash yet; the partner settles the total."""
    customer = new_id("NC")
    partner_cash = balance(trading, asset="TRY")

    response = demo.post(BUY, json=new_customer_body(demo, customer_block(customer)))

    total = dec(order_data(response)["total"])
    assert notices(response) == [settled(total)]
    assert wallet_entries(trading, customer) == [
        (total, "deposit", "partner settlement"),
        (-total, "buy", None),
    ]
    assert balance(trading, customer_external_id=customer, asset="GAU") == dec("0.1")
    assert balance(trading, asset="TRY") == partner_cash


def test_buy_existing_customer_short_of_cash_is_settled_for_the_shortfall_only(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer = funded_customer(trading, amount=Decimal(100))
    fix = fix_price(demo, customer_external_id=customer)
    total = dec(row_of(fix, "GAU")["buy_price"])  # 1 g

    response = demo.post(
        BUY,
        json={
            "price_token": fix["token"],
            "external_id": new_id("BUY"),
            "customer": {"external_id": customer},
            "items": [{"sku": "GAU", "amount": 1}],
        },
    )

    assert dec(order_data(response)["total"]) == total
    assert notices(response) == [settled(total - 100)]
    assert wallet_entries(trading, customer) == [
        (100, "deposit", "test funding"),
        (total - 100, "deposit", "partner settlement"),
        (-total, "buy", None),
    ]
    assert balance(trading, customer_external_id=customer, asset="TRY") == 0


def test_buy_customer_whose_cash_covers_it_gets_no_notice(demo: httpx.Client, trading: SandboxServer) -> None:
    customer = funded_customer(trading)

    response = demo.post(
        BUY,
        json={
            "price_token": fix_price(demo)["token"],
            "external_id": new_id("BUY"),
            "customer": {"external_id": customer},
            "items": [{"sku": "GAG", "amount": 1}],
        },
    )

    order_data(response)
    assert notices(response) == []
    assert [kind for _, kind, _ in wallet_entries(trading, customer)] == ["deposit", "buy"]


def test_buy_new_customer_with_no_cash_under_strict_is_refused_and_not_created(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    """Strict: the customer's own cash wallet must cover a cash buy, which a customer created by this
    very request cannot have yet: 422 insufficient_balance, and the whole request (the new customer
    included) is rolled back. Card payments create-and-pay in one request."""
    customer = new_id("NC")
    body = new_customer_body(demo, customer_block(customer))
    before = snapshot(trading)

    with partner_profile(trading, "strict"):
        response = demo.post(BUY, json=body)

    assert error_body(response, 422, "insufficient_balance")["message"] == "Yetersiz bakiye (TRY)."
    assert customer_row(trading, customer) is None
    assert snapshot(trading) == before


def test_buy_new_customer_with_unchecked_identity_number_is_created_with_a_notice(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    """Lenient: profile rule `identity_number` lets a number that fails the T.C. checksum through."""
    customer = new_id("NC")
    block = {**customer_block(customer), "identity_number": "12345678901"}

    response = demo.post(BUY, json=new_customer_body(demo, block))

    total = dec(order_data(response)["total"])
    assert notices(response) == [
        "identity_number: customer.identity_number accepted without the T.C. kimlik no check",
        settled(total),
    ]
    assert customer_row(trading, customer).identity_number == "12345678901"
