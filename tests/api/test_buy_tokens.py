"""Buy and the price token's lifecycle (unknown, another partner's, expired, used) and the external_id
idempotency key (409 on reuse, also when ten requests race for it). Each refusal writes nothing.

The partner is on the default, lenient profile: a buy without a token, with another customer's token
or in another currency than the token's goes through with an X-Sandbox-Notice (the end of this file);
the strict refusals of the last two are in test_buy_failures.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.api.helpers import field_errors, notices, partner_profile
from tests.support.trading import (
    BUY,
    balance,
    dec,
    fix_price,
    fund,
    funded_customer,
    new_id,
    order_data,
    order_rows,
    race,
    refusal,
    request_rows,
    row_of,
    snapshot,
    token_row,
)

GAU = [{"sku": "GAU", "amount": 0.1}]


@pytest.fixture
def trading(trading: SandboxServer) -> SandboxServer:
    """With the cash this module's tests spend."""
    fund(trading, amount=Decimal(1_000_000))
    fund(trading, partner="acme", amount=Decimal(1_000_000))
    return trading


def order_body(
    token: str, external_id: str | None = None, items: list[dict[str, Any]] = GAU
) -> dict[str, Any]:
    return {"price_token": token, "external_id": external_id or new_id("TOK"), "items": items}


# -- unknown and foreign tokens ----------------------------------------------------------------------


def test_buy_unknown_token_returns_403_invalid(demo: httpx.Client) -> None:
    data = refusal(demo.post(BUY, json=order_body("Z" * 32)), 403, "price_token_invalid")

    assert data == {"error": "price_token_invalid"}


def test_buy_unknown_token_writes_nothing(demo: httpx.Client, trading: SandboxServer) -> None:
    before = snapshot(trading)

    demo.post(BUY, json=order_body("Z" * 32))

    assert snapshot(trading) == before


def test_buy_unknown_token_leaves_external_id_free(demo: httpx.Client) -> None:
    external_id = new_id("TOK")
    demo.post(BUY, json=order_body("Z" * 32, external_id))

    order_data(demo.post(BUY, json=order_body(fix_price(demo)["token"], external_id)))


def test_buy_other_partners_token_returns_403_invalid(demo: httpx.Client, acme: httpx.Client) -> None:
    token = fix_price(acme)["token"]

    refusal(demo.post(BUY, json=order_body(token)), 403, "price_token_invalid")


def test_buy_other_partners_token_writes_nothing(
    demo: httpx.Client, acme: httpx.Client, trading: SandboxServer
) -> None:
    token = fix_price(acme)["token"]
    before = snapshot(trading)

    demo.post(BUY, json=order_body(token))

    assert snapshot(trading) == before


def test_buy_other_partners_token_stays_usable_by_its_owner(demo: httpx.Client, acme: httpx.Client) -> None:
    token = fix_price(acme)["token"]
    external_id = new_id("TOK")
    demo.post(BUY, json=order_body(token, external_id))

    data = order_data(acme.post(BUY, json=order_body(token, external_id)))

    assert data["orders"][0]["external_id"] == external_id


# -- expiry ------------------------------------------------------------------------------------------


def test_buy_one_second_before_expiry_succeeds(demo: httpx.Client, trading: SandboxServer) -> None:
    token = fix_price(demo)["token"]
    trading.sandbox.clock.advance(239)

    order_data(demo.post(BUY, json=order_body(token)))


def test_buy_at_expiry_returns_403_expired(demo: httpx.Client, trading: SandboxServer) -> None:
    token = fix_price(demo)["token"]
    trading.sandbox.clock.advance(240)

    refusal(demo.post(BUY, json=order_body(token)), 403, "price_token_expired")


def test_buy_expired_token_writes_nothing(demo: httpx.Client, trading: SandboxServer) -> None:
    token = fix_price(demo)["token"]
    trading.sandbox.clock.advance(240)
    before = snapshot(trading)

    demo.post(BUY, json=order_body(token))

    assert snapshot(trading) == before
    assert token_row(trading, token).used_at is None


def test_buy_expired_token_leaves_external_id_free(demo: httpx.Client, trading: SandboxServer) -> None:
    token = fix_price(demo)["token"]
    trading.sandbox.clock.advance(240)
    external_id = new_id("TOK")
    demo.post(BUY, json=order_body(token, external_id))

    order_data(demo.post(BUY, json=order_body(fix_price(demo)["token"], external_id)))


# -- used tokens -------------------------------------------------------------------------------------


