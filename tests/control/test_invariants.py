"""GET /_sandbox/invariants: every wallet's stored balance equals the sum of its ledger entries and is
never negative. Corruption is written straight into the session server's database; the reset after the test
(`fresh_server`) copies the seeded world back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import update
from sqlmodel import col, func, select

from sandbox.store.models import Customer, LedgerEntry, Partner, Wallet
from sandbox.testing.server import SandboxServer
from tests.api.helpers import ok_data

PATH = "/_sandbox/invariants"


def report(server: SandboxServer) -> dict[str, Any]:
    """The check as an anonymous caller sees it: no Digest on /_sandbox."""
    return ok_data(httpx.get(f"{server.url}{PATH}"))


def counts(server: SandboxServer) -> tuple[int, int]:
    with server.sandbox.store.session() as session:
        wallets = session.exec(select(func.count()).select_from(Wallet)).one()
        entries = session.exec(select(func.count()).select_from(LedgerEntry)).one()
    return wallets, entries


def customer_wallet(server: SandboxServer) -> tuple[Wallet, str, str]:
    """A customer's wallet holding something, with its partner's username and the customer's id."""
    with server.sandbox.store.session() as session:
        wallet, username, external_id = session.exec(
            select(Wallet, Partner.username, Customer.external_id)
            .join(Partner, col(Partner.id) == col(Wallet.partner_id))
            .join(Customer, col(Customer.id) == col(Wallet.customer_id))
            .where(col(Wallet.balance) > 0)
            .order_by(Wallet.id)
        ).first()
    return wallet, username, external_id


def test_invariants_on_the_seeded_world_report_no_violation(server: SandboxServer) -> None:
    data = report(server)

    assert list(data) == ["wallets", "entries", "violations"]
    assert (data["wallets"], data["entries"]) == counts(server)
    assert data["wallets"] > 0 and data["entries"] > 0
    assert data["violations"] == []


def test_invariants_need_no_digest_and_no_partner_headers(server: SandboxServer) -> None:
    response = httpx.get(f"{server.url}{PATH}")

    assert response.status_code == 200
    assert "www-authenticate" not in response.headers


def test_invariants_route_is_a_sandbox_control_decision_in_openapi(server: SandboxServer) -> None:
    operation = httpx.get(f"{server.url}/openapi.json").json()["paths"][PATH]["get"]

    assert (operation["tags"], operation["x-fidelity"]) == (["Sandbox control"], "sandbox-decision")
    assert operation["summary"]
    assert "security" not in operation


def test_invariants_stored_balance_off_its_ledger_reports_balance_mismatch(
    fresh_server: SandboxServer,
) -> None:
    wallet, username, external_id = customer_wallet(fresh_server)
    with fresh_server.sandbox.store.session(write=True) as session:
        session.exec(
            update(Wallet).where(Wallet.id == wallet.id).values(balance=wallet.balance + Decimal("1.5"))
        )

    data = report(fresh_server)

    assert data["violations"] == [
        {
            "wallet_id": wallet.id,
            "partner": username,
            "customer_external_id": external_id,
            "asset": wallet.asset,
            "balance": float(wallet.balance + Decimal("1.5")),
            "ledger_sum": float(wallet.balance),
            "problem": "balance_mismatch",
        }
    ]
    assert (data["wallets"], data["entries"]) == counts(fresh_server)


def test_invariants_negative_balance_matching_its_ledger_reports_negative_balance(
    fresh_server: SandboxServer,
) -> None:
    wallet, username, external_id = customer_wallet(fresh_server)
    overdraft = -(wallet.balance + Decimal("2.25"))
    with fresh_server.sandbox.store.session(write=True) as session:
        # Past the ledger's own guard: an entry that takes more than the wallet holds.
        session.add(
            LedgerEntry(
                wallet_id=wallet.id, amount=overdraft, kind="withdrawal", created_at=datetime.now(UTC)
            )
        )
        session.exec(update(Wallet).where(Wallet.id == wallet.id).values(balance=Decimal("-2.25")))

    data = report(fresh_server)

    assert data["violations"] == [
        {
            "wallet_id": wallet.id,
            "partner": username,
            "customer_external_id": external_id,
            "asset": wallet.asset,
            "balance": -2.25,
            "ledger_sum": -2.25,
            "problem": "negative_balance",
        }
    ]


def test_invariants_negative_balance_off_its_ledger_reports_both_problems(
    fresh_server: SandboxServer,
) -> None:
    wallet, _, _ = customer_wallet(fresh_server)
    with fresh_server.sandbox.store.session(write=True) as session:
        session.exec(update(Wallet).where(Wallet.id == wallet.id).values(balance=Decimal("-1")))

    problems = [(v["wallet_id"], v["problem"]) for v in report(fresh_server)["violations"]]

    assert problems == [(wallet.id, "balance_mismatch"), (wallet.id, "negative_balance")]


def test_invariants_b2b_wallet_reports_null_customer(fresh_server: SandboxServer) -> None:
    with fresh_server.sandbox.store.session(write=True) as session:
        wallet = session.exec(
            select(Wallet).where(col(Wallet.customer_id).is_(None)).order_by(Wallet.id)
        ).first()
        session.exec(update(Wallet).where(Wallet.id == wallet.id).values(balance=wallet.balance + 1))

    violations = report(fresh_server)["violations"]

    assert [(v["wallet_id"], v["customer_external_id"], v["problem"]) for v in violations] == [
        (wallet.id, None, "balance_mismatch")
    ]
