"""Signed webhooks: the outbox sender and the public signature helper for integrators."""

from sandbox.webhooks.signing import HEADER, sign, verify_signature

__all__ = ["HEADER", "sign", "verify_signature"]
