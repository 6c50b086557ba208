"""Price Fix (POST /partner/pricefix, api-3826800 and the From Total Price page api-7918013): the token,
its expiry, the documented key order, currencies, the From Total Price grams, and validation."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from sandbox.domain.prices import fixes
from sandbox.domain.prices.feed import PriceFeed
from sandbox.testing.server import SandboxServer
from tests.api.helpers import field_errors, notices, partner_profile
from tests.support.trading import (
    FROZEN_AT,
    PRICEFIX,
    SKUS,
    TENTH_MILLIGRAM,
    cents,
    dec,
    fix_price,
    grams_bought,
    new_id,
    price_fix_data,
    row_of,
    snapshot,
    token_row,
)

FIX_KEYS = ["token", "total", "expires_at", "expire_ttl", "is_total_price", "prices", "currency"]
ROW_KEYS = ["currency_id", "product_id", "spot_price", "buy_price", "sell_price", "buy_amount", "sku"]
# documented (api-3826800): every product's ids, in the example's order
PRODUCT_IDS = [
    ("GAU", 3000001, 1000004),
    ("GAG", 3000002, 1000005),
    ("BGAU", 3000088, 1000015),
    ("BGAG", 3000089, 1000016),
    ("GPT", 3000090, 1000017),
    ("GPD", 3000091, 1000018),
]
TOKEN = re.compile(r"^[A-Za-z0-9]{32}$")


def prices_of(fix: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    return [(row["sku"], row["spot_price"], row["buy_price"], row["sell_price"]) for row in fix["prices"]]


# -- shape -------------------------------------------------------------------------------------------


def test_price_fix_response_keys_in_documented_order(demo: httpx.Client) -> None:
    assert list(fix_price(demo)) == FIX_KEYS


def test_price_fix_price_row_keys_in_documented_order(demo: httpx.Client) -> None:
    assert [list(row) for row in fix_price(demo)["prices"]] == [ROW_KEYS] * 6


def test_price_fix_rows_list_documented_products_in_order(demo: httpx.Client) -> None:
    rows = fix_price(demo)["prices"]

    assert [(row["sku"], row["product_id"], row["currency_id"]) for row in rows] == PRODUCT_IDS


def test_price_fix_token_is_32_alphanumerics(demo: httpx.Client) -> None:
    assert TOKEN.match(fix_price(demo)["token"])


def test_price_fix_each_fix_gets_a_new_token(demo: httpx.Client) -> None:
    assert fix_price(demo)["token"] != fix_price(demo)["token"]


def test_price_fix_from_amount_has_no_total_and_no_buy_amount(demo: httpx.Client) -> None:
    fix = fix_price(demo)

    assert (fix["total"], fix["is_total_price"]) == (None, False)
    assert [row["buy_amount"] for row in fix["prices"]] == [None] * 6


def test_price_fix_without_currency_quotes_try(demo: httpx.Client) -> None:
    assert fix_price(demo)["currency"] == "TRY"


def test_price_fix_customer_external_id_is_kept_on_the_token(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    customer = new_id("PF")

    fix = fix_price(demo, customer_external_id=customer)

    assert token_row(trading, fix["token"]).customer_external_id == customer


def test_price_fix_empty_customer_external_id_fixes_for_no_customer(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    """documented: the From Total Price page's curl sample sends it empty (its variable unset)."""
    fix = fix_price(demo, customer_external_id="")

    assert token_row(trading, fix["token"]).customer_external_id is None


# -- expiry ------------------------------------------------------------------------------------------


def test_price_fix_expires_at_is_clock_plus_ttl_in_istanbul_iso(demo: httpx.Client) -> None:
    # FROZEN_AT is 09:30:15 UTC = 12:30:15 in Istanbul; the sandbox TTL is 240 s
    assert fix_price(demo)["expires_at"] == "2025-03-10T12:34:15+03:00"


