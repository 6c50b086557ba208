"""minted-sandbox: a local, offline, stateful sandbox of the Minted Connect partner API.

Public API: `create_app`, `Settings`, `SandboxServer`, `version`. They are imported lazily, so importing
`sandbox` (or the pytest plugin) does not pull in FastAPI until one is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["SandboxServer", "Settings", "create_app", "version"]

if TYPE_CHECKING:
    from sandbox.app import create_app
    from sandbox.config import Settings
    from sandbox.core.version import version
    from sandbox.testing.server import SandboxServer


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
    if name == "version":
        from sandbox.core.version import version

        return version
    raise AttributeError(name)
