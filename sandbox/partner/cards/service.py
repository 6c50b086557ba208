"""Card storage: save, list and delete a customer's cards (card-token payments find them with
`sandbox.domain.payments.find_card`).

sandbox decisions (docs/design/contract.md §2 row 24): a card belongs to one customer of one partner.
Neither the
full number nor the CVV is ever stored or returned (the CVV is only checked for format). The row keeps
the masked number and a keyed fingerprint, HMAC-SHA256 over the digits with a key derived from the
sandbox seed, so the same card saved again by the same customer keeps its token (its holder and
expiry are refreshed) instead of making a second row; the token itself is random, never derived from
the number. Only the four documented associations are accepted: Visa, Mastercard, Troy, Amex.
The card rules (Luhn, networks, masking, expiry, magic cards) are sandbox/domain/cards.py's, so a
stored card and a card typed into a payment are judged alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from sandbox.core import dates
from sandbox.core.errors import FieldError, SandboxError, ValidationFailed
from sandbox.core.ids import Rng
from sandbox.domain import cards
from sandbox.domain.customers.lookup import find_customer
from sandbox.domain.payments import find_card
from sandbox.partner.cards.schemas import CardSave
from sandbox.store.models import Customer, StoredCard, pk

_TOKEN_LENGTH = 32


def customer_or_404(session: Session, partner_id: int, external_id: str) -> Customer:
    """The partner's live customer; another partner's customers are unknown."""
    customer = find_customer(session, partner_id, external_id)
    if customer is None:
        raise SandboxError("customer_not_found")
    return customer


def checked_card(body: CardSave, now: datetime) -> tuple[str, str]:
    """(digits, association) of a valid card; otherwise 422 naming every broken card field."""
    errors: dict[str, list[FieldError]] = {}
    digits = cards.digits_of(body.card_number)
    network = cards.association(digits) if digits and cards.luhn_ok(digits) else None
    if digits is None or network is None:
        errors["card_number"] = [("invalid_card_number", {})]
    if not cards.EXPIRY.fullmatch(body.card_expiry):
        errors["card_expiry"] = [("invalid_expiry", {})]
    elif not cards.expiry_ok(body.card_expiry, now):
        errors["card_expiry"] = [("card_expired", {})]
    # Amex prints a 4-digit code, the others 3; while the number is unknown, either length passes.
    networks = [network] if network else [None, "Amex"]
    if not any(cards.cvv_ok(body.card_cvv, candidate) for candidate in networks):
        errors["card_cvv"] = [("invalid_cvv", {})]
    if errors or digits is None or network is None:
        raise ValidationFailed(errors=errors)
    return digits, network


def save_card(
    session: Session, partner_id: int, body: CardSave, now: datetime, rng: Rng, seed: int
) -> tuple[StoredCard, Customer]:
    """Store the card for the customer, or refresh the one already stored under the same number."""
    customer = customer_or_404(session, partner_id, body.customer_external_id)
    digits, network = checked_card(body, now)
    mark = cards.fingerprint(digits, seed)
    card = session.exec(
        select(StoredCard).where(StoredCard.customer_id == customer.id, StoredCard.fingerprint == mark)
    ).first()
    if card is None:
        card = StoredCard(
            partner_id=partner_id,
            customer_id=pk(customer),
            token=rng.token(_TOKEN_LENGTH),
            fingerprint=mark,
            card_holder=body.card_holder,
            card_number=cards.mask(digits),
            card_expiry=body.card_expiry,
            card_association=network,
            scenario=cards.scenario_of(digits),
            created_at=now,
        )
    else:
        card.card_holder = body.card_holder
        card.card_expiry = body.card_expiry
    session.add(card)
    session.flush()
    return card, customer


def list_cards(session: Session, partner_id: int, external_id: str) -> tuple[list[StoredCard], Customer]:
    customer = customer_or_404(session, partner_id, external_id)
    query = select(StoredCard).where(
        StoredCard.partner_id == partner_id, StoredCard.customer_id == customer.id
    )
    return list(session.exec(query.order_by(col(StoredCard.id)))), customer


def delete_card(session: Session, partner_id: int, external_id: str, token: str) -> str:
    customer = customer_or_404(session, partner_id, external_id)
    card = find_card(session, partner_id, pk(customer), token)
    session.delete(card)
    session.flush()
    return token


def render(card: StoredCard, customer: Customer) -> dict[str, str]:
    return {
        "card_token": card.token,
        "customer_external_id": customer.external_id,
        "card_holder": card.card_holder,
        "card_number": card.card_number,
        "card_expiry": card.card_expiry,
        "card_association": card.card_association,
        "created_at": dates.sql_style(card.created_at),
    }
