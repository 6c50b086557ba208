"""Buy and sell: one order per item, priced by a price token, settled on the ledger in one transaction.

Every check runs before anything is written, and the whole request is one write transaction: a
refused request (duplicate external_id, bad token, unknown or rejected customer, not enough cash or
metal) leaves no order, no ledger entry and an unused token behind. A card buy (one item) moves no
cash: its order waits Pending for the 3-D Secure answer (sandbox/partner/payments).

Profile rules (sandbox/core/profile.py) decide what the docs leave open: a buy without a token
(`price_token_required`), a `currency_code` other than the token's (`price_token_currency`), a token
fixed for another customer (`price_token_customer`), a customer's cash buy its wallet does not cover
(`customer_cash`), a sell for a customer whose KYC is pending (`kyc_approved`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pydantic import ValidationError
from sqlmodel import Session

from sandbox.catalog import PRODUCTS_BY_SKU, ProductInfo
from sandbox.core.errors import SandboxError, ValidationFailed, field_errors
from sandbox.core.ids import Rng
from sandbox.core.money import CENT
from sandbox.core.profile import Profile
from sandbox.domain import ledger, payments
from sandbox.domain.customers import rules
from sandbox.domain.customers.lookup import find_customer
from sandbox.domain.flows import FLOWS
from sandbox.domain.lifecycle import progression
from sandbox.domain.orders.factory import Line, new_order, open_request
from sandbox.domain.prices.feed import PriceFeed
from sandbox.domain.prices.fixes import claim_token, create_price_fix, fixed_prices, grams_for
from sandbox.store.models import Customer, Order, PriceFix, pk
from sandbox.wire.customers import NewOrderCustomer, OrderCustomerRequest
from sandbox.wire.payments import CardPayment
from sandbox.wire.trading import BuyItem, BuyRequest, ProductRef, SellItem, SellRequest

PRODUCTS_BY_ID = {product.product_id: product for product in PRODUCTS_BY_SKU.values()}


@dataclass(frozen=True)
class Trade:
    """What every buy and sell works with besides its body."""

    session: Session
    rng: Rng
    feed: PriceFeed
    profile: Profile
    partner_id: int
    now: datetime
    price_fix_ttl: int


def buy(trade: Trade, body: BuyRequest) -> list[Order]:
    session, rng, partner_id, now = trade.session, trade.rng, trade.partner_id, trade.now
    block = payments.check_request(body.payment_type, body.payment, len(body.items))
    if block is not None:
        return [_buy_by_card(trade, body, block)]
    request = open_request(session, partner_id, body.external_id, "buy", now)
    customer = _buyer(trade, body.customer)
    fix = _claim(trade, body.price_token, body.currency_code, customer)
    lines = [_buy_line(fix, item, index) for index, item in enumerate(body.items)]
    owner = customer.id if customer else None
    _require_room(session, partner_id, owner, [(line.product.sku, line.amount) for line in lines])
    total = sum((line.total for line in lines), Decimal(0))
    if customer is None:
        ledger.require_available(session, partner_id, None, fix.currency, total)
    else:
        ledger.cover_customer_cash(session, trade.profile, partner_id, pk(customer), fix.currency, total, now)
    orders = [new_order(session, rng, partner_id, owner, request, FLOWS["buy-cash"], fix.currency, line, now)
              for line in lines]  # fmt: skip
    for order in orders:
        progression.settle(session, order, now, rng)
    return orders


def _buy_by_card(trade: Trade, body: BuyRequest, block: CardPayment) -> Order:
    """Card Payment Buy (documented, api-4434391): one item, paid by the card, not from a cash wallet.

    The order starts Pending with a `new` payment whose redirect_url is the 3-D Secure page; the
    metal is credited when the cardholder approves (a non-3-D card is charged within this request).
    An unknown B2B2C customer is created from the block, as for cash.
    """
    session, rng, partner_id, now = trade.session, trade.rng, trade.partner_id, trade.now
    card = payments.entered_card(block, now) if block.card_token is None else None
    request = open_request(session, partner_id, body.external_id, "buy", now)
    customer = _buyer(trade, body.customer)
    card = card or payments.stored_card(session, partner_id, customer, block, now)
    fix = _claim(trade, body.price_token, body.currency_code, customer)
    line = _buy_line(fix, body.items[0], 0)
    owner = customer.id if customer else None
    _require_room(session, partner_id, owner, [(line.product.sku, line.amount)])
    order = new_order(session, rng, partner_id, owner, request, FLOWS["buy-card"], fix.currency, line, now)
    payments.open_payment(session, rng, order, card, now)
    return order


def sell(trade: Trade, body: SellRequest) -> list[Order]:
    session, rng, partner_id, now = trade.session, trade.rng, trade.partner_id, trade.now
    request = open_request(session, partner_id, body.external_id, "sell", now)
    customer = _known_customer(session, partner_id, body.customer)
    if customer is not None:
        rules.require_kyc(trade.profile, customer)
    fix = _claim(trade, body.price_token, body.currency_code, customer)
    lines = [_sell_line(fix, item, index) for index, item in enumerate(body.items)]
    owner = customer.id if customer else None
    _require_room(session, partner_id, owner, [(fix.currency, line.total) for line in lines])
    grams: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        grams[line.product.sku] += line.amount
    for sku, needed in grams.items():
        ledger.require_available(session, partner_id, owner, sku, needed)
    orders = [new_order(session, rng, partner_id, owner, request, FLOWS["sell"], fix.currency, line, now)
              for line in lines]  # fmt: skip
    for order in orders:
        progression.settle(session, order, now, rng)
    return orders


def _claim(trade: Trade, token: str | None, currency: str | None, customer: Customer | None) -> PriceFix:
    """The order's price fix: the token's, claimed for this one request.

    Without a token (profile rule `price_token_required`), a fix made now in `currency_code` (TRY by
    default, as the price fix's) and claimed at once. A `currency_code` other than the token's
    currency: profile rule `price_token_currency`; the order is in the currency its prices were fixed in.
    """
    session, now = trade.session, trade.now
    customer_id = customer.external_id if customer else None
    if token is None:
        trade.profile.enforce(
            "price_token_required",
            ValidationFailed(errors={"price_token": [("missing", {})]}),
            "priced at this moment, as a price fix would",
        )
        fix = create_price_fix(
            session, trade.feed, trade.rng, partner_id=trade.partner_id, now=now, ttl=trade.price_fix_ttl,
            currency=currency or "TRY", customer_external_id=customer_id, total=None,
        )  # fmt: skip
        token = fix.token
    fix = claim_token(
        session, trade.partner_id, token, now, customer_external_id=customer_id, profile=trade.profile
    )
    if currency is not None and currency != fix.currency:
        params = {"currency": fix.currency}
        trade.profile.enforce(
            "price_token_currency",
            SandboxError(
                "price_token_currency_mismatch",
                params=params,
                errors={"currency_code": [("price_token_currency_mismatch", params)]},
            ),
            f"currency_code {currency} ignored: the token's prices are in {fix.currency}",
        )
    return fix


def _buyer(trade: Trade, block: OrderCustomerRequest | None) -> Customer | None:
    """B2B2C: the customer named by the block, created from it when unknown (documented: the
    "Parameter Error (New Customer)" answer when the block cannot make a customer)."""
    if block is None:
        return None
    session, now = trade.session, trade.now
    known = find_customer(session, trade.partner_id, block.external_id)
    if known is not None:
        return known
    try:
        fields = NewOrderCustomer.model_validate(block.model_dump(exclude_unset=True))
        rules.check_identity(
            trade.profile, fields.account_type, fields.identity_number, "customer.identity_number"
        )
    except ValidationError as error:
        raise SandboxError(
            "new_customer_invalid", errors=field_errors(error.errors(), prefix="customer")
        ) from None
    except ValidationFailed as error:
        raise SandboxError("new_customer_invalid", errors=error.errors) from None
    customer = Customer(
        partner_id=trade.partner_id,
        **fields.model_dump(exclude={"fullname"}),
        kyc_status="pending",
        kyc_updated_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    session.flush()
    return customer


def _known_customer(session: Session, partner_id: int, block: OrderCustomerRequest | None) -> Customer | None:
    if block is None:
        return None
    customer = find_customer(session, partner_id, block.external_id)
    if customer is None:
        raise SandboxError("customer_not_found")
    return customer


def _product(item: ProductRef, index: int) -> ProductInfo:
    by_sku = PRODUCTS_BY_SKU.get(item.sku) if item.sku else None
    by_id = PRODUCTS_BY_ID.get(item.product_id) if item.product_id is not None else None
    if item.product_id is not None and by_id is None:
        raise ValidationFailed(errors={f"items.{index}.product_id": [("unknown_product", {"skus": _SKUS})]})
    if by_sku and by_id and by_sku is not by_id:
        raise ValidationFailed(errors={f"items.{index}.product_id": [("product_mismatch", {})]})
    product = by_sku or by_id
    if product is None:
        raise ValidationFailed(errors={f"items.{index}.sku": [("unknown_product", {"skus": _SKUS})]})
    return product


def _buy_line(fix: PriceFix, item: BuyItem, index: int) -> Line:
    """The item at the token's buy price: its grams, or (From Total Price) the grams `topup.price` buys."""
    product = _product(item, index)
    price = fixed_prices(fix)[product.sku]
    if item.amount is not None:
        return _priced(Line(product, item.amount, price.spot, price.buy), fix, f"items.{index}.amount")
    assert item.topup is not None  # BuyItem's validator: exactly one of amount and topup
    line = Line(product, _topup_grams(item.topup.price, price.buy, index), price.spot, price.buy)
    return _priced(line, fix, f"items.{index}.topup.price")


def _sell_line(fix: PriceFix, item: SellItem, index: int) -> Line:
    product = _product(item, index)
    price = fixed_prices(fix)[product.sku]
    return _priced(Line(product, item.amount, price.spot, price.sell), fix, f"items.{index}.amount")


def _priced(line: Line, fix: PriceFix, field: str) -> Line:
    """sandbox decision (docs/manual/trading.md "Limits"): no order moves metal or cash for nothing; its total
    is at least 0.01 in its currency (0.0001 g of silver would cost 0.00)."""
    if line.total < CENT:
        raise ValidationFailed(errors={field: [("total_too_small", {"currency": fix.currency})]})
    return line


def _require_room(
    session: Session, partner_id: int, owner: int | None, credits: list[tuple[str, Decimal]]
) -> None:
    """What the orders will credit, per asset, fits in the owner's wallets (ledger.MAX_BALANCE)."""
    incoming: dict[str, Decimal] = defaultdict(Decimal)
    for asset, amount in credits:
        incoming[asset] += amount
    for asset, amount in incoming.items():
        ledger.require_room(session, partner_id, owner, asset, amount)


def _topup_grams(spend: Decimal, price: Decimal, index: int) -> Decimal:
    """From Total Price: the grams `topup.price` buys, rounded down (the order total never exceeds it)."""
    amount = grams_for(spend, price)
    if amount <= 0:
        raise ValidationFailed(errors={f"items.{index}.topup.price": [("amount_too_small", {})]})
    return amount


_SKUS = ", ".join(PRODUCTS_BY_SKU)
