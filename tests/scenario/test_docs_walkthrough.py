"""The manual's trading walkthrough (docs/manual/trading.md), run as written against a fresh server:
docs that cannot rot."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import requests

from sandbox.testing.server import SandboxServer
from tests.support.servers import make_settings

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "manual" / "trading.md").read_text(encoding="utf-8")


def walkthrough() -> str:
    match = re.search(r"<!-- walkthrough -->\n```python\n(.*?)```", PAGE, re.DOTALL)
    assert match, "docs/manual/trading.md lost its walkthrough block"
    return match.group(1)


def test_trading_walkthrough_runs_and_balances_agree(tmp_path: Path) -> None:
    code = walkthrough()
    assert 'BASE = "http://127.0.0.1:8000"' in code
    with SandboxServer(make_settings(tmp_path)) as server:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(
                compile(code.replace("http://127.0.0.1:8000", server.url), "trading walkthrough", "exec"), {}
            )
        invariants = requests.get(f"{server.url}/_sandbox/invariants").json()["data"]

    assert re.fullmatch(r"TRY \d+\.\d{1,2}, GAU \d+\.\d{1,4} g over 2 orders\n", printed.getvalue())
    assert invariants["violations"] == []
