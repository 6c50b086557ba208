"""Buy refusals only a buy has: the messages, exact cash amounts, a foreign partner's customer and racing
for the same cash. Every buy error key, that it writes nothing and that its correction then succeeds,
is in test_trade_refusals.py, beside the sell's.

The partner is on the strict profile (sandbox/core/profile.py), so the rules the docs do not state
(the token's customer and currency, the identity checksum, a customer's cash) refuse here too; what a
lenient partner gets instead is in test_buy_tokens.py and test_buy_b2b2c.py. Token lifecycle refusals
(unknown, foreign, expired, used) and duplicate external_ids are in test_buy_tokens.py.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.api.helpers import notices, partner_profile
from tests.support.trading import (
    BUY,
    add_customer,
    available,
    balance,
    buy,
    cents,
    dec,
    fix_price,
    funded_customer,
    new_id,
    race,
    refusal,
    row_of,
    snapshot,
)


@pytest.fixture
def trading(strict_trading: SandboxServer) -> SandboxServer:
    return strict_trading


GAU = [{"sku": "GAU", "amount": 0.1}]


def order_body(token: str, items: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    return {"price_token": token, "external_id": new_id("REF"), "items": items, **body}


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
