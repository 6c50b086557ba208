"""The same seed gives the same world over HTTP, byte for byte; another seed gives another world.

Paginator links start with the server's public base URL: every server here is given the same one.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import make_settings

PUBLIC = "http://sandbox.test"  # SANDBOX_PUBLIC_BASE_URL of every server here


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SandboxServer]]:
    """Three fresh servers: seed 42 twice (separate database files) and seed 7."""
    root = tmp_path_factory.mktemp("determinism")
    settings = {
        "a": make_settings(root / "a", public_base_url=PUBLIC),
        "b": make_settings(root / "b", public_base_url=PUBLIC),
        "seed7": make_settings(root / "seed7", seed=7, public_base_url=PUBLIC),
    }
    servers = {name: SandboxServer(value).start() for name, value in settings.items()}
    try:
        yield servers
    finally:
        for running in servers.values():
            running.stop()


def fetch(server: SandboxServer, path: str, **params: object) -> httpx.Response:
    with httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS) as http:
        response = http.get(path, params=params)
    assert response.status_code == 200, response.text
    return response


def test_worlds_use_separate_database_files(worlds: dict[str, SandboxServer]) -> None:
    urls = {name: running.settings.database_url for name, running in worlds.items()}

    assert len(set(urls.values())) == 3


@pytest.mark.parametrize("page", [1, 2, 3])
def test_orders_page_same_seed_returns_identical_bytes(worlds: dict[str, SandboxServer], page: int) -> None:
    first = fetch(worlds["a"], "/partner/orders", total=30, page=page)
    second = fetch(worlds["b"], "/partner/orders", total=30, page=page)

    assert len(first.json()["data"]["data"]) == 30
    assert first.content == second.content


@pytest.mark.parametrize("index", [0, 17, 29])
def test_get_order_same_seed_returns_identical_bytes(worlds: dict[str, SandboxServer], index: int) -> None:
    order = fetch(worlds["a"], "/partner/orders", total=30).json()["data"]["data"][index]

    for identifier in ("guid", "order_code"):
        first = fetch(worlds["a"], f"/partner/order/{order[identifier]}")
        second = fetch(worlds["b"], f"/partner/order/{order[identifier]}")
        assert first.content == second.content


@pytest.mark.parametrize("page", [1, 2, 3])
def test_orders_page_other_seed_returns_different_bytes(worlds: dict[str, SandboxServer], page: int) -> None:
    first = fetch(worlds["a"], "/partner/orders", total=30, page=page).json()["data"]["data"]
    other = fetch(worlds["seed7"], "/partner/orders", total=30, page=page).json()["data"]["data"]

    assert {o["guid"] for o in first}.isdisjoint({o["guid"] for o in other})
    assert first != other


def test_get_order_other_seed_does_not_know_the_order(worlds: dict[str, SandboxServer]) -> None:
    order = fetch(worlds["a"], "/partner/orders", total=30).json()["data"]["data"][0]

    with httpx.Client(
        base_url=worlds["seed7"].url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS
    ) as http:
        response = http.get(f"/partner/order/{order['guid']}")

    assert response.status_code == 404


def test_golden_order_same_in_every_seed(worlds: dict[str, SandboxServer]) -> None:
    """The documented example is loaded from the fixture, not drawn from the seed."""
    golden = "896AE1AC-E26F-4291-80B2-BF80DE0A920A"

    assert (
        fetch(worlds["a"], f"/partner/order/{golden}").content
        == fetch(worlds["seed7"], f"/partner/order/{golden}").content
    )
