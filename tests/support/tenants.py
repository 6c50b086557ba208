"""Tenants on a shared server for a test: made through the control API, all removed when it ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from sandbox.testing.server import SandboxServer


@contextmanager
def tenants_on(server: SandboxServer) -> Iterator[Callable[..., dict[str, Any]]]:
    """`make(**body)`: a new tenant (`POST /_sandbox/tenants`'s data: id, partners and passwords).
    Every tenant of the server is removed afterwards, so the next test starts with none."""

    def make(**body: Any) -> dict[str, Any]:
        created = httpx.post(f"{server.url}/_sandbox/tenants", json=body, timeout=60)
        assert created.status_code == 200, created.text
        data: dict[str, Any] = created.json()["data"]
        return data

    try:
        yield make
    finally:
        listed = httpx.get(f"{server.url}/_sandbox/tenants", timeout=60).json()["data"]["tenants"]
        for tenant in listed:
            httpx.delete(f"{server.url}/_sandbox/tenants/{tenant['tenant']}", timeout=60)


def credentials(tenant: dict[str, Any], partner: str = "demo") -> tuple[str, str]:
    """The Digest username and password of one of the tenant's partners."""
    found = next(p for p in tenant["partners"] if p["partner"] == partner)
    return found["username"], found["password"]
