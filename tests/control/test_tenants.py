"""Tenants: many isolated worlds on one server (`/_sandbox/tenants`, `X-Sandbox-Tenant`, tenant partners)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.core.clock import Clock
from sandbox.runtime.tenants import EXPIRY_CHECK_SECONDS
from sandbox.testing.server import SandboxServer
from tests.reliability.procs_server import buy_body, make_customer, pricefix
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import small_world
from tests.support.waiting import wait_for
from tests.webhooks.receiver import Receiver

FAULT = {"effect": {"type": "error", "status": 503}}
ORDERS = "/partner/orders?page=1&total=5"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with small_world(tmp_path_factory.mktemp("tenants")) as running:
        yield running


@pytest.fixture(autouse=True)
def no_tenants(server: SandboxServer) -> Iterator[None]:
    yield
    for tenant in control(server, "GET", "/tenants")["tenants"]:
        control(server, "DELETE", f"/tenants/{tenant['tenant']}")
    control(server, "POST", "/reset?everything=true")


def call(
    server: SandboxServer, method: str, path: str, tenant: str | None = None, **kwargs: Any
) -> httpx.Response:
    headers = {"X-Sandbox-Tenant": tenant} if tenant else {}
    return httpx.request(method, f"{server.url}/_sandbox{path}", headers=headers, timeout=60, **kwargs)


def control(server: SandboxServer, method: str, path: str, tenant: str | None = None, **kwargs: Any) -> Any:
    response = call(server, method, path, tenant, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def partner(server: SandboxServer, credentials: tuple[str, str]) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, auth=httpx.DigestAuth(*credentials), headers=PARTNER_HEADERS, timeout=60
    )


def demo_of(created: dict[str, Any]) -> tuple[str, str]:
    found = next(p for p in created["partners"] if p["partner"] == "demo")
    return found["username"], found["password"]


def test_a_new_tenant_answers_its_id_and_partners_and_holds_the_default_world(server: SandboxServer) -> None:
    created = control(server, "POST", "/tenants")

    with partner(server, demo_of(created)) as tenant_demo, partner(server, DEMO) as default_demo:
        in_tenant, in_default = tenant_demo.get(ORDERS).text, default_demo.get(ORDERS).text

    assert list(created) == [
        "tenant", "seed", "scenario", "orders", "customers", "ttl_seconds", "created_at", "used_at",
        "usernames", "partners",
    ]  # fmt: skip
    assert (created["tenant"], created["seed"], created["scenario"], created["orders"]) == (
        "t1",
        42,
        "default",
        40,
    )
    assert created["usernames"] == ["t1-demo", "t1-acme"]
    assert [(p["username"], p["partner"], len(p["password"])) for p in created["partners"]] == [
        ("t1-demo", "demo", 32),
        ("t1-acme", "acme", 32),
    ]
    # The same seeded world, a copy of its own; its links (page URLs) lead into the tenant.
    assert in_tenant.replace(f"{server.url}/t/t1/", f"{server.url}/") == in_default != in_tenant


def test_tenant_ids_count_up_and_are_never_reused(server: SandboxServer) -> None:
    first = control(server, "POST", "/tenants")["tenant"]
    control(server, "DELETE", f"/tenants/{first}")
    second = control(server, "POST", "/tenants")["tenant"]
    named = control(server, "POST", "/tenants", json={"id": "ci-job-7"})["tenant"]

    assert (int(second[1:]) > int(first[1:]), named) == (True, "ci-job-7")
    assert [t["tenant"] for t in control(server, "GET", "/tenants")["tenants"]] == [second, "ci-job-7"]


def test_a_tenant_of_another_seed_and_size_holds_that_world(server: SandboxServer) -> None:
    created = control(server, "POST", "/tenants", json={"seed": 7, "orders": 12, "customers": 3})
    state = control(server, "GET", "/state", tenant=created["tenant"])
    default_state = control(server, "GET", "/state")

    assert (created["seed"], created["orders"], created["customers"]) == (7, 12, 3)
    assert (state["seed"], default_state["seed"]) == (7, 42)
    # acme holds only seeded customers (demo also the documented ones): 3 here, 5 in the default world
    assert [state["partners"][1]["customers"], default_state["partners"][1]["customers"]] == [3, 5]


def test_tenants_never_see_each_others_writes_clock_faults_or_resets(server: SandboxServer) -> None:
    one, two = (control(server, "POST", "/tenants") for _ in range(2))
    t1, t2 = one["tenant"], two["tenant"]
    control(server, "POST", "/clock", tenant=t1, json={"at": "2030-01-01T00:00:00+00:00"})
    control(server, "POST", "/faults", tenant=t2, json=FAULT)

    with partner(server, demo_of(one)) as first, partner(server, demo_of(two)) as second:
        make_customer(first, "only-in-t1", 1_000)
        t1_token = pricefix(first, "only-in-t1")
        faulted = (first.get(ORDERS).status_code, second.get(ORDERS).status_code)
        control(server, "POST", "/reset", tenant=t2)
        t1_customer_after_t2_reset = first.get("/partner/customer/only-in-t1").status_code
    with partner(server, DEMO) as default_demo:
        default_customer = default_demo.get("/partner/customer/only-in-t1").status_code

    clocks = [control(server, "GET", "/clock", tenant=t)["now"][:4] for t in (t1, t2, None)]
    fault_counts = [len(control(server, "GET", "/faults", tenant=t)["faults"]) for t in (t1, t2, None)]
    assert (len(t1_token), faulted) == (32, (200, 503))
    assert (t1_customer_after_t2_reset, default_customer) == (200, 404)
    assert clocks[0] == "2030" and clocks[1] != "2030" and clocks[2] != "2030"
    assert fault_counts == [0, 1, 0]


def test_each_tenant_keeps_its_own_journal(server: SandboxServer) -> None:
    created = control(server, "POST", "/tenants")
    with partner(server, demo_of(created)) as tenant_demo:
        tenant_demo.get(ORDERS)

    in_tenant = control(server, "GET", "/requests", tenant=created["tenant"])["requests"]
    in_default = control(server, "GET", "/requests")["requests"]

    assert [(r["method"], r["path"], r["partner"]) for r in in_tenant if r["status"] == 200] == [
        ("GET", "/partner/orders", "demo")
    ]
    assert all(r["path"] != "/partner/orders" or r["status"] != 200 for r in in_default)


def test_a_removed_tenants_credentials_get_401_and_its_id_404(server: SandboxServer) -> None:
    created = control(server, "POST", "/tenants")
    with partner(server, demo_of(created)) as tenant_demo:
        before = tenant_demo.get(ORDERS).status_code
        removed = control(server, "DELETE", f"/tenants/{created['tenant']}")
        after = tenant_demo.get(ORDERS).status_code
    named = call(server, "GET", "/state", tenant=created["tenant"])
    again = call(server, "DELETE", f"/tenants/{created['tenant']}")

    assert (before, removed, after) == (200, {"removed": created["tenant"]}, 401)
    assert (named.status_code, named.json()["data"]["error"]) == (404, "tenant_not_found")
    assert (again.status_code, again.json()["data"]["error"]) == (404, "tenant_not_found")
    assert list(Path(server.sandbox.store.path or "").parent.glob(f"*.tenants/{created['tenant']}.*")) == []


def test_removing_a_tenant_mid_delivery_holds_up_no_other_world(tmp_path: Path) -> None:
    """A removal closes the tenant's world after its webhook attempt in flight. Meanwhile the tenants'
    list (without it), the default world and another tenant answer: the removal holds no lock their
    requests take. (It held the registry's lock while closing; when closing hung, the server hung.)"""
    held = threading.Event()
    with (
        small_world(tmp_path, webhook_timeout_seconds=60) as server,
        Receiver(held=held) as receiver,
        ThreadPoolExecutor(1) as pool,
    ):
        try:
            removed, other = control(server, "POST", "/tenants"), control(server, "POST", "/tenants")
            hook = {"partner": "demo", "url": receiver.url}
            control(server, "PUT", "/webhooks", tenant=removed["tenant"], json=hook)
            with partner(server, demo_of(removed)) as http:
                make_customer(http, "held-1", cash=1000)
                bought = http.post(
                    "/partner/order/digital/buy", json=buy_body(pricefix(http, "held-1"), "held-1", "b1")
                )
            wait_for(receiver.arrived.is_set, 10, "a webhook attempt in flight")

            removal = pool.submit(call, server, "DELETE", f"/tenants/{removed['tenant']}")
            wait_for(lambda: removed["tenant"] not in tenant_ids(server), 10, "the removal to start")
            with partner(server, DEMO) as default_demo, partner(server, demo_of(other)) as other_demo:
                answered = (default_demo.get(ORDERS).status_code, other_demo.get(ORDERS).status_code)
            removing = not removal.done()
        finally:
            held.set()

        assert (bought.status_code, answered, removing) == (200, (200, 200), True)
        assert removal.result().status_code == 200
        assert tenant_ids(server) == [other["tenant"]]


def tenant_ids(server: SandboxServer) -> list[str]:
    return [tenant["tenant"] for tenant in control(server, "GET", "/tenants")["tenants"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "Has Spaces"}, "id"),
        ({"id": "-leading"}, "id"),
        ({"ttl_seconds": 59}, "ttl_seconds"),
        ({"orders": -1}, "orders"),
        ({"seed": "seven"}, "seed"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_tenant_request_is_a_422_naming_the_field(
    server: SandboxServer, body: dict, field: str
) -> None:
    response = call(server, "POST", "/tenants", json=body)

    assert (response.status_code, response.json()["data"]["error"]) == (422, "validation_failed")
    assert list(response.json()["data"]["errors"]) == [field]
    assert control(server, "GET", "/tenants")["tenants"] == []


def test_an_unknown_scenario_or_a_taken_id_is_refused_and_nothing_is_created(server: SandboxServer) -> None:
    control(server, "POST", "/tenants", json={"id": "taken"})

    unknown = call(server, "POST", "/tenants", json={"scenario": "nope"})
    taken = call(server, "POST", "/tenants", json={"id": "taken"})

    assert (unknown.status_code, unknown.json()["data"]["error"]) == (422, "scenario_unknown")
    assert (taken.status_code, taken.json()["data"]["error"]) == (409, "tenant_exists")
    assert [t["tenant"] for t in control(server, "GET", "/tenants")["tenants"]] == ["taken"]


def test_an_idle_tenant_past_its_time_to_live_is_removed(server: SandboxServer) -> None:
    """By the server's own check, every EXPIRY_CHECK_SECONDS. (Calling `expire()` here raced with it:
    whichever removed the tenant first returned it.)"""
    kept = control(server, "POST", "/tenants", json={"ttl_seconds": 3600})["tenant"]
    idle = control(server, "POST", "/tenants", json={"ttl_seconds": 60})["tenant"]
    last_request = Clock.real_now() - timedelta(seconds=61)
    server.app.state.tenants.registry.touch(idle, last_request)

    wait_for(lambda: tenant_ids(server) == [kept], 3 * EXPIRY_CHECK_SECONDS, "the idle tenant's removal")


def test_tenants_survive_a_restart_with_their_data_and_credentials(tmp_path: Path) -> None:
    with small_world(tmp_path) as first:
        created = control(first, "POST", "/tenants")
        with partner(first, demo_of(created)) as tenant_demo:
            make_customer(tenant_demo, "kept-over-restart", 500)
    with small_world(tmp_path) as second, partner(second, demo_of(created)) as tenant_demo:
        listed = control(second, "GET", "/tenants")["tenants"]
        customer = tenant_demo.get("/partner/customer/kept-over-restart").status_code

    assert ([t["tenant"] for t in listed], customer) == ([created["tenant"]], 200)


def test_seeding_a_tenant_changes_its_world_alone(server: SandboxServer) -> None:
    one, two = (control(server, "POST", "/tenants")["tenant"] for _ in range(2))

    seeded = control(server, "POST", "/seed", tenant=one, json={"seed": 7, "orders": 12})
    after_reset = control(server, "POST", "/reset", tenant=one)

    seeds = [control(server, "GET", "/state", tenant=t)["seed"] for t in (one, two, None)]
    assert (seeded["seed"], after_reset["orders"], seeds) == (7, seeded["orders"], [7, 42, 42])


def test_webhook_settings_and_lifecycle_modes_are_per_tenant(server: SandboxServer) -> None:
    tenant = control(server, "POST", "/tenants")["tenant"]
    hook = {"partner": "demo", "url": "http://127.0.0.1:9/hooks", "secret": "whsec-tenant"}

    control(server, "PUT", "/webhooks", tenant=tenant, json=hook)
    control(server, "PUT", "/lifecycles/buy-cash/mode", tenant=tenant, json={"mode": "manual"})

    def demo_url(name: str | None) -> str | None:
        configs = control(server, "GET", "/webhooks", tenant=name)
        return next(c["url"] for c in configs if c["partner"] == "demo")

    def buy_mode(name: str | None) -> str:
        modes = control(server, "GET", "/lifecycles", tenant=name)
        return next(m["mode"]["mode"] for m in modes if m["flow"] == "buy-cash")

    assert (demo_url(tenant), demo_url(None)) == (hook["url"], None)
    assert (buy_mode(tenant), buy_mode(None)) == ("manual", "immediate")
