"""Buy and sell: one order per item, priced by a price token, settled on the ledger in one transaction.

Every check runs before anything is written, and the whole request is one write transaction: a
refused request (duplicate external_id, bad token, unknown or unapproved customer, not enough cash or
metal) leaves no order, no ledger entry and an unused token behind. A card buy (one item) moves no
cash: its order waits Pending for the 3-D Secure answer (sandbox/partner/payments).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from pydantic import ValidationError
from sqlmodel import Session

from sandbox.catalog import PRODUCTS_BY_SKU, ProductInfo
from sandbox.core.errors import SandboxError, ValidationFailed, field_errors
from sandbox.core.ids import Rng
from sandbox.lifecycle import progression
from sandbox.lifecycle.flows import FLOWS
from sandbox.partner.balances import ledger
from sandbox.partner.customers.lookup import find_customer
from sandbox.partner.customers.schemas import NewOrderCustomer, OrderCustomer
from sandbox.partner.orders.factory import Line, new_order, open_request
from sandbox.partner.payments import service as payments
from sandbox.partner.payments.schemas import CardPayment
from sandbox.partner.prices.service import claim_token, fixed_prices, grams_for
from sandbox.partner.trading.schemas import BuyItem, BuyRequest, ProductRef, SellRequest
from sandbox.store.models import Customer, Order, PriceFix

PRODUCTS_BY_ID = {product.product_id: product for product in PRODUCTS_BY_SKU.values()}


def buy(session: Session, rng: Rng, partner_id: int, body: BuyRequest, now: datetime) -> list[Order]:
    payments.check_request(body.payment_type, body.payment, len(body.items))
    if payments.is_card(body.payment_type):
        return [_buy_by_card(session, rng, partner_id, body, body.payment, now)]
    request = open_request(session, partner_id, body.external_id, "buy", now)
    customer = _buyer(session, partner_id, body.customer, now)
    fix = _claim(session, partner_id, body.price_token, body.currency_code, customer, now)
    prices = fixed_prices(fix)
    lines = []
    for index, item in enumerate(body.items):
        product = _product(item, index)
        price = prices[product.sku]
        amount = item.amount if item.amount is not None else _topup_grams(item, price.buy, index)
        lines.append(Line(product, amount, price.spot, price.buy))
    owner = customer.id if customer else None
    ledger.require_available(
        session, partner_id, owner, fix.currency, sum((line.total for line in lines), Decimal(0))
    )
    orders = [new_order(session, rng, partner_id, owner, request, FLOWS["buy-cash"], fix.currency, line, now)
              for line in lines]  # fmt: skip
    for order in orders:
        progression.settle(session, order, now, rng)
    return orders


def _buy_by_card(
    session: Session, rng: Rng, partner_id: int, body: BuyRequest, block: CardPayment, now: datetime
) -> Order:
    """Card Payment Buy (documented, api-4434391): one item, paid by the card, not from a cash wallet.

    The order starts Pending with a `new` payment whose redirect_url is the 3-D Secure page; the
    metal is credited when the cardholder approves (a non-3-D card is charged within this request).
    An unknown B2B2C customer is created from the block, as for cash.
    """
    card = payments.entered_card(block, now) if block.card_token is None else None
    request = open_request(session, partner_id, body.external_id, "buy", now)
    customer = _buyer(session, partner_id, body.customer, now)
    card = card or payments.stored_card(session, partner_id, customer, block, now)
    fix = _claim(session, partner_id, body.price_token, body.currency_code, customer, now)
    item = body.items[0]
    product = _product(item, 0)
    price = fixed_prices(fix)[product.sku]
    amount = item.amount if item.amount is not None else _topup_grams(item, price.buy, 0)
    line = Line(product, amount, price.spot, price.buy)
    owner = customer.id if customer else None
    order = new_order(session, rng, partner_id, owner, request, FLOWS["buy-card"], fix.currency, line, now)
    payments.open_payment(session, rng, order, card, now)
    return order


def sell(session: Session, rng: Rng, partner_id: int, body: SellRequest, now: datetime) -> list[Order]:
    request = open_request(session, partner_id, body.external_id, "sell", now)
    customer = _known_customer(session, partner_id, body.customer)
    if customer is not None and customer.kyc_status != "approved":
        raise SandboxError("kyc_required")
    fix = _claim(session, partner_id, body.price_token, body.currency_code, customer, now)
    prices = fixed_prices(fix)
    lines = []
    for index, item in enumerate(body.items):
        product = _product(item, index)
        price = prices[product.sku]
        lines.append(Line(product, item.amount, price.spot, price.sell))
    owner = customer.id if customer else None
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


def _claim(
    session: Session,
    partner_id: int,
    token: str,
    currency: str | None,
    customer: Customer | None,
    now: datetime,
) -> PriceFix:
    fix = claim_token(
        session, partner_id, token, now, customer_external_id=customer.external_id if customer else None
    )
    if currency is not None and currency != fix.currency:
        raise SandboxError(
            "price_token_currency_mismatch",
            params={"currency": fix.currency},
            errors={"currency_code": [("price_token_currency_mismatch", {"currency": fix.currency})]},
        )
    return fix


def _buyer(session: Session, partner_id: int, block: OrderCustomer | None, now: datetime) -> Customer | None:
    """B2B2C: the customer named by the block, created from it when unknown."""
    if block is None:
        return None
    known = find_customer(session, partner_id, block.external_id)
    if known is not None:
        return known
    try:
        fields = NewOrderCustomer.model_validate(block.model_dump(exclude_unset=True))
    except ValidationError as error:
        raise SandboxError(
            "new_customer_invalid", errors=field_errors(error.errors(), prefix="customer")
        ) from None
    customer = Customer(
        partner_id=partner_id,
        **fields.model_dump(exclude={"fullname"}),
        kyc_status="pending",
        kyc_updated_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    session.flush()
    return customer


def _known_customer(session: Session, partner_id: int, block: OrderCustomer | None) -> Customer | None:
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


def _topup_grams(item: BuyItem, price: Decimal, index: int) -> Decimal:
    """From Total Price: the grams `topup.price` buys, rounded down (the order total never exceeds it)."""
    amount = grams_for(item.topup.price, price)
    if amount <= 0:
        raise ValidationFailed(errors={f"items.{index}.topup.price": [("amount_too_small", {})]})
    return amount


_SKUS = ", ".join(PRODUCTS_BY_SKU)
