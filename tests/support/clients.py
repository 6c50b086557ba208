"""httpx clients for a running sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from sandbox.testing.server import SandboxServer
from tests.support.constants import DEMO, PARTNER_HEADERS


@contextmanager
def partner_client(server: SandboxServer, credentials: tuple[str, str] = DEMO) -> Iterator[httpx.Client]:
    """A partner's client (demo unless told): base URL, real Digest (one session: nonces reused, nc
    counts up) and `x-client-id` preset."""
    with httpx.Client(
        base_url=server.url, auth=httpx.DigestAuth(*credentials), headers=PARTNER_HEADERS, timeout=30
    ) as http:
        yield http
