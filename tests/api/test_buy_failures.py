"""Buy refusals: every error key, and for each one that nothing was written (no order, no order request,
no ledger entry, no customer, token unused), so the corrected request with the same token and the same
external_id then succeeds.

The partner is on the strict profile (sandbox/core/profile.py), so the rules the docs do not state
(the token's customer and currency, the identity checksum, a customer's cash) refuse here too; what a
lenient partner gets instead is in test_buy_tokens.py and test_buy_b2b2c.py. Token lifecycle refusals
(unknown, foreign, expired, used) and duplicate external_ids are in test_buy_tokens.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.api.helpers import notices, partner_profile
from tests.api.trading_helpers import (
    BUY,
    add_customer,
    available,
    balance,
    buy,
    cents,
    customer_block,
    dec,
    dedicated_server,
    fix_price,
    fund,
    funded_customer,
    new_id,
    order_data,
    race,
    refusal,
    row_of,
    snapshot,
    token_row,
)


@pytest.fixture(scope="module")
def trading(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with dedicated_server(tmp_path_factory, "buy-failures", profile="strict") as running:
        fund(running, amount=Decimal(1_000_000))
        yield running


@dataclass
class Refused:
    """A refused buy and its correction: both use the same token and external_id."""

    status: int
    key: str
    fields: list[str] | None  # the keys of data.errors; None when the error has none
    bad: dict[str, Any]
    good: dict[str, Any]


def order_body(token: str, items: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    return {"price_token": token, "external_id": new_id("REF"), "items": items, **body}


def _other_customer(trading: SandboxServer, demo: httpx.Client) -> Refused:
    mine, other = funded_customer(trading), funded_customer(trading)
    bad = order_body(fix_price(demo, customer_external_id=mine)["token"], [{"sku": "GAU", "amount": 0.1}])
    return Refused(
        403,
        "price_token_customer_mismatch",
        None,
        {**bad, "customer": {"external_id": other}},
        {**bad, "customer": {"external_id": mine}},
    )


def _customer_token_for_b2b(trading: SandboxServer, demo: httpx.Client) -> Refused:
    mine = funded_customer(trading)
    bad = order_body(fix_price(demo, customer_external_id=mine)["token"], [{"sku": "GAU", "amount": 0.1}])
    return Refused(
        403,
        "price_token_customer_mismatch",
        None,
        bad,
        {**bad, "customer": {"external_id": mine}},
    )


def _customer_token_for_new_customer(trading: SandboxServer, demo: httpx.Client) -> Refused:
    mine = funded_customer(trading)
    bad = order_body(fix_price(demo, customer_external_id=mine)["token"], [{"sku": "GAU", "amount": 0.1}])
    return Refused(
        403,
        "price_token_customer_mismatch",
        None,
        {**bad, "customer": customer_block(new_id("NEW"))},
        {**bad, "customer": {"external_id": mine}},
    )


def _currency_mismatch(trading: SandboxServer, demo: httpx.Client) -> Refused:
    bad = order_body(fix_price(demo)["token"], [{"sku": "GAU", "amount": 0.1}], currency_code="USD")
    return Refused(
        422,
        "price_token_currency_mismatch",
        ["currency_code"],
        bad,
        {**bad, "currency_code": "TRY"},
    )


def _new_customer(
    *drop: str, key: str = "new_customer_invalid", **change: Any
) -> Callable[[SandboxServer, httpx.Client], Refused]:
    """An unknown customer whose block cannot create it; corrected by naming a known, funded customer."""

    def prepare(trading: SandboxServer, demo: httpx.Client) -> Refused:
        block = {k: v for k, v in customer_block(new_id("NEW")).items() if k not in drop} | change
        bad = order_body(fix_price(demo)["token"], [{"sku": "GAG", "amount": 1}], customer=block)
        fields = sorted(f"customer.{name}" for name in (*drop, *change))
        return Refused(
            422,
            key,
            fields,
            bad,
            {**bad, "customer": {"external_id": funded_customer(trading)}},
        )

    return prepare


def _items(
    bad_items: list[dict[str, Any]], good_items: list[dict[str, Any]], *fields: str, key: str
) -> Callable[[SandboxServer, httpx.Client], Refused]:
    """A request-level or product error in the items, corrected by `good_items`."""

    def prepare(trading: SandboxServer, demo: httpx.Client) -> Refused:
        bad = order_body(fix_price(demo)["token"], bad_items)
        return Refused(422, key, list(fields), bad, {**bad, "items": good_items})

    return prepare


def _insufficient_customer_cash(trading: SandboxServer, demo: httpx.Client) -> Refused:
    customer = funded_customer(trading, amount=Decimal(100))
    bad = order_body(
        fix_price(demo)["token"], [{"sku": "GAU", "amount": 1}], customer={"external_id": customer}
    )
    return Refused(
        422,
        "insufficient_balance",
        None,
        bad,
        {**bad, "items": [{"sku": "GAG", "amount": 1}]},
    )


def _insufficient_partner_cash(trading: SandboxServer, demo: httpx.Client) -> Refused:
    bad = order_body(fix_price(demo)["token"], [{"sku": "GAU", "amount": 1_000_000}])
    assert balance(trading, asset="TRY") < 1_000_000 * dec(2000)
    return Refused(
        422,
        "insufficient_balance",
        None,
        bad,
        {**bad, "items": [{"sku": "GAU", "amount": 1}]},
    )


GAU = [{"sku": "GAU", "amount": 0.1}]
CASES: dict[str, Callable[[SandboxServer, httpx.Client], Refused]] = {
    "token-of-other-customer": _other_customer,
    "customer-token-for-b2b": _customer_token_for_b2b,
    "customer-token-for-new-customer": _customer_token_for_new_customer,
    "currency-mismatch": _currency_mismatch,
    "new-customer-no-email": _new_customer("email"),
    "new-customer-no-identity-number": _new_customer("identity_number"),
    "new-customer-bad-identity-number": _new_customer(identity_number="12345678901"),
    "new-customer-short-names": _new_customer(firstname="Al", lastname="Ek"),
    "new-customer-bad-email-and-phone": _new_customer(email="not-an-email", phone="12"),
    # the block's external_id is checked for every customer, known or not: a plain validation failure
    "customer-external-id-too-short": _new_customer(external_id="ab", key="validation_failed"),
    "unknown-product-id": _items(
        [{"product_id": 3000003, "amount": 1}],
        [{"product_id": 3000002, "amount": 1}],
        "items.0.product_id",
        key="validation_failed",
    ),
    "sku-and-product-id-disagree": _items(
        [{"sku": "GAU", "product_id": 3000002, "amount": 1}],
        [{"sku": "GAG", "product_id": 3000002, "amount": 1}],
        "items.0.product_id",
        key="validation_failed",
    ),
    "second-item-unknown-product-id": _items(
        [*GAU, {"product_id": 42, "amount": 1}],
        [*GAU, {"product_id": 3000002, "amount": 1}],
        "items.1.product_id",
        key="validation_failed",
    ),
    "topup-buys-less-than-a-tenth-milligram": _items(
        [{"sku": "GAU", "topup": {"price": 0.01}}],
        [{"sku": "GAU", "topup": {"price": 100}}],
        "items.0.topup.price",
        key="validation_failed",
    ),
    "sku-unknown": _items([{"sku": "XAU", "amount": 1}], GAU, "items.0.sku", key="validation_failed"),
    "neither-amount-nor-topup": _items([{"sku": "GAU"}], GAU, "items.0", key="validation_failed"),
    "amount-and-topup": _items(
        [{"sku": "GAU", "amount": 1, "topup": {"price": 100}}], GAU, "items.0", key="validation_failed"
    ),
    "no-product": _items([{"amount": 1}], GAU, "items.0", key="validation_failed"),
    "amount-5-dp": _items(
        [{"sku": "GAU", "amount": 0.00001}], GAU, "items.0.amount", key="validation_failed"
    ),
    "amount-zero": _items([{"sku": "GAU", "amount": 0}], GAU, "items.0.amount", key="validation_failed"),
    "no-items": _items([], GAU, "items", key="validation_failed"),
    "insufficient-customer-cash": _insufficient_customer_cash,
    "insufficient-partner-cash": _insufficient_partner_cash,
}


@pytest.fixture(params=list(CASES))
def refused(request: pytest.FixtureRequest, trading: SandboxServer, demo: httpx.Client) -> Refused:
    return CASES[request.param](trading, demo)


def test_buy_refused_returns_its_status_key_and_fields(demo: httpx.Client, refused: Refused) -> None:
    data = refusal(demo.post(BUY, json=refused.bad), refused.status, refused.key)

    assert (sorted(data["errors"]) if "errors" in data else None) == refused.fields


def test_buy_refused_writes_nothing(demo: httpx.Client, trading: SandboxServer, refused: Refused) -> None:
    before = snapshot(trading)

    demo.post(BUY, json=refused.bad)

    assert snapshot(trading) == before
    assert token_row(trading, refused.bad["price_token"]).used_at is None


def test_buy_refused_then_corrected_with_same_token_and_external_id_succeeds(
    demo: httpx.Client, refused: Refused
) -> None:
    demo.post(BUY, json=refused.bad)

    data = order_data(demo.post(BUY, json=refused.good))

    assert {order["external_id"] for order in data["orders"]} == {refused.good["external_id"]}


# -- messages and exact amounts ----------------------------------------------------------------------


def test_buy_currency_mismatch_names_the_tokens_currency(demo: httpx.Client) -> None:
    token = fix_price(demo, currency="EUR")["token"]
    response = demo.post(
        BUY, json=order_body(token, GAU, currency_code="TRY"), headers={"Accept-Language": "en"}
    )

    body = refusal(response, 422, "price_token_currency_mismatch")

    assert body["errors"] == {"currency_code": ["currency_code must match the price token's currency (EUR)."]}


def test_buy_insufficient_cash_names_the_currency(demo: httpx.Client, trading: SandboxServer) -> None:
    customer = funded_customer(trading, amount=Decimal(1))
    response = demo.post(
        BUY,
        json=order_body(fix_price(demo)["token"], GAU, customer={"external_id": customer}),
        headers={"Accept-Language": "en"},
    )

    assert response.json()["message"] == "Insufficient balance (TRY)."


def test_buy_costing_exactly_the_balance_succeeds_and_empties_it(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fix = fix_price(demo)
    total = cents(dec(row_of(fix, "GAU")["buy_price"]) * dec("0.3"))
    customer = funded_customer(trading, amount=total)

    buy(demo, fix, [{"sku": "GAU", "amount": 0.3}], customer={"external_id": customer})

    assert balance(trading, customer_external_id=customer, asset="TRY") == 0
    assert balance(trading, customer_external_id=customer, asset="GAU") == dec("0.3")


def test_buy_costing_a_cent_more_than_the_balance_is_refused(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fix = fix_price(demo)
    total = cents(dec(row_of(fix, "GAU")["buy_price"]) * dec("0.3"))
    customer = funded_customer(trading, amount=total - dec("0.01"))

    response = demo.post(
        BUY,
        json=order_body(fix["token"], [{"sku": "GAU", "amount": 0.3}], customer={"external_id": customer}),
    )

    refusal(response, 422, "insufficient_balance")


def test_buy_several_items_checks_cash_for_their_sum(demo: httpx.Client, trading: SandboxServer) -> None:
    fix = fix_price(demo)
    one = cents(dec(row_of(fix, "GAG")["buy_price"]) * 10)
    customer = funded_customer(trading, amount=one * 2 - dec("0.01"))
    items = [{"sku": "GAG", "amount": 10}, {"sku": "GAG", "amount": 10}]

    response = demo.post(BUY, json=order_body(fix["token"], items, customer={"external_id": customer}))

    refusal(response, 422, "insufficient_balance")
    assert balance(trading, customer_external_id=customer, asset="TRY") == one * 2 - dec("0.01")


def test_buy_beyond_the_partners_own_cash_is_refused_under_lenient_too(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    """Profile rule `customer_cash` covers a customer's buy only: a B2B buy needs the partner's own cash."""
    body = order_body(fix_price(demo)["token"], [{"sku": "GAU", "amount": 1_000_000}])
    assert available(trading, asset="TRY") < 1_000_000 * dec(2000)
    before = snapshot(trading)

    with partner_profile(trading, "lenient"):
        response = demo.post(BUY, json=body)

    refusal(response, 422, "insufficient_balance")
    assert notices(response) == []
    assert snapshot(trading) == before


def test_buy_customer_of_another_partner_is_unknown_here(demo: httpx.Client, trading: SandboxServer) -> None:
    """Customers are per partner: acme's customer named by external_id alone is a new, incomplete block."""
    acme_customer = new_id("ACM")
    add_customer(trading, acme_customer, partner="acme")

    response = demo.post(
        BUY, json=order_body(fix_price(demo)["token"], GAU, customer={"external_id": acme_customer})
    )

    data = refusal(response, 422, "new_customer_invalid")
    assert sorted(data["errors"]) == [
        "customer.email",
        "customer.firstname",
        "customer.identity_number",
        "customer.lastname",
        "customer.phone",
    ]


def test_buy_racing_for_the_same_cash_spends_it_once(demo: httpx.Client, trading: SandboxServer) -> None:
    """Ten buys that each cost the customer's whole balance, with their own tokens, sent at once."""
    fixes = [fix_price(demo) for _ in range(10)]
    total = cents(dec(row_of(fixes[0], "GAU")["buy_price"]) * dec("0.3"))
    customer = funded_customer(trading, amount=total)
    items = [{"sku": "GAU", "amount": 0.3}]

    responses = race(
        trading, BUY, [order_body(f["token"], items, customer={"external_id": customer}) for f in fixes]
    )

    assert sorted(r.status_code for r in responses) == [200] + [422] * 9
    assert balance(trading, customer_external_id=customer, asset="TRY") == 0
    assert balance(trading, customer_external_id=customer, asset="GAU") == dec("0.3")
