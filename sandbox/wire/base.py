"""Wire models shared by every partner group: the envelope and the one base all models use."""

from __future__ import annotations

import re
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from sandbox.core import profile

T = TypeVar("T")


# A number sent as a JSON string ("1.5", documented as accepted) in ASCII digits: Python's Decimal
# would also read "١٢" (Arabic-Indic twelve) or "𝟙", which no partner means as an amount.
_NUMBER_TEXT = re.compile(r"[ \t]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t]*")


def _ascii_number(value: object) -> object:
    if isinstance(value, str) and not _NUMBER_TEXT.fullmatch(value):
        raise PydanticCustomError("decimal_parsing", "not a number")
    return value


AsciiNumber = BeforeValidator(_ascii_number)


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


# An empty (or blank) text is the field left out: the docs' curl samples render an unset Apidog
# variable as "" (`"price_token": ""`, `"customer_external_id": ""`).
BlankIsNone = BeforeValidator(_blank_is_none)


class WireModel(BaseModel):
    """Field names exactly as the partner's docs spell them. An unknown field is an error, except in
    a partner request under the lenient profile, which ignores it with a notice (profile rule
    `unknown_fields`)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _ignore_unknown_fields(cls, data: Any) -> Any:
        request = profile.current()
        if request is None or request.strict or not isinstance(data, dict):
            return data
        known = {*cls.model_fields, *(f.alias for f in cls.model_fields.values() if f.alias)}
        unknown = [str(name) for name in data if name not in known]
        if not unknown:
            return data
        request.note("unknown_fields", "ignored " + ", ".join(unknown))
        return {name: value for name, value in data.items() if name in known}


class Envelope(WireModel, Generic[T]):
    """documented: every success is `{"data", "success": true, "code": 0, "message": ""}`."""

    data: T
    success: bool = True
    code: int = 0
    message: str = ""


class ErrorData(WireModel):
    error: str = Field(description="Stable machine key from the sandbox's error catalogue.")
    errors: dict[str, list[str]] | None = Field(
        None, description="Validation only: field path → localized messages."
    )


class ErrorEnvelope(WireModel):
    """sandbox decision: failures use the same envelope with `success: false` and `code` = HTTP status."""

    data: ErrorData
    success: bool = False
    code: int
    message: str = Field(description="Localized (Accept-Language) human message.")
