"""Secrets never follow the public seed; ids, codes and prices do (issue 13, finding 5).

The seed is public (42 by default). Before the fix, `PUT /_sandbox/webhooks` without a secret after a
full reset gave the same `whsec_...` every time for seed 42, so anyone could sign webhooks a partner
would trust. Here two fresh servers of the same seed, and two full resets of one server, must
generate different signing secrets (by PUT, and from `SANDBOX_WEBHOOK_URL` without a secret) and
answer with different Digest keys, while the orders the same requests create still get the same
guids and codes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.testing.server import SandboxServer
from tests.reliability.procs_server import make_customer, pricefix
from tests.support.constants import DEMO, PARTNER_HEADERS
from tests.support.servers import small_world

GENERATED = re.compile(r"whsec_[A-Za-z0-9]{32}")
DIGEST_FIELD = re.compile(r'(\w+)="?([^",]*)"?')


@pytest.fixture
def twins(tmp_path: Path) -> Iterator[list[SandboxServer]]:
    """Two fresh servers of the same seed (42), each with its own database file."""
    with ExitStack() as stack:
        yield [stack.enter_context(small_world(tmp_path / name)) for name in ("a", "b")]


def generated_secret(server: SandboxServer, partner: str = "demo") -> str:
    body = {"partner": partner, "url": "http://127.0.0.1:9/hooks"}
    response = httpx.put(f"{server.url}/_sandbox/webhooks", json=body)
    assert response.status_code == 200, response.text
    secret = response.json()["data"]["secret"]
    assert GENERATED.fullmatch(secret), secret
    return secret


def challenge(server: SandboxServer) -> dict[str, str]:
    response = httpx.get(f"{server.url}/partner/orders/statuses", headers=PARTNER_HEADERS)
    assert response.status_code == 401
    return dict(DIGEST_FIELD.findall(response.headers["www-authenticate"].removeprefix("Digest ")))


def buy(server: SandboxServer) -> dict[str, Any]:
    """The same requests on any server: a customer, cash, a price fix and a buy; the order's ids."""
    with httpx.Client(
        base_url=server.url, auth=httpx.DigestAuth(*DEMO), headers=PARTNER_HEADERS, timeout=30
    ) as http:
        make_customer(http, "seed-twin", 10_000)
        token = pricefix(http, "seed-twin")
        body = {
            "price_token": token,
            "currency_code": "TRY",
            "external_id": "seed-twin-buy",
            "customer": {"external_id": "seed-twin"},
            "items": [{"sku": "GAU", "amount": 1}],
        }
        response = http.post("/partner/order/digital/buy", json=body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return {"token": token, "guid": data["guid"], "order_code": data["order_code"]}


def test_two_servers_of_one_seed_generate_different_webhook_secrets(twins: list[SandboxServer]) -> None:
    first, second = (generated_secret(server) for server in twins)

    assert first != second


def test_each_full_reset_generates_a_new_webhook_secret(twins: list[SandboxServer]) -> None:
    server = twins[0]
    secrets = []
    for _ in range(2):
        assert httpx.post(f"{server.url}/_sandbox/reset?everything=true").status_code == 200
        secrets.append(generated_secret(server))

    assert secrets[0] != secrets[1]


def test_secrets_from_settings_url_differ_between_servers_of_one_seed(tmp_path: Path) -> None:
    generated = []
    for name in ("a", "b"):
        with small_world(tmp_path / name, webhook_url="http://127.0.0.1:9/all") as server:
            rows = httpx.get(f"{server.url}/_sandbox/webhooks").json()["data"]
        assert all(GENERATED.fullmatch(row["secret"]) for row in rows)
        generated.append({row["partner"]: row["secret"] for row in rows})

    assert generated[0]["demo"] != generated[1]["demo"]
    assert generated[0]["acme"] != generated[1]["acme"]


def test_the_digest_key_differs_between_servers_of_one_seed(twins: list[SandboxServer]) -> None:
    first, second = (challenge(server) for server in twins)
    assert first["opaque"] != second["opaque"]

    # A nonce the other server minted does not verify here; this server's own does.
    with httpx.Client(base_url=twins[1].url, headers=PARTNER_HEADERS) as http:
        own = http.get("/partner/orders/statuses", auth=DigestWithNonce(second))
        foreign = http.get("/partner/orders/statuses", auth=DigestWithNonce(first))
    assert own.status_code == 200, own.text
    assert foreign.status_code == 401


def test_ids_codes_and_tokens_still_follow_the_seed(twins: list[SandboxServer]) -> None:
    for server in twins:
        generated_secret(server)  # a generated secret draws nothing from the seeded streams

    assert buy(twins[0]) == buy(twins[1])


class DigestWithNonce(httpx.Auth):
    """DEMO's Digest answer (MD5, qop=auth) to a given challenge, from whichever server it came."""

    def __init__(self, challenge: dict[str, str]) -> None:
        self.challenge = challenge

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        realm, nonce, opaque = (self.challenge[name] for name in ("realm", "nonce", "opaque"))
        uri = request.url.raw_path.decode()
        cnonce, nc = "0a4f113b", "00000001"
        ha1 = md5(f"{DEMO[0]}:{realm}:{DEMO[1]}")
        answer = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{md5(f'{request.method}:{uri}')}")
        request.headers["Authorization"] = (
            f'Digest username="{DEMO[0]}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'qop=auth, nc={nc}, cnonce="{cnonce}", response="{answer}", opaque="{opaque}", algorithm=MD5'
        )
        yield request


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()
