"""docs/design/digest.md §7, part 1: malformed or wrong Authorization headers, hand-built and sent raw to a
real server.

Every case starts from a nonce taken from a real 401. Where a case changes an input (realm, nc, algorithm,
method, nonce), the response is recomputed for that input, so the refusal is due to the input itself and
not to a hash that happens to be wrong. Nonce lifetime, replay and success cases: test_digest_nonces.py.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from sandbox.auth.digest import ha1, hash_hex
from sandbox.testing.server import SandboxServer
from tests.e2e.digest_helpers import (
    BARE,
    CNONCE,
    REALM,
    STATUSES,
    Challenge,
    answer,
    assert_failure_envelope,
    assert_fresh_challenge,
    assert_no_challenge,
    authorization,
    fetch_challenge,
    header,
    send,
)
from tests.support.constants import DEMO

Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Challenge, SandboxServer], Headers]
    target: str = STATUSES
    error: str = "invalid_credentials"


def raw(value: str) -> Callable[[Challenge, SandboxServer], Headers]:
    return lambda ch, srv: authorization(value)


def valid_then(edit: Callable[[str], str], **answer_args) -> Callable[[Challenge, SandboxServer], Headers]:
    """A correct header (for `answer_args`), then a textual edit of it."""
    return lambda ch, srv: authorization(edit(header(answer(ch, **answer_args))))


def params(
    edit: Callable[[dict[str, str]], object] = lambda p: None,
    *,
    bare: Sequence[str] = BARE,
    **answer_args,
):
    """A correct answer (for `answer_args`), then `edit` applied to its parameter dict."""

    def build(ch: Challenge, srv: SandboxServer) -> Headers:
        p = answer(ch, **answer_args)
        edit(p)
        return authorization(header(p, bare=bare))

    return build


def drop(name: str) -> Callable[[dict[str, str]], object]:
    return lambda p: p.pop(name)


def setitem(name: str, value: str) -> Callable[[dict[str, str]], object]:
    return lambda p: p.__setitem__(name, value)


def auth_int(ch: Challenge, srv: SandboxServer) -> Headers:
    """qop=auth-int answered correctly (A2 = method:uri:H(empty body)): only auth is offered."""
    key = ha1(algorithm="MD5", username=DEMO[0], realm=REALM, password=DEMO[1], nonce=ch.nonce, cnonce=None)
    ha2 = hash_hex("MD5", f"GET:{STATUSES}:{hash_hex('MD5', '')}")
    p = answer(ch)
    p.update(qop="auth-int", response=hash_hex("MD5", f"{key}:{ch.nonce}:00000001:{CNONCE}:auth-int:{ha2}"))
    return authorization(header(p))


def forged_mac(ch: Challenge) -> str:
    last = "0" if ch.nonce[-1] != "0" else "1"
    return ch.nonce[:-1] + last


REFUSED = [
    Case("no-authorization", lambda ch, srv: [], error="authentication_required"),
    Case(
        "basic",
        raw("Basic " + base64.b64encode(b"demo:demo-secret").decode()),
        error="authentication_required",
    ),
    Case("bearer", raw("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"), error="authentication_required"),
    Case("bare-digest", raw("Digest")),
    Case("two-authorization-headers", lambda ch, srv: 2 * authorization(header(answer(ch)))),
    Case("unterminated-quote", valid_then(lambda h: h + ', junk="never closed')),
    Case("garbage-between-params", valid_then(lambda h: h.replace(", realm=", " garbage, realm=", 1))),
    Case("duplicate-realm", valid_then(lambda h: h + ', realm="minted-sandbox"')),
    Case("missing-response", params(drop("response"))),
    Case("missing-uri", params(drop("uri"))),
    Case("missing-nonce", params(drop("nonce"))),
    Case("missing-username", params(drop("username"))),
    Case("missing-realm", params(drop("realm"))),
    Case("empty-username", params(username="")),
    Case("qop-without-nc", params(drop("nc"))),
    Case("qop-without-cnonce", params(drop("cnonce"))),
    Case("nc-seven-hex-digits", params(nc="0000001")),
    Case("nc-not-hex", params(nc="0000000g")),
    Case("nc-zero", params(nc="00000000")),
    Case("qop-auth-int", auth_int),
    Case("sha256-not-enabled", params(algorithm="SHA-256")),
    Case("sha256-without-dash", params(setitem("algorithm", "SHA256"), algorithm="SHA-256")),
    # Labelled SHA-512-256 but hashed with SHA-256, as curl < 8.7 does (§2.1): never enabled here.
    Case("sha512-256", params(setitem("algorithm", "SHA-512-256"), algorithm="SHA-256")),
    Case("response-wrong-length", params(lambda p: p.__setitem__("response", p["response"][:31]))),
    Case("wrong-realm", params(realm="test")),
    Case("wrong-opaque", params(setitem("opaque", "0" * 32))),
    Case("forged-nonce-bad-mac", lambda ch, srv: authorization(header(answer(ch, nonce=forged_mac(ch))))),
    Case("foreign-nonce-docs-2", params(nonce="2")),
    Case("nonce-wrong-length", lambda ch, srv: authorization(header(answer(ch, nonce=ch.nonce + "00")))),
    Case("unknown-user", params(username="nobody", password="demo-secret")),
    Case("wrong-password", params(password="wrong")),
    Case("response-for-another-method", params(method="POST")),
]


@pytest.mark.parametrize("case", REFUSED, ids=[case.id for case in REFUSED])
def test_bad_authorization_refused_401_fresh_challenge_not_stale(server: SandboxServer, case: Case) -> None:
    challenge = fetch_challenge(server, case.target)
    response = send(server, "GET", case.target, case.build(challenge, server))
    assert_failure_envelope(response, 401, case.error)
    assert_fresh_challenge(response, previous_nonce=challenge.nonce, stale=False)


ACCEPTED = [
    Case("algorithm-lower-case-md5", params(setitem("algorithm", "md5"))),
    Case("algorithm-quoted", params(bare=("qop", "nc"))),
    Case("qop-quoted", params(bare=("algorithm", "nc"))),
    Case("requests-style-all-quoted-but-nc", params(bare=("nc",))),
    Case("everything-quoted", params(bare=())),
    Case("qop-upper-case", params(qop="AUTH")),
    Case("algorithm-absent-means-md5", params(drop("algorithm"))),
    Case("scheme-lower-case", lambda ch, srv: authorization(header(answer(ch), scheme="digest"))),
    Case("no-space-after-commas", valid_then(lambda h: h.replace(", ", ","))),
    Case("spaces-around-commas", valid_then(lambda h: h.replace(", ", " ,  "))),
    Case("empty-list-items", valid_then(lambda h: h.replace("Digest ", "Digest , ", 1) + ", ,")),
    Case("tab-after-scheme", valid_then(lambda h: h.replace("Digest ", "Digest\t", 1))),
    Case("opaque-absent", params(drop("opaque"))),
    Case("response-upper-case-hex", params(lambda p: p.__setitem__("response", p["response"].upper()))),
    Case("absolute-form-uri", lambda ch, srv: authorization(header(answer(ch, uri=f"{srv.url}{STATUSES}")))),
    Case("uri-tilde-target-percent-7e", params(uri=f"{STATUSES}?tag=~"), target=f"{STATUSES}?tag=%7E"),
    Case("uri-percent-7e-target-tilde", params(uri=f"{STATUSES}?tag=%7E"), target=f"{STATUSES}?tag=~"),
    Case("uri-percent-encoded-path", params(uri="/partner/orders/st%61tuses")),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=[case.id for case in ACCEPTED])
def test_client_variant_accepted_200(server: SandboxServer, case: Case) -> None:
    challenge = fetch_challenge(server, case.target)
    response = send(server, "GET", case.target, case.build(challenge, server))
    assert response.status == 200, response.body
    assert response.json["success"] is True
    assert_no_challenge(response)


URI_MISMATCH = [
    Case("uri-another-path", params(uri="/partner/prices")),
    Case("uri-without-query", params(uri="/partner/orders"), target="/partner/orders?page=1"),
    Case("uri-another-query", params(uri="/partner/orders?page=2"), target="/partner/orders?page=1"),
    Case("uri-absolute-another-port", params(uri=f"http://127.0.0.1:1{STATUSES}")),
    Case(
        "uri-absolute-another-host",
        lambda ch, srv: authorization(header(answer(ch, uri=f"http://example.com:{srv.port}{STATUSES}"))),
    ),
]


@pytest.mark.parametrize("case", URI_MISMATCH, ids=[case.id for case in URI_MISMATCH])
def test_digest_uri_not_request_target_400_without_challenge(server: SandboxServer, case: Case) -> None:
    challenge = fetch_challenge(server, case.target)
    response = send(server, "GET", case.target, case.build(challenge, server))
    assert_failure_envelope(response, 400, "digest_uri_mismatch")
    assert_no_challenge(response)


# --- Authorization size cap (4 KiB, §3.1 digest_max_header) ----------------------------------------


def padded(ch: Challenge, length: int) -> str:
    """A correct header grown to exactly `length` characters with unknown params, each under the
    1024-character value cap, so only the total size can matter."""
    value = header(answer(ch))
    number = 0
    while len(value) < length:
        number += 1
        room = length - len(value) - len(f', x{number}=""')
        value += f', x{number}="{"a" * max(0, min(room, 1000))}"'
    assert len(value) == length, len(value)
    return value


def test_authorization_value_10k_junk_400_too_large_without_challenge(server: SandboxServer) -> None:
    value = header(answer(fetch_challenge(server))) + f', junk="{"j" * 10_000}"'
    response = send(server, "GET", STATUSES, authorization(value))
    assert_failure_envelope(response, 400, "authorization_header_too_large")
    assert_no_challenge(response)


def test_authorization_value_4097_chars_400_too_large(server: SandboxServer) -> None:
    response = send(server, "GET", STATUSES, authorization(padded(fetch_challenge(server), 4097)))
    assert_failure_envelope(response, 400, "authorization_header_too_large")


def test_authorization_value_exactly_4096_chars_200(server: SandboxServer) -> None:
    response = send(server, "GET", STATUSES, authorization(padded(fetch_challenge(server), 4096)))
    assert response.status == 200, response.body
