"""Shared pieces of the Digest interop suite (docs/design/digest.md §6, §7): raw HTTP requests,
challenge parsing, hand-built Authorization headers and the assertions every failure shares.

Raw requests go through `http.client`, so the request target, header order and duplicate headers reach
the real server exactly as written here.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.auth.digest import expected_response
from sandbox.core import i18n
from sandbox.testing.server import SandboxServer
from tests.support.constants import DEMO, PARTNER_HEADERS

REALM = "minted-sandbox"
STATUSES = "/partner/orders/statuses"
ORDER = "/partner/order"
CNONCE = "0a4f113b"
# Parameters RFC 7616 sends unquoted in credentials; every other one is a quoted-string.
BARE = ("algorithm", "qop", "nc")
# docs/design/digest.md §0 item 2 and §3.2: the exact bytes of one challenge line.
CHALLENGE_LINE = re.compile(
    r'Digest realm="(?P<realm>[^"]+)", qop="auth", algorithm=(?P<algorithm>[A-Za-z0-9-]+), '
    r'nonce="(?P<nonce>[0-9a-f]{56})", opaque="(?P<opaque>[0-9a-f]{32})"(?P<stale>, stale=true)?'
)
_AUTH_PARAM = re.compile(r'([A-Za-z0-9*-]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


# --- raw HTTP --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    line: str
    params: dict[str, str]

    @property
    def nonce(self) -> str:
        return self.params["nonce"]

    @property
    def opaque(self) -> str:
        return self.params["opaque"]

    @property
    def algorithm(self) -> str:
        return self.params["algorithm"]

    @property
    def stale(self) -> bool:
        return self.params.get("stale", "").lower() == "true"


def parse_params(text: str) -> dict[str, str]:
    """`a="x", b=y` -> {"a": "x", "b": "y"}: a small independent parser (not the server's)."""
    return {
        name.lower(): bare or re.sub(r"\\(.)", r"\1", quoted)
        for name, quoted, bare in _AUTH_PARAM.findall(text)
    }


def parse_challenge(line: str) -> Challenge:
    assert line.startswith("Digest "), line
    return Challenge(line, parse_params(line.removeprefix("Digest ")))


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header_all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def header(self, name: str) -> str | None:
        values = self.header_all(name)
        return values[0] if values else None

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def challenges(self) -> list[Challenge]:
        return [parse_challenge(line) for line in self.header_all("WWW-Authenticate")]


def send(
    server: SandboxServer,
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    partner_headers: bool = True,
) -> RawResponse:
    """One request on a fresh connection, with the target and headers exactly as given."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        all_headers = [*(PARTNER_HEADERS.items() if partner_headers else ()), *headers]
        if body or method in ("POST", "PUT", "PATCH"):
            all_headers.append(("Content-Length", str(len(body))))
        for name, value in all_headers:
            connection.putheader(name, value)
        connection.endheaders(body or None)
        response = connection.getresponse()
        return RawResponse(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def fetch_challenge(server: SandboxServer, target: str = STATUSES) -> Challenge:
    """The first challenge line of a real 401 (no Authorization sent)."""
    response = send(server, "GET", target)
    assert response.status == 401, response.body
    return response.challenges[0]


# --- credentials -----------------------------------------------------------------------------------


def answer(
    challenge: Challenge,
    *,
    method: str = "GET",
    uri: str = STATUSES,
    username: str = DEMO[0],
    password: str = DEMO[1],
    algorithm: str = "MD5",
    realm: str = REALM,
    nonce: str | None = None,
    qop: str | None = "auth",
    nc: str = "00000001",
    cnonce: str = CNONCE,
) -> dict[str, str]:
    """The parameters of a correct answer to `challenge` (curl's order), response computed with the
    sandbox's pure `expected_response`. qop=None gives the RFC 2069 legacy form (no qop, nc, cnonce)."""
    nonce = challenge.nonce if nonce is None else nonce
    response = expected_response(
        algorithm=algorithm,
        username=username,
        realm=realm,
        password=password,
        method=method,
        uri=uri,
        nonce=nonce,
        nc=nc if qop else None,
        cnonce=cnonce if qop else None,
        qop=qop,
    )
    params = {"username": username, "realm": realm, "nonce": nonce, "uri": uri}
    if qop:
        params.update(cnonce=cnonce, nc=nc, qop=qop)
    params.update(response=response, opaque=challenge.opaque, algorithm=algorithm)
    return params


def header(params: Mapping[str, str], *, bare: Sequence[str] = BARE, scheme: str = "Digest") -> str:
    """`Digest username="demo", ..., nc=00000001`: names in `bare` unquoted, the rest quoted-strings."""
    items = (f"{name}={value}" if name in bare else f'{name}="{value}"' for name, value in params.items())
    return f"{scheme} {', '.join(items)}"


def authorization(value: str) -> list[tuple[str, str]]:
    return [("Authorization", value)]


def authorized(
    server: SandboxServer, method: str = "GET", target: str = STATUSES, **kwargs: Any
) -> RawResponse:
    """Fetch a fresh nonce, then send a correct qop=auth answer for `method target`."""
    params = answer(fetch_challenge(server), method=method, uri=target, **kwargs)
    return send(server, method, target, authorization(header(params)))


# --- assertions ------------------------------------------------------------------------------------


def assert_failure_envelope(response: RawResponse, status: int, error: str) -> None:
    """The partner's failure envelope (never FastAPI's `{"detail": ...}`) with the Digest key."""
    assert response.status == status, response.body
    assert response.header("Content-Type") == "application/json"
    body = response.json
    assert "detail" not in body
    message = i18n.message(error, i18n.DEFAULT_LOCALE)
    assert body == {"data": {"error": error}, "success": False, "code": status, "message": message}


def assert_fresh_challenge(
    response: RawResponse,
    *,
    previous_nonce: str | None,
    stale: bool = False,
    algorithms: Sequence[str] = ("MD5",),
) -> Challenge:
    """One `Digest ` line per enabled algorithm, in order, in the exact §3.2 layout, all sharing one
    nonce that differs from the one the request used; `stale=true` exactly when expected."""
    lines = response.header_all("WWW-Authenticate")
    assert len(lines) == len(algorithms), lines
    matches = [CHALLENGE_LINE.fullmatch(line) for line in lines]
    assert all(matches), lines
    assert [m["algorithm"] for m in matches] == list(algorithms)
    assert {m["realm"] for m in matches} == {REALM}
    assert len({(m["nonce"], m["opaque"]) for m in matches}) == 1, lines
    assert all(bool(m["stale"]) is stale for m in matches), lines
    challenge = parse_challenge(lines[0])
    assert challenge.nonce != previous_nonce
    return challenge


def assert_no_challenge(response: RawResponse) -> None:
    assert response.header_all("WWW-Authenticate") == []
