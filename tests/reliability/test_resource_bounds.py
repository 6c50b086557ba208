"""What the sandbox keeps in memory stays within its caps under 100,000 partner requests.

The requests go through the whole ASGI stack in-process (tests/reliability/procs_asgi.py: CORS, the
control gate, the request journal, the Digest gate, faults, routing, the route), from 8 concurrent
Digest clients that mint a fresh nonce through a 401 every 25 requests, while the nonce clock moves on
past the nonce TTL. Afterwards the journal holds exactly `journal_size` entries, the nc replay windows
only the nonces still inside their TTL, and the process's allocations did not grow between the 50,000th
and the 100,000th request.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import select

from sandbox.app import create_app
from sandbox.auth.middleware import RequestGate
from sandbox.auth.nonces import NcWindow
from sandbox.config import Settings
from sandbox.core.clock import Clock
from sandbox.domain.webhooks import sender
from sandbox.store.models import Order, WebhookDelivery, WebhookEvent
from tests.reliability.procs_asgi import AsgiDriver, find_middleware
from tests.webhooks.receiver import Receiver

REQUESTS = 100_000
CLIENTS = 8
NONCE_EVERY = 25  # each client mints a fresh nonce (a 401) before every 25th request
NONCE_TTL = 60
CLOCK_STEP = 1.0  # nonce-clock seconds per 500 requests: 200 s in all, past the TTL three times
JOURNAL_SIZE = 1000
PATH = "/partner/orders/statuses"
KEEP_DELIVERED = 30
PUSHES = 120


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[FastAPI, Clock]]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/s.db",
        orders=20,
        customers=5,
        journal_size=JOURNAL_SIZE,
        digest_nonce_ttl=NONCE_TTL,
        webhook_log_size=KEEP_DELIVERED,
    )
    nonce_clock = Clock(frozen_at=datetime.now(UTC))
    built = create_app(settings, nonce_clock=nonce_clock)
    built.state.sandbox.ensure_world()
    yield built, nonce_clock
    built.state.sandbox.close()


def _rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _footprint() -> tuple[int, int]:
    gc.collect()
    return sys.getallocatedblocks(), _rss_bytes()


def test_100k_requests_keep_journal_nonce_windows_and_memory_within_bounds(
    app: tuple[FastAPI, Clock],
) -> None:
    asgi, nonce_clock = app
    sandbox = asgi.state.sandbox
    drivers = [AsgiDriver(asgi, "demo", "demo-secret", sandbox.settings.digest_realm) for _ in range(CLIENTS)]
    minted: list[float] = []  # nonce-clock time of every nonce minted
    footprints: dict[int, tuple[int, int]] = {}

    def sent() -> int:
        return sum(driver.sent for driver in drivers)

    advanced = 0  # CLOCK_STEPs taken

    async def client(driver: AsgiDriver) -> None:
        nonlocal advanced
        while sent() < REQUESTS:
            if driver.nonce is None or driver.nc >= NONCE_EVERY - 1:
                minted.append(nonce_clock.timestamp())
                await driver.fresh_nonce(PATH)
            else:
                status, _, _ = await driver.call("GET", PATH)
                assert status == 200
            total = sent()
            while advanced < total // 500:  # one step per 500 requests, however the clients interleave
                nonce_clock.advance(CLOCK_STEP)
                advanced += 1
            for mark in (REQUESTS // 2, REQUESTS):
                if total >= mark and mark not in footprints:
                    footprints[mark] = _footprint()
            # Take turns, as a server's connections do: a cached answer completes without suspending,
            # so one client would otherwise send every request while the others' nonces age.
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(*(client(driver) for driver in drivers))

    started = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - started

    total = sent()
    assert REQUESTS <= total < REQUESTS + CLIENTS
    statuses = {status: sum(d.statuses.get(status, 0) for d in drivers) for status in (200, 401)}
    assert statuses[200] + statuses[401] == total
    assert statuses[401] == len(minted) > REQUESTS // NONCE_EVERY - CLIENTS

    # The journal: a ring of exactly journal_size entries, the newest ones.
    journal = sandbox.journal.query()
    assert len(journal) == JOURNAL_SIZE
    assert journal[-1].id == total

    # The nc windows: only nonces still inside their TTL, never more than were minted in it.
    window = find_middleware(asgi, RequestGate).verifier._window
    now = nonce_clock.timestamp()
    live = sum(1 for at in minted if now - int(at) <= NONCE_TTL + CLOCK_STEP)
    assert 0 < len(window) <= live < len(minted) // 2

    # Memory: no growth between the 50,000th and the 100,000th request (the caps were full at 50k).
    (blocks_half, rss_half), (blocks_end, rss_end) = footprints[REQUESTS // 2], footprints[REQUESTS]
    assert blocks_end - blocks_half < 20_000, (blocks_half, blocks_end)
    assert rss_end - rss_half < 16 * 2**20, (rss_half, rss_end)
    print(
        f"\n{total} requests in {elapsed:.1f} s; windows {len(window)} of {len(minted)} nonces; "
        f"blocks {blocks_half} -> {blocks_end}; RSS {rss_half >> 20} -> {rss_end >> 20} MiB"
    )


def test_nc_windows_stay_at_their_hard_cap_under_100k_fresh_nonces() -> None:
    """Nonces all inside their TTL cannot be purged by age: the cap evicts the oldest, and an evicted
    nonce stays refused (no replay re-opens)."""
    now = 1_700_000_000.0
    window = NcWindow(ttl=300, clock=lambda: now, capacity=1000)
    for n in range(100_000):
        assert window.accept(f"{n:056x}", 1, int(now) - 100 + n // 1000)
    assert len(window) == len(window._by_issue) == 1000
    assert not window.accept(f"{0:056x}", 2, int(now) - 100)


def test_webhook_log_keeps_only_the_newest_delivered_events(app: tuple[FastAPI, Clock]) -> None:
    """The outbox is pruned after each sweep: delivered events beyond the cap go with their attempts;
    pending ones (a partner without an endpoint) stay."""
    asgi, _ = app
    sandbox = asgi.state.sandbox
    with sandbox.store.session() as session:
        guids = {
            name: session.exec(select(Order.guid).where(Order.partner_id == sandbox.partner_id(name))).all()
            for name in ("demo", "acme")
        }
    demo = AsgiDriver(asgi, "demo", "demo-secret", sandbox.settings.digest_realm)
    acme = AsgiDriver(asgi, "acme", "acme-secret", sandbox.settings.digest_realm)

    def push(driver: AsgiDriver, guid: str) -> None:
        status, _, body = asyncio.run(
            driver.call("POST", "/partner/order", json.dumps({"guid": guid, "push_hook": True}).encode())
        )
        assert status == 200, body

    def rows() -> dict[str, int]:
        with sandbox.store.session() as session:
            events = dict(
                session.exec(select(WebhookEvent.state, func.count()).group_by(WebhookEvent.state)).all()
            )
            events["attempts"] = session.exec(select(func.count()).select_from(WebhookDelivery)).one()
        return events

    demo_guids = itertools.cycle(guids["demo"])  # spread over orders, as real traffic is
    with Receiver() as receiver:
        status, _, body = asyncio.run(
            demo.request(
                "PUT", "/_sandbox/webhooks", json.dumps({"partner": "demo", "url": receiver.url}).encode()
            )
        )
        assert status == 200, body
        asyncio.run(demo.fresh_nonce("/partner/order"))
        asyncio.run(acme.fresh_nonce("/partner/order"))
        for _ in range(3):
            push(acme, guids["acme"][0])  # acme has no endpoint: its events stay pending
        for _ in range(4):
            for _ in range(PUSHES // 4):
                push(demo, next(demo_guids))
            counts = sender.deliver_due(sandbox)
            assert counts["delivered"] == PUSHES // 4
            assert rows() == {"delivered": KEEP_DELIVERED, "pending": 3, "attempts": KEEP_DELIVERED}

    assert len(receiver.successes()) == PUSHES
    with sandbox.store.session() as session:
        kept = session.exec(select(WebhookEvent.id).where(WebhookEvent.state == "delivered")).all()
    assert sorted(kept) == sorted(int(key) for key in receiver.successes())[-KEEP_DELIVERED:]
