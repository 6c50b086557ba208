"""Card payments: payment types, the BIN query, checking a buy's `payment` block, opening the Payment
of a card order and settling it when the cardholder answers the 3-D Secure page.

sandbox decisions (docs/design/contract.md §2 rows 8–12): a card order starts Pending with a `new` payment
whose
`redirect_url` is the sandbox's 3-D Secure page; Approve moves it on (a buy to Completed through
Payment Confirmed, anything else to Payment Confirmed), Decline or a declining magic card cancels it
with the processor's error kept on the payment. A non-3-D card settles inside the buy request itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from sandbox.core.errors import FieldError, SandboxError, ValidationFailed
from sandbox.core.ids import Rng
from sandbox.domain import cards
from sandbox.domain.lifecycle import engine, progression
from sandbox.store.models import Customer, Order, Payment, StoredCard, pk
from sandbox.wire.payments import CardPayment

# documented: requests spell it `creditcard`; orders render `credit-card` (both accepted).
CARD_PAYMENT_TYPES = ("creditcard", "credit-card")
PAYMENT_TYPE_NAMES = {"cash": ("Nakit", "Cash"), "credit-card": ("Kredi Kartı", "Credit card")}
TOKEN_LENGTH = 32
_CARD_FIELDS = ("card_holder", "card_number", "card_expiry")


def payment_types(locale: str) -> list[dict[str, str]]:
    index = 0 if locale == "tr" else 1
    return [{"code": code, "name": names[index]} for code, names in PAYMENT_TYPE_NAMES.items()]


def bin_query(bin_text: str, total: Decimal) -> dict[str, Any]:
    """Bin Query: the card's network and bank, and what each installment count would cost."""
    info = cards.bin_info(bin_text) if cards.BIN_PATTERN.fullmatch(bin_text) else None
    if info is None:
        raise ValidationFailed(errors={"bin": [("invalid_bin", {})]})
    return {
        "bin": bin_text,
        "card_association": info.card_association,
        "bank_name": info.bank_name,
        "card_type": info.card_type,
        "installments": [vars(cards.installment_row(bin_text, count, total)) for count in info.installments],
    }


# -- the payment block of a buy -------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """A card ready to be charged: what a Payment row keeps of it (never the full number or the CVV)."""

    holder: str
    masked: str
    expiry: str
    association: str
    scenario: str
    installment: int
    customer_ip: str | None

    @property
    def bin(self) -> str:
        return self.masked[:6]


def check_request(payment_type: str, block: CardPayment | None, items: int) -> CardPayment | None:
    """The request-level rules of a card buy, before anything is read or written: a `payment` block
    (and only with a card), one item, and either a stored card or the card itself. Returns the block
    of a card payment, None for cash."""
    if payment_type not in CARD_PAYMENT_TYPES:
        if block is not None:
            raise ValidationFailed(errors={"payment": [("extra_forbidden", {})]})
        return None
    errors: dict[str, list[FieldError]] = {}
    if items != 1:
        errors["items"] = [("card_single_item", {})]
    if block is None:
        errors["payment"] = [("payment_required", {})]
    else:
        given = [name for name in _CARD_FIELDS if getattr(block, name) is not None]
        if (block.card_token is not None) == bool(given):
            errors["payment"] = [("card_or_token", {})]
        elif block.card_token is None:
            for name in _CARD_FIELDS:
                if name not in given:
                    errors[f"payment.{name}"] = [("missing", {})]
    if errors:
        raise ValidationFailed(errors=errors)
    return block


def entered_card(block: CardPayment, now: datetime) -> Card:
    """The card of a `card_number` payment; 422 naming every broken card field otherwise."""
    errors: dict[str, list[FieldError]] = {}
    digits = cards.digits_of(block.card_number or "")
    network = cards.association(digits) if digits and cards.luhn_ok(digits) else None
    if digits is None or network is None:
        errors["payment.card_number"] = [("invalid_card_number", {})]
    expiry = block.card_expiry or ""
    if not cards.EXPIRY.fullmatch(expiry):
        errors["payment.card_expiry"] = [("invalid_expiry", {})]
    elif not cards.expiry_ok(expiry, now):
        errors["payment.card_expiry"] = [("card_expired", {})]
    _check_cvv_and_installment(errors, block, network, digits)
    if errors or digits is None or network is None:
        raise ValidationFailed(errors=errors)
    return Card(
        holder=block.card_holder or "",
        masked=cards.mask(digits),
        expiry=expiry,
        association=network,
        scenario=cards.scenario_of(digits),
        installment=block.installment or 1,
        customer_ip=_ip(block),
    )


