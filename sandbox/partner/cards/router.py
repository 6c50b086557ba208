"""Card storage: List, Add and Delete a customer's saved cards (sandbox decision, docs/design/contract.md
§2 row 24)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from sandbox.cached_reads import cacheable
from sandbox.partner.cards import service
from sandbox.partner.cards.schemas import (
    CardDelete,
    CardDeleted,
    CardSave,
    StoredCardList,
    StoredCardRecord,
)
from sandbox.partner.deps import PartnerDep, SandboxDep
from sandbox.partner.openapi import route
from sandbox.responses import ok
from sandbox.wire.base import Envelope
from sandbox.wire.customers import CustomerRef

router = APIRouter(tags=["Card storage"])


@router.post(
    "/partner/card/storage/save",
    **route("sandbox-decision", 404, 413, 415, model=Envelope[StoredCardRecord]),
)
def card_storage_add(body: CardSave, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Card Storage Add: save a card for a customer; the same card saved again keeps its token."""
    with sandbox.store.session(write=True) as session:
        card, customer = service.save_card(
            session, partner.partner_id, body, sandbox.clock.now(), sandbox.rng_in(session), sandbox.seed
        )
        return ok(service.render(card, customer))


@router.post(
    "/partner/card/storage/list",
    **route("sandbox-decision", 404, 413, 415, model=Envelope[StoredCardList]),
)
@cacheable
def card_storage_list(body: CustomerRef, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Card Storage List: the customer's saved cards (masked), oldest first."""
    with sandbox.store.session() as session:
        cards, customer = service.list_cards(session, partner.partner_id, body.customer_external_id)
        return ok({"cards": [service.render(card, customer) for card in cards]})


@router.delete(
    "/partner/card/storage", **route("sandbox-decision", 404, 413, 415, model=Envelope[CardDeleted])
)
def card_storage_delete(body: CardDelete, partner: PartnerDep, sandbox: SandboxDep) -> Response:
    """Card Storage Delete: forget one of the customer's saved cards."""
    with sandbox.store.session(write=True) as session:
        token = service.delete_card(session, partner.partner_id, body.customer_external_id, body.card_token)
        return ok({"card_token": token, "deleted": True})
