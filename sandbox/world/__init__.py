"""The seeded world: partners, customers, and orders in every type × status, built from one seed.

Everything here draws from named `Ids` streams and Faker seeded from them, never from the clock:
the world's timeline ends at the fixed instant `WORLD_END`, so the same seed gives byte-identical
data on any day, and a different seed gives a different world.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, insert, inspect, update
from sqlmodel import select

from sandbox.core.identity import identity_number, is_valid_identity_number
from sandbox.store import migrate
from sandbox.store.db import Store
from sandbox.store.models import LedgerEntry, SandboxState, Wallet, WorldMeta, table_of
from sandbox.world import documented
from sandbox.world.context import WORLD_END, WorldContext, WorldSpec
from sandbox.world.documented import DOCUMENTED_PARTNER, DocumentedWorld
from sandbox.world.orders import OrderBuilder
from sandbox.world.people import PeopleBuilder

__all__ = [
    "WORLD_END",
    "WorldSpec",
    "build_world",
    "identity_number",
    "is_valid_identity_number",
    "world_is_current",
]


def world_is_current(store: Store, spec: WorldSpec) -> bool:
    """True when the database already holds the world `spec` describes."""
    if not inspect(store.engine).has_table("world_meta"):
        return False
    with store.session() as session:
        rows = {row.key: row.value for row in session.exec(select(WorldMeta))}
    return rows == spec.signature()


def build_world(
    store: Store,
    spec: WorldSpec,
    fixtures_dir: Path,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Drop whatever the store holds and build the world `spec` describes."""
    store.drop_schema()
    store.create_schema()
    with store.engine.connect() as connection:  # a database restored from it is at the newest schema
        migrate.stamp_head(connection)
        connection.commit()
    context = WorldContext.for_spec(spec)
    documented = _documented(spec, fixtures_dir)
    with store.engine.begin() as connection:
        for table, rows in PeopleBuilder(context).rows(documented):
            if rows:  # an empty world has no customers (and an empty executemany inserts one blank row)
                connection.execute(insert(table), rows)
        for batch in OrderBuilder(context).batches(documented):
            for table, rows in batch.tables():
                if rows:
                    connection.execute(insert(table), rows)
            if progress:
                progress(batch.orders_count)
        # Each wallet's stored balance is the sum of its entries, as the live ledger keeps it.
        connection.execute(
            update(Wallet).values(
                balance=select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                .where(LedgerEntry.wallet_id == Wallet.id)
                .scalar_subquery()
            )
        )
        connection.execute(
            insert(table_of(WorldMeta)), [{"key": k, "value": v} for k, v in spec.signature().items()]
        )
        state = {"id": 1, "epoch": 0, "version": 0, "clock_frozen_at": None, "clock_offset_us": 0, "draws": 0}
        connection.execute(insert(table_of(SandboxState)), [state])  # real time


def _documented(spec: WorldSpec, fixtures_dir: Path) -> DocumentedWorld | None:
    """The customers, card and orders the docs' examples name (fixtures/golden), seeded for `demo`
    exactly as published, in every world with orders."""
    if DOCUMENTED_PARTNER not in spec.partners or not spec.has_orders:
        return None
    return documented.load(fixtures_dir)
