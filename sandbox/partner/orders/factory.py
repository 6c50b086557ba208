"""Making orders: the idempotency record of a request, and an order with its item in its first status.

Shared by buy, sell and delivery so every order is created the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sandbox.catalog import ProductInfo
from sandbox.core.errors import SandboxError
from sandbox.core.ids import Rng
from sandbox.core.money import money
from sandbox.lifecycle import engine
from sandbox.lifecycle.flows import Flow
from sandbox.store.models import Order, OrderItem, OrderRequest


@dataclass(frozen=True)
class Line:
    product: ProductInfo
    amount: Decimal
    spot: Decimal
    price: Decimal

    @property
    def total(self) -> Decimal:
        return money(self.price * self.amount)


def open_request(
    session: Session, partner_id: int, external_id: str, kind: str, now: datetime
) -> OrderRequest:
    """documented idempotency key: the partner's external_id makes one order request, ever."""
    taken = select(OrderRequest.id).where(
        OrderRequest.partner_id == partner_id, OrderRequest.external_id == external_id
    )
    if session.exec(taken).first() is not None:
        raise SandboxError("duplicate_external_id")
    request = OrderRequest(partner_id=partner_id, external_id=external_id, kind=kind, created_at=now)
    session.add(request)
    try:
        session.flush()
    except IntegrityError:  # a concurrent request won the race on the unique index
        raise SandboxError("duplicate_external_id") from None
    return request


def new_order(
    session: Session,
    rng: Rng,
    partner_id: int,
    customer_id: int | None,
    request: OrderRequest,
    flow: Flow,
    currency: str,
    line: Line,
    now: datetime,
) -> Order:
    """A digital order in its flow's first status (the caller moves it on)."""
    order = Order(
        partner_id=partner_id,
        customer_id=customer_id,
        request_id=request.id,
        guid=unique(session, Order.guid, rng.guid),
        order_code=unique(session, Order.order_code, rng.order_code),
        external_id=request.external_id,
        type=flow.type,
        flow=flow.name,
        status_id=0,
        payment_type=flow.payment_type,
        currency_code=currency,
        price=line.total,
        tax=Decimal(0),
        total=line.total,
        payment_cost=Decimal(0),
        description=f"{format(line.amount.normalize(), 'f')}gr - #{line.product.sku}",
        order_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    session.add(
        OrderItem(
            order_id=order.id,
            product_id=line.product.product_id,
            sku=line.product.sku,
            product_name=line.product.name,
            spot_price=line.spot,
            price=line.price,
            tax_rate=Decimal(0),
            tax=Decimal(0),
            amount=line.amount,
            total=line.total,
        )
    )
    engine.start(session, order, now)
    return order


def unique(session: Session, column, make) -> str:
    value = make()
    while session.exec(select(column).where(column == value)).first() is not None:
        value = make()
    return value
