"""Shared by the fault and journal tests: Digest clients and the rules API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from sandbox.testing.server import SandboxServer
from tests.support.constants import PARTNER_HEADERS

ORDERS = "/partner/orders"
BUY = "/partner/order/digital/buy"
FROZEN_AT = datetime(2025, 3, 10, 9, 30, 15, tzinfo=UTC)
FROZEN_AT_TEXT = "2025-03-10T09:30:15.000+00:00"


def partner(server: SandboxServer, credentials: tuple[str, str]) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, auth=httpx.DigestAuth(*credentials), headers=PARTNER_HEADERS, timeout=10
    )


def add_rule(server: SandboxServer, **rule: Any) -> dict[str, Any]:
    response = httpx.post(f"{server.url}/_sandbox/faults", json=rule)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def rules(server: SandboxServer) -> list[dict[str, Any]]:
    return httpx.get(f"{server.url}/_sandbox/faults").json()["data"]["faults"]


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["data"]["error"]


def applied(response: httpx.Response) -> str | None:
    """What fault the sandbox applied (`X-Sandbox-Fault-Applied`), None when the handler answered."""
    return response.headers.get("x-sandbox-fault-applied")
