"""Sandbox control: Fault rules and the request journal (under /_sandbox, no Digest)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/_sandbox", tags=["Sandbox control"])
