"""Fault rules: the service the routes call, the per-request header, and the cached list the traffic
middleware reads. The wire models (matches, effects, create and toggle bodies) are in sandbox/wire/faults.py.

sandbox decision (WireMock faults, Toxiproxy toxics): a rule matches partner requests by method, a path
glob, the Digest partner and the JSON body's top-level `external_id`, and answers them with an error
envelope, extra latency, a dropped connection, a malformed JSON body or a gateway timeout. A rule can be
switched off and on (`enabled`) without losing its count: a disabled rule never matches, so it neither
draws from the seeded stream nor uses its `times`. Rules live in the database so every worker applies
them; each process caches the list (`FaultBook`) and reloads it when this process changes a rule, or at
most a second after another worker did.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, or_, select, update

from sandbox.core.errors import SandboxError, ValidationFailed
from sandbox.core.ids import Rng
from sandbox.store import shared
from sandbox.store.db import Store
from sandbox.store.models import FaultRule, pk
from sandbox.wire.faults import (
    DEFAULT_ERRORS,
    DEFAULT_TIMEOUT_MS,
    EFFECT,
    EFFECT_TYPES,
    METHODS,
    PARTNER_PREFIX,
    DropEffect,
    Effect,
    ErrorEffect,
    FaultMatch,
    FaultRuleCreate,
    FaultRuleToggle,
    LatencyEffect,
    MalformedEffect,
    TimeoutEffect,
)

__all__ = [  # the wire models are re-exported: callers use `faults.ErrorEffect`, `faults.METHODS`, ...
    "DEFAULT_ERRORS",
    "DEFAULT_TIMEOUT_MS",
    "EFFECT",
    "EFFECT_TYPES",
    "HEADER",
    "HEADER_FORMS",
    "METHODS",
    "PARTNER_PREFIX",
    "DropEffect",
    "Effect",
    "ErrorEffect",
    "FaultBook",
    "FaultMatch",
    "FaultRuleCreate",
    "FaultRuleToggle",
    "Fired",
    "LatencyEffect",
    "MalformedEffect",
    "Rule",
    "TimeoutEffect",
    "all_rules",
    "create",
    "effect_of",
    "external_id_of",
    "header_error",
    "parse_header",
    "remove",
    "remove_all",
    "render",
    "set_enabled",
]

log = logging.getLogger("sandbox.faults")
HEADER = "X-Sandbox-Fault"
HEADER_FORMS = "error=<status>[:<key>], latency=<ms>, drop, malformed, timeout[=<ms>]"


# -- the service the routes call ---------------------------------------------------------------------


def create(session: Session, body: FaultRuleCreate, now: datetime, partners: Iterable[str]) -> FaultRule:
    if body.match.partner is not None and body.match.partner not in set(partners):
        raise ValidationFailed(errors={"match.partner": [("partner_not_found", {})]})
    effect = body.effect
    row = FaultRule(
        method=body.match.method,
        path=body.match.path,
        partner=body.match.partner,
        external_id=body.match.external_id,
        effect=effect.type,
        status=getattr(effect, "status", None),
        error=getattr(effect, "error", None),
        latency_ms=getattr(effect, "latency_ms", None),
        timeout_ms=getattr(effect, "timeout_ms", None),
        probability=body.probability,
        times=body.times,
        enabled=body.enabled,
        created_at=now,
    )
    session.add(row)
    session.flush()
    shared.changed(session)
    return row


def all_rules(session: Session) -> list[FaultRule]:
    return list(session.exec(select(FaultRule).order_by(col(FaultRule.id))))


def _row(session: Session, rule_id: int) -> FaultRule:
    # An id past SQLite's 64-bit INTEGER names no rule (and would not even bind as a parameter).
    row = session.get(FaultRule, rule_id) if 0 <= rule_id < 2**63 else None
    if row is None:
        raise SandboxError("fault_rule_not_found")
    return row


def remove(session: Session, rule_id: int) -> FaultRule:
    row = _row(session, rule_id)
    session.delete(row)
    shared.changed(session)
    return row


def set_enabled(session: Session, rule_id: int, enabled: bool) -> FaultRule:
    """Switch a rule off or on; its `fired` count stays, so re-enabling restores what `times` had left."""
    row = _row(session, rule_id)
    row.enabled = enabled
    session.add(row)
    session.flush()
    shared.changed(session)
    return row


def remove_all(session: Session) -> int:
    count = session.exec(select(func.count()).select_from(FaultRule)).one()
    for row in session.exec(select(FaultRule)):
        session.delete(row)
    shared.changed(session)
    return count


def render(row: FaultRule) -> dict[str, Any]:
    return {
        "id": row.id,
        "match": {
            "method": row.method,
            "path": row.path,
            "partner": row.partner,
            "external_id": row.external_id,
        },
        "effect": effect_of(row).model_dump(),
        "probability": row.probability,
        "times": row.times,
        "fired": row.fired,
        "enabled": row.enabled,
        "created_at": row.created_at.isoformat(timespec="milliseconds"),
    }


def effect_of(row: FaultRule) -> Any:
    fields = {
        "status": row.status,
        "error": row.error,
        "latency_ms": row.latency_ms,
        "timeout_ms": row.timeout_ms,
    }
    return EFFECT.validate_python({"type": row.effect, **{k: v for k, v in fields.items() if v is not None}})


# -- the per-request header --------------------------------------------------------------------------


def parse_header(value: str) -> Any:
    """`error=503`, `error=422:insufficient_balance`, `latency=250`, `drop`, `malformed`, `timeout=1500`.

    Raises ValueError on anything else (the caller answers 422 naming the header)."""
    name, has_argument, argument = value.strip().partition("=")
    name, argument = name.strip().lower(), argument.strip()
    data: dict[str, Any]
    if name == "error" and argument:
        status, _, key = argument.partition(":")
        data = {"type": "error", "status": _integer(status), "error": key.strip() or None}
    elif name == "latency" and argument:
        data = {"type": "latency", "latency_ms": _integer(argument)}
    elif name == "timeout":
        data = {"type": "timeout", **({"timeout_ms": _integer(argument)} if has_argument else {})}
    elif name in ("drop", "malformed") and not has_argument:
        data = {"type": name}
    else:
        raise ValueError(f"unknown fault {value!r}")
    try:
        return EFFECT.validate_python(data)
    except ValidationError as error:
        raise ValueError(str(error)) from None


def _integer(text: str) -> int:
    text = text.strip()
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


# -- matching ----------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", pattern))
    )


@dataclass(frozen=True)
class Rule:
    """A rule as the middleware sees it: matched in memory, fired through the database."""

    id: int
    method: str
    path: str
    partner: str | None
    external_id: str | None
    effect: Any
    probability: float
    times: int | None

    @classmethod
    def of(cls, row: FaultRule) -> Rule:
        return cls(
            pk(row),
            row.method,
            row.path,
            row.partner,
            row.external_id,
            effect_of(row),
            row.probability,
            row.times,
        )

    def matches(self, method: str, path: str, partner: str | None) -> bool:
        return (
            self.method in ("*", method)
            and (self.partner is None or self.partner == partner)
            and _glob(self.path).fullmatch(path) is not None
        )


def external_id_of(body: bytes) -> str | None:
    """The JSON body's top-level external_id as text, or None (no body, not JSON, not an object)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    value = payload.get("external_id") if isinstance(payload, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