def test_buy_used_token_returns_403_used(demo: httpx.Client) -> None:
    token = fix_price(demo)["token"]
    order_data(demo.post(BUY, json=order_body(token)))

    refusal(demo.post(BUY, json=order_body(token)), 403, "price_token_used")


def test_buy_used_token_writes_nothing(demo: httpx.Client, trading: SandboxServer) -> None:
    token = fix_price(demo)["token"]
    order_data(demo.post(BUY, json=order_body(token)))
    before = snapshot(trading)

    demo.post(BUY, json=order_body(token))

    assert snapshot(trading) == before


def test_buy_used_token_leaves_the_new_external_id_free(demo: httpx.Client) -> None:
    token = fix_price(demo)["token"]
    order_data(demo.post(BUY, json=order_body(token)))
    external_id = new_id("TOK")
    demo.post(BUY, json=order_body(token, external_id))

    order_data(demo.post(BUY, json=order_body(fix_price(demo)["token"], external_id)))


# -- duplicate external_id ---------------------------------------------------------------------------


def test_buy_reused_external_id_returns_409(demo: httpx.Client) -> None:
    external_id = new_id("DUP")
    order_data(demo.post(BUY, json=order_body(fix_price(demo)["token"], external_id)))

    data = refusal(
        demo.post(BUY, json=order_body(fix_price(demo)["token"], external_id)), 409, "duplicate_external_id"
    )

    assert data == {"error": "duplicate_external_id"}


def test_buy_reused_external_id_writes_nothing(demo: httpx.Client, trading: SandboxServer) -> None:
    external_id = new_id("DUP")
    order_data(demo.post(BUY, json=order_body(fix_price(demo)["token"], external_id)))
    token = fix_price(demo)["token"]
    before = snapshot(trading)

    demo.post(BUY, json=order_body(token, external_id))

    assert snapshot(trading) == before
    assert token_row(trading, token).used_at is None


def test_buy_reused_external_id_leaves_the_token_usable(demo: httpx.Client) -> None:
    external_id = new_id("DUP")
    order_data(demo.post(BUY, json=order_body(fix_price(demo)["token"], external_id)))
    token = fix_price(demo)["token"]
    demo.post(BUY, json=order_body(token, external_id))

    order_data(demo.post(BUY, json=order_body(token)))


def test_buy_reused_external_id_is_checked_before_the_token(demo: httpx.Client) -> None:
    external_id = new_id("DUP")
    order_data(demo.post(BUY, json=order_body(fix_price(demo)["token"], external_id)))

    refusal(demo.post(BUY, json=order_body("Z" * 32, external_id)), 409, "duplicate_external_id")


def test_buy_same_external_id_for_another_partner_is_accepted(demo: httpx.Client, acme: httpx.Client) -> None:
    external_id = new_id("DUP")
    order_data(demo.post(BUY, json=order_body(fix_price(demo)["token"], external_id)))

    data = order_data(acme.post(BUY, json=order_body(fix_price(acme)["token"], external_id)))

    assert data["orders"][0]["external_id"] == external_id


# -- the race ----------------------------------------------------------------------------------------

RACERS = 10


@pytest.fixture
def raced(demo: httpx.Client, trading: SandboxServer) -> dict[str, Any]:
    tokens = [fix_price(demo)["token"] for _ in range(RACERS)]
    external_id = new_id("RACE")
    cash = balance(trading, asset="TRY")
    responses = race(trading, BUY, [order_body(token, external_id) for token in tokens])
    return {"external_id": external_id, "tokens": tokens, "responses": responses, "cash": cash}


def test_buy_racing_same_external_id_one_wins_nine_get_409(raced: dict[str, Any]) -> None:
    statuses = sorted(response.status_code for response in raced["responses"])

    assert statuses == [200] + [409] * (RACERS - 1)
    for response in raced["responses"]:
        if response.status_code == 409:
            refusal(response, 409, "duplicate_external_id")


def test_buy_racing_same_external_id_writes_one_request_and_one_order(
    trading: SandboxServer, raced: dict[str, Any]
) -> None:
    winner = next(r for r in raced["responses"] if r.status_code == 200)

    assert len(request_rows(trading, raced["external_id"])) == 1
    assert [row.guid for row in order_rows(trading, raced["external_id"])] == winner.json()["data"]["guid"]


def test_buy_racing_same_external_id_moves_cash_once(trading: SandboxServer, raced: dict[str, Any]) -> None:
    winner = next(r for r in raced["responses"] if r.status_code == 200)

    assert balance(trading, asset="TRY") == raced["cash"] - dec(winner.json()["data"]["total"])


