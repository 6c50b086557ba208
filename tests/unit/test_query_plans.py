"""Statements on every write reach their rows through an index, whatever the world's size.

`make bench` measures the speed; these tests pin the cause. Before the owner index, the open-order
look-up behind every buy, sell and delivery (`ledger.holds`) walked all of the partner's orders:
S4 at 100,000 orders ran at 26 pairs/s, 60 % of it in that one statement.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, text

from sandbox.domain import ledger
from sandbox.store.db import Store
from sandbox.store.models import Customer, Partner

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path}/store.db")
    store.create_schema()
    with store.session() as session:
        session.add(Partner(id=1, username="demo", password="pw", name="Demo", created_at=NOW))
        session.flush()
        session.add(
            Customer(
                id=7, partner_id=1, external_id="c-7", firstname="Deniz", lastname="Aydın",
                kyc_status="approved", created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
    return store


def plans_of_holds(store: Store, customer_id: int | None) -> list[str]:
    """SQLite's plan of each statement `ledger.holds` runs, with its real parameters."""
    statements: list[tuple[str, object]] = []

    def keep(_conn: object, _cursor: object, statement: str, parameters: object, *_: object) -> None:
        statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        with store.session() as session:
            assert ledger.holds(session, 1, customer_id) == {}
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
    assert statements, "ledger.holds ran no statement"
    with store.engine.connect() as connection:
        return [
            " | ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in statements
            if sql.lstrip().upper().startswith("SELECT")
        ]


@pytest.mark.parametrize("customer_id", [7, None], ids=["customer", "partner"])
def test_open_order_holds_use_the_owner_index(store: Store, customer_id: int | None) -> None:
    (plan,) = plans_of_holds(store, customer_id)
    assert (
        "SEARCH orders USING INDEX ix_orders_owner_status (partner_id=? AND customer_id=? AND status_id=?)"
        in plan
    )


def test_the_owner_index_exists_in_a_fresh_schema(store: Store) -> None:
    with store.engine.connect() as connection:
        columns = [row[2] for row in connection.execute(text("PRAGMA index_info(ix_orders_owner_status)"))]
    assert columns == ["partner_id", "customer_id", "status_id"]
