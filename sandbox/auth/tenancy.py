"""Which world a request is for: the default one, or a tenant's (sandbox/runtime/tenants.py).

A partner request is for the world of the partner its Digest header names (`t1-demo`: tenant t1's
`demo`); any other request names a tenant with the `X-Sandbox-Tenant` header, or (the dashboard, in a
browser) the `sandbox_tenant` cookie. The chosen `Sandbox` catches up with what any process serving
its store committed before the request arrived (`Sandbox.sync`: the clock, the world, the
configuration) and goes into the scope (`scope["sandbox"]`) for everything after this step: the
journal, the Digest gate, the fault rules, the cached reads and the routes. A request that arrives
while this process resets or reseeds that world goes on without waiting for it.
"""

from __future__ import annotations

import contextlib
from http.cookies import CookieError, SimpleCookie

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.auth.digest import DigestVerifier
from sandbox.auth.middleware import PROTECTED_PREFIX
from sandbox.core import i18n
from sandbox.core.errors import SandboxError
from sandbox.responses import fail
from sandbox.runtime import Sandbox
from sandbox.runtime.tenants import Tenants

TENANT_HEADER = b"x-sandbox-tenant"
TENANT_COOKIE = "sandbox_tenant"
DASHBOARD_PREFIX = "/_sandbox/ui"


def sandbox_of(scope: Scope) -> Sandbox:
    """The world the request is for (set by `TenantRouter`)."""
    sandbox: Sandbox = scope["sandbox"]
    return sandbox


class TenantRouter:
    def __init__(self, app: ASGIApp, tenants: Tenants, verifier: DigestVerifier) -> None:
        self.app = app
        self.tenants = tenants
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tenants = self.tenants
        try:
            tenants.refresh()
            tenant_id = self._named(scope)
            sandbox = tenants.default
            if tenant_id is not None:
                found = tenants.opened(tenant_id) or await run_in_threadpool(tenants.get, tenant_id)
                if found is None:
                    raise SandboxError("tenant_not_found", params={"tenant": tenant_id})
                sandbox = found
                if tenants.used(tenant_id):
                    await run_in_threadpool(tenants.touch, tenant_id)
        except SandboxError as error:
            headers = dict(scope["headers"])
            await fail(error, i18n.pick_locale(_text(headers.get(b"accept-language"))))(scope, receive, send)
            return
        if sandbox is not tenants.default:  # `refresh` caught the default world up already
            with contextlib.suppress(SandboxError):  # a failing store: the route answers store_unavailable
                sandbox.sync(wait=False)
        scope["sandbox"] = sandbox
        await self.app(scope, receive, send)

    def _named(self, scope: Scope) -> str | None:
        """The tenant the request names, if any."""
        headers = scope["headers"]
        if scope["path"].startswith(PROTECTED_PREFIX):
            if not self.tenants.any():  # the common case: nothing to pick, no header to parse twice
                return None
            claimed = self.verifier.claimed_username(
                [value.decode("latin-1") for name, value in headers if name.lower() == b"authorization"]
            )
            owner = self.tenants.of_user(claimed) if claimed else None
            return owner[0] if owner else None
        for name, value in headers:
            if name.lower() == TENANT_HEADER:
                return value.decode("latin-1").strip() or None
        if scope["path"].startswith(DASHBOARD_PREFIX):
            for name, value in headers:
                if name.lower() == b"cookie":
                    try:
                        cookie = SimpleCookie(value.decode("latin-1"))
                    except CookieError:
                        continue
                    if TENANT_COOKIE in cookie:
                        return cookie[TENANT_COOKIE].value or None
        return None


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")
