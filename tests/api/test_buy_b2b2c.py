"""Buy for a customer (B2B2C): an existing customer named by external_id alone, or an unknown one created
from the `customer` block (documented); the customer's wallets pay, never the partner's."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from sandbox.partner.orders.schemas import OrderPage
from sandbox.partner.schemas import Envelope
from sandbox.testing.server import SandboxServer
from tests.api.helpers import error_body, ok_data
from tests.api.trading_helpers import (
    BUY,
    balance,
    buy,
    customer_block,
    customer_row,
    dec,
    dedicated_server,
    fix_price,
    funded_customer,
    new_id,
    snapshot,
)

ITEMS = [{"sku": "GAU", "amount": 0.5}, {"sku": "GAG", "amount": 10}, {"sku": "GPT", "amount": 0.25}]


@pytest.fixture(scope="module")
def trading(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with dedicated_server(tmp_path_factory, "buy-b2b2c") as running:
        yield running


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


def test_buy_new_customer_with_complete_block_and_no_cash_is_refused_and_not_created(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    """sandbox decision: a B2B2C cash buy is paid from the customer's own cash wallet, which a customer
    created by this very request cannot have yet: 422 insufficient_balance, and the whole request
    (the new customer included) is rolled back. Card payments create-and-pay in one request."""
    customer = new_id("NC")
    fix = fix_price(demo, customer_external_id=customer)

    response = demo.post(
        BUY,
        json={
            "price_token": fix["token"],
            "external_id": new_id("BUY"),
            "customer": customer_block(customer),
            "items": [{"sku": "GAU", "amount": 0.1}],
        },
    )

    assert error_body(response, 422, "insufficient_balance")["message"] == "Yetersiz bakiye (TRY)."
    assert customer_row(trading, customer) is None
