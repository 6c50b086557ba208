"""Sandbox control: tenants, many isolated worlds on one server (sandbox/runtime/tenants.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from sandbox.auth.tenancy import TENANT_ID
from sandbox.control.router import control
from sandbox.core.errors import SandboxError
from sandbox.responses import ok
from sandbox.runtime.tenants import Tenants
from sandbox.store.registry import Tenant
from sandbox.wire.base import Envelope, WireModel

router = APIRouter(prefix="/_sandbox", tags=["Sandbox control"])

GUARDED = (401, 403)
DAY = 86_400


class TenantRequest(WireModel):
    id: str | None = Field(
        None, pattern=TENANT_ID, description="Omitted: the next free `t<n>` (t1, t2, ...; never reused)"
    )
    seed: int | None = Field(None, ge=-(2**63), le=2**63 - 1, description="Omitted: the server's seed")
    scenario: str = Field("default", description="A file of fixtures/scenarios/ (default, empty, ...)")
    orders: int | None = Field(None, ge=0, le=1_000_000, description="Omitted: the scenario's count")
    customers: int | None = Field(
        None, ge=0, le=100_000, description="Per partner. Omitted: the scenario's count"
    )
    ttl_seconds: int | None = Field(
        None, ge=60, le=30 * DAY, description="Removed after this long without a request; omitted: kept"
    )


class TenantPartner(WireModel):
    username: str = Field(description="The Digest username: `<tenant>-<partner>`")
    password: str = Field(description="Its Digest password (shown only when the tenant is created)")
    partner: str = Field(description="The partner it is in the tenant's world (demo, acme)")


class TenantView(WireModel):
    tenant: str = Field(description="Its id: the X-Sandbox-Tenant header's value")
    seed: int
    scenario: str
    orders: int
    customers: int = Field(description="Per partner")
    ttl_seconds: int | None
    created_at: datetime
    used_at: datetime = Field(description="Last request, to within a few seconds")
    usernames: list[str] = Field(description="Its partners' Digest usernames")


class CreatedTenant(TenantView):
    partners: list[TenantPartner]


class TenantList(WireModel):
    tenants: list[TenantView]


class RemovedTenant(WireModel):
    removed: str


def _tenants(request: Request) -> Tenants:
    tenants: Tenants = request.app.state.tenants
    return tenants


def _view(tenant: Tenant) -> dict[str, Any]:
    return {
        "tenant": tenant.id,
        "seed": tenant.seed,
        "scenario": tenant.scenario,
        "orders": tenant.orders,
        "customers": tenant.customers,
        "ttl_seconds": tenant.ttl_seconds,
        "created_at": tenant.created_at,
        "used_at": tenant.used_at,
        "usernames": [username for username, _partner, _password in tenant.partners],
    }


@router.post("/tenants", **control(Envelope[CreatedTenant], *GUARDED, 409, 422))
async def create_tenant(request: Request, body: Annotated[TenantRequest | None, Body()] = None) -> Response:
    """Create a tenant: a world of its own, with its own partners, clock, faults, journal and resets."""
    body = body or TenantRequest()
    tenant = await run_in_threadpool(
        _tenants(request).create,
        tenant_id=body.id,
        seed=body.seed,
        scenario=body.scenario,
        orders=body.orders,
        customers=body.customers,
        ttl_seconds=body.ttl_seconds,
    )
    partners = [
        {"username": username, "password": password, "partner": partner}
        for username, partner, password in tenant.partners
    ]
    return ok({**_view(tenant), "partners": partners})


@router.get("/tenants", **control(Envelope[TenantList], *GUARDED))
def list_tenants(request: Request) -> Response:
    """Tenants: every world this server holds besides the default one, oldest first."""
    return ok({"tenants": [_view(tenant) for tenant in _tenants(request).all()]})


@router.delete("/tenants/{tenant_id}", **control(Envelope[RemovedTenant], *GUARDED, 404))
def delete_tenant(request: Request, tenant_id: Annotated[str, Path(max_length=64)]) -> Response:
    """Remove a tenant: its world is deleted and its partners' credentials answer 401 from now on."""
    if not _tenants(request).remove(tenant_id):
        raise SandboxError("tenant_not_found", params={"tenant": tenant_id})
    return ok({"removed": tenant_id})
