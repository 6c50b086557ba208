"""The store: SQLite pragmas, exact Decimal columns, aware UTC datetimes, atomic sessions, and the index
every write's open-order look-up uses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import StatementError
from sqlmodel import select

from sandbox.domain import ledger
from sandbox.store.cache import AnswerCache
from sandbox.store.db import Store
from sandbox.store.models import Customer, LedgerEntry, Partner, Wallet
from tests.support.waiting import run_async

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path}/store.db")
    store.create_schema()
    with store.session() as session:
        session.add(Partner(id=1, username="demo", password="pw", name="Demo", created_at=NOW))
        session.add(Wallet(id=1, partner_id=1, asset="TRY", created_at=NOW))
    return store


def test_file_database_runs_in_wal_mode_with_foreign_keys_on(store: Store) -> None:
    with store.engine.connect() as connection:
        assert connection.execute(text("pragma journal_mode")).scalar() == "wal"
        assert connection.execute(text("pragma foreign_keys")).scalar() == 1


def test_entry_pointing_at_missing_wallet_is_refused(store: Store) -> None:
    with pytest.raises(Exception, match="FOREIGN KEY"), store.session() as session:
        session.add(LedgerEntry(wallet_id=99, amount=Decimal(1), kind="deposit", created_at=NOW))


@pytest.mark.parametrize("value", ["0.1", "188.97", "-1889.73", "0.000001", "123456789012.5"])
def test_decimal_column_round_trips_exactly(store: Store, value: str) -> None:
    with store.session() as session:
        session.add(LedgerEntry(wallet_id=1, amount=Decimal(value), kind="buy", created_at=NOW))
    with store.session() as session:
        stored = session.exec(select(LedgerEntry)).one().amount
    assert stored == Decimal(value)
    assert isinstance(stored, Decimal)


def test_decimal_column_refuses_more_than_six_places(store: Store) -> None:
    with pytest.raises(StatementError, match="more than 6 decimal places"), store.session() as session:
        session.add(LedgerEntry(wallet_id=1, amount=Decimal("0.0000001"), kind="buy", created_at=NOW))


def test_decimal_column_sums_exactly_in_sql(store: Store) -> None:
    with store.session() as session:
        for _ in range(10):
            session.add(LedgerEntry(wallet_id=1, amount=Decimal("0.1"), kind="x", created_at=NOW))
    with store.engine.connect() as connection:
        assert connection.execute(text("select sum(amount) from ledger_entry")).scalar() == 1_000_000


def test_datetime_column_stores_any_zone_and_returns_utc(store: Store) -> None:
    istanbul_noon = datetime(2026, 11, 1, 12, 0, tzinfo=timezone(timedelta(hours=3)))
    with store.session() as session:
        session.add(LedgerEntry(wallet_id=1, amount=Decimal(1), kind="x", created_at=istanbul_noon))
    with store.session() as session:
        assert session.exec(select(LedgerEntry)).one().created_at == NOW
        assert session.exec(select(LedgerEntry)).one().created_at.tzinfo == UTC


def test_datetime_column_refuses_naive_datetimes(store: Store) -> None:
    with pytest.raises(StatementError, match="timezone-aware"), store.session() as session:
        naive = datetime(2026, 11, 1, 9, 0)
        session.add(LedgerEntry(wallet_id=1, amount=Decimal(1), kind="x", created_at=naive))


def test_session_rolls_back_everything_when_one_write_fails(store: Store) -> None:
    with pytest.raises(StatementError), store.session() as session:
        session.add(LedgerEntry(wallet_id=1, amount=Decimal(5), kind="x", created_at=NOW))
        session.flush()
        session.add(LedgerEntry(wallet_id=1, amount=Decimal("1e-9"), kind="x", created_at=NOW))
    with store.session() as session:
        assert session.exec(select(LedgerEntry)).all() == []


def test_in_memory_store_shares_one_database_across_sessions() -> None:
    store = Store("sqlite://")
    store.create_schema()
    with store.session() as session:
        session.add(Partner(id=1, username="demo", password="pw", name="Demo", created_at=NOW))
    with store.session() as session:
        assert session.exec(select(Partner.username)).all() == ["demo"]


def test_generation_moves_with_every_commit_and_restore_and_only_then(store: Store, tmp_path: Path) -> None:
    template = store.snapshot()
    seen = [store.generation()]
    with store.session() as session:  # a read
        session.exec(select(Partner)).all()
    assert store.generation() == seen[-1]
    with store.session(write=True) as session:  # a write in this process
        session.add(Wallet(id=2, partner_id=1, asset="GAU", created_at=NOW))
    seen.append(store.generation())
    other = Store(f"sqlite:///{tmp_path}/store.db")  # another process's commit
    with other.session(write=True) as session:
        session.add(Wallet(id=3, partner_id=1, asset="XAG", created_at=NOW))
    other.dispose()
    seen.append(store.generation())
    store.restore(template)  # a reset
    seen.append(store.generation())

    assert len(set(seen)) == 4


def test_generation_on_the_event_loop_sees_a_commit_from_the_next_loop_iteration(
    store: Store, tmp_path: Path
) -> None:
    """On the loop, data_version is read once per iteration: whatever runs after a commit was queued
    after it, so it runs once the loop has moved on, and sees the commit."""

    async def scenario() -> list[bool]:
        before = store.generation()
        other = Store(f"sqlite:///{tmp_path}/store.db")  # another process commits meanwhile
        with other.session(write=True) as session:
            session.add(Wallet(id=3, partner_id=1, asset="XAG", created_at=NOW))
        other.dispose()
        same_iteration = store.generation() == before
        await asyncio.sleep(0)  # what a request arriving after the commit runs in
        return [same_iteration, store.generation() == before]

    assert run_async(scenario()) == [True, False]


def test_in_memory_store_generation_moves_with_its_own_commits() -> None:
    store = Store("sqlite://")
    store.create_schema()
    before = store.generation()
    with store.session() as session:
        session.add(Partner(id=1, username="demo", password="pw", name="Demo", created_at=NOW))

    assert store.generation() != before


def test_answer_cache_keeps_one_generation_within_its_budget_least_recently_used_out() -> None:
    cache = AnswerCache(budget_bytes=300)
    assert cache.get(1, "a") is None  # a miss: the cache now holds generation 1
    for key in ("a", "b", "c"):
        cache.put(1, key, key.upper(), 100)
    assert cache.get(1, "a") == "A"  # now the most recently used
    cache.put(1, "d", "D", 100)

    assert [cache.get(1, key) for key in "abcd"] == ["A", None, "C", "D"]
    assert cache.size == 300
    cache.put(1, "huge", "H", 301)  # bigger than the whole budget: not kept
    assert cache.get(1, "huge") is None
    assert cache.get(2, "a") is None  # a newer generation: everything older is gone
    cache.put(1, "a", "A", 100)  # computed under the old generation: not kept
    assert cache.get(2, "a") is None
    assert (len(cache), cache.size) == (0, 0)


# Statements on every write reach their rows through an index, whatever the world's size (`make bench`
# measures the speed; these pin the cause). Before the owner index, the open-order look-up behind every
# buy, sell and delivery (`ledger.holds`) walked all of the partner's orders: S4 at 100,000 orders ran
# at 26 pairs/s, 60 % of it in that one statement.


def plans_of_holds(store: Store, customer_id: int | None) -> list[str]:
    """SQLite's plan of each statement `ledger.holds` runs, with its real parameters."""
    with store.session() as session:
        session.add(
            Customer(
                id=7, partner_id=1, external_id="c-7", firstname="Deniz", lastname="Aydın",
                kyc_status="approved", created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
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
