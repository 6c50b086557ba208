"""Customer wire models and their documented validation.

documented (Create Customer / Create Business Customer / Update Customer pages): only `external_id`
is required on create, 3–40 characters of `[A-Za-z0-9-_]`; names 3–40 (the examples send an empty
`middlename`, kept as sent); email; gender M|F; birthdate (`1970-01-31`, and `31-12-1990` in the buy
example); a business sends `account_type: "company"`, its name in `firstname`, its tax number in
`identity_number` and `tax_office`.
The profile rules `identity_number` and `customer_names` (sandbox/core/profile.py) are checked by the
services (sandbox/domain/customers/rules.py): a strict partner gets the identity checksum and the
required names. Response shapes (create/update, KYC, remove) and Wallet KYC requests are sandbox
decisions; Get Customer's first ten keys and `wallets` are documented.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from sandbox.core import dates
from sandbox.wire.base import BlankIsNone, WireModel
from sandbox.wire.orders import OrderCustomer

_EMAIL = re.compile(r"^[^@\s\"<>]+@[^@\s\"<>]+\.[A-Za-z]{2,}$")
_PHONE_JUNK = re.compile(r"[\s().-]")


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.match(value):
        raise PydanticCustomError("invalid_email", "not an email address")
    return value


def _phone(value: str) -> str:
    digits = _PHONE_JUNK.sub("", value)
    if not re.fullmatch(r"\+?\d{10,15}", digits):
        raise PydanticCustomError("invalid_phone", "not a phone number")
    return value


def _birthdate(value: object) -> object:
    if isinstance(value, str):
        try:
            day = dates.parse_day(value)
        except ValueError:
            raise PydanticCustomError("invalid_day", "not a date") from None
        return day
    return value


def _name_or_empty(value: str) -> str:
    """documented: names are 3–40 characters, and the examples send `middlename: ""`: kept as sent."""
    if value and not 3 <= len(value) <= 40:
        kind = "string_too_short" if len(value) < 3 else "string_too_long"
        limit = {"min_length": 3} if len(value) < 3 else {"max_length": 40}
        raise PydanticCustomError(kind, "3 to 40 characters", limit)
    return value


ExternalId = Annotated[str, StringConstraints(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]
OptionalName = Annotated[Name | None, BlankIsNone]
NameOrEmpty = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_name_or_empty)
]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=30), AfterValidator(_phone)]
Birthdate = Annotated[date, BeforeValidator(_birthdate)]
IdentityNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=20)]


class CustomerFields(WireModel):
    """The fields of a customer, each validated alone."""

    account_type: Literal["person", "company"] = "person"
    firstname: NameOrEmpty | None = None
    middlename: NameOrEmpty | None = None
    lastname: NameOrEmpty | None = None
    fullname: str | None = Field(None, max_length=120, description="Accepted and ignored (derived)")
    email: Email | None = None
    phone: Phone | None = None
    gender: Literal["M", "F"] | None = None
    identity_number: IdentityNumber | None = None
    birthdate: Birthdate | None = None
    tax_office: OptionalName = None


class CustomerCreate(CustomerFields):
    """Create Customer / Create Business Customer."""

    external_id: ExternalId


class CustomerUpdate(CustomerFields):
    """Update Customer: the fields sent replace the stored ones (`external_id`, sent by the docs' example,
    is the path's id or ignored: profile rule `update_external_id`; `account_type`, when sent, must be
    the stored one). The identity number is checked by the service, against the stored account type."""

    external_id: ExternalId | None = None
    # Optional here: None when not sent. Pydantic lets a subclass redefine a field; mypy checks it as a
    # plain class attribute, and nothing reads it through `CustomerFields`.
    account_type: Literal["person", "company"] | None = None  # type: ignore[assignment]


Loose = Annotated[str | None, Field(None, max_length=255)]


# Named apart from the order's `OrderCustomer` (the response block): two models of one name reach
# /openapi.json as `OrderCustomer-Input` / `-Output`, and openapi-python-client then drops both.
class OrderCustomerRequest(WireModel):
    """documented OrderCustomerRequestScheme: the `customer` block of a buy or sell. Only `external_id`
    matters for a known customer; an unknown one is created from the block, which is validated then
    (documented: `Parameter Error (New Customer)`), so the block's other fields are loose here."""

    external_id: ExternalId
    account_type: Loose = None
    firstname: Loose = None
    middlename: Loose = None
    lastname: Loose = None
    fullname: Loose = None
    email: Loose = None
    phone: Loose = None
    gender: Loose = None
    identity_number: Loose = None
    birthdate: Loose = None
    tax_office: Loose = None


