"""POST /_sandbox/reset and /_sandbox/seed: the template copy, what survives it, and named scenarios."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import select

from sandbox.catalog import STATUS_NAMES
from sandbox.config import Settings
from sandbox.domain.flows import FLOWS
from sandbox.store.models import Customer, LedgerEntry, Order, Partner, Wallet
from sandbox.testing.plugin import Control
from sandbox.testing.server import SandboxServer
from sandbox.world import documented
from tests.support.constants import DEMO, GOLDEN_GUID, PARTNER_HEADERS
from tests.support.servers import dedicated_server, fresh_world

FROZEN_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
GOLDEN_CUSTOMER = "92440753"  # the golden order's customer: seeded, KYC approved
HOOK = {"partner": "demo", "url": "http://127.0.0.1:9/hooks", "secret": "whsec-test"}
FAULT = {"match": {"method": "POST", "path": "/partner/never/*"}, "effect": {"type": "error", "status": 503}}
COVERAGE = sum(len(flow.reachable()) for flow in FLOWS.values())
# Every world with orders also holds, for demo, the orders the docs name (the golden one first).
DOCUMENTED = documented.load(Settings().fixtures_dir)
DEFAULT_ORDERS = 400 + len(DOCUMENTED.orders)


@pytest.fixture(autouse=True)
def _default_world(server: SandboxServer, server_control: Control) -> Iterator[None]:
    """The session server on a fresh default world, no configuration, clock frozen at FROZEN_AT; a test
    that seeds another world gives the default one back to the tests after it."""
    seeded = server.sandbox.world
    try:
        with fresh_world(server_control, FROZEN_AT):
            yield
    finally:
        if server.sandbox.world != seeded:
            control(server, "POST", "/seed", json={"seed": seeded.seed, "scenario": seeded.scenario})


def control(server: SandboxServer, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(method, f"{server.url}/_sandbox{path}", timeout=120, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def partner(server: SandboxServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS)


def buy(server: SandboxServer, external_id: str = "reset-buy-1") -> dict[str, Any]:
    """Top up the golden customer, fix a price and buy 1 g of gold: a write to every dumped table."""
    with partner(server) as http:
        assert http.patch(f"/partner/balance/customer/{GOLDEN_CUSTOMER}", json={"amount": 50_000}).is_success
        fix = http.post(
            "/partner/pricefix", json={"type": "digital", "customer_external_id": GOLDEN_CUSTOMER}
        ).json()["data"]
        response = http.post(
            "/partner/order/digital/buy",
            json={"price_token": fix["token"], "external_id": external_id,
                  "customer": {"external_id": GOLDEN_CUSTOMER}, "items": [{"sku": "GAU", "amount": 1}]},
        )  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()["data"]


def dump(server: SandboxServer) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a buy writes, ordered by primary key."""
    tables = [model.__table__ for model in (Order, Wallet, LedgerEntry)]
    with server.sandbox.store.engine.connect() as connection:
        return {
            table.name: [
                tuple(row) for row in connection.execute(sa_select(table).order_by(*table.primary_key))
            ]
            for table in tables
        }


def count(server: SandboxServer, model: type) -> int:
    with server.sandbox.store.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def per_flow_status(server: SandboxServer) -> Counter[tuple[int, str, str]]:
    with server.sandbox.store.session() as session:
        rows = session.exec(select(Order.partner_id, Order.flow, Order.status_id)).all()
    return Counter((partner_id, flow, STATUS_NAMES[status]) for partner_id, flow, status in rows)


def prices(server: SandboxServer) -> list[dict[str, Any]]:
    with partner(server) as http:
        return http.get("/partner/prices").json()["data"]


# -- reset ------------------------------------------------------------------------------------------


def test_reset_after_a_buy_restores_orders_wallets_and_ledger_exactly(server: SandboxServer) -> None:
    before = dump(server)
    buy(server)
    assert dump(server) != before

    data = control(server, "POST", "/reset")

    assert dump(server) == before
    assert data["reset"] is True
    assert data["orders"] == DEFAULT_ORDERS


