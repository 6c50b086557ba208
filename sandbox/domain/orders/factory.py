"""Making orders: the idempotency record of a request, and an order with its item in its first status.

Shared by buy, sell and delivery so every order is created the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from sandbox.catalog import ProductInfo
from sandbox.core.errors import SandboxError
from sandbox.core.ids import Rng
from sandbox.core.money import money
from sandbox.domain.flows import Flow
from sandbox.domain.lifecycle import engine
from sandbox.store.models import Order, OrderItem, OrderRequest, insert_row, pk

# Statements built once (building and keying a statement costs more than running it).
_GUID_TAKEN = select(col(Order.guid)).where(col(Order.guid) == bindparam("value"))
_CODE_TAKEN = select(col(Order.order_code)).where(col(Order.order_code) == bindparam("value"))


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
    """documented idempotency key: the partner's external_id makes one order request, ever (the unique
    index on partner and external_id refuses the second; the request's transaction then rolls back)."""
    request = OrderRequest(partner_id=partner_id, external_id=external_id, kind=kind, created_at=now)
    try:
        insert_row(session.connection(), request)
    except IntegrityError:
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
        guid=unique(session, _GUID_TAKEN, rng.guid),
        order_code=unique(session, _CODE_TAKEN, rng.order_code),
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
    engine.start(session, order, now)
    item = OrderItem(
        order_id=pk(order),
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
    insert_row(session.connection(), item)
    engine.items_made(session)[pk(order)] = item
    return order


def unique(session: Session, taken: SelectOfScalar[str], make: Callable[[], str]) -> str:
    """`make()` until `taken` (a statement with a `value` parameter) finds no row with the value (asked
    on the connection: nothing pending in the session can hold a value made here)."""
    value = make()
    while session.connection().execute(taken, {"value": value}).first() is not None:
        value = make()
    return value
