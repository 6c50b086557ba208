"""Sandbox control: Fault rules and the request journal (under /_sandbox, no Digest)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from sandbox.control.router import control
from sandbox.domain import faults
from sandbox.domain.faults import Effect, FaultMatch, FaultRuleCreate, FaultRuleToggle
from sandbox.partner.deps import SandboxDep
from sandbox.responses import ok
from sandbox.wire.base import Envelope, WireModel

router = APIRouter(prefix="/_sandbox", tags=["Sandbox control"])

# Every control route answers 401/403 when SANDBOX_CONTROL_TOKEN is set (sandbox/control/protection.py).
GUARDED = (401, 403)


class FaultRulePublic(WireModel):
    id: int
    match: FaultMatch
    effect: Effect
    probability: float
    times: int | None
    fired: int = Field(description="How often the rule has fired (across workers)")
    enabled: bool = Field(description="false: kept, but never matches (PATCH /_sandbox/faults/{id})")
    created_at: str = Field(description="ISO 8601, sandbox clock")


class FaultRules(WireModel):
    faults: list[FaultRulePublic] = Field(description="Oldest first: the order rules are tried in")


class Removed(WireModel):
    deleted: int = Field(description="How many rules were removed")


class JournalEntry(WireModel):
    id: int = Field(description="Increasing, across every worker; pass the last one seen as `since`")
    at: str = Field(description="When the request arrived (ISO 8601, sandbox clock)")
    method: str
    path: str
    query: str = Field(description="The raw query string, without `?`")
    partner: str | None = Field(description="Digest username; null when Digest refused the request")
    status: int
    latency_ms: float = Field(description="From arrival to the last response byte")
    request_headers: dict[str, str] = Field(description="Authorization and Cookie values redacted")
    request_body: str | None = Field(description="Text, cut at 64 KiB")
    response_headers: dict[str, str]
    response_body: str | None = Field(description="Text, cut at 64 KiB; null for a dropped connection")


class JournalPage(WireModel):
    requests: list[JournalEntry] = Field(description="Oldest first, newest last")
    capacity: int = Field(description="Entries the ring keeps (SANDBOX_JOURNAL_SIZE)")


class Cleared(WireModel):
    cleared: int = Field(description="Entries removed")


@router.get("/requests", **control(Envelope[JournalPage], *GUARDED, 422))
def list_requests(
    sandbox: SandboxDep,
    path: Annotated[str | None, Query(description="Path prefix, e.g. /partner/order")] = None,
    method: Annotated[str | None, Query(description="HTTP method, any case")] = None,
    status: Annotated[int | None, Query(ge=100, le=599, description="Exact HTTP status")] = None,
    since: Annotated[int | None, Query(ge=0, description="Only entries after this id")] = None,
    partner: Annotated[str | None, Query(description="Digest username")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many entries")] = 100,
) -> Response:
    """Partner requests and their responses, from every worker serving the database.

    Newest last. Without `since` the newest `limit` matching entries; with `since` the oldest `limit`
    after it, so polling with the last id seen never skips an entry. Another worker's requests show up
    within about 50 ms of their answer."""
    entries = sandbox.journal.query(
        path=path, method=method, status=status, since=since, partner=partner, limit=limit
    )
    return ok({"requests": [e.as_dict() for e in entries], "capacity": sandbox.settings.journal_size})


@router.delete("/requests", **control(Envelope[Cleared], *GUARDED))
def clear_requests(sandbox: SandboxDep) -> Response:
    """Empty the request journal, for every worker (entry ids keep counting up)."""
    return ok({"cleared": sandbox.journal.clear()})


@router.post("/faults", **control(Envelope[FaultRulePublic], *GUARDED, 422))
def create_fault(body: FaultRuleCreate, sandbox: SandboxDep) -> Response:
    """Add a fault rule: matching partner requests get its effect before any handler runs."""
    with sandbox.store.session(write=True) as session:
        row = faults.create(session, body, sandbox.clock.now(), sandbox.settings.partners)
        session.commit()  # committed before this process reloads its rules
        sandbox.faults.invalidate()
        return ok(faults.render(row))


@router.get("/faults", **control(Envelope[FaultRules], *GUARDED))
def list_faults(sandbox: SandboxDep) -> Response:
    """Every fault rule, oldest first (the order they are tried in), with how often each fired."""
    with sandbox.store.session() as session:
        return ok({"faults": [faults.render(row) for row in faults.all_rules(session)]})


@router.delete("/faults/{fault_id}", **control(Envelope[FaultRulePublic], *GUARDED, 404))
def delete_fault(fault_id: int, sandbox: SandboxDep) -> Response:
    """Remove one fault rule; answers with the rule as it was (its final `fired`)."""
    with sandbox.store.session(write=True) as session:
        row = faults.remove(session, fault_id)
        rendered = faults.render(row)
        session.commit()
        sandbox.faults.invalidate()
        return ok(rendered)


@router.patch("/faults/{fault_id}", **control(Envelope[FaultRulePublic], *GUARDED, 404, 422))
def toggle_fault(fault_id: int, body: FaultRuleToggle, sandbox: SandboxDep) -> Response:
    """Switch a fault rule off (`{"enabled": false}`) or back on; answers the stored rule.

    A disabled rule never matches: it draws no chance and its `times` are not used, so switching it on
    again restores the firings it had left. Applies from this process's next partner request (other
    workers' within a second)."""
    with sandbox.store.session(write=True) as session:
        row = faults.set_enabled(session, fault_id, body.enabled)
        rendered = faults.render(row)
        session.commit()
        sandbox.faults.invalidate()
        return ok(rendered)


@router.delete("/faults", **control(Envelope[Removed], *GUARDED))
def delete_faults(sandbox: SandboxDep) -> Response:
    """Remove every fault rule."""
    with sandbox.store.session(write=True) as session:
        count = faults.remove_all(session)
        session.commit()
        sandbox.faults.invalidate()
        return ok({"deleted": count})
