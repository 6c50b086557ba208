"""README.md's first request, run as printed with curl against the session server: the front door's only
command besides `make run` must stay true, and its answer must be the one the README quotes."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

from sandbox.testing.server import SandboxServer

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
PRINTED_BASE = "http://127.0.0.1:8000"


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_first_request_answers_what_the_readme_quotes(server: SandboxServer) -> None:
    section = _section("A first request")
    command = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    quoted = re.search(r"`(\{\"data\":\{.*?)…\}", section)
    assert command and quoted, "README's first request lost its command or its quoted answer"
    argv = shlex.split(command.group(1).replace("\\\n", " "))
    assert argv[0] == "curl" and argv[-1].startswith(PRINTED_BASE)
    argv[-1] = argv[-1].replace(PRINTED_BASE, server.url)

    done = subprocess.run([*argv, "--silent", "--show-error"], capture_output=True, text=True, timeout=30)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(quoted.group(1))
    answer = json.loads(done.stdout)
    assert (answer["success"], answer["code"], answer["data"]["order_code"]) == (True, 0, "ALS8HEVP")
    assert done.stdout.endswith(',"success":true,"code":0,"message":""}')
