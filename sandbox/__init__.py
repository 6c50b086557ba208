"""minted-sandbox: a local, offline, stateful sandbox of the Minted Connect partner API.

Public API: `create_app`, `Settings`, `SandboxServer`. They are imported lazily, so importing
`sandbox` (or the pytest plugin) does not pull in FastAPI until one is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["SandboxServer", "Settings", "create_app", "version"]

if TYPE_CHECKING:
    from sandbox.app import create_app
    from sandbox.config import Settings
    from sandbox.testing.server import SandboxServer


def version() -> str:
    """The installed distribution's version (`minted-sandbox --version`, the OpenAPI document)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("minted-sandbox")
    except PackageNotFoundError:  # imported from a checkout that was never installed
        return "unknown"


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from sandbox.app import create_app

        return create_app
    if name == "Settings":
        from sandbox.config import Settings

        return Settings
    if name == "SandboxServer":
        from sandbox.testing.server import SandboxServer

        return SandboxServer
    raise AttributeError(name)
