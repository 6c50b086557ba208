"""The sandbox market: deterministic per seed and minute, bounded, moving over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.catalog import FX_BASE, PRODUCTS, SKUS
from sandbox.core.money import money
from sandbox.domain.prices.feed import PriceFeed

SPREAD_BUY, SPREAD_SELL = Decimal("0.0423"), Decimal("0.0150")
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def feed(seed: int = 42) -> PriceFeed:
    return PriceFeed(seed, SPREAD_BUY, SPREAD_SELL)


def test_same_seed_and_instant_give_the_same_quote() -> None:
    assert [feed().quote(sku, T0) for sku in SKUS] == [feed().quote(sku, T0) for sku in SKUS]


def test_different_seeds_give_different_prices() -> None:
    assert [feed(1).spot_try(sku, T0) for sku in SKUS] != [feed(2).spot_try(sku, T0) for sku in SKUS]


def test_price_holds_within_a_minute_and_moves_across_minutes() -> None:
    start = T0.replace(second=0)
    assert feed().spot_try("GAU", start) == feed().spot_try("GAU", start + timedelta(seconds=59))
    hourly = {feed().spot_try("GAU", start + timedelta(hours=h)) for h in range(24)}
    assert len(hourly) == 24


@settings(max_examples=200)
@given(instants, st.sampled_from(PRODUCTS))
def test_spot_stays_within_four_and_a_half_percent_of_its_centre(at: datetime, product) -> None:
    spot = feed().spot_try(product.sku, at)
    assert abs(spot / product.base_price_try - 1) <= Decimal("0.045")


@settings(max_examples=100)
@given(instants, st.sampled_from(SKUS))
def test_buy_is_spot_plus_spread_and_sell_spot_minus_spread_at_2dp(at: datetime, sku: str) -> None:
    quote = feed().quote(sku, at)
    spot = feed().spot_try(sku, at)
    assert quote.spot == spot
    assert quote.buy == money(spot * (1 + SPREAD_BUY))
    assert quote.sell == money(spot * (1 - SPREAD_SELL))
    assert quote.sell < quote.spot < quote.buy


def test_fx_rates_are_seeded_within_one_percent_of_their_centres() -> None:
    rates = feed().fx
    assert rates["TRY"] == 1
    for code in ("USD", "EUR", "GBP"):
        assert abs(rates[code] / FX_BASE[code] - 1) <= Decimal("0.0101")
    assert feed(1).fx != feed(2).fx


def test_quote_in_usd_divides_the_try_price_by_the_rate() -> None:
    f = feed()
    spot = f.spot_try("GAU", T0)
    assert f.quote("GAU", T0, "USD").spot == money(spot / f.fx["USD"])
