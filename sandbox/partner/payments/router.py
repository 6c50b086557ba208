"""Card payments: Payment Get All Types and Bin Query (Digest, under /partner), and the 3-D Secure pages
a card order's `redirect_url` opens (no Digest: the cardholder's browser has no partner credentials;
the 32-character payment token in the path is the only key, as on a real bank page). A tenant's pages
live under `/t/<id>` (the ASGI root path, sandbox/auth/tenancy.py): their links and redirects keep it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sandbox.cached_reads import cacheable
from sandbox.core import i18n
from sandbox.domain import payments
from sandbox.partner.deps import PartnerDep, SandboxDep
from sandbox.partner.openapi import route
from sandbox.partner.payments import threeds
from sandbox.responses import ok
from sandbox.wire.base import Envelope
from sandbox.wire.payments import BinQuery, BinResponse, PaymentType

router = APIRouter(tags=["Card payments"])
pages = APIRouter(include_in_schema=False)


@router.get("/partner/payment/types", **route("sandbox-decision", model=Envelope[list[PaymentType]]))
@cacheable
def payment_types(partner: PartnerDep) -> Response:
    """Payment Get All Types: cash and credit card, named in the request's language."""
    return ok(payments.payment_types(partner.locale))


@router.post("/partner/payment/bin", **route("sandbox-decision", 413, 415, model=Envelope[BinResponse]))
@cacheable
def bin_query(body: BinQuery, partner: PartnerDep) -> Response:
    """Bin Query: the card's network and bank, and the commission of each installment count."""
    return ok(payments.bin_query(body.bin, body.total))


# -- 3-D Secure pages ---------------------------------------------------------------------------------


def _locale(request: Request) -> str:
    return i18n.pick_locale(request.headers.get("accept-language"))


def _html(text: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status_code, headers=threeds.SECURITY_HEADERS)


def _root(request: Request) -> str:
    """Where these pages are: `/t/<id>` for a tenant's, nothing for the default world's."""
    root: str = request.scope.get("root_path", "")
    return root


def _callback(request: Request, token: str, state: str) -> RedirectResponse:
    result = "success" if state in ("success", "refunded") else "fail"
    return RedirectResponse(
        f"{_root(request)}/pay/{token}/callback/{result}", status_code=303, headers=threeds.SECURITY_HEADERS
    )


async def form_action(request: Request) -> str:
    """The form's `action` field (application/x-www-form-urlencoded, as a browser posts it)."""
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    return (fields.get("action") or [""])[0]


@pages.get("/pay/{token}")
def payment_page(token: str, sandbox: SandboxDep, request: Request) -> Response:
    """The 3-D Secure page; a payment already answered goes straight to its callback."""
    with sandbox.store.session() as session:
        found = payments.find_payment(session, token)
        if found is None:
            return _html(threeds.not_found_page(_locale(request)), 404)
        payment, order = found
        if payment.state != "new":
            return _callback(request, payment.token, payment.state)
        return _html(threeds.payment_page(payment, order, _locale(request), _root(request)))


@pages.post("/pay/{token}")
def answer_page(
    token: str, action: Annotated[str, Depends(form_action)], sandbox: SandboxDep, request: Request
) -> Response:
    """The cardholder's answer (form field `action`: approve | decline), processed once; then its callback."""
    with sandbox.store.session(write=True) as session:
        found = payments.find_payment(session, token)
        if found is None:
            return _html(threeds.not_found_page(_locale(request)), 404)
        payment, order = found
        if payment.state == "new" and action not in ("approve", "decline"):
            return _html(threeds.bad_action_page(payment.token, _locale(request), _root(request)), 422)
        payments.answer(
            session, sandbox.rng_in(session), payment, order, action == "approve", sandbox.clock.now()
        )
        return _callback(request, payment.token, payment.state)


@pages.get("/pay/{token}/callback/{result}")
def callback_page(token: str, result: str, sandbox: SandboxDep, request: Request) -> Response:
    """The result page the 3-D Secure page returns to: the order and its payment as they are now."""
    with sandbox.store.session() as session:
        found = payments.find_payment(session, token)
        if found is None or result not in ("success", "fail"):
            return _html(threeds.not_found_page(_locale(request)), 404)
        return _html(threeds.result_page(*found, _locale(request)))
