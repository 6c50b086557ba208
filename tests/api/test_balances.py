"""Customer Balance, Partner Balance and Update Customer Cash Balance, through the real server.

Reads run on the shared seeded world; every test that moves money runs on a dedicated server.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from sandbox.catalog import CURRENCIES, SKUS, STATUS_IDS
from sandbox.core.clock import Clock
from sandbox.store.models import Customer, LedgerEntry, Order, OrderItem, Wallet
from sandbox.store.seed import WORLD_END
from sandbox.testing.server import SandboxServer
from tests.api.helpers import error_body, field_errors, ok_data
from tests.conftest import DEMO, PARTNER_HEADERS, make_settings

ROW_KEYS = [
    "customer_external_id", "name", "currency_id", "currency_symbol", "currency_code", "is_cash",
    "balance", "blocked", "real_balance", "soft_blocked_amount", "stats", "prices",
]  # fmt: skip
OPEN_SELL = {"Created": "soft", "Processing": "hard", "Transferring": "hard"}
ALL_OPEN = [STATUS_IDS[s] for s in ("Created", "Pending", "Processing", "Transferring", "Preparing",
                                    "Packed", "Payment Confirmed")]  # fmt: skip


def dec(value: Any) -> Decimal:
    """A JSON number as the exact Decimal it was rendered from."""
    return Decimal(str(value))


def rows_by_code(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["currency_code"]: row for row in rows}


def partner_customers(server: SandboxServer, partner_id: int) -> list[Customer]:
    with server.sandbox.store.session() as session:
        query = select(Customer).where(Customer.partner_id == partner_id).order_by(Customer.id)
        return list(session.exec(query))


def wallets_of(server: SandboxServer, partner_id: int, customer_id: int | None) -> dict[str, Decimal]:
    with server.sandbox.store.session() as session:
        query = select(Wallet).where(Wallet.partner_id == partner_id)
        query = query.where(
            col(Wallet.customer_id).is_(None) if customer_id is None else Wallet.customer_id == customer_id
        )
        return {wallet.asset: wallet.balance for wallet in session.exec(query)}


def ledger_entries(server: SandboxServer, customer_id: int) -> list[LedgerEntry]:
    with server.sandbox.store.session() as session:
        query = (
            select(LedgerEntry)
            .join(Wallet, col(Wallet.id) == col(LedgerEntry.wallet_id))
            .where(Wallet.customer_id == customer_id)
            .order_by(col(LedgerEntry.id))
        )
        return list(session.exec(query))


def open_orders(server: SandboxServer, customer_id: int) -> list[tuple[Order, OrderItem]]:
    with server.sandbox.store.session() as session:
        query = (
            select(Order, OrderItem)
            .join(OrderItem, col(OrderItem.order_id) == col(Order.id))
            .where(Order.customer_id == customer_id, col(Order.status_id).in_(ALL_OPEN))
        )
        return list(session.exec(query))


def customer_with_only_open_sells(server: SandboxServer, bucket: str) -> tuple[Customer, str, Decimal]:
    """A demo customer whose only open orders are sells held in `bucket` ("soft" or "hard"): the
    customer, the sku and the grams those sells hold."""
    for customer in partner_customers(server, 1):
        pending = open_orders(server, customer.id)
        if not pending or any(order.type != "Sell" for order, _ in pending):
            continue
        statuses = {STATUS_IDS[name]: kind for name, kind in OPEN_SELL.items()}
        if {statuses[order.status_id] for order, _ in pending} != {bucket}:
            continue
        skus = {item.sku for _, item in pending}
        if len(skus) == 1:
            return customer, skus.pop(), sum((item.amount for _, item in pending), Decimal(0))
    raise AssertionError(f"the seeded world has no customer with only {bucket}-held sells")


def acme_only_customer(server: SandboxServer) -> Customer:
    demo_ids = {customer.external_id for customer in partner_customers(server, 1)}
    return next(c for c in partner_customers(server, 2) if c.external_id not in demo_ids)


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


def test_customer_balance_open_confirmed_sell_is_blocked(client: httpx.Client, server: SandboxServer) -> None:
    customer, sku, held = customer_with_only_open_sells(server, "hard")

    row = rows_by_code(ok_data(client.get(f"/partner/balance/customer/{customer.external_id}")))[sku]

    assert (dec(row["blocked"]), dec(row["soft_blocked_amount"])) == (held, 0)
    assert dec(row["real_balance"]) == dec(row["balance"]) - held


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


# -- Update Customer Cash Balance (sandbox decision): a dedicated server -----------------------------


@pytest.fixture(scope="module")
def cash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A world of its own: these tests deposit and withdraw."""
    settings = make_settings(tmp_path_factory.mktemp("cash"))
    with SandboxServer(settings, clock=Clock(frozen_at=WORLD_END)) as running:
        yield running


