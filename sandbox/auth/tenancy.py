"""Which world a request is for: the default one, or a tenant's (sandbox/runtime/tenants.py).

A partner request is for the world of the partner its Digest header names (`t1-demo`: tenant t1's
`demo`); any other request names a tenant with the `X-Sandbox-Tenant` header, or (the dashboard, in a
browser) the `sandbox_tenant` cookie; a cookie naming a tenant that is gone gets the default world
(the dashboard says so, sandbox/ui/common.py) rather than an error page. The links a tenant's world
hands out start with `/t/<id>` (its `public_base_url`): that prefix is taken off the path here, into
the ASGI `root_path`, and names the tenant of a 3-D Secure page; on a partner path the credentials
still choose the world. The chosen `Sandbox` catches up with what any process serving
its store committed before the request arrived (`Sandbox.sync`: the clock, the world, the
configuration) and goes into the scope (`scope["sandbox"]`) for everything after this step: the
journal, the Digest gate, the fault rules, the cached reads and the routes. A request that arrives
while this process resets or reseeds that world goes on without waiting for it.
"""

from __future__ import annotations

import contextlib
import re
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
TENANT_ID = r"^[a-z0-9][a-z0-9-]{0,39}$"  # what `POST /_sandbox/tenants` takes as an id
TENANT_COOKIE = "sandbox_tenant"
DASHBOARD_PREFIX = "/_sandbox/ui"
# What a tenant's links reach (`<public_base_url>/t/<id>/...`): its card payments' 3-D Secure pages and
# the pages of Get Orders. Nothing else: /t/<id>/_sandbox/... would pass ControlGate, which guards
# /_sandbox before this step.
TENANT_PATH = re.compile(r"/t/([^/]+)(/(?:pay|partner)/.*)", re.DOTALL)


def sandbox_of(scope: Scope) -> Sandbox:
    """The world the request is for (set by `TenantRouter`)."""
    sandbox: Sandbox = scope["sandbox"]
    return sandbox


def tenant_of(scope: Scope) -> str | None:
    """The tenant whose world the request is for (None: the default world)."""
    tenant: str | None = scope["tenant"]
    return tenant


def gone_tenant_of(scope: Scope) -> str | None:
    """The tenant the dashboard's cookie names that no longer exists (the request got the default world)."""
    gone: str | None = scope.get("tenant_gone")
    return gone


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
            if tenants.refresh():  # the registry may have changed: read it off the event loop
                await run_in_threadpool(tenants.catch_up)
            tenant_id, from_cookie = self._named(scope)
            sandbox = tenants.default
            if tenant_id is not None:
                found = tenants.opened(tenant_id) or await run_in_threadpool(tenants.get, tenant_id)
                if found is not None:
                    sandbox = found
                    if tenants.used(tenant_id):
                        await run_in_threadpool(tenants.touch, tenant_id)
                elif from_cookie:  # removed or expired while the dashboard showed it
                    scope["tenant_gone"], tenant_id = tenant_id, None
                else:
                    raise SandboxError("tenant_not_found", params={"tenant": tenant_id})
        except SandboxError as error:
            headers = dict(scope["headers"])
            await fail(error, i18n.pick_locale(_text(headers.get(b"accept-language"))))(scope, receive, send)
            return
        if sandbox is not tenants.default:  # `refresh` caught the default world up already
            with contextlib.suppress(SandboxError):  # a failing store: the route answers store_unavailable
                sandbox.sync(wait=False)
        scope["sandbox"], scope["tenant"] = sandbox, tenant_id
        await self.app(scope, receive, send)

    def _named(self, scope: Scope) -> tuple[str | None, bool]:
        """The tenant the request names, if any, and whether the dashboard's cookie named it."""
        headers = scope["headers"]
        prefixed = _unprefix(scope)
        if scope["path"].startswith(PROTECTED_PREFIX):
            if not self.tenants.any():  # the common case: nothing to pick, no header to parse twice
                return None, False
            claimed = self.verifier.claimed_username(
                [value.decode("latin-1") for name, value in headers if name.lower() == b"authorization"]
            )
            owner = self.tenants.of_user(claimed) if claimed else None
            return (owner[0] if owner else None), False
        if prefixed is not None:
            return prefixed, False
        for name, value in headers:
            if name.lower() == TENANT_HEADER:
                return value.decode("latin-1").strip() or None, False
        if scope["path"].startswith(DASHBOARD_PREFIX):
            for name, value in headers:
                if name.lower() == b"cookie":
                    try:
                        cookie = SimpleCookie(value.decode("latin-1"))
                    except CookieError:
                        continue
                    if TENANT_COOKIE in cookie:
                        return cookie[TENANT_COOKIE].value or None, True
        return None, False


def _unprefix(scope: Scope) -> str | None:
    """Take a tenant's `/t/<id>` off the path into `root_path` (where the pages build their links
    from); the id, or None without one. Digest still checks the `uri` against the path as sent
    (`raw_path`)."""
    prefixed = TENANT_PATH.fullmatch(scope["path"])
    if prefixed is None:
        return None
    tenant_id, scope["path"] = prefixed.groups()
    scope["root_path"] = f"{scope.get('root_path', '')}/t/{tenant_id}"
    return tenant_id


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")
