"""Update Customer Cash Balance (sandbox decision): top-ups and withdrawals on a dedicated server."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.catalog import SKUS
from sandbox.core.clock import Clock
from sandbox.store.models import Customer
from sandbox.testing.server import SandboxServer
from sandbox.world import WORLD_END
from tests.api.balance_support import (
    acme_only_customer,
    dec,
    ledger_entries,
    open_orders,
    partner_customers,
    rows_by_code,
    wallets_of,
)
from tests.api.helpers import error_body, field_errors, notices, ok_data, partner_profile
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import make_settings

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


def test_update_cash_unknown_field_is_ignored_with_a_notice(
    cash_client: httpx.Client, cash_server: SandboxServer, pool: Iterator[Customer]
) -> None:
    """Lenient (the default): profile rule `unknown_fields`."""
    customer = next(pool)
    before = ledger_entries(cash_server, customer.id)

    response = patch(cash_client, customer.external_id, {"amount": 7, "note": "x"})

    ok_data(response)
    assert notices(response) == ["unknown_fields: ignored note"]
    new = ledger_entries(cash_server, customer.id)[len(before) :]
    assert [(e.amount, e.kind, e.description) for e in new] == [(Decimal(7), "deposit", None)]


def test_update_cash_unknown_field_under_strict_returns_422_and_writes_nothing(
    cash_client: httpx.Client, cash_server: SandboxServer
) -> None:
    customer = partner_customers(cash_server, 1)[0]
    entries = len(ledger_entries(cash_server, customer.id))

    with partner_profile(cash_server, "strict"):
        response = cash_client.patch(
            f"/partner/balance/customer/{customer.external_id}",
            json={"amount": 1, "note": "x"},
            headers={"Accept-Language": "en"},
        )

    assert field_errors(response) == {"note": ["This field is not allowed."]}
    assert len(ledger_entries(cash_server, customer.id)) == entries


def test_update_cash_after_deposits_and_withdrawals_leaves_no_invariant_violation(
    cash_client: httpx.Client, cash_server: SandboxServer, pool: Iterator[Customer]
) -> None:
    customer = next(pool)
    ok_data(patch(cash_client, customer.external_id, {"amount": 300}))
    ok_data(patch(cash_client, customer.external_id, {"amount": -299.99, "currency_code": "TRY"}))

    report = ok_data(httpx.get(f"{cash_server.url}/_sandbox/invariants"))

    assert report["violations"] == []
