"""Dependencies every partner route shares: the partner (from Digest), its headers, a DB session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

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


async def partner_context(request: Request) -> PartnerContext:
    """documented: `x-client-id` is required; `api-version` shows `2` and `3` in the examples.

    The headers are read here rather than declared as `Header()` parameters: FastAPI re-inspects
    declared parameters on every request, which cost more than the rest of Get Order. They are
    documented through `PARTNER_HEADERS` (sandbox/partner/openapi.py) instead."""
    headers = request.headers
    x_client_id = headers.get("x-client-id")
    api_version = headers.get("api-version")
    accept_language = headers.get("accept-language")
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
    # Async so partner routes skip a thread hop; the one database look-up per partner runs in a thread.
    partner_id = sandbox.known_partner_id(username)
    if partner_id is None:
        partner_id = await run_in_threadpool(sandbox.partner_id, username)
    return PartnerContext(
        partner_id=partner_id,
        username=username,
        client_id=x_client_id.strip(),
        api_version=version,
        locale=locale,
    )


async def _sandbox(request: Request) -> Sandbox:
    # Async: FastAPI runs a plain-def dependency in a worker thread, a hop that costs more than this.
    return get_sandbox(request)


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
SandboxDep = Annotated[Sandbox, Depends(_sandbox)]
