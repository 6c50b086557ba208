"""The seeded partners' credentials and the headers and ids every suite uses."""

from __future__ import annotations

DEMO = ("demo", "demo-secret")
ACME = ("acme", "acme-secret")
PARTNER_HEADERS = {"x-client-id": "web"}
GOLDEN_GUID = "896AE1AC-E26F-4291-80B2-BF80DE0A920A"

# The small worlds' control token (SANDBOX_CONTROL_TOKEN) and frozen business clock: prices (hence
# balance rows' valuations) stay put for the whole run.
CONTROL_TOKEN = "tok"
SMALL_WORLD_FROZEN_AT = "2026-11-02T12:30:00+03:00"
