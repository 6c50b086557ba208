"""The README's trading walkthrough, run as written against a fresh server: docs that cannot rot."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import requests

from sandbox.testing.server import SandboxServer
from tests.conftest import make_settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def walkthrough() -> str:
    match = re.search(r"<!-- walkthrough -->\n```python\n(.*?)```", README, re.DOTALL)
    assert match, "README.md lost its walkthrough block"
    return match.group(1)


def test_readme_walkthrough_runs_and_balances_agree(tmp_path: Path) -> None:
    code = walkthrough()
    assert 'BASE = "http://127.0.0.1:8000"' in code
    with SandboxServer(make_settings(tmp_path)) as server:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code.replace("http://127.0.0.1:8000", server.url), "README walkthrough", "exec"), {})
        invariants = requests.get(f"{server.url}/_sandbox/invariants").json()["data"]

    assert re.fullmatch(r"TRY \d+\.\d{1,2}, GAU \d+\.\d{1,4} g over 2 orders\n", printed.getvalue())
    assert invariants["violations"] == []
