"""Card storage wire models (sandbox decision, docs/design/contract.md §2 row 24: the docs list Card
Storage List,
Add and Delete in the menu only).

The models check types and sizes; the card rules (Luhn, network, expiry on the sandbox clock, CVV length
by network) live in the service, which reports every broken card field at once.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from sandbox.wire.base import WireModel
from sandbox.wire.customers import ExternalId

CardHolder = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=50)]
CardToken = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class CardSave(WireModel):
    """Card Storage Add: the full card once; only its masked number is ever kept or shown again."""

    customer_external_id: ExternalId
    card_holder: CardHolder
    card_number: str = Field(max_length=40, description="13–19 digits passing the Luhn check; spaces allowed")
    card_expiry: str = Field(max_length=10, description="MM/YY, not before this month", examples=["12/30"])
    card_cvv: str = Field(
        max_length=10, description="3 digits (4 for Amex); checked for format, never stored"
    )


class CardDelete(WireModel):
    customer_external_id: ExternalId
    card_token: CardToken


class StoredCardRecord(WireModel):
    """A stored card as the partner sees it: token and masked number, never the full number or a CVV."""

    card_token: str = Field(description="32 alphanumerics; pay with it as `payment.card_token`")
    customer_external_id: str
    card_holder: str
    card_number: str = Field(description="Masked: first 6 and last 4 digits", examples=["404809******7528"])
    card_expiry: str = Field(description="MM/YY")
    card_association: str = Field(description="Visa, Mastercard, Troy or Amex")
    created_at: str = Field(description="YYYY-mm-dd HH:MM:SS, Europe/Istanbul")


class StoredCardList(WireModel):
    cards: list[StoredCardRecord] = Field(description="The customer's cards, oldest first")


class CardDeleted(WireModel):
    card_token: str
    deleted: bool
