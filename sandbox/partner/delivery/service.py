"""Physical delivery: a customer's metal minted into bars and shipped, the fee paid from cash or by card.

A cash delivery holds the grams and the fee while it is open (flow `delivery-cash`: Created →
Preparing → Packed → Shipped → Completed) and takes both when it ships (sandbox/domain/lifecycle/engine.py);
a card delivery holds only the grams, its fee is the card payment. The request is one write
transaction: a refused delivery (duplicate external_id, unknown customer, KYC rejected, not enough
metal, a bad card) leaves no order, no address, no hold and no idempotency record. Profile rules
decide a pending KYC (`kyc_approved`), a fee the customer's cash does not cover (`customer_cash`) and
the courier's address checks (`delivery_address`).

documented (api-4908364): the create answer is one order in an older shape than Get Order's
(`render_created`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlmodel import Session

from sandbox.catalog import CASH_CURRENCY_IDS, PRODUCTS_BY_SKU
from sandbox.core import dates
from sandbox.core.errors import SandboxError
from sandbox.core.ids import Rng
from sandbox.core.money import money
from sandbox.core.profile import Profile
from sandbox.domain import fees, ledger, payments
from sandbox.domain.customers import rules
from sandbox.domain.customers.lookup import find_customer
from sandbox.domain.flows import FLOWS
from sandbox.domain.lifecycle import progression
from sandbox.domain.orders.factory import Line, new_order, open_request
from sandbox.domain.prices.feed import PriceFeed
from sandbox.partner.delivery.addresses import address_rows, checked
from sandbox.partner.delivery.schemas import DeliveryCalculateRequest, DeliveryCreateRequest
from sandbox.store.models import Customer, Order, pk


def customer_or_404(session: Session, partner_id: int, external_id: str) -> Customer:
    customer = find_customer(session, partner_id, external_id)
    if customer is None:
        raise SandboxError("customer_not_found")
    return customer


def wallets(session: Session, partner_id: int, customer: Customer) -> list[dict[str, Any]]:
    """List Wallets: one row per deliverable metal, empty wallets included.

    sandbox decision: `blocked` is everything open orders hold (the balance rows split it into
    `blocked` and `soft_blocked_amount`), so `real_balance` = balance − blocked here too.
    """
    held = ledger.holds(session, partner_id, customer.id)
    rows = []
    for sku in fees.DELIVERABLE_SKUS:
        product = PRODUCTS_BY_SKU[sku]
        wallet = ledger.find_wallet(session, partner_id, customer.id, sku)
        balance = wallet.balance if wallet else ledger.ZERO
        hold = held.get(sku, ledger.Holds())
        blocked = hold.soft + hold.hard
        real = balance - blocked
        rows.append(
            {
                "sku": sku,
                "product_id": product.product_id,
                "product_name": product.name,
                "balance": balance,
                "blocked": blocked,
                "real_balance": real,
                "deliverable_amount": max(int(real.to_integral_value(rounding=ROUND_FLOOR)), 0),
            }
        )
    return rows


def calculate(session: Session, feed: PriceFeed, partner_id: int, body: DeliveryCalculateRequest) -> fees.Fee:
    """The fee a delivery would cost; when a customer is named it must be the partner's."""
    if body.customer_external_id is not None:
        customer_or_404(session, partner_id, body.customer_external_id)
    return fees.quote(body.sku, body.amount, body.currency_code, feed.fx)


def create(
    session: Session,
    rng: Rng,
    feed: PriceFeed,
    profile: Profile,
    partner_id: int,
    body: DeliveryCreateRequest,
    now: datetime,
) -> Order:
    """Delivery Create: a Delivery order holding the grams (and, paid with cash, the fee).

    Cash: flow `delivery-cash`, Created. Card: flow `delivery-card`, Pending with a `new` payment of the
    fee whose redirect_url is the 3-D Secure page (card rules and the payment: sandbox/partner/payments).
    """
    block = payments.check_request(body.payment_type, body.payment, 1)
    card = payments.entered_card(block, now) if block is not None and block.card_token is None else None
    request = open_request(session, partner_id, body.external_id, "delivery", now)
    customer = customer_or_404(session, partner_id, body.customer.external_id)
    rules.require_kyc(profile, customer)
    address = checked(body.address, profile)
    if block is not None:
        card = card or payments.stored_card(session, partner_id, customer, block, now)
    fee = fees.quote(body.sku, body.amount, body.currency_code, feed.fx)
    ledger.require_available(session, partner_id, customer.id, body.sku, fee.amount)
    if block is None:
        ledger.cover_customer_cash(
            session, profile, partner_id, pk(customer), body.currency_code, fee.total, now
        )
    spot = feed.quote(body.sku, now, body.currency_code).spot
    line = Line(PRODUCTS_BY_SKU[body.sku], fee.amount, spot, fee.per_gram)
    flow = FLOWS["delivery-card" if block is not None else "delivery-cash"]
    order = new_order(session, rng, partner_id, customer.id, request, flow, fee.currency, line, now)
    # documented: `description` is for digital orders only; a new delivery is not synced to the courier.
    order.description = None
    order.sync_status = False
    session.add(order)
    session.add_all(address_rows(pk(order), address))
    session.flush()
    if card is not None:
        payments.open_payment(session, rng, order, card, now)
    else:
        progression.settle(session, order, now, rng)  # manual by default: it waits for the courier
    return order


def render_created(
    rendered: dict[str, Any], order: Order, client_id: str, fx: Mapping[str, Decimal]
) -> dict[str, Any]:
    """documented (Delivery Create's example, api-4908364, cut off at `items[].currency_rate`): the
    order in the shape that page prints, older than Get Order's. `external_id` is null there although
    the request sends one (Get Order shows it); `channel` is the request's x-client-id. After `items`,
    the sandbox adds the order's `customer`, `payment`, `delivery` and `address` blocks as Get Order
    (`rendered`) has them."""
    rate = fx[order.currency_code]
    item = rendered["items"][0]
    product = PRODUCTS_BY_SKU[item["sku"]]
    return {
        "id": order.id,
        "guid": order.guid,
        "order_code": order.order_code,
        "external_id": None,
        "channel": client_id,
        "tx_type": "delivery",
        "price_token": None,
        "price": order.price,
        "tax": order.tax,
        "total": order.total,
        "currency_rate": rate,
        "currency_total": money(order.total * rate),
        "status_id": order.status_id,
        "status_name": rendered["status_name"],
        "order_at": dates.iso(order.order_at),
        "items": [
            {
                "item_currency_id": product.currency_id,
                "item_currency_name": product.metal.title(),
                "product_id": product.product_id,
                "product_name": product.name,
                "product_weight": 1,
                "spot_price": 0,
                "price": 0,
                "tax_rate": item["tax_rate"],
                "tax": item["tax"],
                "amount": item["amount"],
                "total": item["total"],
                "currency_id": CASH_CURRENCY_IDS[order.currency_code],
                "currency_rate": rate,
                "currency_total": money(item["total"] * rate),
            }
        ],
        "customer": rendered["customer"],
        "payment": rendered["payment"],
        "delivery": rendered["delivery"],
        "address": rendered["address"],
    }
