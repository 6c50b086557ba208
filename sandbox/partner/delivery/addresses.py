"""The billing and shipping addresses of a delivery order, as sent, and checked as a Turkish courier
would under the strict profile.

documented (Delivery Create, api-4908364, and the Order Address schema): the field names of
`address.billing` and `address.shipping`; the page's example sends billing `company_name, fullname,
invoice_type, city, county, district, address` and the same in shipping without `invoice_type`. Those
are what `DeliveryAddress` requires (any non-empty text), everything else is optional and kept as sent.

Profile rule `delivery_address` (`StrictDeliveryAddress`, sandbox decisions): phone, email and a
5-digit zip code on billing, phone and zip code on shipping; address lines of 10+ characters; `city`
one of the 81 provinces and `county` one of the province's districts where the sandbox lists them
(sandbox/store/geo.py), both compared case-insensitively under Turkish rules (İ/i, I/ı) or plain ASCII
ones (ISTANBUL) and stored in their canonical spelling; a Corporate invoice needs `company_name`,
`tax_office` and a 10-digit `tax_number` (vergi kimlik no); an individual's `tax_number`, when given,
is a 10-digit tax number or an 11-digit T.C. kimlik no.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from sandbox.core.errors import ValidationFailed, field_errors
from sandbox.core.identity import is_valid_identity_number
from sandbox.core.profile import Profile
from sandbox.store import geo
from sandbox.store.models import OrderAddress
from sandbox.wire.base import BlankIsNone, WireModel
from sandbox.wire.customers import Email, Phone


def turkish_lower(text: str) -> str:
    """Lower case under Turkish rules: İ → i and I → ı (Python's `lower` knows neither)."""
    return text.replace("İ", "i").replace("I", "ı").lower()


def _spellings(text: str) -> tuple[str, ...]:
    """`text` folded the Turkish way and the ASCII way (partners often send `ISTANBUL`)."""
    clean = " ".join(text.split())
    return (turkish_lower(clean), clean.lower())


def _lookup(names: tuple[str, ...]) -> dict[str, str]:
    return {turkish_lower(name): name for name in names}


_PROVINCES = _lookup(geo.PROVINCES)
_DISTRICTS = {province: _lookup(names) for province, names in geo.DISTRICTS.items()}


def canonical(text: str, names: dict[str, str]) -> str | None:
    return next((names[key] for key in _spellings(text) if key in names), None)


def _province(text: str) -> str:
    province = canonical(text, _PROVINCES)
    if province is None:
        raise PydanticCustomError("invalid_city", "not a province of Türkiye")
    return province


def _zipcode(text: str) -> str:
    if not re.fullmatch(r"[0-9]{5}", text):
        raise PydanticCustomError("invalid_zipcode", "not a 5-digit postal code")
    return text


def _text(low: int, high: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=low, max_length=high)


# Optional text fields: an empty or blank string counts as absent.
AddressId = Annotated[Annotated[str, _text(1, 64)] | None, BlankIsNone]
Fullname = Annotated[str, _text(3, 80)]
CompanyName = Annotated[Annotated[str, _text(2, 120)] | None, BlankIsNone]
City = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_province)]
County = Annotated[str, _text(2, 40)]
Neighbourhood = Annotated[str, _text(2, 60)]
AddressLine = Annotated[str, _text(10, 250)]
Zipcode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10), AfterValidator(_zipcode)]
Street = Annotated[Annotated[str, _text(2, 120)] | None, BlankIsNone]
TaxOffice = Annotated[Annotated[str, _text(2, 60)] | None, BlankIsNone]
TaxNumber = Annotated[Annotated[str, _text(1, 20)] | None, BlankIsNone]


def _county(county: str, city: str | None) -> str:
    """Where the sandbox lists a province's districts the county must be one of them (canonical spelling)."""
    if city not in _DISTRICTS:
        return county
    district = canonical(county, _DISTRICTS[city])
    if district is None:
        raise PydanticCustomError("invalid_county", "not a district of the city", {"city": city})
    return district


def _tax_number(number: str | None, corporate: bool) -> str | None:
    """Corporate: a 10-digit vergi kimlik no. Otherwise, when given: that or an 11-digit T.C. kimlik no."""
    if number is None:
        if corporate:
            raise PydanticCustomError("corporate_field_required", "required for a Corporate invoice")
        return None
    if re.fullmatch(r"[0-9]{10}", number):
        return number
    if not corporate and re.fullmatch(r"[0-9]{11}", number):
        if is_valid_identity_number(number):
            return number
        raise PydanticCustomError("invalid_identity_number", "not a T.C. kimlik no")
    raise PydanticCustomError("invalid_tax_number", "not a 10-digit tax number")