@pytest.fixture
def cash_client(cash_server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=cash_server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS
    ) as http:
        yield http


@pytest.fixture(scope="module")
def pool(cash_server: SandboxServer) -> Iterator[Customer]:
    """Demo customers without open orders, each handed to one test only (they get money moved)."""
    return iter([c for c in partner_customers(cash_server, 1)[1:] if not open_orders(cash_server, c.id)])


def patch(http: httpx.Client, external_id: str, body: dict[str, Any]) -> httpx.Response:
    """Update Customer Cash Balance; Decimal amounts go out as JSON numbers (2 dp survive the float)."""
    numbers = {key: float(value) if isinstance(value, Decimal) else value for key, value in body.items()}
    return http.patch(f"/partner/balance/customer/{external_id}", json=numbers)


def balance(http: httpx.Client, external_id: str, code: str = "TRY") -> Decimal:
    rows = rows_by_code(ok_data(http.get(f"/partner/balance/customer/{external_id}")))
    return dec(rows[code]["balance"]) if code in rows else Decimal(0)


def test_update_cash_deposit_increases_balance_by_exactly_the_amount(
    cash_client: httpx.Client, pool: Iterator[Customer]
) -> None:
    customer = next(pool)
    before = balance(cash_client, customer.external_id)

    ok_data(patch(cash_client, customer.external_id, {"amount": 100.50, "description": "Havale"}))

    assert balance(cash_client, customer.external_id) == before + Decimal("100.50")


def test_update_cash_deposit_writes_a_deposit_ledger_entry(
    cash_client: httpx.Client, cash_server: SandboxServer, pool: Iterator[Customer]
) -> None:
    customer = next(pool)
    before = ledger_entries(cash_server, customer.id)

    ok_data(patch(cash_client, customer.external_id, {"amount": 100.50, "description": "Havale"}))

    new = ledger_entries(cash_server, customer.id)[len(before) :]
    assert [(e.amount, e.kind, e.description, e.order_id, e.created_at) for e in new] == [
        (Decimal("100.50"), "deposit", "Havale", None, WORLD_END)
    ]


def test_update_cash_answers_with_the_customer_balance_rows(
    cash_client: httpx.Client, pool: Iterator[Customer]
) -> None:
    customer = next(pool)

    rows = ok_data(patch(cash_client, customer.external_id, {"amount": 5}))

    assert rows == ok_data(cash_client.get(f"/partner/balance/customer/{customer.external_id}"))


def test_update_cash_withdrawal_decreases_balance_and_writes_a_withdrawal(
    cash_client: httpx.Client, cash_server: SandboxServer, pool: Iterator[Customer]
) -> None:
    customer = next(pool)
    ok_data(patch(cash_client, customer.external_id, {"amount": 1000}))
    before = balance(cash_client, customer.external_id)

    ok_data(patch(cash_client, customer.external_id, {"amount": -250.25}))

    assert balance(cash_client, customer.external_id) == before - Decimal("250.25")
    last = ledger_entries(cash_server, customer.id)[-1]
    assert (last.amount, last.kind, last.description) == (Decimal("-250.25"), "withdrawal", None)


def test_update_cash_withdrawal_beyond_balance_returns_422_and_writes_nothing(
    cash_client: httpx.Client, cash_server: SandboxServer, pool: Iterator[Customer]
) -> None:
    customer = next(pool)
    before = balance(cash_client, customer.external_id)
    entries = len(ledger_entries(cash_server, customer.id))

    response = patch(cash_client, customer.external_id, {"amount": -(before + Decimal("0.01"))})

    error_body(response, 422, "insufficient_balance")
    assert balance(cash_client, customer.external_id) == before
    assert len(ledger_entries(cash_server, customer.id)) == entries


