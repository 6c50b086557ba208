"""The sandbox's own control API under /_sandbox (never under /partner): no Digest, its own OpenAPI tag."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/_sandbox", tags=["Sandbox control"])
