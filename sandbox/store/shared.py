"""One sandbox for every process serving a database: the shared row (`sandbox_state`) and the clock
kept in it.

Each process keeps copies of shared state: its clock's, the rules of its fault book, the partners it
looked up, its id streams and the reset template. `Sandbox.sync` compares the store's generation (it
moves with every commit, in any process) with the one it last saw; when it moved, one small read of
the row tells what changed: a new epoch (a reset or reseed, through any process) starts the copies
over, a new version (the clock moved, a fault rule or a profile changed) reloads them. When nothing
was committed nothing is read: a cached read pays one comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from sandbox.core.clock import REAL, State
from sandbox.store.db import Store
from sandbox.store.models import SandboxState, table_of

_ROW = "SELECT epoch, version, clock_frozen_at, clock_offset_us FROM sandbox_state WHERE id = 1"
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Seen:
    epoch: int
    version: int
    clock: State


def look(store: Store) -> Seen | None:
    """The shared row as committed now; None in a database without one (an empty in-memory store)."""
    row = store.peek(_ROW)
    if row is None:
        return None
    epoch, version, frozen_at, offset_us = row
    return Seen(epoch, version, _clock(frozen_at, offset_us))


def changed(session: Session) -> None:
    """Tell every process that configuration they keep copies of changed (fault rules, profiles): in
    the transaction making the change, so they reload it with their next request."""
    session.execute(update(SandboxState).values(version=SandboxState.version + 1))


def draw_number(session: Session) -> int:
    """The number of this write transaction among those that drew ids since the last reset. Write
    transactions take turns in every process (sandbox/store/gate.py), so the n-th one gets n whichever
    process runs it, and one that rolls back gives its number back."""
    state = table_of(SandboxState)
    return int(
        session.execute(update(state).values(draws=state.c.draws + 1).returning(state.c.draws)).scalar_one()
    )


def keeper(store: Store) -> Callable[[Callable[[State], State]], State]:
    """The business clock's keeper (`Clock.keeper`): a move is one write transaction that applies it to
    the shared state as committed, so a move through one process never undoes one made through another."""

    def move(change: Callable[[State], State]) -> State:
        with store.session(write=True) as session:
            row = session.get(SandboxState, 1)
            if row is None:  # a database from before the row: the world is rebuilt at start-up
                row = SandboxState(id=1)
                session.add(row)
            frozen, offset = change((row.clock_frozen_at, timedelta(microseconds=row.clock_offset_us)))
            row.clock_frozen_at, row.clock_offset_us = frozen, offset // _MICROSECOND
            row.version += 1
        return frozen, offset

    return move


def _clock(frozen_at: str | datetime | None, offset_us: int) -> State:
    """The row's clock columns as read raw (naive UTC text on SQLite)."""
    if frozen_at is None and not offset_us:
        return REAL
    if isinstance(frozen_at, str):
        frozen_at = datetime.fromisoformat(frozen_at)
    frozen = None if frozen_at is None else frozen_at.replace(tzinfo=UTC)
    return frozen, timedelta(microseconds=offset_us)
