"""Shared by the cross-site suites (test_cross_site.py over HTTP, test_cross_site_browser.py from
Chromium): a marker fault rule whose survival proves a hostile control call changed nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

MARKER = {"match": {"path": "/partner/zz-marker"}, "effect": {"type": "error", "status": 503}}


def witness_rule(url: str) -> Iterator[int]:
    """A fault rule that `reset?everything=true` would drop (its id); afterwards the `empty` scenario
    a hostile reseed would have replaced is back, and the rule gone."""
    httpx.delete(f"{url}/_sandbox/faults").raise_for_status()
    rule = httpx.post(f"{url}/_sandbox/faults", json=MARKER)
    rule.raise_for_status()
    yield rule.json()["data"]["id"]
    if httpx.get(f"{url}/_sandbox/state").json()["data"]["scenario"] != "empty":
        httpx.post(f"{url}/_sandbox/seed", json={"scenario": "empty"}, timeout=60).raise_for_status()
    httpx.delete(f"{url}/_sandbox/faults").raise_for_status()
