"""Customer wire models and their documented validation.

documented (Create Customer / Create Business Customer / Update Customer pages): external_id 3–40
characters of `[A-Za-z0-9-_]`; names 3–40; email; gender M|F; birthdate (`1970-01-31`, and
`31-12-1990` in the buy example); a business sends `account_type: "company"`, its name in
`firstname`, its 10-digit tax number in `identity_number` and `tax_office`.
sandbox decision: a person's identity number must pass the T.C. kimlik no checksum.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

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
        if info.data.get("account_type") == "company":
            if not re.fullmatch(r"\d{10}", number):
                raise PydanticCustomError("invalid_tax_number", "not a 10-digit tax number")
        elif not is_valid_identity_number(number):
            raise PydanticCustomError("invalid_identity_number", "not a valid identity number")
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
    must be the path's id when present)."""

    external_id: ExternalId | None = None


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