def test_buy_racing_same_external_id_uses_only_the_winners_token(
    trading: SandboxServer, raced: dict[str, Any]
) -> None:
    used = [token for token in raced["tokens"] if token_row(trading, token).used_at is not None]

    assert len(used) == 1


def test_buy_racing_same_token_one_wins_nine_get_403_used(demo: httpx.Client, trading: SandboxServer) -> None:
    token = fix_price(demo)["token"]
    external_ids = [new_id("RACE") for _ in range(RACERS)]

    responses = race(trading, BUY, [order_body(token, external_id) for external_id in external_ids])

    assert sorted(r.status_code for r in responses) == [200] + [403] * (RACERS - 1)
    assert {r.json()["data"]["error"] for r in responses if r.status_code == 403} == {"price_token_used"}
    assert sum(len(order_rows(trading, external_id)) for external_id in external_ids) == 1


# -- lenient profile: the rules the docs do not state ------------------------------------------------

PRICED_NOW = "price_token_required: priced at this moment, as a price fix would"


def tokenless_body() -> dict[str, Any]:
    return {"external_id": new_id("TOK"), "items": GAU}


@pytest.mark.parametrize("token", [None, ""], ids=["absent", "empty"])
def test_buy_without_token_is_priced_as_a_fix_made_now_with_a_notice(
    demo: httpx.Client, token: str | None
) -> None:
    body = tokenless_body() if token is None else {**tokenless_body(), "price_token": token}
    row = row_of(fix_price(demo), "GAU")  # the frozen clock: a fix made now has the same prices

    response = demo.post(BUY, json=body)

    item = order_data(response)["orders"][0]["items"][0]
    assert (item["price"], item["spot_price"]) == (row["buy_price"], row["spot_price"])
    assert notices(response) == [PRICED_NOW]


def test_buy_without_token_is_priced_in_its_currency_code(demo: httpx.Client, trading: SandboxServer) -> None:
    fund(trading, asset="USD", amount=Decimal(1_000))
    row = row_of(fix_price(demo, currency="USD"), "GAU")

    response = demo.post(BUY, json={**tokenless_body(), "currency_code": "USD"})

    order = order_data(response)["orders"][0]
    assert (order["currency_code"], order["items"][0]["price"]) == ("USD", row["buy_price"])
    assert notices(response) == [PRICED_NOW]


def test_buy_without_token_under_strict_returns_422_on_price_token(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    before = snapshot(trading)

    with partner_profile(trading, "strict"):
        response = demo.post(BUY, json=tokenless_body(), headers={"Accept-Language": "en"})

    assert field_errors(response) == {"price_token": ["This field is required."]}
    assert snapshot(trading) == before


def test_buy_with_a_token_fixed_for_another_customer_succeeds_with_a_notice(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    owner, buyer = funded_customer(trading), funded_customer(trading)
    token = fix_price(demo, customer_external_id=owner)["token"]

    response = demo.post(BUY, json={**order_body(token), "customer": {"external_id": buyer}})

    assert order_data(response)["orders"][0]["customer"]["external_id"] == buyer
    assert notices(response) == [
        f"price_token_customer: a token fixed for customer {owner} priced this order"
    ]
    assert balance(trading, customer_external_id=buyer, asset="GAU") == dec("0.1")


def test_buy_b2b_with_a_customers_token_succeeds_with_a_notice(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    owner = funded_customer(trading)
    gold = balance(trading, asset="GAU")

    response = demo.post(BUY, json=order_body(fix_price(demo, customer_external_id=owner)["token"]))

    assert order_data(response)["orders"][0]["customer"] is None
    assert notices(response) == [
        f"price_token_customer: a token fixed for customer {owner} priced this order"
    ]
    assert balance(trading, asset="GAU") == gold + dec("0.1")


def test_buy_currency_code_other_than_the_tokens_buys_in_the_tokens_currency_with_a_notice(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    fund(trading, asset="EUR", amount=Decimal(1_000))
    eur, try_cash = balance(trading, asset="EUR"), balance(trading, asset="TRY")
    fix = fix_price(demo, currency="EUR")

    response = demo.post(BUY, json={**order_body(fix["token"]), "currency_code": "USD"})

    data = order_data(response)
    assert (data["orders"][0]["currency_code"], data["orders"][0]["items"][0]["price"]) == (
        "EUR",
        row_of(fix, "GAU")["buy_price"],
    )
    assert notices(response) == [
        "price_token_currency: currency_code USD ignored: the token's prices are in EUR"
    ]
    assert (balance(trading, asset="EUR"), balance(trading, asset="TRY")) == (
        eur - dec(data["total"]),
        try_cash,
    )
