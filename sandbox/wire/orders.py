"""Order wire models, named and ordered as the partner documents them (schema-549775)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from sandbox.wire.base import WireModel

OrderType = Literal["Buy", "Sell", "Delivery"]
StatusName = Literal[
    "Created", "Pending", "Processing", "Cancelled", "Completed", "Preparing", "Packed", "Shipped",
    "Transferring", "Refunding", "Refunded", "Payment Confirmed",
]  # fmt: skip


class OrderCustomer(WireModel):
    external_id: str
    firstname: str | None
    middlename: str | None
    lastname: str | None = Field(description="null for business customers (name in firstname)")
    fullname: str
    email: str | None
    phone: str | None
    gender: Literal["M", "F"] | None
    identity_number: str | None
    birthdate: str | None = Field(description="YYYY-MM-DD")


class PaymentDetails(WireModel):
    """documented (Card Payment Get Order, api-4295600), keys in its order."""

    card_cvv: str = Field(description="Always `***`: the sandbox never keeps a CVV")
    card_expiry: str = Field(description="MM/YY")
    card_holder: str
    card_number: str = Field(description="Masked: 404809******7528")
    customer_ip: str | None
    card_association: Literal["Visa", "Mastercard", "Troy", "Amex"]


class Payment(WireModel):
    """documented (Card Payment Get Order, api-4295600) up to `details`, keys in its order; the Payment
    schema's `redirect_url`, `is_3d` and `auth_mode`, which that example does not show, follow."""

    token: str
    transaction_id: str | None = Field(description="The processor's, once the payment succeeded")
    order_reference: str | None = Field(description="The order's external_id")
    amount: float
    comission: float  # sic: the partner's spelling
    total: float = Field(description="amount + comission")
    refunded_amount: float
    error_code: str | None
    error_message: str | None
    state: Literal["new", "success", "fail", "refunded"]
    details: PaymentDetails
    redirect_url: str | None = Field(description="The 3-D Secure page while the payment is `new`")
    is_3d: bool
    auth_mode: str


class OrderItem(WireModel):
    product_id: int
    sku: str
    product_name: str
    spot_price: float
    price: float = Field(description="Per gram")
    tax_rate: float
    tax: float
    amount: float = Field(description="Grams")
    total: float = Field(description="price × amount, 2 dp")


class DeliveryProduct(WireModel):
    product_id: int
    sku: str
    product_name: str
    amount: float


class Delivery(WireModel):
    status_id: int
    status_name: StatusName
    cargo_tracking_url: str | None
    cargo_tracking_number: str | None
    sync_status: bool | None
    products: list[DeliveryProduct]


class BillingAddress(WireModel):
    external_id: str | None
    invoice_type: Literal["Individual", "Corporate"] | None
    fullname: str
    company_name: str | None
    phone: str | None
    email: str | None
    city: str
    county: str | None
    district: str | None
    address: str
    zipcode: str | None
    street: str | None
    tax_office: str | None
    tax_number: str | None


class ShippingAddress(WireModel):
    id: int
    external_id: str | None
    tax_number: str | None
    fullname: str
    phone: str | None
    city: str
    county: str | None
    district: str | None
    address: str
    zipcode: str | None
    street: str | None
    company_name: str | None = Field(description="sandbox addition: sent by Delivery Create's example")


class OrderAddress(WireModel):
    billing: BillingAddress | None
    shipping: ShippingAddress | None


class Order(WireModel):
    """documented (Get Order (Alternative), api-3874525)."""

    guid: str = Field(description="Upper-case UUID")
    order_code: str = Field(description="8 upper-case alphanumerics")
    external_id: str | None
    type: OrderType
    price: float
    tax: float
    total: float
    status_name: StatusName
    payment_type: Literal["cash", "credit-card"]
    order_at: str = Field(description="dd-mm-YYYY HH:MM, Europe/Istanbul")
    payment_cost: float | None
    currency_code: Literal["TRY", "USD", "EUR", "GBP"]
    customer: OrderCustomer | None
    payment: Payment | None
    items: list[OrderItem]
    delivery: Delivery | None = Field(None, description="Delivery orders only")
    address: OrderAddress | None = Field(None, description="Delivery orders only")
    description: str | None = Field(None, description='Digital orders, e.g. "1gr - #GAU"')


class GetOrderRequest(WireModel):
    """documented body of Get Order (Alternative); at least one identifier is required."""

    guid: str | None = Field(None, max_length=64, examples=["2B555C6D-E551-4BD0-8912-B72A77E53723"])
    order_code: str | None = Field(None, max_length=64)
    external_id: str | None = Field(None, max_length=255)
    push_hook: StrictBool | None = Field(None, description="Push the order to your webhook endpoint")


class OrderStatus(WireModel):
    id: int
    name: StatusName


class PaginatorLink(WireModel):
    url: str | None
    label: str
    active: bool


class OrderPage(WireModel):
    """Laravel's LengthAwarePaginator, as the partner's list endpoints return it."""

    current_page: int
    data: list[Order]
    first_page_url: str
    from_: int | None = Field(alias="from")
    last_page: int
    last_page_url: str
    links: list[PaginatorLink]
    next_page_url: str | None
    path: str
    per_page: int
    prev_page_url: str | None
    to: int | None
    total: int