def test_reset_answers_how_long_it_took_and_what_the_world_holds(server: SandboxServer) -> None:
    """The reset's speed is a `make bench` figure (bench/RESULTS.md), not asserted here."""
    seeded = control(server, "POST", "/reset")["orders"]
    bought = buy(server)

    data = control(server, "POST", "/reset")

    assert list(data) == ["reset", "milliseconds", "orders"]
    assert data["reset"] is True
    assert isinstance(data["milliseconds"], float) and data["milliseconds"] > 0
    assert data["orders"] == seeded
    with partner(server) as http:
        assert http.get(f"/partner/order/{bought['guid'][0]}").status_code == 404


def test_reset_twice_gives_the_same_guid_to_the_same_buy(server: SandboxServer) -> None:
    control(server, "POST", "/reset")
    first = buy(server)
    control(server, "POST", "/reset")
    second = buy(server)

    assert (second["guid"], second["order_code"]) == (first["guid"], first["order_code"])


def test_reset_keeps_webhook_config_fault_rules_and_lifecycle_modes(server: SandboxServer) -> None:
    control(server, "PUT", "/webhooks", json=HOOK)
    rule = control(server, "POST", "/faults", json=FAULT)
    control(server, "PUT", "/lifecycles/delivery-cash/mode", json={"mode": "timed", "step_seconds": 600})

    control(server, "POST", "/reset")

    hooks = {row["partner"]: row for row in control(server, "GET", "/webhooks")}
    assert (hooks["demo"]["url"], hooks["demo"]["secret"]) == (HOOK["url"], HOOK["secret"])
    assert [fault["id"] for fault in control(server, "GET", "/faults")["faults"]] == [rule["id"]]
    modes = {flow["flow"]: flow["mode"] for flow in control(server, "GET", "/lifecycles")}
    assert modes["delivery-cash"]["mode"] == "timed"


def test_reset_everything_drops_config_and_unfreezes_the_clock(server: SandboxServer) -> None:
    control(server, "PUT", "/webhooks", json=HOOK)
    control(server, "POST", "/faults", json=FAULT)
    control(server, "PUT", "/lifecycles/delivery-cash/mode", json={"mode": "timed", "step_seconds": 600})

    control(server, "POST", "/reset", params={"everything": "true"})

    hooks = {row["partner"]: row for row in control(server, "GET", "/webhooks")}
    assert (hooks["demo"]["url"], hooks["demo"]["secret"]) == (None, None)
    assert control(server, "GET", "/faults")["faults"] == []
    modes = {flow["flow"]: flow["mode"] for flow in control(server, "GET", "/lifecycles")}
    assert modes["delivery-cash"]["mode"] == "manual"
    assert control(server, "GET", "/clock")["mode"] == "real"


def test_reset_keeps_a_frozen_clock_where_it_is(server: SandboxServer) -> None:
    control(server, "POST", "/clock", json={"advance": 3600})

    control(server, "POST", "/reset")

    assert control(server, "GET", "/clock")["now"] == "2026-11-02T13:30:00+03:00"


def test_reset_empties_the_request_journal(server: SandboxServer) -> None:
    buy(server)
    assert control(server, "GET", "/requests")["requests"]

    control(server, "POST", "/reset")

    assert control(server, "GET", "/requests")["requests"] == []


