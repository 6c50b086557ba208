"""The contract suite's world: a sandbox of its own, reset to a fresh default world per test, or (with
`--minted-sandbox-url`) another host reached with real credentials, where only what is safe against a
real partner account runs.

    pytest tests/contract --minted-sandbox-url https://api.staging.mintedconnect.com

with `MINTED_USERNAME` and `MINTED_PASSWORD` in the environment. Tests marked `sandbox_only` need the
sandbox itself (its seeded world, its control API, its process): they are deselected against another
host.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from sandbox.config import Settings
from sandbox.core.clock import Clock
from sandbox.testing.server import SandboxServer
from tests.contract.docs import Docs
from tests.support.constants import DEMO

REMOTE_CREDENTIALS = ("MINTED_USERNAME", "MINTED_PASSWORD")


def remote_url(config: pytest.Config) -> str | None:
    return config.getoption("minted_sandbox_url", default=None) or None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sandbox_only: needs the sandbox itself: its seeded world, control API or process (not run "
        "against another host)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Against another host, only what is safe for a real partner account: no reset, no seeded ids."""
    if remote_url(config) is None:
        return
    keep, drop = [], []
    for item in items:
        is_contract = item.path.is_relative_to(os.path.dirname(__file__))
        (drop if is_contract and item.get_closest_marker("sandbox_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def contract_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The base URL the suite talks to: a default-world sandbox of its own, or `--minted-sandbox-url`."""
    url = remote_url(request.config)
    if url is not None:
        yield url.rstrip("/")
        return
    folder = tmp_path_factory.mktemp("contract")
    settings = Settings(database_url=f"sqlite:///{folder}/sandbox.db")  # the default world, seed 42
    with SandboxServer(settings, nonce_clock=Clock()) as server:
        yield server.url


@pytest.fixture
def docs(request: pytest.FixtureRequest, contract_server: str) -> Iterator[Docs]:
    """An integrator following the docs; on the sandbox, from a fresh default world."""
    remote = remote_url(request.config) is not None
    if remote:
        missing = [name for name in REMOTE_CREDENTIALS if not os.environ.get(name)]
        if missing:
            names = " and ".join(missing)
            raise pytest.UsageError(f"set {names} to run the contract suite against {contract_server}")
        credentials = (os.environ["MINTED_USERNAME"], os.environ["MINTED_PASSWORD"])
    else:
        credentials = DEMO
    with httpx.Client(base_url=contract_server, auth=httpx.DigestAuth(*credentials), timeout=30) as http:
        integrator = Docs(http, remote=remote)
        if not remote:
            integrator.fresh_world()
        yield integrator
