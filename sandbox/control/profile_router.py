"""Sandbox control: each partner's profile, lenient or strict (under /_sandbox, no Digest)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field
from sqlmodel import Session, col, select

from sandbox.control.router import control
from sandbox.core import profile
from sandbox.core.errors import SandboxError
from sandbox.partner.deps import SandboxDep
from sandbox.responses import ok
from sandbox.runtime import Sandbox
from sandbox.store import shared
from sandbox.store.models import Partner
from sandbox.wire.base import Envelope, WireModel

router = APIRouter(prefix="/_sandbox", tags=["Sandbox control"])
ProfileName = Literal["lenient", "strict"]


class ProfileRequest(WireModel):
    partner: str = Field(max_length=64, description="A partner's Digest username")
    profile: ProfileName | None = Field(description="null: back to the server's default (SANDBOX_PROFILE)")


class PartnerProfile(WireModel):
    partner: str
    profile: ProfileName
    own: bool = Field(description="false: the partner follows the server's default")


class RuleView(WireModel):
    key: str = Field(description="Named in the X-Sandbox-Notice header of a lenient answer")
    applies_to: str
    strict: str = Field(description="What the strict profile answers a request that breaks the rule")
    lenient: str = Field(description="What the lenient profile does instead")


class ProfilesView(WireModel):
    default: ProfileName = Field(description="SANDBOX_PROFILE")
    partners: list[PartnerProfile]
    rules: list[RuleView] = Field(description="Every rule the docs do not state, which strict enforces")


@router.get("/profile", **control(Envelope[ProfilesView], 401, 403))
def get_profiles(sandbox: SandboxDep) -> Response:
    """Profiles: the server's default, each partner's profile, and the rules strict enforces."""
    with sandbox.store.session() as session:
        return ok(_view(sandbox, session))


@router.put("/profile", **control(Envelope[ProfilesView], 401, 403, 404, 422))
def set_profile(body: ProfileRequest, sandbox: SandboxDep) -> Response:
    """Set a partner's profile (kept by a reset, dropped by `reset?everything=true`)."""
    with sandbox.store.session(write=True) as session:
        partner = session.exec(select(Partner).where(Partner.username == body.partner)).first()
        if partner is None:
            raise SandboxError("partner_not_found")
        partner.profile = body.profile
        session.add(partner)
        shared.changed(session)  # every process looks the partner up again
    with sandbox.store.session() as session:
        return ok(_view(sandbox, session))


def _view(sandbox: Sandbox, session: Session) -> dict[str, Any]:
    default = sandbox.settings.profile
    partners = session.exec(select(Partner).order_by(col(Partner.id))).all()
    return {
        "default": default,
        "partners": [
            {"partner": p.username, "profile": p.profile or default, "own": p.profile is not None}
            for p in partners
        ],
        "rules": [vars(rule) for rule in profile.RULES.values()],
    }
