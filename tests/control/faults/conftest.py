"""Fault-rule modules: every test starts on a fresh session world without rules, and talks as demo."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.control.traffic_support import partner
from tests.support.constants import DEMO


@pytest.fixture(autouse=True)
def no_rules(trading: SandboxServer) -> None:
    """The session server, reset (so without rules) with its clock frozen, for every test."""


@pytest.fixture
def demo(server: SandboxServer) -> Iterator[httpx.Client]:
    with partner(server, DEMO) as http:
        yield http
