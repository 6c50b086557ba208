"""The ledger invariant, checked over the whole store: every wallet's stored balance equals the sum of
its ledger entries and is never negative (docs/development.md, "Decisions the code relies on")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from sandbox.store.models import Customer, LedgerEntry, Partner, Wallet, exact_sum, summed


def check(session: Session) -> dict[str, Any]:
    """One aggregate over wallets ⟕ ledger entries; a wallet may report both problems."""
    query = (
        # sqlmodel types select() for at most four columns; it takes any number.
        select(  # type: ignore[call-overload]
            Wallet.id,
            Partner.username,
            Customer.external_id,
            Wallet.asset,
            Wallet.balance,
            *exact_sum(LedgerEntry.amount),
            func.count(col(LedgerEntry.id)),
        )
        .join(Partner, col(Partner.id) == col(Wallet.partner_id))
        .outerjoin(Customer, col(Customer.id) == col(Wallet.customer_id))
        .outerjoin(LedgerEntry, col(LedgerEntry.wallet_id) == col(Wallet.id))
        # Every column the query selects (PostgreSQL refuses one that is neither grouped nor summed).
        .group_by(Wallet.id, Partner.username, Customer.external_id, Wallet.asset, Wallet.balance)
        .order_by(Wallet.id)
    )
    wallets = entries = 0
    violations: list[dict[str, Any]] = []
    for wallet_id, partner, customer_external_id, asset, balance, *ledger, count in session.exec(query):
        wallets += 1
        entries += count
        ledger_sum = summed(*ledger)
        problems = []
        if balance != ledger_sum:
            problems.append("balance_mismatch")
        if balance < 0:
            problems.append("negative_balance")
        violations.extend(
            {
                "wallet_id": wallet_id,
                "partner": partner,
                "customer_external_id": customer_external_id,
                "asset": asset,
                "balance": balance,
                "ledger_sum": ledger_sum,
                "problem": problem,
            }
            for problem in problems
        )
    return {"wallets": wallets, "entries": entries, "violations": violations}
