"""Customer wire models and their documented validation.

documented (Create Customer / Create Business Customer / Update Customer pages): external_id 3–40
characters of `[A-Za-z0-9-_]`; names 3–40; email; gender M|F; birthdate (`1970-01-31`, and
`31-12-1990` in the buy example); a business sends `account_type: "company"`, its name in
`firstname`, its 10-digit tax number in `identity_number` and `tax_office`.
sandbox decision: a person's identity number must pass the T.C. kimlik no checksum.
Response shapes (create/update, KYC, remove) and Wallet KYC requests are sandbox decisions
(REFERENCE.md §2 rows 14–18); Get Customer's first ten keys and `wallets` are documented.
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
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from sandbox.core import dates
from sandbox.core.identity import is_valid_identity_number
from sandbox.partner.orders.schemas import OrderCustomer as OrderCustomerView
from sandbox.partner.schemas import WireModel

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


def _empty_is_none(value: object) -> object:
    return None if value == "" else value


def identity_problem(account_type: str | None, number: str) -> str | None:
    """The field message key when `number` does not fit the account type, else None.

    documented: a company's identity_number is its 10-digit tax number. sandbox decision: a person's
    is an 11-digit T.C. kimlik no that passes the checksum.
    """
    if account_type == "company":
        return None if re.fullmatch(r"\d{10}", number) else "invalid_tax_number"
    return None if is_valid_identity_number(number) else "invalid_identity_number"


ExternalId = Annotated[str, StringConstraints(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]
OptionalName = Annotated[Name | None, BeforeValidator(_empty_is_none)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=30), AfterValidator(_phone)]
Birthdate = Annotated[date, BeforeValidator(_birthdate)]
IdentityNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=20)]


class CustomerFields(WireModel):
    """The fields of a customer, each validated alone; `check_identity` ties them to the account type."""

    account_type: Literal["person", "company"] = "person"
    firstname: Name | None = None
    middlename: OptionalName = None
    lastname: OptionalName = None
    fullname: str | None = Field(None, max_length=120, description="Accepted and ignored (derived)")
    email: Email | None = None
    phone: Phone | None = None
    gender: Literal["M", "F"] | None = None
    identity_number: IdentityNumber | None = None
    birthdate: Birthdate | None = None
    tax_office: OptionalName = None

    @field_validator("identity_number")
    @classmethod
    def _identity(cls, number: str | None, info: ValidationInfo) -> str | None:
        """A person's identity number passes the checksum; a company's is a 10-digit tax number."""
        if number is None:
            return None
        problem = identity_problem(info.data.get("account_type"), number)
        if problem is not None:
            raise PydanticCustomError(problem, "identity number does not fit the account type")
        return number


class CustomerCreate(CustomerFields):
    """Create Customer / Create Business Customer."""

    external_id: ExternalId
    firstname: Name
    lastname: OptionalName = Field(None, validate_default=True)

    @field_validator("lastname")
    @classmethod
    def _person_has_lastname(cls, lastname: str | None, info: ValidationInfo) -> str | None:
        if lastname is None and info.data.get("account_type", "person") == "person":
            raise PydanticCustomError("lastname_required", "a person needs a lastname")
        return lastname


class CustomerUpdate(CustomerFields):
    """Update Customer: the fields sent replace the stored ones (`external_id`, sent by the docs' example,
    must be the path's id when present; `account_type`, when sent, must be the stored one).

    The identity number is checked by the service against the stored account type, which a body
    that leaves `account_type` out does not name.
    """

    external_id: ExternalId | None = None
    account_type: Literal["person", "company"] | None = None

    @field_validator("identity_number")
    @classmethod
    def _identity(cls, number: str | None, info: ValidationInfo) -> str | None:
        return number


Loose = Annotated[str | None, Field(None, max_length=255)]


class OrderCustomer(WireModel):
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
    """documented: required for a new customer are identity_number, firstname, lastname, email, phone."""

    identity_number: IdentityNumber
    email: Email
    phone: Phone


# -- Responses ----------------------------------------------------------------------------------------

KycStatus = Literal["pending", "approved", "rejected"]


class CustomerRecord(WireModel):
    """Create / Update Customer response (sandbox decision: the documented fields plus
    `id, company_id, user_id, fullname, created_at, updated_at`)."""

    id: int
    company_id: int = Field(description="The partner's id")
    user_id: int
    external_id: str
    account_type: Literal["person", "company"]
    firstname: str
    middlename: str | None
    lastname: str | None = Field(description="null for business customers (name in firstname)")
    fullname: str
    email: str | None
    phone: str | None
    gender: Literal["M", "F"] | None
    identity_number: str | None
    birthdate: str | None = Field(description="YYYY-MM-DD")
    tax_office: str | None
    created_at: str = Field(description="YYYY-mm-dd HH:MM:SS, Europe/Istanbul")
    updated_at: str = Field(description="YYYY-mm-dd HH:MM:SS, Europe/Istanbul")


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


class CustomerDetail(OrderCustomerView):
    """Get Customer: the documented keys (an order's customer), then (sandbox additions) account_type,
    tax_office, kyc_status and wallets."""

    account_type: Literal["person", "company"]
    tax_office: str | None
    kyc_status: KycStatus
    wallets: list[CustomerWallet]


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
