"""The Digest replay window of a PostgreSQL store (`ServerNcWindow`): one table for every replica. On
the session's PostgreSQL server under `--store postgresql`, else on one this module starts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from sandbox.auth.nonces import WINDOW, ServerNcWindow
from sandbox.store.db import Store
from tests.support import postgres

T0 = 1_700_000_000
TTL = 300


class FakeClock:
    def __init__(self) -> None:
        self.now = float(T0)

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def cluster() -> Iterator[postgres.Cluster]:
    own = None if postgres.active() else postgres.Cluster("nonces")
    if own is not None:
        own.start()
    found = postgres.active() or own
    assert found is not None
    yield found
    if own is not None:
        own.stop()


@pytest.fixture
def store(cluster: postgres.Cluster, request: pytest.FixtureRequest) -> Iterator[Store]:
    made = Store(cluster.database(request.node.name))
    yield made
    made.dispose()


def windows(store: Store, clock: FakeClock, count: int = 2) -> list[ServerNcWindow]:
    return [ServerNcWindow(store.conninfo, TTL, clock) for _ in range(count)]


def test_a_nonce_count_accepted_through_one_replica_is_refused_through_the_other(store: Store) -> None:
    first, second = windows(store, FakeClock())

    assert [first.accept("n", 1, T0), second.accept("n", 1, T0), second.accept("n", 2, T0)] == [
        True,
        False,
        True,
    ]
    assert not first.accept("n", 2, T0)


def test_counts_far_below_the_highest_are_refused_as_the_window_moved_past_them(store: Store) -> None:
    (window,) = windows(store, FakeClock(), 1)

    assert window.accept("n", WINDOW + 5, T0)
    assert not window.accept("n", 5, T0)  # WINDOW below the highest seen
    assert window.accept("n", 6, T0)  # just inside, never seen


def test_expired_nonces_are_refused_and_their_rows_purged(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    (window,) = windows(store, clock, 1)
    monkeypatch.setattr(ServerNcWindow, "PURGE_EVERY", 3)
    assert window.accept("old", 1, T0) and window.accept("old", 2, T0)

    clock.now += TTL + 60
    refused = window.accept("old", 3, T0)  # past its TTL: refused before any row is written
    fresh = [window.accept("new", 1, int(clock.now)), window.accept("new", 2, int(clock.now))]  # 3rd: purge
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT nc FROM sandbox_digest_nc ORDER BY nc")).scalars().all()

    assert (refused, fresh, len(window)) == (False, [True, True], 1)
    assert rows == [1, 2]  # the new nonce's; the old one's rows are gone
