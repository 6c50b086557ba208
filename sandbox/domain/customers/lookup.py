"""Finding a partner's customer: the one lookup every group shares (it imports nothing else)."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from sandbox.store.models import Customer

# Built once: the look-up runs in most partner requests.
_LIVE = select(Customer).where(
    Customer.partner_id == bindparam("partner_id"),
    Customer.external_id == bindparam("external_id"),
    col(Customer.deleted_at).is_(None),
)


def find_customer(session: Session, partner_id: int, external_id: str) -> Customer | None:
    """The partner's live customer with this external_id (a removed customer is unknown)."""
    return session.exec(_LIVE, params={"partner_id": partner_id, "external_id": external_id}).first()