def stored_card(
    session: Session, partner_id: int, customer: Customer | None, block: CardPayment, now: datetime
) -> Card:
    """The customer's stored card named by `card_token`. Cards belong to customers: a B2B request (no
    customer) or another customer's token finds nothing, 404 `card_token_not_found`."""
    if customer is None:
        raise SandboxError("card_token_not_found")
    card = find_card(session, partner_id, pk(customer), block.card_token or "")
    errors: dict[str, list[FieldError]] = {}
    if not cards.expiry_ok(card.card_expiry, now):
        errors["payment.card_token"] = [("card_expired", {})]
    _check_cvv_and_installment(errors, block, card.card_association, card.card_number[:6])
    if errors:
        raise ValidationFailed(errors=errors)
    return Card(
        holder=card.card_holder,
        masked=card.card_number,
        expiry=card.card_expiry,
        association=card.card_association,
        scenario=card.scenario,
        installment=block.installment or 1,
        customer_ip=_ip(block),
    )


def _check_cvv_and_installment(
    errors: dict[str, list[FieldError]], block: CardPayment, network: str | None, digits: str | None
) -> None:
    # While the network is unknown (a broken number), either length passes.
    if not any(cards.cvv_ok(block.card_cvv, each) for each in ([network] if network else [None, "Amex"])):
        errors["payment.card_cvv"] = [("invalid_cvv", {})]
    info = cards.bin_info(digits) if digits and network else None
    if info is not None and (block.installment or 1) not in info.installments:
        offered = ", ".join(str(count) for count in info.installments)
        errors["payment.installment"] = [("installment_not_available", {"installments": offered})]


def _ip(block: CardPayment) -> str | None:
    return str(block.customer_ip) if block.customer_ip is not None else None


# -- the payment of a card order ------------------------------------------------------------------------


def find_card(session: Session, partner_id: int, customer_id: int, token: str) -> StoredCard:
    """The customer's stored card with this token, or 404 `card_token_not_found` (another customer's
    or another partner's token is unknown too)."""
    query = select(StoredCard).where(
        StoredCard.token == token,
        StoredCard.partner_id == partner_id,
        StoredCard.customer_id == customer_id,
    )
    card = session.exec(query).first()
    if card is None:
        raise SandboxError("card_token_not_found")
    return card


def open_payment(session: Session, rng: Rng, order: Order, card: Card, now: datetime) -> Payment:
    """The order's `new` payment: the order total plus the installments' commission. documented
    (Card Payment Get Order): a card order's `payment_cost` is 10, not part of any total.
    A non-3-D card is settled at once; a 3-D card waits for its `/pay/{token}` page."""
    row = cards.installment_row(card.bin, card.installment, order.total)
    outcome = cards.scenario(card.scenario)
    token = rng.token(TOKEN_LENGTH)
    while session.exec(select(Payment.id).where(Payment.token == token)).first() is not None:
        token = rng.token(TOKEN_LENGTH)
    payment = Payment(
        order_id=pk(order),
        state="new",
        token=token,
        redirect_url=f"/pay/{token}" if outcome.three_d else None,
        is_3d=outcome.three_d,
        auth_mode="3d" if outcome.three_d else "non3d",
        amount=order.total,
        comission=row.comission,
        total=row.total,
        installment=card.installment,
        card_holder=card.holder,
        card_number=card.masked,
        card_expiry=card.expiry,
        card_association=card.association,
        customer_ip=card.customer_ip,
        scenario=card.scenario,
        created_at=now,
    )
    order.payment_cost = cards.CARD_PAYMENT_COST
    session.add(order)
    session.add(payment)
    session.flush()
    if not outcome.three_d:
        settle(session, rng, order, payment, now, approved=True)
    return payment


def settle(
    session: Session, rng: Rng, order: Order, payment: Payment, now: datetime, *, approved: bool
) -> None:
    """The cardholder's answer (or a non-3-D charge): the processor approves unless the card's magic
    scenario declines it; a decline keeps its error on the payment and cancels the order."""
    outcome = cards.scenario(payment.scenario)
    if approved and outcome.approves:
        # Payment Confirmed; then the flow's progression mode decides (a buy completes at once by
        # default, a delivery waits to be prepared).
        engine.advance(session, order, now, rng, to="Payment Confirmed")
        progression.settle(session, order, now, rng)
        return
    code, message = (outcome.error_code, outcome.error_message) if approved else cards.DECLINED_BY_CARDHOLDER
    payment.error_code, payment.error_message = code, message
    session.add(payment)
    engine.advance(session, order, now, rng, to="Cancelled")


def find_payment(session: Session, token: str) -> tuple[Payment, Order] | None:
    """The payment behind a `/pay/{token}` page (the token is the only credential) and its order."""
    payment = session.exec(select(Payment).where(Payment.token == token)).first()
    if payment is None:
        return None
    return payment, session.exec(select(Order).where(Order.id == payment.order_id)).one()


def answer(session: Session, rng: Rng, payment: Payment, order: Order, approved: bool, now: datetime) -> None:
    """Process the 3-D Secure answer once: a payment that is no longer `new` is left as it is."""
    if payment.state == "new":
        settle(session, rng, order, payment, now, approved=approved)
