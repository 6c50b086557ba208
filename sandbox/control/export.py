"""`minted-sandbox export-fixtures`: the seeded world's orders and customers as static JSON files.

Orders are rendered as Get Order renders them and customers as Create Customer renders them, keys in
the documented order. The export reads the pristine seeded world (the reset template), never the live
database, so the same seed and sizes always give byte-identical files whatever the database went
through since.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from sandbox.core.money import to_json_number
from sandbox.domain.orders.render import render_orders
from sandbox.partner.customers.service import render_record
from sandbox.runtime import Sandbox
from sandbox.store.db import Store
from sandbox.store.models import Customer, Order, Partner
from sandbox.world import template

BASE_URL = "http://127.0.0.1:8000"


def export_fixtures(sandbox: Sandbox, out: Path, partner: str) -> dict[str, tuple[Path, int]]:
    """Write `out/<partner>/orders.json` and `customers.json`; returns name → (path, records)."""
    store = sandbox.store
    pristine = template.open_saved(template.template_path(store), sandbox.world_spec)
    if pristine is None:
        pristine = template.build(sandbox.world_spec, sandbox.settings.fixtures_dir)
    scratch = Store("sqlite://")
    try:
        scratch.restore(pristine)
        with scratch.session() as session:
            documents = _documents(session, partner)
    finally:
        scratch.dispose()
        template.close(pristine)
    folder = out / partner
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, tuple[Path, int]] = {}
    for name, records in documents.items():
        path = folder / f"{name}.json"
        path.write_bytes(dumps(records))
        written[name] = (path, len(records))
    return written


def _documents(session: Session, username: str) -> dict[str, list[dict[str, Any]]]:
    partner = session.exec(select(Partner).where(Partner.username == username)).first()
    if partner is None:
        known = ", ".join(session.exec(select(Partner.username).order_by(col(Partner.id))).all())
        raise ValueError(f"unknown partner {username!r}; the seeded world has: {known}")
    orders = list(session.exec(select(Order).where(Order.partner_id == partner.id).order_by(col(Order.id))))
    customers = session.exec(
        select(Customer)
        .where(Customer.partner_id == partner.id, col(Customer.deleted_at).is_(None))
        .order_by(col(Customer.id))
    )
    return {
        "orders": render_orders(session, orders, BASE_URL),
        "customers": [render_record(customer) for customer in customers],
    }


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return to_json_number(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps(records: list[dict[str, Any]]) -> bytes:
    """Pretty UTF-8 JSON, keys in the order rendered (never sorted), one trailing newline."""
    text = json.dumps(records, ensure_ascii=False, allow_nan=False, indent=2, default=_default)
    return (text + "\n").encode("utf-8")
