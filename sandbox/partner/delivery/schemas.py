"""Delivery wire models: List Wallets and Calculate (sandbox decisions, docs/design/contract.md §2 row 25) and
Create (documented, api-4908364: `customer`, `external_id`, `sku`, `amount` in whole grams, `address`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from sandbox.domain import fees
from sandbox.partner.delivery.addresses import DeliveryAddress
from sandbox.wire.base import AsciiNumber, WireModel
from sandbox.wire.customers import Email, ExternalId, Name, Phone
from sandbox.wire.orders import Delivery, OrderAddress, OrderCustomer, Payment
from sandbox.wire.payments import CardPayment
from sandbox.wire.prices import Currency
from sandbox.wire.trading import ExternalOrderId

DeliverySku = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=10),
    AfterValidator(fees.deliverable_sku),
    WithJsonSchema({"type": "string", "enum": list(fees.DELIVERABLE_SKUS), "examples": ["GAU"]}),
]
# documented: integer grams. Parsed as a number so that 1.5 is refused as `whole_grams`, not as a type.
WholeGrams = Annotated[
    Decimal,
    AsciiNumber,
    Field(gt=0, max_digits=16),
    WithJsonSchema({"type": "integer", "minimum": 1, "description": "Whole grams", "examples": [5]}),
]


def _deliverable_amount(amount: Decimal, info: ValidationInfo) -> Decimal:
    return fees.deliverable_amount(info.data.get("sku"), amount)


class DeliveryWallet(WireModel):
    """A deliverable metal wallet of the customer (sandbox decision)."""

    sku: Literal["GAU", "GAG", "GPT"]
    product_id: int
    product_name: str
    balance: float = Field(description="Grams in the wallet")
    blocked: float = Field(description="Grams held by open orders (awaiting confirmation or confirmed)")
    real_balance: float = Field(description="balance − blocked")
    deliverable_amount: int = Field(description="Whole grams that can be delivered now: ⌊real_balance⌋")


class DeliveryCalculateRequest(WireModel):
    """Calculate: the fee a delivery would cost; creates nothing."""

    sku: DeliverySku
    amount: WholeGrams
    customer_external_id: ExternalId | None = Field(None, description="When sent, the customer must exist")
    currency_code: Currency = "TRY"

    _amount = field_validator("amount")(_deliverable_amount)


class DeliveryCalculateItem(WireModel):
    sku: str
    price: float = Field(description="The item's fee: fee per gram × amount")


class DeliveryCalculateResponse(WireModel):
    """The shape seen on the Delivery Create page."""

    total: float
    items: list[DeliveryCalculateItem]


class DeliveryCustomer(WireModel):
    """documented: the customer block of Delivery Create, every field marked required. The customer must
    exist; the other fields are validated but do not change the customer."""

    external_id: ExternalId
    firstname: Name
    lastname: Name
    phone: Phone
    email: Email


class DeliveryCreateRequest(WireModel):
    """Delivery Create: the metal from the customer's wallet, the fee from its cash wallet (`cash`) or
    by card (`creditcard`, sandbox decision on the fields: as Card Payment Buy)."""

    customer: DeliveryCustomer
    external_id: str = ExternalOrderId
    sku: DeliverySku
    amount: WholeGrams
    currency_code: Currency = Field("TRY", description="The fee's currency (its cash wallet pays it)")
    address: DeliveryAddress
    payment_type: Literal["cash", "creditcard", "credit-card"] = Field(
        "cash", description="`creditcard` pays the fee by card (3-D Secure; `payment` required)"
    )
    payment: CardPayment | None = Field(None, description="Card payments only: a stored card or the card")

    _amount = field_validator("amount")(_deliverable_amount)


class CreatedDeliveryItem(WireModel):
    """documented (Delivery Create's example, cut off after `currency_rate`): the delivered metal, its
    fee as `total` in the fee's currency."""

    item_currency_id: int = Field(description="The metal's currency id (1000004 gold)")
    item_currency_name: str = Field(description="Gold, Silver or Platinum")
    product_id: int
    product_name: str
    product_weight: float = Field(description="Grams per unit: 1")
    spot_price: float = Field(description="0: the metal is the customer's own")
    price: float = Field(description="0: the metal is the customer's own")
    tax_rate: float
    tax: float
    amount: float = Field(description="Whole grams")
    total: float = Field(description="The fee")
    currency_id: int = Field(description="The fee's currency id (1000003 TRY)")
    currency_rate: float = Field(description="TRY per unit of the fee's currency (1 for TRY)")
    currency_total: float = Field(description="sandbox decision: the fee in TRY")


class CreatedDelivery(WireModel):
    """documented (Delivery Create's example, an older order shape than Get Order's): the keys up to
    `items[].currency_rate`, where the page is cut off; `customer`, `payment`, `delivery` and `address`
    after `items` are the sandbox's, as Get Order renders them."""

    id: int
    guid: str
    order_code: str
    external_id: None = Field(description="null, as documented, though the request sends one")
    channel: str = Field(description="The request's x-client-id (`web` by default)")
    tx_type: Literal["delivery"]
    price_token: None
    price: float = Field(description="The fee")
    tax: float
    total: float
    currency_rate: float
    currency_total: float
    status_id: int
    status_name: str
    order_at: str = Field(description="ISO 8601 with +03:00, Europe/Istanbul (documented here)")
    items: list[CreatedDeliveryItem]
    customer: OrderCustomer
    payment: Payment | None = Field(description="A card delivery's payment of the fee; null for cash")
    delivery: Delivery
    address: OrderAddress
