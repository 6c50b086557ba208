"""Card payment wire models: Payment Get All Types, Bin Query (sandbox decisions, docs/design/contract.md
§2 rows 8–9)
and the `payment` block of a card buy (rows 10–11).

The models check types and sizes only; the card rules (Luhn, network, expiry on the sandbox clock, CVV
length by network, installments the BIN offers) live in the service, which names every broken field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, IPvAnyAddress, StringConstraints

from sandbox.wire.base import WireModel
from sandbox.wire.prices import Money

CardHolder = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=50)]


class PaymentType(WireModel):
    code: Literal["cash", "credit-card"]
    name: str = Field(description="Localized by Accept-Language")


class BinQuery(WireModel):
    bin: str = Field(max_length=40, description="The card's first 6–8 digits", examples=["404809"])
    total: Money


class InstallmentRow(WireModel):
    installment: int
    amount_per_installment: float = Field(description="total / installment, 2 dp")
    total: float = Field(description="The amount plus comission")
    comission: float = Field(description="sic: the partner's spelling")


class BinResponse(WireModel):
    bin: str
    card_association: Literal["Visa", "Mastercard", "Troy", "Amex"]
    bank_name: str | None = Field(description="null for a BIN the sandbox does not know")
    card_type: Literal["credit", "debit"]
    installments: list[InstallmentRow]


class CardPayment(WireModel):
    """documented (api-4434391): pay with a stored card (`card_token`, B2B2C) or with the card itself
    (`card_holder`, `card_number`, `card_expiry`); `card_cvv` either way, checked and never stored."""

    card_token: str | None = Field(
        None, min_length=1, max_length=64, description="A stored card of the customer"
    )
    card_holder: CardHolder | None = None
    card_number: str | None = Field(None, max_length=40, description="13–19 digits (Luhn); spaces allowed")
    card_expiry: str | None = Field(None, max_length=10, description="MM/YY", examples=["05/28"])
    card_cvv: str = Field(max_length=10, description="3 digits, 4 for Amex")
    customer_ip: IPvAnyAddress | None = Field(None, examples=["127.0.0.1"])
    installment: int | None = Field(
        None, ge=1, le=12, description="One of the BIN's installment rows; 1 by default"
    )