def test_update_cash_withdrawal_cannot_take_what_open_orders_hold(
    cash_client: httpx.Client, cash_server: SandboxServer
) -> None:
    customer = next(
        c
        for c in partner_customers(cash_server, 1)
        if any(o.flow == "buy-cash" and o.currency_code == "TRY" for o, _ in open_orders(cash_server, c.id))
    )
    ok_data(patch(cash_client, customer.external_id, {"amount": 1_000_000}))
    row = rows_by_code(ok_data(cash_client.get(f"/partner/balance/customer/{customer.external_id}")))["TRY"]
    held = dec(row["blocked"]) + dec(row["soft_blocked_amount"])
    available = dec(row["real_balance"])

    refused = patch(cash_client, customer.external_id, {"amount": -(available + Decimal("0.01"))})
    taken = ok_data(patch(cash_client, customer.external_id, {"amount": -available}))

    assert held > 0
    error_body(refused, 422, "insufficient_balance")
    after = rows_by_code(taken)["TRY"]
    assert (dec(after["balance"]), dec(after["real_balance"])) == (held, 0)


def test_update_cash_withdrawal_from_unopened_currency_returns_422_and_opens_nothing(
    cash_client: httpx.Client, cash_server: SandboxServer, pool: Iterator[Customer]
) -> None:
    customer = next(c for c in pool if "GBP" not in wallets_of(cash_server, 1, c.id))

    response = patch(cash_client, customer.external_id, {"amount": -1, "currency_code": "GBP"})

    error_body(response, 422, "insufficient_balance")
    assert "GBP" not in wallets_of(cash_server, 1, customer.id)


def test_update_cash_deposit_in_a_new_currency_adds_its_row_after_try(
    cash_client: httpx.Client, cash_server: SandboxServer, pool: Iterator[Customer]
) -> None:
    customer = next(c for c in pool if not {"USD", "EUR", "GBP"} & set(wallets_of(cash_server, 1, c.id)))

    rows = ok_data(patch(cash_client, customer.external_id, {"amount": 42.1, "currency_code": "EUR"}))

    assert [row["currency_code"] for row in rows] == ["TRY", "EUR", *SKUS]
    eur = rows[1]
    assert (eur["name"], eur["currency_symbol"], eur["is_cash"], dec(eur["balance"])) == (
        "Euro",
        "€",
        True,
        Decimal("42.1"),
    )


def test_update_cash_unknown_customer_returns_404(cash_client: httpx.Client) -> None:
    error_body(patch(cash_client, "no-such-customer", {"amount": 10}), 404, "customer_not_found")


def test_update_cash_other_partners_customer_returns_404_and_writes_nothing(
    cash_client: httpx.Client, cash_server: SandboxServer
) -> None:
    foreign = acme_only_customer(cash_server)
    before = wallets_of(cash_server, 2, foreign.id)

    response = patch(cash_client, foreign.external_id, {"amount": 10})

    error_body(response, 404, "customer_not_found")
    assert wallets_of(cash_server, 2, foreign.id) == before


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"amount": 0}, "amount", "Must not be zero."),
    ({"amount": 1.005}, "amount", "Must have at most 2 decimal places."),
    ({"amount": 1_000_000_000.01}, "amount", "Must be at most 1000000000."),
    ({"amount": -1_000_000_001}, "amount", "Must be at least -1000000000."),
    ({"amount": "ten"}, "amount", "Must be a number."),
    ({}, "amount", "This field is required."),
    ({"amount": 1, "currency_code": "JPY"}, "currency_code", "Must be one of: 'TRY', 'USD', 'EUR' or 'GBP'."),
    ({"amount": 1, "description": "x" * 256}, "description", "Must have at most 255 characters."),
    ({"amount": 1, "note": "x"}, "note", "This field is not allowed."),
])  # fmt: skip
def test_update_cash_invalid_body_returns_422_on_the_field(
    cash_client: httpx.Client, cash_server: SandboxServer, body: dict[str, Any], field: str, message: str
) -> None:
    customer = partner_customers(cash_server, 1)[0]
    entries = len(ledger_entries(cash_server, customer.id))

    response = cash_client.patch(
        f"/partner/balance/customer/{customer.external_id}", json=body, headers={"Accept-Language": "en"}
    )

    assert field_errors(response) == {field: [message]}
    assert len(ledger_entries(cash_server, customer.id)) == entries


def test_update_cash_after_deposits_and_withdrawals_leaves_no_invariant_violation(
    cash_client: httpx.Client, cash_server: SandboxServer, pool: Iterator[Customer]
) -> None:
    customer = next(pool)
    ok_data(patch(cash_client, customer.external_id, {"amount": 300}))
    ok_data(patch(cash_client, customer.external_id, {"amount": -299.99, "currency_code": "TRY"}))

    report = ok_data(httpx.get(f"{cash_server.url}/_sandbox/invariants"))

    assert report["violations"] == []
