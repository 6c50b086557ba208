"""Partner Legal: the partner's legal texts (sandbox decision, docs/design/contract.md §2 row 32)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sandbox.cached_reads import cacheable
from sandbox.partner.deps import PartnerDep, SandboxDep
from sandbox.partner.legal import service
from sandbox.partner.legal.schemas import LegalDocument, LegalRequest
from sandbox.partner.openapi import route
from sandbox.responses import ok
from sandbox.wire.base import Envelope

router = APIRouter(tags=["Legal"])


@router.post("/partner/legal", **route("sandbox-decision", 413, 415, model=Envelope[LegalDocument]))
@cacheable
def partner_legal(body: LegalRequest, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Partner Legal: a legal text (KVKK notice, agreements, forms) in the request's language."""
    legal_dir = sandbox.settings.fixtures_dir / "legal"
    return ok(service.legal_document(legal_dir, body.type, partner.locale))
