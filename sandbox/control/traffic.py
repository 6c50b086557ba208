"""Request journal and fault injection middleware: being written."""

from __future__ import annotations

from fastapi import FastAPI

from sandbox.runtime import Sandbox


def install(app: FastAPI, sandbox: Sandbox) -> None:
    """Add the journal and fault middleware to `app` (outside the Digest gate)."""
