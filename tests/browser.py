"""The one headless Chromium every browser test uses: Debian's /usr/bin/chromium (apt package `chromium`,
provisioned for `make test` by scripts/ensure-test-tools), or the binary $CHROMIUM names, driven by
Playwright's Python package. Playwright's own browser download is never used: it does not work on the
machines this runs on.

Each test module or package opens its own browser and closes it when done: while Playwright's sync API is
open, an asyncio loop counts as running on the thread, and later tests that call `asyncio.run` refuse to
start."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = (
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers often give /dev/shm 64 MB; Chromium then crashes tabs
    "--disable-quic",
    "--no-first-run",
    # No update checks, component downloads or sync: the tests run offline and must not wait on them.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@contextmanager
def chromium(*extra_flags: str) -> Iterator[Browser]:
    """Headless Chromium with the shared flags plus `extra_flags`; closed, with Playwright, on exit."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs it (scripts/ensure-test-tools)", pytrace=False
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*FLAGS, *extra_flags], headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
