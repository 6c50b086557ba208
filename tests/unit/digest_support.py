"""Shared inputs and helpers of the Digest unit tests: RFC vectors, a fake clock, answer builders."""

from __future__ import annotations

import asyncio
import itertools

from sandbox.auth.digest import (
    DigestConfig,
    DigestVerifier,
    Outcome,
    expected_response,
    parse_authorization,
    quote,
    split_scheme,
)
from sandbox.auth.nonces import NonceManager

T0 = 1_700_000_000
SECRET = b"unit-test-secret"
REALM = "sandbox"
HOST = "testserver"
USERS = {"guest": "guest", "Jäsøn Doe": "Secret, or not?"}
INVALID = Outcome(401, "invalid_credentials")

# RFC 7616 §3.9.1 inputs (lower-case "of", erratum 4495)
RFC7616 = {
    "username": "Mufasa",
    "realm": "http-auth@example.org",
    "password": "Circle of Life",
    "method": "GET",
    "uri": "/dir/index.html",
    "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    "nc": "00000001",
    "cnonce": "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    "qop": "auth",
}
RFC2617 = RFC7616 | {
    "realm": "testrealm@host.com",
    "password": "Circle Of Life",
    "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
    "cnonce": "0a4f113b",
}
DOC = {
    "username": "guest",
    "realm": "test",
    "password": "guest",
    "method": "GET",
    "uri": "/uri",
    "nonce": "2",
}
NO_QOP = {"nc": None, "cnonce": None, "qop": None}


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_verifier(clock: FakeClock, **settings: object) -> DigestVerifier:
    config = DigestConfig(realm=REALM, **settings)  # type: ignore[arg-type]
    counter = itertools.count(1)
    nonces = NonceManager(SECRET, REALM, config.nonce_ttl, clock, lambda n: f"{next(counter):0{n}x}")
    return DigestVerifier(config, USERS.get, nonces, usernames=USERS.keys)


def challenge(verifier: DigestVerifier) -> dict[str, str]:
    return parse_authorization(split_scheme(verifier.challenges()[0])[1])


def answer(
    verifier: DigestVerifier,
    *,
    nonce: str | None = None,
    username: str = "guest",
    password: str = "guest",
    method: str = "GET",
    uri: str = "/x",
    algorithm: str = "MD5",
    qop: str | None = "auth",
    nc: str = "00000001",
    cnonce: str = "0a4f113b",
    realm: str = REALM,
) -> dict[str, str]:
    """Authorization params as a client would send them, quoted where RFC 7616 quotes them."""
    offered = challenge(verifier)
    nonce = nonce or offered["nonce"]
    response = expected_response(
        algorithm=algorithm,
        username=username,
        realm=realm,
        password=password,
        method=method,
        uri=uri,
        nonce=nonce,
        nc=nc,
        cnonce=cnonce,
        qop=qop,
    )
    params = {
        "username": quote(username),
        "realm": quote(realm),
        "nonce": quote(nonce),
        "uri": quote(uri),
        "algorithm": algorithm,
        "response": quote(response),
        "opaque": quote(offered["opaque"]),
    }
    if qop is not None:
        params |= {"qop": qop, "nc": nc, "cnonce": quote(cnonce)}
    return params


def header(params: dict[str, str]) -> list[str]:
    return ["Digest " + ", ".join(f"{name}={value}" for name, value in params.items())]


def verify(verifier: DigestVerifier, params: dict[str, str], target: str = "/x", host: str = HOST) -> Outcome:
    return verify_raw(verifier, header(params), target, host)


def verify_raw(
    verifier: DigestVerifier, authorization: list[str], target: str = "/x", host: str = HOST
) -> Outcome:
    """A GET's Authorization values as the middleware gives them, checked on an event loop of its own."""
    return asyncio.run(verifier.verify("GET", target, host, authorization))