# A rule that can fire: switched on and with firings left.
_LIVE = (
    col(FaultRule.enabled),
    or_(col(FaultRule.times).is_(None), col(FaultRule.fired) < col(FaultRule.times)),
)


@dataclass(frozen=True)
class Fired:
    rule_id: int | None  # None: the X-Sandbox-Fault header
    effect: Any


class FaultBook:
    """This process's view of the fault rules: a cached list, the seeded draws, and atomic firing. The
    `Sandbox` owns one (`sandbox.faults`); `rng` is its seeded "faults" stream. The list is kept until
    `invalidate`: every change of the rules, through any process, moves the shared version, and the
    Sandbox's `sync` invalidates on that."""

    def __init__(self, store: Store, rng: Rng) -> None:
        self._store = store
        self._rng = rng
        self._rules: tuple[Rule, ...] | None = None  # None: not loaded since the last invalidation
        self._generation = 0
        self._reading: tuple[int, asyncio.Future[tuple[Rule, ...]]] | None = None

    async def live(self) -> tuple[Rule, ...]:
        """The rules for a request arriving now; when `cached` has none, read off the event loop, one read
        at a time: every request that finds the list stale meanwhile waits for the same read. (Each used
        to start its own: at S1's 3,000 req/s, 32 thread-pool reads every second stalled the loop for
        about 20 ms, and set S1's p99.)"""
        rules = self._rules
        if rules is not None:
            return rules
        reading = self._reading
        if (
            reading is None
            or reading[0] != self._generation  # invalidated since it started
            or reading[1].done()  # it finished, and its list has gone stale since
            or reading[1].get_loop() is not asyncio.get_running_loop()  # a server restarted in tests
        ):
            reading = self._reading = (self._generation, asyncio.ensure_future(asyncio.to_thread(self.load)))
        return await asyncio.shield(reading[1])

    def restart(self, rng: Rng) -> None:
        """A reset or reseed restarted the seeded streams: the probability stream restarts with them, and
        the rules may have changed under us."""
        self._rng = rng
        self.invalidate()

    def invalidate(self) -> None:
        """A rule changed (through this process's API or a reset): reload before the next request."""
        self._generation += 1
        self._rules = None

    def load(self) -> tuple[Rule, ...]:
        """Read the enabled rules that can still fire, oldest first (blocking: run it off the event loop)."""
        generation = self._generation
        query = select(FaultRule).where(*_LIVE).order_by(col(FaultRule.id))
        with self._store.session() as session:
            rules = tuple(Rule.of(row) for row in session.exec(query))
        if generation == self._generation:  # not invalidated while we read: the list is current
            self._rules = rules
        return rules

    def fire(self, candidates: Sequence[Rule]) -> list[Fired]:
        """Draw and claim matching rules, oldest first: latencies add up, and the first other effect
        that fires ends the search (one answer per request). Blocking: run it off the event loop."""
        fired: list[Fired] = []
        counted = False
        try:
            with ExitStack() as stack:
                session: Session | None = None
                for rule in candidates:
                    if not self._draw(rule.probability):
                        continue
                    if session is None:  # the write transaction only once something fires
                        session = stack.enter_context(self._store.session(write=True))
                    claimed = self._claim(session, rule)
                    counted = counted or not claimed or rule.times is not None
                    if not claimed:
                        continue  # used up meanwhile (by another request or worker)
                    fired.append(Fired(rule.id, rule.effect))
                    if rule.effect.type != "latency":
                        break
        except OperationalError:
            # The store stayed busy past its timeout: nothing was counted, so nothing fires.
            log.warning("fault rules not fired: the store is busy")
            fired = []
        if counted:
            self.invalidate()  # a count moved towards `times`: matching must see it
        return fired

    def _draw(self, probability: float) -> bool:
        # Only real chances draw, so always/never rules do not shift the seeded pattern of the others.
        if probability >= 1:
            return True
        if probability <= 0:
            return False
        return self._rng.random() < probability

    @staticmethod
    def _claim(session: Session, rule: Rule) -> bool:
        """Count one firing, atomically: the condition and the increment are one UPDATE (a rule disabled
        since the list was loaded is not claimed, so it neither fires nor uses its `times`)."""
        result = session.exec(
            update(FaultRule)
            .where(col(FaultRule.id) == rule.id, *_LIVE)
            .values(fired=col(FaultRule.fired) + 1)
        )
        return result.rowcount == 1


def header_error() -> ValidationFailed:
    """422 naming the header: its value is not one of the effects."""
    params = {"header": HEADER, "allowed": HEADER_FORMS}
    return ValidationFailed("invalid_header", params=params, errors={HEADER: [("invalid_header", params)]})
