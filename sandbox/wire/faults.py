"""Fault rules on the wire: what a rule matches, the effects it can have, and the bodies that create and
toggle one. The service, the per-request header and the matching are in sandbox/domain/faults.py."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, TypeAdapter, field_validator, model_validator
from pydantic_core import PydanticCustomError

from sandbox.core import i18n
from sandbox.wire.base import WireModel

PARTNER_PREFIX = "/partner/"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DEFAULT_ERRORS = {429: "rate_limited", 503: "service_unavailable", 504: "gateway_timeout"}
DEFAULT_TIMEOUT_MS = 30_000


class ErrorEffect(WireModel):
    """Answer with the partner's error envelope: this status and catalogue key, localized."""

    type: Literal["error"]
    status: int = Field(ge=400, le=599, description="HTTP status, 400–599")
    error: str | None = Field(
        None,
        description="Catalogue key (`data.error`); default by status: 429 rate_limited, "
        "503 service_unavailable, 504 gateway_timeout, else fault_injected",
    )

    @model_validator(mode="after")
    def _known_key(self) -> ErrorEffect:
        if self.error is None:
            self.error = DEFAULT_ERRORS.get(self.status, "fault_injected")
        elif self.error not in i18n.MESSAGES:
            raise PydanticCustomError(
                "value_error", "{error}", {"error": f"unknown error key {self.error!r}"}
            )
        return self


class LatencyEffect(WireModel):
    """Wait, then run the request normally."""

    type: Literal["latency"]
    latency_ms: int = Field(ge=1, le=60_000)


class DropEffect(WireModel):
    """Start a 200 response, then close the connection before any body byte."""

    type: Literal["drop"]


class MalformedEffect(WireModel):
    """200 with `Content-Type: application/json` and a truncated JSON body."""

    type: Literal["malformed"]


class TimeoutEffect(WireModel):
    """Wait `timeout_ms`, then 504 `gateway_timeout` (the handler never runs)."""

    type: Literal["timeout"]
    timeout_ms: int = Field(DEFAULT_TIMEOUT_MS, ge=1, le=120_000)


Effect = Annotated[
    ErrorEffect | LatencyEffect | DropEffect | MalformedEffect | TimeoutEffect, Field(discriminator="type")
]
EFFECT = TypeAdapter(Effect)
EFFECT_TYPES = ("error", "latency", "drop", "malformed", "timeout")


class FaultMatch(WireModel):
    method: str = Field("*", description='"*" or one HTTP method')
    path: str = Field(
        "*", description='Glob on the request path: * matches any run of characters ("/partner/order/*")'
    )
    partner: str | None = Field(None, description="Digest username; omit for every partner")
    external_id: str | None = Field(
        None, min_length=1, description="The JSON body's top-level external_id; omit for any body"
    )

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        value = value.strip().upper()
        if value != "*" and value not in METHODS:
            raise PydanticCustomError("literal_error", "", {"expected": ", ".join(("*", *METHODS))})
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        literal = value.split("*", 1)[0]
        if not value or not (PARTNER_PREFIX.startswith(literal) or literal.startswith(PARTNER_PREFIX)):
            # Faults only ever touch /partner/ requests: a pattern that cannot match one is a mistake.
            raise PydanticCustomError(
                "value_error", "{error}", {"error": "must match /partner/ paths (start with /partner/ or *)"}
            )
        return value


class FaultRuleCreate(WireModel):
    match: FaultMatch = Field(default_factory=FaultMatch, description="Omitted: every partner request")
    effect: Effect
    probability: float = Field(1.0, ge=0, le=1, description="Chance a matching request fires (seeded)")
    times: int | None = Field(None, ge=1, description="Fires this often, then stops; null = until removed")
    enabled: StrictBool = Field(True, description="false: stored but never matches (PATCH turns it on)")

    @field_validator("effect", mode="before")
    @classmethod
    def _effect_type(cls, value: object) -> object:
        if isinstance(value, dict) and value.get("type") not in EFFECT_TYPES:
            raise PydanticCustomError("literal_error", "", {"expected": ", ".join(EFFECT_TYPES)})
        return value


class FaultRuleToggle(WireModel):
    """PATCH /_sandbox/faults/{id}: only the on/off switch changes (a rule's match and effect do not)."""

    enabled: StrictBool = Field(
        description="false: the rule never matches and its `times` budget is not used; true: it applies "
        "again, with the firings it has left"
    )