def test_price_fix_expire_ttl_of_fresh_fix_is_settings_ttl(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    assert trading.settings.price_fix_ttl == 240
    assert fix_price(demo)["expire_ttl"] == 240


def test_price_fix_expire_ttl_fresh_fix_after_clock_advance_is_still_full(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    trading.sandbox.clock.advance(100)

    fix = fix_price(demo)

    assert (fix["expire_ttl"], fix["expires_at"]) == (240, "2025-03-10T12:35:55+03:00")


def test_price_fix_expire_ttl_counts_down_as_clock_advances(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    """There is no GET for a token, so the stored fix is rendered again the way the route renders it."""
    fix = fix_price(demo)
    trading.sandbox.clock.advance(100)

    again = fixes.render_price_fix(token_row(trading, fix["token"]), trading.sandbox.clock.now())

    assert again["expire_ttl"] == 140
    assert again["expires_at"] == fix["expires_at"]


def test_price_fix_expire_ttl_after_expiry_is_zero(demo: httpx.Client, trading: SandboxServer) -> None:
    fix = fix_price(demo)
    trading.sandbox.clock.advance(300)

    assert (
        fixes.render_price_fix(token_row(trading, fix["token"]), trading.sandbox.clock.now())["expire_ttl"]
        == 0
    )


def test_price_fix_token_stored_expiry_is_clock_plus_ttl(demo: httpx.Client, trading: SandboxServer) -> None:
    row = token_row(trading, fix_price(demo)["token"])

    assert (row.created_at, row.expires_at, row.used_at) == (
        FROZEN_AT,
        FROZEN_AT + timedelta(seconds=240),
        None,
    )


# -- prices ------------------------------------------------------------------------------------------


def test_price_fix_buy_and_sell_are_spot_plus_and_minus_spread(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    buy_spread, sell_spread = trading.settings.buy_spread, trading.settings.sell_spread

    for row in fix_price(demo)["prices"]:
        spot = dec(row["spot_price"])
        assert dec(row["buy_price"]) == cents(spot * (1 + buy_spread)), row["sku"]
        assert dec(row["sell_price"]) == cents(spot * (1 - sell_spread)), row["sku"]


@pytest.mark.parametrize("currency", ["USD", "EUR", "GBP"])
def test_price_fix_other_currency_divides_try_prices_by_fx_rate(
    demo: httpx.Client, trading: SandboxServer, currency: str
) -> None:
    rate = trading.sandbox.feed.fx[currency]
    buy_spread, sell_spread = trading.settings.buy_spread, trading.settings.sell_spread
    try_rows = fix_price(demo)["prices"]

    fix = fix_price(demo, currency=currency)

    assert fix["currency"] == currency
    for try_row, row in zip(try_rows, fix["prices"], strict=True):
        spot = dec(try_row["spot_price"])
        assert dec(row["spot_price"]) == cents(spot / rate), row["sku"]
        assert dec(row["buy_price"]) == cents(spot * (1 + buy_spread) / rate), row["sku"]
        assert dec(row["sell_price"]) == cents(spot * (1 - sell_spread) / rate), row["sku"]


def test_price_fix_usd_rate_is_near_its_centre(trading: SandboxServer) -> None:
    """sandbox decision: seeded FX rates stay within 1 % of FX_BASE (USD 32.80 TRY)."""
    rate = trading.sandbox.feed.fx["USD"]

    assert abs(rate - dec("32.80")) <= dec("0.33")
    assert rate == cents(rate)


def test_price_fix_same_instant_gives_identical_prices(demo: httpx.Client) -> None:
    assert prices_of(fix_price(demo)) == prices_of(fix_price(demo))


def test_price_fix_same_seed_and_instant_matches_an_independent_feed(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    settings = trading.settings
    feed = PriceFeed(settings.seed, settings.buy_spread, settings.sell_spread)
    quotes = [feed.quote(sku, FROZEN_AT) for sku in SKUS]

    assert prices_of(fix_price(demo)) == [(q.sku, float(q.spot), float(q.buy), float(q.sell)) for q in quotes]


def test_price_fix_later_in_same_minute_keeps_prices(demo: httpx.Client, trading: SandboxServer) -> None:
    first = fix_price(demo)
    trading.sandbox.clock.advance(44)  # 12:30:59

    assert prices_of(fix_price(demo)) == prices_of(first)


def test_price_fix_next_minute_moves_prices(demo: httpx.Client, trading: SandboxServer) -> None:
    first = fix_price(demo)
    trading.sandbox.clock.advance(45)  # 12:31:00

    later = fix_price(demo)

    assert row_of(later, "GAU")["spot_price"] != row_of(first, "GAU")["spot_price"]
    assert prices_of(later) != prices_of(first)


def test_price_fix_minutes_later_moves_every_spot_price(demo: httpx.Client, trading: SandboxServer) -> None:
    first = fix_price(demo)
    trading.sandbox.clock.advance(10 * 60)

    later = fix_price(demo)

    assert all(
        row["spot_price"] != old["spot_price"]
        for row, old in zip(later["prices"], first["prices"], strict=True)
    )


def test_price_fix_back_at_same_instant_gives_same_prices_again(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    first = fix_price(demo)
    trading.sandbox.clock.advance(3 * 3600)
    fix_price(demo)
    trading.sandbox.clock.freeze(FROZEN_AT)

    assert prices_of(fix_price(demo)) == prices_of(first)


# -- From Total Price --------------------------------------------------------------------------------


def test_price_fix_with_total_is_total_price(demo: httpx.Client) -> None:
    fix = fix_price(demo, total=10000)

    assert (fix["total"], fix["is_total_price"]) == (10000, True)


def test_price_fix_with_total_buy_amount_is_grams_total_buys_rounded_down(demo: httpx.Client) -> None:
    fix = fix_price(demo, total=1000)

    for row in fix["prices"]:
        assert dec(row["buy_amount"]) == grams_bought(dec(1000), dec(row["buy_price"])), row["sku"]


def test_price_fix_with_total_buy_amount_never_costs_more_than_total(demo: httpx.Client) -> None:
    fix = fix_price(demo, total=1000)

    for row in fix["prices"]:
        assert dec(row["buy_amount"]) * dec(row["buy_price"]) <= 1000, row["sku"]


def test_price_fix_with_total_rounds_buy_amount_down_not_half_up(demo: httpx.Client) -> None:
    fix = fix_price(demo, total=1000)
    half_up = {
        row["sku"]: (dec(1000) / dec(row["buy_price"])).quantize(TENTH_MILLIGRAM) for row in fix["prices"]
    }
    rounded_up = [row for row in fix["prices"] if half_up[row["sku"]] > dec(1000) / dec(row["buy_price"])]

    assert rounded_up, "the frozen prices include a row whose grams half-up rounding would raise"
    for row in rounded_up:
        assert dec(row["buy_amount"]) == half_up[row["sku"]] - TENTH_MILLIGRAM, row["sku"]


def test_price_fix_with_total_in_usd_buy_amount_uses_usd_prices(demo: httpx.Client) -> None:
    fix = fix_price(demo, total="250.50", currency="USD")

    assert (fix["currency"], fix["total"]) == ("USD", 250.5)
    for row in fix["prices"]:
        assert dec(row["buy_amount"]) == grams_bought(dec("250.50"), dec(row["buy_price"])), row["sku"]


def test_price_fix_with_total_keeps_total_on_the_token(demo: httpx.Client, trading: SandboxServer) -> None:
    row = token_row(trading, fix_price(demo, total="1234.56")["token"])

    assert (row.total, row.is_total_price) == (dec("1234.56"), True)


# -- validation --------------------------------------------------------------------------------------

INVALID = [
    pytest.param({}, "type", id="type-missing"),
    pytest.param({"type": "physical"}, "type", id="type-wrong"),
    pytest.param({"type": None}, "type", id="type-null"),
    pytest.param({"type": "digital", "currency": "XYZ"}, "currency", id="currency-unknown"),
    pytest.param({"type": "digital", "currency": "try"}, "currency", id="currency-lower-case"),
    pytest.param({"type": "digital", "total": 0}, "total", id="total-zero"),
    pytest.param({"type": "digital", "total": -5}, "total", id="total-negative"),
    pytest.param({"type": "digital", "total": 10.123}, "total", id="total-3-dp"),
    pytest.param({"type": "digital", "total": 1_000_000_000.01}, "total", id="total-above-limit"),
    pytest.param({"type": "digital", "total": "ten"}, "total", id="total-text"),
    pytest.param({"type": "digital", "total": True}, "total", id="total-boolean"),
    pytest.param(
        {"type": "digital", "customer_external_id": "x" * 41}, "customer_external_id", id="customer-long"
    ),
]


@pytest.mark.parametrize(("body", "field"), INVALID)
def test_price_fix_invalid_body_returns_422_naming_the_field(
    demo: httpx.Client, body: dict[str, Any], field: str
) -> None:
    assert list(field_errors(demo.post(PRICEFIX, json=body))) == [field]


def test_price_fix_unknown_field_is_ignored_with_a_notice(demo: httpx.Client) -> None:
    """Lenient (the default): profile rule `unknown_fields`."""
    response = demo.post(PRICEFIX, json={"type": "digital", "colour": "gold"})

    assert price_fix_data(response)["currency"] == "TRY"
    assert notices(response) == ["unknown_fields: ignored colour"]


def test_price_fix_unknown_field_under_strict_returns_422_naming_it(
    demo: httpx.Client, trading: SandboxServer
) -> None:
    before = snapshot(trading)

    with partner_profile(trading, "strict"):
        response = demo.post(
            PRICEFIX, json={"type": "digital", "colour": "gold"}, headers={"Accept-Language": "en"}
        )

    assert field_errors(response) == {"colour": ["This field is not allowed."]}
    assert snapshot(trading) == before


def test_price_fix_total_1e309_returns_422_naming_total(demo: httpx.Client) -> None:
    response = demo.post(
        PRICEFIX, content=b'{"type": "digital", "total": 1e309}', headers={"content-type": "application/json"}
    )

    assert field_errors(response) == {"total": ["Sonlu bir sayı olmalıdır."]}


def test_price_fix_total_zero_message_names_the_bound(demo: httpx.Client) -> None:
    response = demo.post(PRICEFIX, json={"type": "digital", "total": 0}, headers={"Accept-Language": "en"})

    assert field_errors(response) == {"total": ["Must be greater than 0."]}


def test_price_fix_invalid_body_creates_no_token(demo: httpx.Client, trading: SandboxServer) -> None:
    before = snapshot(trading)

    demo.post(PRICEFIX, json={"type": "digital", "total": -1})

    assert snapshot(trading) == before


def test_price_fix_valid_body_creates_one_token(demo: httpx.Client, trading: SandboxServer) -> None:
    before = snapshot(trading)["price fixes"]

    fix_price(demo)

    assert snapshot(trading)["price fixes"] == before + 1
