"""Buy and sell wire models (Buy (Gold/Silver/Platinum) B2B and B2B2C, From Amount and From Total
Price, cash or card; Sell (Gold/Silver)) and the documented Order Response (schema-611263)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from sandbox.wire.base import BlankIsNone, WireModel
from sandbox.wire.customers import OrderCustomerRequest
from sandbox.wire.orders import Order, Payment
from sandbox.wire.payments import CardPayment
from sandbox.wire.prices import Currency, Grams, Money, Sku

ExternalOrderId = Field(min_length=1, max_length=100, examples=["HYAQA01373"])
PriceToken = Field(None, min_length=1, max_length=64)
OptionalToken = Annotated[str | None, BlankIsNone]


class TopUp(WireModel):
    """From Total Price: spend this much on the item's metal."""

    price: Money


class ProductRef(WireModel):
    """documented: items name the product by `sku`; one docs example uses `product_id` instead."""

    sku: Sku | None = None
    product_id: int | None = Field(None, ge=1, le=99_999_999)

    @model_validator(mode="after")
    def _named(self) -> ProductRef:
        if self.sku is None and self.product_id is None:
            raise PydanticCustomError("product_required", "sku or product_id is required")
        return self


class BuyItem(ProductRef):
    amount: Grams | None = Field(None, description="Grams (From Amount)")
    topup: TopUp | None = Field(None, description="Money to spend (From Total Price)")

    @model_validator(mode="after")
    def _amount_or_topup(self) -> BuyItem:
        if (self.amount is None) == (self.topup is None):
            raise PydanticCustomError("amount_or_topup", "exactly one of amount or topup.price is required")
        return self


class SellItem(ProductRef):
    amount: Grams


class BuyRequest(WireModel):
    # documented as required, yet the Buy (Silver) page's example sends none: profile rule
    # `price_token_required` (lenient: priced as a price fix at that moment would price it).
    price_token: OptionalToken = PriceToken
    currency_code: Currency | None = None
    external_id: str = ExternalOrderId
    customer: OrderCustomerRequest | None = Field(None, description="B2B2C; leave out for B2B")
    items: list[BuyItem] = Field(min_length=1, max_length=10)
    payment_type: Literal["cash", "creditcard", "credit-card"] = Field(
        "cash", description="documented: `creditcard` pays by card (one item; `payment` required)"
    )
    payment: CardPayment | None = Field(None, description="Card payments only: a stored card or the card")


class SellRequest(WireModel):
    price_token: OptionalToken = PriceToken
    currency_code: Currency | None = None
    external_id: str = ExternalOrderId
    customer: OrderCustomerRequest | None = Field(None, description="B2B2C; leave out for B2B")
    items: list[SellItem] = Field(min_length=1, max_length=10)


class OrderResponse(WireModel):
    """documented (schema-611263): arrays because a request with several items makes one order per item."""

    order_code: list[str]
    guid: list[str]
    price: float
    tax: float
    total: float
    order_at: str = Field(description="YYYY-mm-dd HH:MM:SS, Europe/Istanbul")
    orders: list[Order]
    payment: Payment | None = Field(description="A card buy's payment; null for cash")
