"""Per-partner webhook endpoints and secrets (PUT /_sandbox/webhooks, SANDBOX_WEBHOOK_URL)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from sandbox.config import Settings
from sandbox.core.errors import SandboxError
from sandbox.core.ids import SystemRandom
from sandbox.store.db import Store
from sandbox.store.models import Partner

log = logging.getLogger("sandbox.webhooks")

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """`whsec_` and 32 hex digits from the operating system's randomness. Never from the seed: the seed
    is public (42 by default), and a secret it made could be made by anyone to forge signed webhooks."""
    return SECRET_PREFIX + SystemRandom.hex(32)


def configs(session: Session) -> list[dict[str, Any]]:
    """Every partner's endpoint and secret (null when the partner has none)."""
    return [_config(partner) for partner in session.exec(select(Partner).order_by(col(Partner.id)))]


def configure(session: Session, partner: str, url: str, secret: str | None) -> dict[str, Any]:
    """Set a partner's endpoint. Without `secret` the partner keeps its secret, or gets a new one."""
    row = find_partner(session, partner)
    row.webhook_url = url
    row.webhook_secret = secret or row.webhook_secret or new_secret()
    session.add(row)
    return _config(row)


def clear(session: Session, partner: str) -> dict[str, Any]:
    """Forget a partner's endpoint and secret; its new events wait in the outbox."""
    row = find_partner(session, partner)
    row.webhook_url = None
    row.webhook_secret = None
    session.add(row)
    return _config(row)


def apply_defaults(store: Store, settings: Settings) -> int:
    """`SANDBOX_WEBHOOK_URL` / `_SECRET` for every partner without an endpoint of its own (a stored URL
    always wins). Returns how many partners it configured."""
    url = settings.webhook_url.strip()
    if not url:
        return 0
    if not url.startswith(("http://", "https://")):
        log.warning("SANDBOX_WEBHOOK_URL %r is not an http(s) URL: every delivery will fail", url)
    with store.session(write=True) as session:
        unset = or_(col(Partner.webhook_url).is_(None), col(Partner.webhook_url) == "")
        partners = session.exec(select(Partner).where(unset))
        configured = 0
        for row in partners:
            row.webhook_url = url
            row.webhook_secret = settings.webhook_secret or row.webhook_secret or new_secret()
            session.add(row)
            configured += 1
    return configured


def find_partner(session: Session, username: str) -> Partner:
    row = session.exec(select(Partner).where(Partner.username == username)).first()
    if row is None:
        raise SandboxError("partner_not_found")
    return row


def _config(partner: Partner) -> dict[str, Any]:
    return {"partner": partner.username, "url": partner.webhook_url, "secret": partner.webhook_secret}
