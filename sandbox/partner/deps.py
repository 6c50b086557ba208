"""Dependencies every partner route shares: the partner (from Digest) and its headers, the sandbox.

A route opens its database session itself (`with sandbox.store.session(write=...) as session:`), in
the worker thread that runs it: as a dependency, FastAPI would open and close it on two more threads
(about 0.35 ms of CPU a write request, measured), and it commits before the route answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from sandbox.auth.tenancy import sandbox_of
from sandbox.core import i18n, profile
from sandbox.core.errors import ValidationFailed
from sandbox.core.profile import Profile
from sandbox.runtime import Sandbox

API_VERSIONS = ("2", "3")
VERSION_FORMAT = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}")
DEFAULT_API_VERSION = "3"
DEFAULT_CLIENT_ID = "web"


@dataclass(frozen=True)
class PartnerContext:
    partner_id: int
    username: str
    client_id: str
    api_version: str
    locale: str
    profile: Profile


def get_sandbox(request: Request) -> Sandbox:
    return sandbox_of(request.scope)


def header_value(request: Request, name: str) -> str | None:
    """A header's value, the empty ones skipped: the docs' generated curl samples send
    `--header 'api-version;'` (an empty header) beside `--header 'api-version: 2'`. None when no
    non-empty value came; several different values are a 422."""
    values = {value.strip() for value in request.headers.getlist(name)} - {""}
    if len(values) > 1:
        params = {"header": name}
        raise ValidationFailed(
            "conflicting_header", params=params, errors={name: [("conflicting_header", params)]}
        )
    return values.pop() if values else None


def _single_query_values(request: Request) -> None:
    """Every partner query parameter takes one value: `?page=1&page=2` would otherwise be read as
    page 2 without a word."""
    names = [name for name, _ in request.query_params.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValidationFailed(errors={name: [("duplicate_parameter", {})] for name in repeated})


async def partner_context(request: Request) -> PartnerContext:
    """documented: `x-client-id` is required, its default `web`; `api-version` shows `2` and `3` in
    the examples. The docs' curl samples send `x-client-id` empty: an empty one is the default.

    The headers are read here rather than declared as `Header()` parameters: FastAPI re-inspects
    declared parameters on every request, which cost more than the rest of Get Order. They are
    documented through `PARTNER_HEADERS` (sandbox/partner/openapi.py) instead."""
    headers = request.headers
    locale = i18n.pick_locale(headers.get("accept-language"))
    if "x-client-id" not in headers:
        raise ValidationFailed(
            "missing_header",
            params={"header": "x-client-id"},
            errors={"x-client-id": [("missing_header", {"header": "x-client-id"})]},
        )
    if request.scope["query_string"]:
        _single_query_values(request)
    username = request.scope["state"]["partner"]
    sandbox = get_sandbox(request)
    # Async so partner routes skip a thread hop; the one database look-up per partner runs in a thread.
    known = sandbox.known_partner(username)
    if known is None:
        known = await run_in_threadpool(sandbox.partner, username)
    partner_id, profile_name = known
    request_profile = profile.begin(profile_name)
    request.scope["state"]["profile"] = request_profile
    version = header_value(request, "api-version") or DEFAULT_API_VERSION
    if version not in API_VERSIONS:
        params = {"header": "api-version", "allowed": ", ".join(API_VERSIONS)}
        error = ValidationFailed(
            "invalid_header", params=params, errors={"api-version": [("invalid_header", params)]}
        )
        if not VERSION_FORMAT.fullmatch(version):
            raise error  # not a version at all, in any profile
        request_profile.enforce("api_version", error, f"api-version {version} accepted")
    return PartnerContext(
        partner_id=partner_id,
        username=username,
        client_id=header_value(request, "x-client-id") or DEFAULT_CLIENT_ID,
        api_version=version,
        locale=locale,
        profile=request_profile,
    )


async def _sandbox(request: Request) -> Sandbox:
    # Async: FastAPI runs a plain-def dependency in a worker thread, a hop that costs more than this.
    return get_sandbox(request)


PartnerDep = Annotated[PartnerContext, Depends(partner_context)]
SandboxDep = Annotated[Sandbox, Depends(_sandbox)]