class NewOrderCustomer(CustomerCreate):
    """documented (OrderCustomerRequestScheme): required for a new customer are identity_number,
    firstname, lastname, email, phone."""

    identity_number: IdentityNumber
    firstname: Name
    lastname: Name
    email: Email
    phone: Phone


class CustomerRef(WireModel):
    """The body of a request about one customer's things: Card Storage List, Delivery List Wallets."""

    customer_external_id: ExternalId


# -- Responses ----------------------------------------------------------------------------------------

KycStatus = Literal["pending", "approved", "rejected"]


class CustomerRecord(WireModel):
    """Create / Update Customer response: documented (Create Customer) up to `created_at`, cut off
    there on the page; `updated_at`, `account_type` and `tax_office` are the sandbox's."""

    id: int
    external_id: str
    company_id: int = Field(description="The partner's id")
    user_id: int | None = Field(description="null, as documented: no platform user yet")
    firstname: str | None
    middlename: str | None
    lastname: str | None = Field(description="null for business customers (name in firstname)")
    fullname: str
    email: str | None
    phone: str | None
    gender: Literal["M", "F"] | None
    identity_number: str | None
    birthdate: str | None = Field(description="YYYY-MM-DD")
    created_at: str = Field(description="YYYY-mm-dd HH:MM:SS, Europe/Istanbul")
    updated_at: str = Field(description="YYYY-mm-dd HH:MM:SS, Europe/Istanbul")
    account_type: Literal["person", "company"]
    tax_office: str | None


class CustomerWallet(WireModel):
    """documented: 10 keys starting with `id`, `customer_external_id`; the rest are sandbox decisions."""

    id: int
    customer_external_id: str
    name: str
    currency_id: int
    currency_symbol: str
    currency_code: str
    is_cash: bool
    balance: float
    blocked: float
    real_balance: float


class CustomerDetail(OrderCustomer):
    """Get Customer: the documented keys (an order's customer) and `wallets`, then the sandbox's
    additions account_type, tax_office and kyc_status."""

    wallets: list[CustomerWallet]
    account_type: Literal["person", "company"]
    tax_office: str | None
    kyc_status: KycStatus


class CustomerRemoved(WireModel):
    external_id: str
    removed: bool


# -- Wallet KYC (sandbox decision) -------------------------------------------------------------------


class KycUpsert(WireModel):
    """Wallet KYC Upsert. The identity number is checked against the customer's account type and its
    stored number; the names and birthdate fill in what the customer's profile lacks (never overwrite)."""

    customer_external_id: ExternalId
    identity_number: IdentityNumber
    firstname: Name | None = None
    lastname: OptionalName = None
    birthdate: Birthdate | None = None


class KycRecord(WireModel):
    customer_external_id: str
    status: KycStatus
    identity_number: str | None
    reason: Literal["identity_verification_failed", "manual_review"] | None = Field(
        description="null when approved, or pending without any KYC submitted yet"
    )
    updated_at: str | None = Field(description="Last KYC decision, YYYY-mm-dd HH:MM:SS; null before any")


class KycBulkRequest(WireModel):
    """Wallet KYC Bulk Upsert: each record is a Wallet KYC Upsert body, processed on its own."""

    # Loose on purpose: a record that fails KycUpsert fails alone, in its result, not the request.
    records: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=100,
        json_schema_extra={"items": {"$ref": "#/components/schemas/KycUpsert"}},
    )


class KycBulkResult(WireModel):
    customer_external_id: str | None
    success: bool
    kyc: KycRecord | None
    error: str | None = Field(description="Error catalogue key when the record failed")
    errors: dict[str, list[str]] | None = Field(description="Validation only: field → localized messages")


class KycBulkResponse(WireModel):
    results: list[KycBulkResult] = Field(description="One per record, in request order")
