"""Fixtures of the Digest unit tests."""

from __future__ import annotations

import pytest

from sandbox.auth.digest import DigestVerifier
from tests.unit.digest_support import FakeClock, make_verifier


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def verifier(clock: FakeClock) -> DigestVerifier:
    return make_verifier(clock)
