"""How the fault middleware reads the rules: one read at a time, however many requests wait for it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.control.traffic_support import ORDERS, add_rule, applied
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.waiting import run_async

REQUESTS = 32


def _burst(server: SandboxServer, before: Callable[[], None]) -> list[httpx.Response]:
    async def send() -> list[httpx.Response]:
        auth = httpx.DigestAuth(*DEMO)
        async with httpx.AsyncClient(
            base_url=server.url, auth=auth, headers=PARTNER_HEADERS, timeout=30
        ) as http:
            await http.get(ORDERS)  # the Digest challenge, once
            before()
            return await asyncio.gather(*(http.get(ORDERS) for _ in range(REQUESTS)))

    return run_async(send())


def test_requests_finding_the_rules_stale_share_one_read(
    server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = server.sandbox.faults
    read = book.load
    reads: list[float] = []

    def slow_read() -> object:  # slow enough that every request of the burst arrives meanwhile
        reads.append(time.monotonic())
        time.sleep(0.3)
        return read()

    monkeypatch.setattr(book, "load", slow_read)

    def rules_go_stale() -> None:  # once the burst's client has its Digest nonce
        reads.clear()
        book.invalidate()

    responses = _burst(server, before=rules_go_stale)

    assert len(reads) == 1
    assert [(r.status_code, applied(r)) for r in responses] == [(200, None)] * REQUESTS


def test_a_request_after_a_rule_change_does_not_wait_for_the_read_before_it(
    server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = server.sandbox.faults
    read = book.load
    started = threading.Event()

    def read_then_linger() -> object:  # the list is taken at once, handed back 0.5 s later
        rules = read()
        started.set()
        time.sleep(0.5)
        return rules

    monkeypatch.setattr(book, "load", read_then_linger)

    async def scenario() -> tuple[httpx.Response, httpx.Response, dict]:
        auth = httpx.DigestAuth(*DEMO)
        async with httpx.AsyncClient(
            base_url=server.url, auth=auth, headers=PARTNER_HEADERS, timeout=30
        ) as http:
            await http.get(ORDERS)  # the Digest challenge (and a first read)
            book.invalidate()
            started.clear()
            before = asyncio.ensure_future(http.get(ORDERS))  # starts a read without the rule
            await asyncio.to_thread(started.wait, 10)
            rule = await asyncio.to_thread(
                add_rule, server, match={"path": ORDERS}, effect={"type": "error", "status": 503}
            )
            after = await http.get(ORDERS)  # while that read lingers
            return await before, after, rule

    before, after, rule = run_async(scenario())

    assert (before.status_code, applied(before)) == (200, None)
    assert (after.status_code, applied(after)) == (503, f"error=503:service_unavailable (rule {rule['id']})")
