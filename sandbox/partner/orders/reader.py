"""Get Order's hot read path: the same rows `service.get_order` + `render_orders` load, in raw SQL.

The ORM costs several times the SQL on a one-order read, so this reads the rows straight from the
SQLite connection, converts each column the way its SQLAlchemy type would (scaled integers to
Decimal, text to aware datetimes, 0/1 to bool) and hands them to the same `render_order`: one
renderer, byte-identical output. Other databases keep the ORM path (see `supported`).
"""

from __future__ import annotations

import json
import sqlite3
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Table

from sandbox.core.errors import NotFound
from sandbox.store.db import Store
from sandbox.store.models import Amount, Customer, Order, OrderAddress, OrderItem, Payment, UtcDateTime


def _amount(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value).scaleb(-Amount.SCALE)


def _utc(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _naive(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _converter(column_type: object) -> Callable[[Any], Any] | None:
    # Most specific first: UtcDateTime decorates DateTime, Amount decorates BigInteger.
    if isinstance(column_type, Amount):
        return _amount
    if isinstance(column_type, UtcDateTime):
        return _utc
    if isinstance(column_type, DateTime):
        return _naive
    if isinstance(column_type, Boolean):
        return _bool
    if isinstance(column_type, Date):
        return _date
    return None


class _Reader:
    """The columns of one table, the per-column conversions, and a light row type with their names."""

    def __init__(self, table: Table, alias: str) -> None:
        columns = list(table.columns)
        self.width = len(columns)
        self.columns = ", ".join(f'{alias}."{column.name}"' for column in columns)
        self.source = f'"{table.name}" AS {alias}'
        self.converters = [(i, _converter(c.type)) for i, c in enumerate(columns) if _converter(c.type)]
        self.row_type = namedtuple(f"{table.name}_row", [column.name for column in columns])  # type: ignore[misc]

    def row(self, values: Sequence[Any], start: int = 0) -> Any:
        values = list(values[start : start + self.width])
        for index, convert in self.converters:
            values[index] = convert(values[index])
        return self.row_type._make(values)


_ORDERS = _Reader(Order.__table__, "o")  # type: ignore[attr-defined]
_PAYMENTS = _Reader(Payment.__table__, "p")  # type: ignore[attr-defined]
_CUSTOMERS = _Reader(Customer.__table__, "c")  # type: ignore[attr-defined]
_ITEMS = _Reader(OrderItem.__table__, "i")  # type: ignore[attr-defined]
_ADDRESSES = _Reader(OrderAddress.__table__, "a")  # type: ignore[attr-defined]


def _rows_json(reader: _Reader, where: str) -> str:
    """A correlated subquery: the matching rows as one JSON array of arrays (columns in table order)."""
    return f"(SELECT json_group_array(json_array({reader.columns})) FROM {reader.source} WHERE {where})"


# The order with its payment (one per order at most), customer, items and (Delivery) addresses, in ONE
# statement, so it reads one snapshot without a transaction around several statements.
_FIND = (
    f"SELECT {_ORDERS.columns}, {_PAYMENTS.columns}, {_CUSTOMERS.columns}, "
    f"{_rows_json(_ITEMS, 'i.order_id = o.id')}, "
    f"CASE WHEN o.type = 'Delivery' THEN {_rows_json(_ADDRESSES, 'a.order_id = o.id')} END "
    f"FROM {_ORDERS.source} "
    f"LEFT JOIN {_PAYMENTS.source} ON p.order_id = o.id "
    f"LEFT JOIN {_CUSTOMERS.source} ON c.id = o.customer_id "
    # Each identifier through its own index: written as one OR, SQLite walks every order of the partner.
    "WHERE o.id IN (SELECT id FROM orders WHERE guid = ? "
    "UNION ALL SELECT id FROM orders WHERE order_code = ? "
    "UNION ALL SELECT id FROM orders WHERE partner_id = ? AND external_id = ?) AND +o.partner_id = ?"
)
_PAYMENT_AT = _ORDERS.width
_CUSTOMER_AT = _PAYMENT_AT + _PAYMENTS.width
_ITEMS_AT = _CUSTOMER_AT + _CUSTOMERS.width
_ADDRESSES_AT = _ITEMS_AT + 1


@dataclass(frozen=True)
class Found:
    """What `render_order` takes: the order, its items, customer, payment and addresses by kind."""

    order: Any
    items: list[Any]
    customer: Any | None
    payment: Any | None
    addresses: dict[str, Any]


def supported(store: Store) -> bool:
    return store.engine.dialect.name == "sqlite"


def get_order(connection: sqlite3.Connection, partner_id: int, identifier: str) -> Found:
    """`service.get_order` in raw SQL: external_id, guid or order_code; the external_id wins a tie."""
    upper = identifier.upper()
    candidates = connection.execute(_FIND, (upper, upper, partner_id, identifier, partner_id)).fetchall()
    if not candidates:
        raise NotFound("order_not_found")
    order_id, external_id = 0, _ORDERS.row_type._fields.index("external_id")
    raw = min(candidates, key=lambda row: (row[external_id] != identifier, row[order_id]))
    order = _ORDERS.row(raw)
    payment = _PAYMENTS.row(raw, _PAYMENT_AT) if raw[_PAYMENT_AT] is not None else None
    customer = _CUSTOMERS.row(raw, _CUSTOMER_AT) if raw[_CUSTOMER_AT] is not None else None
    # By id, as the ORM reads them (JSON aggregates promise no order).
    items = [_ITEMS.row(row) for row in sorted(json.loads(raw[_ITEMS_AT]), key=_first)]
    addresses: dict[str, Any] = {}
    if raw[_ADDRESSES_AT] is not None:
        for row in sorted(json.loads(raw[_ADDRESSES_AT]), key=_first):
            address = _ADDRESSES.row(row)
            addresses[address.kind] = address
    return Found(order, items, customer, payment, addresses)


def _first(row: list[Any]) -> Any:
    return row[0]
