"""Customers: Create, Update, Get and Remove Customer; Wallet KYC Get, Upsert and Bulk Upsert."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sandbox.cached_reads import cacheable
from sandbox.partner.customers import service
from sandbox.partner.deps import PartnerDep, SandboxDep
from sandbox.partner.openapi import route
from sandbox.responses import ok
from sandbox.wire.base import Envelope
from sandbox.wire.customers import (
    CustomerCreate,
    CustomerDetail,
    CustomerRecord,
    CustomerRemoved,
    CustomerUpdate,
    KycBulkRequest,
    KycBulkResponse,
    KycRecord,
    KycUpsert,
)

router = APIRouter(tags=["Customers"])


@router.post(
    "/partner/customer",
    **route(
        "partly documented",
        409,
        413,
        415,
        model=Envelope[CustomerRecord],
        invented="`account_type` and `tax_office` after `updated_at` in the answer (the page's "
        "example is cut off at `updated_at`)",
    ),
)
def create_customer(body: CustomerCreate, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Create Customer / Create Business Customer: a person, or `account_type: company`."""
    with sandbox.store.session(write=True) as session:
        customer = service.create_customer(
            session, partner.profile, partner.partner_id, body, sandbox.clock.now()
        )
        return ok(service.render_record(customer))


@router.post("/partner/customer/kyc", **route("sandbox-decision", 404, 413, 415, model=Envelope[KycRecord]))
def customer_wallet_kyc_upsert(body: KycUpsert, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Customer Wallet Kyc - Upsert: submit an identity number and get the KYC decision."""
    with sandbox.store.session(write=True) as session:
        customer = service.upsert_kyc(session, partner.profile, partner.partner_id, body, sandbox.clock.now())
        return ok(service.render_kyc(customer))


@router.post(
    "/partner/customer/kyc/bulk", **route("sandbox-decision", 413, 415, model=Envelope[KycBulkResponse])
)
def customer_wallet_kyc_bulk_upsert(
    body: KycBulkRequest, partner: PartnerDep, sandbox: SandboxDep
) -> Response:
    """Customer Wallet Kyc - Bulk Upsert: 1–100 upserts, each succeeding or failing on its own."""
    with sandbox.store.session(write=True) as session:
        now = sandbox.clock.now()
        results = service.bulk_upsert_kyc(
            session, partner.profile, partner.partner_id, body.records, now, partner.locale
        )
        return ok({"results": results})


@router.get(
    "/partner/customer/{external_customer_id}/kyc",
    **route("sandbox-decision", 404, model=Envelope[KycRecord]),
)
@cacheable
def customer_wallet_kyc_get(external_customer_id: str, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Customer Wallet Kyc - Get: the customer's KYC status, reason and last decision time."""
    with sandbox.store.session() as session:
        return ok(service.render_kyc(service.get_customer(session, partner.partner_id, external_customer_id)))


@router.get(
    "/partner/customer/{external_customer_id}",
    **route(
        "partly documented",
        404,
        model=Envelope[CustomerDetail],
        invented="the wallet rows' keys after `customer_external_id` (the page's example is cut off "
        "there) and `account_type`, `tax_office`, `kyc_status` after `wallets`",
    ),
)
@cacheable
def get_customer(external_customer_id: str, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Get Customer: the profile, KYC status and opened wallets."""
    with sandbox.store.session() as session:
        customer = service.get_customer(session, partner.partner_id, external_customer_id)
        return ok(service.render_detail(session, customer))


@router.patch(
    "/partner/customer/{external_customer_id}",
    **route(
        "partly documented",
        404,
        413,
        415,
        model=Envelope[CustomerRecord],
        invented="the answer (the page shows none): the customer as Create Customer answers it",
    ),
)
def update_customer(
    external_customer_id: str, body: CustomerUpdate, partner: PartnerDep, sandbox: SandboxDep
) -> Response:
    """Update Customer: firstname, phone, identity_number (and a person's lastname) every time."""
    with sandbox.store.session(write=True) as session:
        now = sandbox.clock.now()
        customer = service.update_customer(
            session, partner.profile, partner.partner_id, external_customer_id, body, now
        )
        return ok(service.render_record(customer))


@router.delete(
    "/partner/customer/{external_customer_id}",
    **route(
        "partly documented",
        404,
        model=Envelope[CustomerRemoved],
        invented="the path (the docs' navigation names only the method), the refusals and the answer",
    ),
)
def remove_customer_id(external_customer_id: str, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Remove Customer Id: refused while orders are open or a wallet holds anything (response: our shape)."""
    with sandbox.store.session(write=True) as session:
        now = sandbox.clock.now()
        removed = service.remove_customer(session, partner.partner_id, external_customer_id, now)
        return ok({"external_id": removed, "removed": True})
