"""The webhook sender: being written."""

from __future__ import annotations

from sandbox.runtime import Sandbox


class WebhookWorker:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def start(self) -> None:
        """Start delivering due outbox events in the background."""

    def stop(self) -> None:
        """Stop the background sender (pending events stay in the outbox)."""