class StrictShippingAddress(WireModel):
    """`address.shipping` under the strict profile (its `id` is the sandbox's, given in responses)."""

    external_id: AddressId = Field(None, description="The partner's id for this address")
    fullname: Fullname
    company_name: CompanyName = None
    phone: Phone
    city: City = Field(description="One of the 81 provinces (il)", examples=["İstanbul"])
    county: County = Field(description="District (ilçe)", examples=["Kadıköy"])
    district: Neighbourhood = Field(description="Neighbourhood (mahalle)", examples=["Caferağa Mah."])
    address: AddressLine = Field(examples=["Moda Cad. No:12 D:3"])
    zipcode: Zipcode = Field(description="5 digits", examples=["34710"])
    street: Street = None
    tax_number: TaxNumber = Field(None, description="10-digit tax number or 11-digit T.C. kimlik no")

    @field_validator("county")
    @classmethod
    def _check_county(cls, county: str, info: ValidationInfo) -> str:
        return _county(county, info.data.get("city"))

    @field_validator("tax_number")
    @classmethod
    def _check_tax_number(cls, number: str | None) -> str | None:
        return _tax_number(number, corporate=False)


class StrictBillingAddress(WireModel):
    """`address.billing` under the strict profile: the invoice's addressee, a person or (Corporate) a
    company."""

    external_id: AddressId = Field(None, description="The partner's id for this address")
    invoice_type: Literal["Individual", "Corporate"]
    fullname: Fullname
    company_name: CompanyName = Field(None, validate_default=True, description="Corporate: required")
    phone: Phone
    email: Email
    city: City = Field(description="One of the 81 provinces (il)", examples=["İstanbul"])
    county: County = Field(description="District (ilçe)", examples=["Kadıköy"])
    district: Neighbourhood = Field(description="Neighbourhood (mahalle)", examples=["Caferağa Mah."])
    address: AddressLine = Field(examples=["Moda Cad. No:12 D:3"])
    zipcode: Zipcode = Field(description="5 digits", examples=["34710"])
    street: Street = None
    tax_office: TaxOffice = Field(None, validate_default=True, description="Corporate: required")
    tax_number: TaxNumber = Field(
        None,
        validate_default=True,
        description="Corporate: required, 10 digits; Individual: optional, 10 digits or a T.C. kimlik no",
    )

    @field_validator("county")
    @classmethod
    def _check_county(cls, county: str, info: ValidationInfo) -> str:
        return _county(county, info.data.get("city"))

    @field_validator("company_name", "tax_office")
    @classmethod
    def _corporate_requires(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("invoice_type") == "Corporate":
            raise PydanticCustomError("corporate_field_required", "required for a Corporate invoice")
        return value

    @field_validator("tax_number")
    @classmethod
    def _check_tax_number(cls, number: str | None, info: ValidationInfo) -> str | None:
        invoice_type = info.data.get("invoice_type")
        if invoice_type is None:  # invalid itself: reported on invoice_type
            return number
        return _tax_number(number, corporate=invoice_type == "Corporate")


class StrictDeliveryAddress(WireModel):
    billing: StrictBillingAddress
    shipping: StrictShippingAddress


Text = Annotated[str, _text(1, 250)]
OptionalText = Annotated[Annotated[str, _text(1, 250)] | None, BlankIsNone]


class DeliveryShippingAddress(WireModel):
    """documented `address.shipping` (its `id` is the sandbox's, given in responses)."""

    external_id: OptionalText = Field(None, description="The partner's id for this address")
    fullname: Text
    company_name: OptionalText = Field(None, description="Sent by the docs' example; kept as sent")
    phone: OptionalText = None
    city: Text = Field(description="Province (il)", examples=["İstanbul"])
    county: Text = Field(description="District (ilçe)", examples=["Beykoz"])
    district: Text = Field(description="Neighbourhood (mahalle)", examples=["Acarlar Mah."])
    address: Text = Field(examples=["No: 37/4"])
    zipcode: OptionalText = Field(None, examples=["34810"])
    street: OptionalText = None
    tax_number: OptionalText = None


class DeliveryBillingAddress(DeliveryShippingAddress):
    """documented `address.billing`: the invoice's addressee, a person or (Corporate) a company."""

    invoice_type: Literal["Individual", "Corporate"]
    email: OptionalText = None
    tax_office: OptionalText = None


class DeliveryAddress(WireModel):
    billing: DeliveryBillingAddress
    shipping: DeliveryShippingAddress


def checked(block: DeliveryAddress, profile: Profile) -> DeliveryAddress | StrictDeliveryAddress:
    """The address to store, by profile rule `delivery_address`: strict, as the courier's checks pass
    it (canonical spellings); lenient, as sent, with a notice of what strict would refuse."""
    try:
        courier = StrictDeliveryAddress.model_validate(block.model_dump(exclude_none=True))
    except ValidationError as error:
        errors = field_errors(error.errors(), prefix="address")
        profile.enforce(
            "delivery_address",
            ValidationFailed(errors=errors),
            "kept as sent; strict would refuse " + ", ".join(errors),
        )
        return block
    return courier if profile.strict else block


def address_rows(order_id: int, block: DeliveryAddress | StrictDeliveryAddress) -> list[OrderAddress]:
    """The order's two OrderAddress rows, billing then shipping."""
    billing, shipping = block.billing, block.shipping
    return [
        OrderAddress(order_id=order_id, kind="billing", **billing.model_dump()),
        OrderAddress(order_id=order_id, kind="shipping", **shipping.model_dump()),
    ]
