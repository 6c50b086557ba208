"""Sandbox control: Reset, seed, clock and state (under /_sandbox, no Digest)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/_sandbox", tags=["Sandbox control"])
