"""Finding a partner's customer: the one lookup every group shares (it imports nothing else)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from sandbox.store.models import Customer


def find_customer(session: Session, partner_id: int, external_id: str) -> Customer | None:
    """The partner's live customer with this external_id (a removed customer is unknown)."""
    query = select(Customer).where(
        Customer.partner_id == partner_id,
        Customer.external_id == external_id,
        col(Customer.deleted_at).is_(None),
    )
    return session.exec(query).first()
