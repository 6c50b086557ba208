"""Prices: the market rows, price fixes (a token that freezes them) and the calculator."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from sandbox.catalog import PRODUCTS, PRODUCTS_BY_SKU
from sandbox.core import dates
from sandbox.core.errors import SandboxError
from sandbox.core.ids import Rng
from sandbox.core.money import MILLIGRAM_TENTH, money
from sandbox.core.profile import Profile
from sandbox.domain.prices.feed import PriceFeed
from sandbox.store.models import PriceFix, insert_row

# Built once (building and keying a statement costs more than running it).
_BY_TOKEN = select(PriceFix).where(PriceFix.token == bindparam("token"))
_TOKEN_TAKEN = select(PriceFix.id).where(PriceFix.token == bindparam("token"))


@dataclass(frozen=True)
class FixedPrice:
    spot: Decimal
    buy: Decimal
    sell: Decimal


def grams_for(total: Decimal, price: Decimal) -> Decimal:
    """Grams `total` buys at `price` per gram, rounded down to 4 dp (never more than the money pays for)."""
    return (total / price).quantize(MILLIGRAM_TENTH, rounding=ROUND_DOWN)


def price_rows(feed: PriceFeed, at: datetime, currency: str) -> list[dict[str, Any]]:
    rows = []
    for product in PRODUCTS:
        quote = feed.quote(product.sku, at, currency)
        rows.append(_row(product.sku, FixedPrice(quote.spot, quote.buy, quote.sell), None))
    return rows


def product_prices(feed: PriceFeed, at: datetime, currency: str) -> dict[str, Any]:
    return {"prices": price_rows(feed, at, currency), "currency": currency}


def create_price_fix(
    session: Session,
    feed: PriceFeed,
    rng: Rng,
    *,
    partner_id: int,
    now: datetime,
    ttl: int,
    currency: str,
    customer_external_id: str | None,
    total: Decimal | None,
) -> PriceFix:
    prices = {
        p.sku: {"spot": str(q.spot), "buy": str(q.buy), "sell": str(q.sell)}
        for p in PRODUCTS
        for q in [feed.quote(p.sku, now, currency)]
    }
    token = rng.token(32)
    while session.connection().execute(_TOKEN_TAKEN, {"token": token}).first() is not None:
        token = rng.token(32)
    fix = PriceFix(
        partner_id=partner_id,
        customer_external_id=customer_external_id,
        token=token,
        currency=currency,
        total=total,
        is_total_price=total is not None,
        prices=json.dumps(prices),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )
    insert_row(session.connection(), fix)
    return fix


def fixed_prices(fix: PriceFix) -> dict[str, FixedPrice]:
    return {
        sku: FixedPrice(Decimal(p["spot"]), Decimal(p["buy"]), Decimal(p["sell"]))
        for sku, p in json.loads(fix.prices).items()
    }


def render_price_fix(fix: PriceFix, now: datetime) -> dict[str, Any]:
    """documented (api-3826800): token, total, expires_at, expire_ttl, is_total_price, prices, currency."""
    prices = fixed_prices(fix)
    return {
        "token": fix.token,
        "total": fix.total,
        "expires_at": dates.iso(fix.expires_at),
        "expire_ttl": max(int((fix.expires_at - now).total_seconds()), 0),
        "is_total_price": fix.is_total_price,
        "prices": [
            _row(sku, price, grams_for(fix.total, price.buy) if fix.total is not None else None)
            for sku, price in prices.items()
        ],
        "currency": fix.currency,
    }


def load_token(session: Session, partner_id: int, token: str, now: datetime) -> PriceFix:
    """A live token of this partner; 403 when unknown, foreign or expired (a used one is still readable)."""
    fix = session.exec(_BY_TOKEN, params={"token": token}).first()
    if fix is None or fix.partner_id != partner_id:
        raise SandboxError("price_token_invalid")
    if now >= fix.expires_at:
        raise SandboxError("price_token_expired")
    return fix


def claim_token(
    session: Session,
    partner_id: int,
    token: str,
    now: datetime,
    *,
    customer_external_id: str | None,
    profile: Profile,
) -> PriceFix:
    """Take the token for one order request: it must be live and unused; one fixed for a customer
    serves another order under profile rule `price_token_customer` only."""
    fix = load_token(session, partner_id, token, now)
    if fix.used_at is not None:
        raise SandboxError("price_token_used")
    if fix.customer_external_id and fix.customer_external_id != customer_external_id:
        profile.enforce(
            "price_token_customer",
            SandboxError("price_token_customer_mismatch"),
            f"a token fixed for customer {fix.customer_external_id} priced this order",
        )
    fix.used_at = now
    session.add(fix)
    return fix


def calculate(fix: PriceFix, sku: str, amount: Decimal | None, total: Decimal | None) -> dict[str, Any]:
    """amount → total, or (amount None) total → amount, at the token's buy price. Creates nothing."""
    price = fixed_prices(fix)[sku].buy
    if amount is not None:
        return {"sku": sku, "amount": amount, "price": price, "total": money(price * amount)}
    assert total is not None  # CalculateRequest's validator: exactly one of amount and total
    return {"sku": sku, "amount": grams_for(total, price), "price": price, "total": total}


def _row(sku: str, price: FixedPrice, buy_amount: Decimal | None) -> dict[str, Any]:
    product = PRODUCTS_BY_SKU[sku]
    return {
        "currency_id": product.currency_id, "product_id": product.product_id, "spot_price": price.spot,
        "buy_price": price.buy, "sell_price": price.sell, "buy_amount": buy_amount, "sku": sku,
    }  # fmt: skip
