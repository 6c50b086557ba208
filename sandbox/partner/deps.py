"""Dependencies every partner route shares: the partner (from Digest), its headers, a DB session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session

from sandbox.core import i18n
from sandbox.core.errors import ValidationFailed
from sandbox.runtime import Sandbox

API_VERSIONS = ("2", "3")
DEFAULT_API_VERSION = "3"


@dataclass(frozen=True)
class PartnerContext:
    partner_id: int
    username: str
    client_id: str
    api_version: str
    locale: str


def get_sandbox(request: Request) -> Sandbox:
    return request.app.state.sandbox


def partner_context(
    request: Request,
    x_client_id: Annotated[
        str | None, Header(alias="x-client-id", description="Required. The docs' default is `web`.")
    ] = None,
    api_version: Annotated[
        str | None, Header(alias="api-version", description="`2` or `3`; `3` when absent.")
    ] = None,
    accept_language: Annotated[
        str | None, Header(alias="Accept-Language", description="`tr` (default) or `en`.")
    ] = None,
) -> PartnerContext:
    """documented: `x-client-id` is required; `api-version` shows `2` and `3` in the examples."""
    locale = i18n.pick_locale(accept_language)
    if not x_client_id or not x_client_id.strip():
        raise ValidationFailed(
            "missing_header",
            params={"header": "x-client-id"},
            errors={"x-client-id": [("missing_header", {"header": "x-client-id"})]},
        )
    version = (api_version or DEFAULT_API_VERSION).strip()
    if version not in API_VERSIONS:
        params = {"header": "api-version", "allowed": ", ".join(API_VERSIONS)}
        raise ValidationFailed(
            "invalid_header", params=params, errors={"api-version": [("invalid_header", params)]}
        )
    username = request.scope["state"]["partner"]
    sandbox = get_sandbox(request)
    return PartnerContext(
        partner_id=sandbox.partner_id(username),
        username=username,
        client_id=x_client_id.strip(),
        api_version=version,
        locale=locale,
    )


def db_session(request: Request) -> Iterator[Session]:
    with get_sandbox(request).store.session() as session:
        yield session


def db_write_session(request: Request) -> Iterator[Session]:
    """For routes that read state and then change it: serialized against every other writer."""
    with get_sandbox(request).store.session(write=True) as session:
        yield session


PartnerDep = Annotated[PartnerContext, Depends(partner_context)]
# scope="function": the transaction commits before the response is sent, never after the client
# has been told it succeeded.
SessionDep = Annotated[Session, Depends(db_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(db_write_session, scope="function")]
SandboxDep = Annotated[Sandbox, Depends(get_sandbox)]
