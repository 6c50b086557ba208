"""Delivery wire models: List Wallets and Calculate (sandbox decisions, REFERENCE.md §2 row 25) and
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

from sandbox.partner.customers.schemas import Email, ExternalId, OptionalName, Phone
from sandbox.partner.delivery import fees
from sandbox.partner.delivery.addresses import DeliveryAddress
from sandbox.partner.orders.schemas import Order
from sandbox.partner.payments.schemas import CardPayment
from sandbox.partner.prices.schemas import Currency
from sandbox.partner.schemas import WireModel
from sandbox.partner.trading.schemas import ExternalOrderId, OrderResponse

DeliverySku = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=10),
    AfterValidator(fees.deliverable_sku),
    WithJsonSchema({"type": "string", "enum": list(fees.DELIVERABLE_SKUS), "examples": ["GAU"]}),
]
# documented: integer grams. Parsed as a number so that 1.5 is refused as `whole_grams`, not as a type.
WholeGrams = Annotated[
    Decimal,
    Field(gt=0, max_digits=16),
    WithJsonSchema({"type": "integer", "minimum": 1, "description": "Whole grams", "examples": [5]}),
]


def _deliverable_amount(amount: Decimal, info: ValidationInfo) -> Decimal:
    return fees.deliverable_amount(info.data.get("sku"), amount)


class DeliveryWalletsRequest(WireModel):
    customer_external_id: ExternalId


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
    """documented: the customer block of Delivery Create. The customer must exist; the other fields are
    validated when sent but do not change the customer."""

    external_id: ExternalId
    firstname: OptionalName = None
    lastname: OptionalName = None
    phone: Phone | None = None
    email: Email | None = None


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


class DeliveryOrder(Order):
    order_at: str = Field(description="ISO 8601 with +03:00, Europe/Istanbul (documented on Delivery Create)")


class DeliveryOrderResponse(OrderResponse):
    """documented Order Response; Delivery Create renders `order_at` as ISO 8601 with +03:00 (and a
    card delivery adds its `payment`)."""

    order_at: str = Field(description="ISO 8601 with +03:00, Europe/Istanbul")
    orders: list[DeliveryOrder]
