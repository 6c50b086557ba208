"""`serve --workers 2` is one sandbox: one clock, one world, one configuration, whichever worker answers.

Real processes on one SQLite file. Each client below keeps a single connection, and the test knows
which worker holds it (/proc), so every check asks both workers and says which one answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.procs_server import ServerProcess, make_customer, pricefix
from tests.support.constants import DEMO, PARTNER_HEADERS

ORDERS = "/partner/orders?page=1&total=5"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    db = Path(tmp_path_factory.mktemp("shared-state")) / "s.db"
    running = ServerProcess(db, workers=2, flags=("--orders", "40")).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def pinned(server: ServerProcess) -> Iterator[dict[int, httpx.Client]]:
    """One single-connection partner client per worker: worker pid → client."""
    with server.client_per_worker(auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS) as clients:
        yield clients


@pytest.fixture(autouse=True)
def pristine(server: ServerProcess) -> Iterator[None]:
    yield
    with server.control() as control:
        assert control.post("/_sandbox/seed", json={"seed": 42}).status_code == 200
        assert control.post("/_sandbox/reset?everything=true").status_code == 200


def _data(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _each(pinned: dict[int, httpx.Client], method: str, path: str, **kwargs: Any) -> dict[int, Any]:
    """The same request through every worker: worker → its answer's data."""
    return {worker: _data(client.request(method, path, **kwargs)) for worker, client in pinned.items()}


def test_a_clock_moved_through_one_worker_is_every_workers_clock(pinned: dict[int, httpx.Client]) -> None:
    first, second = pinned.values()

    _data(first.post("/_sandbox/clock", json={"at": "2030-01-01T00:00:00+00:00"}))
    frozen = _each(pinned, "GET", "/_sandbox/clock")
    _data(second.post("/_sandbox/clock", json={"advance": 3600}))
    advanced = _each(pinned, "GET", "/_sandbox/clock")
    _data(first.post("/_sandbox/clock", json={"mode": "real"}))
    real = _each(pinned, "GET", "/_sandbox/clock")

    assert {clock["now"] for clock in frozen.values()} == {"2030-01-01T03:00:00+03:00"}
    assert {clock["now"] for clock in advanced.values()} == {"2030-01-01T04:00:00+03:00"}
    assert [(clock["mode"], clock["offset_seconds"] < 1) for clock in real.values()] == [("real", True)] * 2


def test_a_reseed_through_one_worker_is_the_world_every_reset_restores(
    pinned: dict[int, httpx.Client],
) -> None:
    first, second = pinned.values()
    seeded = _data(first.post("/_sandbox/seed", json={"seed": 7, "orders": 57}))

    states = _each(pinned, "GET", "/_sandbox/state")
    resets = [_data(client.post("/_sandbox/reset"))["orders"] for client in [first, second] * 5]
    prices = _each(pinned, "GET", "/partner/orders/statuses")

    assert [state["seed"] for state in states.values()] == [7, 7]
    assert resets == [seeded["orders"]] * 10
    assert len({str(answer) for answer in prices.values()}) == 1


def test_the_same_requests_after_a_reset_get_the_same_ids_whichever_worker_answers(
    pinned: dict[int, httpx.Client],
) -> None:
    first, second = pinned.values()

    runs = []
    for resetting, creating, fixing in [(first, first, second), (second, second, first)]:
        _data(resetting.post("/_sandbox/reset"))
        make_customer(creating, "shared-ids", 1_000)
        runs.append([pricefix(client, "shared-ids") for client in (fixing, creating, fixing)])

    assert runs[0] == runs[1]
    assert len(set(runs[0])) == 3


def test_a_fault_rule_through_one_worker_applies_on_every_worker_at_once(
    pinned: dict[int, httpx.Client],
) -> None:
    first, second = pinned.values()
    assert [client.get(ORDERS).status_code for client in pinned.values()] == [200, 200]  # rules cached

    rule = _data(first.post("/_sandbox/faults", json={"effect": {"type": "error", "status": 503}}))
    during = [client.get(ORDERS).status_code for client in pinned.values()]
    _data(second.delete(f"/_sandbox/faults/{rule['id']}"))
    after = [client.get(ORDERS).status_code for client in pinned.values()]

    assert (during, after) == ([503, 503], [200, 200])


def test_a_tenant_created_through_one_worker_is_served_by_every_worker_until_removed(
    pinned: dict[int, httpx.Client],
) -> None:
    first, second = pinned.values()
    created = _data(first.post("/_sandbox/tenants", json={"orders": 12}))
    demo = next(p for p in created["partners"] if p["partner"] == "demo")
    auth = httpx.DigestAuth(demo["username"], demo["password"])
    tenant = {"X-Sandbox-Tenant": created["tenant"]}

    served = [client.get(ORDERS, auth=auth).status_code for client in pinned.values()]
    states = _each(pinned, "GET", "/_sandbox/state", headers=tenant)
    _data(second.delete(f"/_sandbox/tenants/{created['tenant']}"))
    after = [client.get(ORDERS, auth=auth).status_code for client in pinned.values()]
    named = [client.get("/_sandbox/state", headers=tenant).status_code for client in pinned.values()]

    assert (served, after, named) == ([200, 200], [401, 401], [404, 404])
    first_state, second_state = ({**state, "clock": state["clock"]["mode"]} for state in states.values())
    assert first_state == second_state
