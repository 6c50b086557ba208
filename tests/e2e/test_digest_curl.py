"""docs/design/digest.md §6 rows 1-5: the real `curl --digest` binary against a real sandbox server.

Exchanges are counted from curl's own `-v` trace: every `> METHOD target HTTP/1.1` line is one request
the server received, every `< HTTP/1.1 NNN` line the answer to it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field

import pytest

from sandbox.core import i18n
from sandbox.testing.server import SandboxServer
from tests.e2e.digest_helpers import (
    CHALLENGE_LINE,
    ORDER,
    STATUSES,
    parse_challenge,
    parse_params,
)
from tests.support.constants import DEMO, GOLDEN_GUID

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the curl binary is not installed")

_REQUEST_LINE = re.compile(r"[A-Z]+ \S+ HTTP/\d(?:\.\d)?")
_STATUS_LINE = re.compile(r"HTTP/\d(?:\.\d)? (\d{3})")


@dataclass
class Exchange:
    request: list[str]
    response: list[str] = field(default_factory=list)

    @property
    def request_line(self) -> str:
        return self.request[0]

    @property
    def status(self) -> int:
        match = _STATUS_LINE.match(self.response[0])
        assert match, self.response
        return int(match[1])

    def sent(self, name: str) -> str | None:
        return _header(self.request[1:], name)

    def received_all(self, name: str) -> list[str]:
        prefix = name.lower() + ":"
        return [line.split(":", 1)[1].strip() for line in self.response if line.lower().startswith(prefix)]

    def authorization(self) -> dict[str, str]:
        value = self.sent("Authorization")
        assert value and value.startswith("Digest "), value
        return parse_params(value.removeprefix("Digest "))


@dataclass
class CurlRun:
    returncode: int
    body: str
    exchanges: list[Exchange]

    @property
    def json(self) -> dict:
        return json.loads(self.body)


def _header(lines: list[str], name: str) -> str | None:
    prefix = name.lower() + ":"
    return next((line.split(":", 1)[1].strip() for line in lines if line.lower().startswith(prefix)), None)


def _exchanges(trace: str) -> list[Exchange]:
    exchanges: list[Exchange] = []
    for raw in trace.splitlines():
        line = raw.rstrip("\r")
        text = line[2:]
        if line.startswith("> ") and _REQUEST_LINE.fullmatch(text):
            exchanges.append(Exchange([text]))
        elif line.startswith("> ") and text and exchanges:
            exchanges[-1].request.append(text)
        elif line.startswith("< ") and text and exchanges:
            exchanges[-1].response.append(text)
    return exchanges


def curl(url: str, *args: str, user: tuple[str, str] = DEMO) -> CurlRun:
    """`curl --digest -u user:pw -H 'x-client-id: web' ...`; -q ignores any ~/.curlrc."""
    command = [
        "curl", "-q", "-sS", "-v", "--noproxy", "*", "--max-time", "20",
        "--digest", "-u", ":".join(user), "-H", "x-client-id: web", *args, url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    return CurlRun(done.returncode, done.stdout, _exchanges(done.stderr))


# --- row 1: GET ------------------------------------------------------------------------------------


def test_curl_get_two_exchanges_401_then_200(server: SandboxServer) -> None:
    run = curl(server.url + STATUSES)
    assert run.returncode == 0
    assert [exchange.status for exchange in run.exchanges] == [401, 200]
    assert run.exchanges[0].sent("Authorization") is None
    assert run.json["success"] is True


def test_curl_get_second_exchange_qop_auth_nc_1_unquoted_md5(server: SandboxServer) -> None:
    run = curl(server.url + STATUSES)
    value = run.exchanges[1].sent("Authorization")
    assert value is not None
    assert ", nc=00000001," in value and ", qop=auth," in value
    assert value.endswith(", algorithm=MD5")
    params = run.exchanges[1].authorization()
    assert params["uri"] == STATUSES
    assert params["nonce"] == parse_challenge(run.exchanges[0].received_all("WWW-Authenticate")[0]).nonce


# --- row 2: POST with a JSON body ------------------------------------------------------------------


def test_curl_post_json_empty_first_exchange_gets_401_not_422(server: SandboxServer) -> None:
    body = json.dumps({"guid": GOLDEN_GUID})
    run = curl(server.url + ORDER, "-H", "Content-Type: application/json", "-d", body)
    first, second = run.exchanges
    assert first.request_line == f"POST {ORDER} HTTP/1.1"
    assert first.sent("Content-Length") == "0"
    assert first.status == 401
    assert second.sent("Content-Length") == str(len(body))
    assert second.status == 200


def test_curl_post_json_second_exchange_returns_order_200(server: SandboxServer) -> None:
    run = curl(
        server.url + ORDER, "-H", "Content-Type: application/json", "-d", json.dumps({"guid": GOLDEN_GUID})
    )
    assert run.returncode == 0
    assert [exchange.status for exchange in run.exchanges] == [401, 200]
    assert run.json["data"]["guid"] == GOLDEN_GUID


# --- row 3: query with %2F and %20 -----------------------------------------------------------------


def test_curl_query_encoded_slash_and_space_uri_is_raw_target_200(server: SandboxServer) -> None:
    target = "/partner/orders?page=1&customer_external_id=a%2Fb%20c"
    run = curl(server.url + target)
    assert run.exchanges[1].request_line == f"GET {target} HTTP/1.1"
    assert run.exchanges[1].authorization()["uri"] == target
    assert [exchange.status for exchange in run.exchanges] == [401, 200]
    assert run.json["success"] is True


# --- row 4: wrong password -------------------------------------------------------------------------


def test_curl_wrong_password_final_401_fresh_challenge_and_envelope(server: SandboxServer) -> None:
    run = curl(server.url + STATUSES, user=("demo", "wrong"))
    assert run.returncode == 0
    assert [exchange.status for exchange in run.exchanges] == [401, 401]
    used = run.exchanges[1].authorization()["nonce"]
    [line] = run.exchanges[1].received_all("WWW-Authenticate")
    assert CHALLENGE_LINE.fullmatch(line), line
    challenge = parse_challenge(line)
    assert challenge.nonce != used and not challenge.stale
    message = i18n.message("invalid_credentials", i18n.DEFAULT_LOCALE)
    assert run.json == {
        "data": {"error": "invalid_credentials"},
        "success": False,
        "code": 401,
        "message": message,
    }


def test_curl_fail_flag_wrong_password_exits_22(server: SandboxServer) -> None:
    run = curl(server.url + STATUSES, "-f", user=("demo", "wrong"))
    assert run.returncode == 22
    assert [exchange.status for exchange in run.exchanges] == [401, 401]


def test_curl_fail_flag_right_password_exits_0(server: SandboxServer) -> None:
    assert curl(server.url + STATUSES, "-f").returncode == 0


# --- row 5: SHA-256 offered first ------------------------------------------------------------------


def test_curl_sha256_first_server_answers_sha256_200(sha256_first_server: SandboxServer) -> None:
    run = curl(sha256_first_server.url + STATUSES)
    lines = run.exchanges[0].received_all("WWW-Authenticate")
    assert [line.split("algorithm=")[1].split(",")[0] for line in lines] == ["SHA-256", "MD5"]
    params = run.exchanges[1].authorization()
    assert params["algorithm"] == "SHA-256"
    assert re.fullmatch(r"[0-9a-f]{64}", params["response"])
    assert [exchange.status for exchange in run.exchanges] == [401, 200]
