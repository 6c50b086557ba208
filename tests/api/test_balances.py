"""Customer Balance, Partner Balance and Update Customer Cash Balance, through the real server.

Reads run on the shared seeded world; every test that moves money runs on a dedicated server.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import select

from sandbox.catalog import CURRENCIES, SKUS
from sandbox.store.models import Customer, Wallet
from sandbox.testing.server import SandboxServer
from tests.api.balance_support import (
    ROW_KEYS,
    acme_only_customer,
    customer_with_only_open_sells,
    dec,
    ledger_entries,
    partner_customers,
    rows_by_code,
    wallets_of,
)
from tests.api.helpers import error_body, ok_data
from tests.support.clients import partner_client
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.trading import add_customer, fund, new_id


@pytest.fixture(scope="module")
def demo_customer(server: SandboxServer) -> Customer:
    return partner_customers(server, 1)[1]


# -- Customer Balance (documented) -------------------------------------------------------------------


def test_customer_balance_rows_have_the_twelve_documented_keys_in_order(
    client: httpx.Client, demo_customer: Customer
) -> None:
    rows = ok_data(client.get(f"/partner/balance/customer/{demo_customer.external_id}"))

    assert [list(row) for row in rows] == [ROW_KEYS] * len(rows)


def test_customer_balance_lists_cash_in_use_then_every_metal(
    client: httpx.Client, server: SandboxServer, demo_customer: Customer
) -> None:
    wallets = wallets_of(server, 1, demo_customer.id)

    rows = ok_data(client.get(f"/partner/balance/customer/{demo_customer.external_id}"))

    cash = [code for code in CURRENCIES if code == "TRY" or code in wallets]
    assert [row["currency_code"] for row in rows] == [*cash, *SKUS]
    assert [row["is_cash"] for row in rows] == [True] * len(cash) + [False] * len(SKUS)
    assert {row["customer_external_id"] for row in rows} == {demo_customer.external_id}


def test_customer_balance_balances_equal_the_stored_wallets(
    client: httpx.Client, server: SandboxServer, demo_customer: Customer
) -> None:
    wallets = wallets_of(server, 1, demo_customer.id)

    rows = ok_data(client.get(f"/partner/balance/customer/{demo_customer.external_id}"))

    assert {row["currency_code"]: dec(row["balance"]) for row in rows} == {
        row["currency_code"]: wallets.get(row["currency_code"], Decimal(0)) for row in rows
    }


def test_customer_balance_stats_sum_the_wallet_ledger(
    client: httpx.Client, server: SandboxServer, demo_customer: Customer
) -> None:
    entries = ledger_entries(server, demo_customer.id)
    with server.sandbox.store.session() as session:
        assets = {
            w.id: w.asset for w in session.exec(select(Wallet).where(Wallet.customer_id == demo_customer.id))
        }
    expected: dict[str, dict[str, Any]] = {}
    for entry in entries:
        stats = expected.setdefault(
            assets[entry.wallet_id], {"in": Decimal(0), "out": Decimal(0), "orders": set()}
        )
        stats["in" if entry.amount > 0 else "out"] += abs(entry.amount)
        if entry.order_id is not None:
            stats["orders"].add(entry.order_id)

    rows = rows_by_code(ok_data(client.get(f"/partner/balance/customer/{demo_customer.external_id}")))

    assert expected, "the chosen customer has ledger entries"
    for asset, stats in expected.items():
        shown = rows[asset]["stats"]
        assert (dec(shown["total_in"]), dec(shown["total_out"]), shown["order_count"]) == (
            stats["in"],
            stats["out"],
            len(stats["orders"]),
        ), asset


def test_customer_balance_open_created_sell_is_soft_blocked(
    client: httpx.Client, server: SandboxServer
) -> None:
    customer, sku, held = customer_with_only_open_sells(server, "soft")

    row = rows_by_code(ok_data(client.get(f"/partner/balance/customer/{customer.external_id}")))[sku]

    assert (dec(row["soft_blocked_amount"]), dec(row["blocked"])) == (held, 0)
    assert dec(row["real_balance"]) == dec(row["balance"]) - held


@pytest.fixture
def own_world(trading: SandboxServer) -> SandboxServer:
    """The session server on a fresh world, its clock frozen (tests/support/fixtures.py)."""
    return trading


def test_customer_balance_open_confirmed_sell_is_blocked(own_world: SandboxServer) -> None:
    """A sell confirmed (Processing) but not completed: a new customer's, made with the sell flow on
    manual steps."""
    customer = new_id("HARD")
    add_customer(own_world, customer)
    fund(own_world, customer_external_id=customer, asset="GAG", amount=Decimal(10))
    with partner_client(own_world, DEMO) as client, httpx.Client(base_url=own_world.url) as control:
        ok_data(control.put("/_sandbox/lifecycles/sell/mode", json={"mode": "manual"}))
        token = ok_data(
            client.post("/partner/pricefix", json={"type": "digital", "customer_external_id": customer})
        )
        body = {
            "price_token": token["token"], "external_id": new_id("HARD"),
            "customer": {"external_id": customer}, "items": [{"sku": "GAG", "amount": 4}],
        }  # fmt: skip
        guid = ok_data(client.post("/partner/order/digital/sell", json=body))["guid"][0]
        ok_data(control.post(f"/_sandbox/orders/{guid}/advance", json={"to": "Processing"}))

        row = rows_by_code(ok_data(client.get(f"/partner/balance/customer/{customer}")))["GAG"]

    assert (dec(row["balance"]), dec(row["blocked"]), dec(row["soft_blocked_amount"])) == (10, 4, 0)
    assert dec(row["real_balance"]) == 6


def test_customer_balance_metal_rows_are_valued_at_the_sell_price(
    client: httpx.Client, demo_customer: Customer
) -> None:
    rows = ok_data(client.get(f"/partner/balance/customer/{demo_customer.external_id}"))

    for row in rows:
        if row["is_cash"]:
            assert row["prices"] is None
        else:
            value = (dec(row["balance"]) * dec(row["prices"]["sell_price"])).quantize(Decimal("0.01"))
            assert (row["prices"]["currency"], dec(row["prices"]["value"])) == ("TRY", value)


def test_customer_balance_unknown_customer_returns_404(client: httpx.Client) -> None:
    error_body(client.get("/partner/balance/customer/no-such-customer"), 404, "customer_not_found")


def test_customer_balance_other_partners_customer_returns_404(
    client: httpx.Client, server: SandboxServer
) -> None:
    foreign = acme_only_customer(server)

    error_body(client.get(f"/partner/balance/customer/{foreign.external_id}"), 404, "customer_not_found")


def test_customer_balance_owner_partner_sees_its_customer(
    acme_client: httpx.Client, server: SandboxServer
) -> None:
    own = acme_only_customer(server)

    rows = ok_data(acme_client.get(f"/partner/balance/customer/{own.external_id}"))

    assert rows[0]["customer_external_id"] == own.external_id


def test_customer_balance_without_credentials_returns_401(
    server: SandboxServer, demo_customer: Customer
) -> None:
    response = httpx.get(
        f"{server.url}/partner/balance/customer/{demo_customer.external_id}", headers=PARTNER_HEADERS
    )

    error_body(response, 401, "authentication_required")


# -- Partner Balance (sandbox decision) --------------------------------------------------------------


def test_partner_balance_returns_own_b2b_wallets_with_null_customer(
    client: httpx.Client, server: SandboxServer
) -> None:
    wallets = wallets_of(server, 1, None)

    rows = ok_data(client.get("/partner/balance"))

    assert [list(row) for row in rows] == [ROW_KEYS] * len(rows)
    assert {row["customer_external_id"] for row in rows} == {None}
    assert {row["currency_code"]: dec(row["balance"]) for row in rows} == {
        row["currency_code"]: wallets.get(row["currency_code"], Decimal(0)) for row in rows
    }
    assert set(wallets) <= {row["currency_code"] for row in rows}


def test_partner_balance_each_partner_sees_only_its_own(
    client: httpx.Client, acme_client: httpx.Client, server: SandboxServer
) -> None:
    demo_rows = ok_data(client.get("/partner/balance"))
    acme_rows = ok_data(acme_client.get("/partner/balance"))

    assert {r["currency_code"]: dec(r["balance"]) for r in acme_rows} == {
        r["currency_code"]: wallets_of(server, 2, None).get(r["currency_code"], Decimal(0)) for r in acme_rows
    }
    assert demo_rows != acme_rows
