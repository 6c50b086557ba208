"""Digest interop servers shared by the e2e modules: one per algorithm order, from the session pool."""

from __future__ import annotations

import pytest

from sandbox.testing.server import SandboxServer
from tests.support.servers import ServerPool

SMALL = {"orders": 0, "customers": 1}  # quick to seed: the Digest suites read statuses only


@pytest.fixture
def sha256_first_server(server_pool: ServerPool) -> SandboxServer:
    """Challenges with SHA-256 first, then MD5."""
    return server_pool.get(**SMALL, digest_algorithms=("SHA-256", "MD5"))


@pytest.fixture
def md5_first_server(server_pool: ServerPool) -> SandboxServer:
    """Challenges with MD5 first, then SHA-256."""
    return server_pool.get(**SMALL, digest_algorithms=("MD5", "SHA-256"))
