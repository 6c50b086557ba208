"""The installed distribution's version (`minted-sandbox --version`, the OpenAPI document)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed


def version() -> str:
    try:
        return installed("minted-sandbox")
    except PackageNotFoundError:  # imported from a checkout that was never installed
        return "unknown"
