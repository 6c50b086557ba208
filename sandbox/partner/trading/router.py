"""Trading: Buy and Sell, B2B (the partner's own wallets) and B2B2C (a customer's)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlmodel import Session

from sandbox.core import dates
from sandbox.domain.orders.render import render_orders
from sandbox.partner.deps import PartnerContext, PartnerDep, SandboxDep
from sandbox.partner.openapi import route
from sandbox.partner.trading import service
from sandbox.responses import ok
from sandbox.runtime import Sandbox
from sandbox.store.models import Order
from sandbox.wire.base import Envelope
from sandbox.wire.trading import BuyRequest, OrderResponse, SellRequest

router = APIRouter(tags=["Trading"])


def order_response(session: Session, orders: list[Order], base: str) -> Response:
    """documented Order Response: arrays of codes and guids, sums, and every order created; `base`: the
    public base URL of the links they carry."""
    rendered = render_orders(session, orders, base)
    data = {
        "order_code": [order.order_code for order in orders],
        "guid": [order.guid for order in orders],
        "price": sum(order.price for order in orders),
        "tax": sum(order.tax for order in orders),
        "total": sum(order.total for order in orders),
        # documented (api-4434391): `YYYY-mm-dd HH:MM:SS` here, while each order is an Order as Get
        # Order renders it (`dd-mm-YYYY HH:MM`).
        "order_at": dates.sql_style(orders[0].order_at),
        "orders": rendered,
        # documented (schema-611263): the payment of a card buy (one order: one item); null for cash.
        "payment": rendered[0]["payment"],
    }
    return ok(data)


def trade(partner: PartnerContext, sandbox: Sandbox, session: Session) -> service.Trade:
    return service.Trade(
        session=session,
        rng=sandbox.rng_in(session),
        feed=sandbox.feed,
        profile=partner.profile,
        partner_id=partner.partner_id,
        now=sandbox.clock.now(),
        price_fix_ttl=sandbox.settings.price_fix_ttl,
    )


@router.post(
    "/partner/order/digital/buy",
    **route("documented", 403, 404, 409, 413, 415, model=Envelope[OrderResponse]),
)
def buy(body: BuyRequest, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Buy: gold, silver or platinum from amount or total, for the partner or a customer, cash or card."""
    with sandbox.store.session(write=True) as session:
        orders = service.buy(trade(partner, sandbox, session), body)
        return order_response(session, orders, sandbox.settings.public_base_url)


@router.post(
    "/partner/order/digital/sell",
    **route("documented", 403, 404, 409, 413, 415, model=Envelope[OrderResponse]),
)
def sell(body: SellRequest, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Sell: metal back to cash at the price token's sell price, for the partner or a customer."""
    with sandbox.store.session(write=True) as session:
        orders = service.sell(trade(partner, sandbox, session), body)
        return order_response(session, orders, sandbox.settings.public_base_url)
