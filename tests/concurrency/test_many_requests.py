"""More requests at once than the server has worker threads: every one answered, none stalled.

A request used to take its database connection while FastAPI opened its session dependency, in a
worker thread holding one of the 40 thread tokens; with the pool capped at 15 connections, more than
55 uncached requests at once left every token with a request waiting for a connection and none for
the routes holding them: everything stalled for the pool's 30 s timeout, then 40 of 120 got a 500.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.support.constants import DEMO, PARTNER_HEADERS

AT_ONCE = 120  # three times the worker threads


async def all_at_once(server: SandboxServer, request: str) -> Counter[int]:
    """AT_ONCE clients, each with its own Digest session, send one request each at the same time."""

    async def one(number: int) -> int:
        async with httpx.AsyncClient(
            base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS, timeout=60
        ) as client:
            if request == "read":
                # Distinct filters: none is answered from the read cache.
                answer = await client.get(
                    "/partner/orders", params={"total": 30, "customer_external_id": f"nobody-{number}"}
                )
            else:
                answer = await client.post("/partner/pricefix", json={"type": "digital"})
            return answer.status_code

    return Counter(await asyncio.gather(*(one(number) for number in range(AT_ONCE))))


@pytest.mark.parametrize("request_kind", ["read", "write"])
def test_three_times_more_requests_than_threads_all_succeed(
    trading: SandboxServer, request_kind: str
) -> None:
    assert asyncio.run(all_at_once(trading, request_kind)) == Counter({200: AT_ONCE})