def test_reset_after_a_restart_goes_back_to_the_seeded_world_not_the_restarted_one(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("restart")  # both processes open the same database file
    with dedicated_server(folder, frozen_at=FROZEN_AT) as first:
        seeded = dump(first)
        buy(first)
    with dedicated_server(folder, frozen_at=FROZEN_AT) as second:
        assert dump(second) != seeded
        control(second, "POST", "/reset")
        assert dump(second) == seeded


# -- seed and scenarios ----------------------------------------------------------------------------


def test_seed_every_status_holds_one_order_per_flow_and_status_per_partner_plus_the_documented(
    server: SandboxServer,
) -> None:
    data = control(server, "POST", "/seed", json={"scenario": "every-status"})

    expected = Counter(
        (partner_id, flow.name, status)
        for partner_id in (1, 2)
        for flow in FLOWS.values()
        for status in flow.reachable()
    )
    for order in DOCUMENTED.orders:  # demo's: the golden order, the card order, Get Order (Alternative)'s
        expected[(1, order["flow"], order["data"]["status_name"])] += 1
    assert per_flow_status(server) == expected
    assert (data["scenario"], data["orders"]) == ("every-status", 2 * COVERAGE + len(DOCUMENTED.orders))
    with partner(server) as http:
        assert http.post("/partner/order", json={"guid": GOLDEN_GUID}).status_code == 200


def test_seed_empty_holds_partners_and_nothing_else(server: SandboxServer) -> None:
    data = control(server, "POST", "/seed", json={"scenario": "empty"})

    assert (data["orders"], data["customers"]) == (0, 0)
    assert [count(server, model) for model in (Partner, Customer, Order, Wallet, LedgerEntry)] == [
        2,
        0,
        0,
        0,
        0,
    ]


def test_seed_busy_holds_20000_orders_and_200_customers_per_partner(server: SandboxServer) -> None:
    data = control(server, "POST", "/seed", json={"scenario": "busy"})

    orders = 20_000 + len(DOCUMENTED.orders)
    assert (data["orders"], data["customers"]) == (orders, 400)
    assert (count(server, Order), count(server, Customer)) == (orders, 400)
    assert len(per_flow_status(server)) == 2 * COVERAGE


def test_seed_default_takes_the_settings_sizes_and_body_sizes_win(server: SandboxServer) -> None:
    assert control(server, "POST", "/seed", json={})["orders"] == DEFAULT_ORDERS

    data = control(server, "POST", "/seed", json={"orders": 100, "customers": 5})

    assert (data["orders"], data["customers"]) == (100 + len(DOCUMENTED.orders), 10)
    small = control(server, "POST", "/seed", json={"orders": 10})["orders"]
    assert small == 2 * COVERAGE + len(DOCUMENTED.orders)


def test_seed_unknown_scenario_is_422_listing_the_scenarios(server: SandboxServer) -> None:
    response = httpx.post(
        f"{server.url}/_sandbox/seed", json={"scenario": "nope"}, headers={"Accept-Language": "en"}
    )

    assert (response.status_code, response.json()["data"]["error"]) == (422, "scenario_unknown")
    assert "busy, default, empty, every-status" in response.json()["message"]
    assert server.sandbox.world.scenario == "default"


def test_seed_orders_without_customers_is_422(server: SandboxServer) -> None:
    response = httpx.post(f"{server.url}/_sandbox/seed", json={"customers": 0})

    assert response.status_code == 422
    assert list(response.json()["data"]["errors"]) == ["customers"]


def test_seed_with_another_seed_changes_the_data_and_the_price_feed(server: SandboxServer) -> None:
    seeded, feed = dump(server), prices(server)

    data = control(server, "POST", "/seed", json={"seed": 7})

    assert data["seed"] == 7
    assert dump(server)["orders"] != seeded["orders"]
    assert prices(server) != feed
    control(server, "POST", "/seed", json={"seed": 42})
    assert (dump(server), prices(server)) == (seeded, feed)


def test_seed_keeps_config_and_becomes_what_reset_goes_back_to(server: SandboxServer) -> None:
    control(server, "PUT", "/webhooks", json=HOOK)
    control(server, "POST", "/seed", json={"scenario": "every-status", "seed": 9})
    seeded = dump(server)
    buy(server)

    data = control(server, "POST", "/reset")

    assert (data["orders"], dump(server)) == (2 * COVERAGE + len(DOCUMENTED.orders), seeded)
    hooks = {row["partner"]: row for row in control(server, "GET", "/webhooks")}
    assert hooks["demo"]["url"] == HOOK["url"]
    state = control(server, "GET", "/state")
    assert (state["seed"], state["scenario"]) == (9, "every-status")
