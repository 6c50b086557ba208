"""Wire models shared by every partner group: the envelope and the one base all models use."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class WireModel(BaseModel):
    """Field names exactly as the partner's docs spell them; unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


class Envelope(WireModel, Generic[T]):
    """documented: every success is `{"data", "success": true, "code": 0, "message": ""}`."""

    data: T
    success: bool = True
    code: int = 0
    message: str = ""


class ErrorData(WireModel):
    error: str = Field(description="Stable machine key from the README's error catalogue.")
    errors: dict[str, list[str]] | None = Field(
        None, description="Validation only: field path → localized messages."
    )


class ErrorEnvelope(WireModel):
    """sandbox decision: failures use the same envelope with `success: false` and `code` = HTTP status."""

    data: ErrorData
    success: bool = False
    code: int
    message: str = Field(description="Localized (Accept-Language) human message.")
