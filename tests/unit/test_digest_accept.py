"""DigestVerifier.verify(): every answer real clients send that must pass (§3.3)."""

from __future__ import annotations

import re

import pytest

from sandbox.auth.digest import (
    DigestVerifier,
    hash_hex,
    parse_authorization,
    quote,
    response_auth,
)
from tests.unit.digest_support import (
    REALM,
    T0,
    FakeClock,
    answer,
    challenge,
    header,
    make_verifier,
    verify,
    verify_raw,
)

# verify(): success paths


def test_verify_valid_answer_succeeds_for_user(verifier: DigestVerifier) -> None:
    outcome = verify(verifier, answer(verifier))
    assert (outcome.status, outcome.reason, outcome.stale, outcome.username) == (200, "", False, "guest")


def test_verify_valid_answer_carries_authentication_info(verifier: DigestVerifier) -> None:
    params = answer(verifier)
    rspauth = response_auth(
        algorithm="MD5",
        username="guest",
        realm=REALM,
        password="guest",
        uri="/x",
        nonce=params["nonce"].strip('"'),
        nc="00000001",
        cnonce="0a4f113b",
    )
    expected = f'rspauth="{rspauth}", qop=auth, nc=00000001, cnonce="0a4f113b"'
    assert verify(verifier, params).authentication_info == expected


def test_verify_nonce_younger_than_nextnonce_after_has_no_nextnonce(
    verifier: DigestVerifier, clock: FakeClock
) -> None:
    params = answer(verifier)
    clock.now += 240
    assert "nextnonce" not in (verify(verifier, params).authentication_info or "")


def test_verify_nonce_older_than_nextnonce_after_offers_fresh_nextnonce(
    verifier: DigestVerifier, clock: FakeClock
) -> None:
    params = answer(verifier)
    clock.now += 241
    info = parse_authorization(verify(verifier, params).authentication_info or "")
    assert re.fullmatch(r"[0-9a-f]{56}", info["nextnonce"])
    assert info["nextnonce"][:8] == f"{T0 + 241:08x}"


@pytest.mark.parametrize(
    ("name", "value"),
    [("algorithm", "md5"), ("algorithm", '"MD5"'), ("nc", '"00000001"')],
    ids=["lower-case-md5", "quoted-md5", "quoted-nc"],
)
def test_verify_quoted_or_lower_case_param_is_accepted(
    verifier: DigestVerifier, name: str, value: str
) -> None:
    assert verify(verifier, answer(verifier) | {name: value}).status == 200


@pytest.mark.parametrize("qop", ['"auth"', "AUTH"], ids=["quoted", "upper-case"])
def test_verify_quoted_or_upper_case_qop_is_accepted(verifier: DigestVerifier, qop: str) -> None:
    # the client hashes the qop string exactly as it sends it
    params = answer(verifier, qop=qop.strip('"')) | {"qop": qop}
    assert verify(verifier, params).status == 200


def test_verify_lower_case_scheme_is_accepted(verifier: DigestVerifier) -> None:
    (value,) = header(answer(verifier))
    assert verify_raw(verifier, ["digest" + value.removeprefix("Digest")]).status == 200


def test_verify_missing_algorithm_means_md5(verifier: DigestVerifier) -> None:
    params = answer(verifier)
    del params["algorithm"]
    assert verify(verifier, params).status == 200


def test_verify_absent_opaque_is_accepted(verifier: DigestVerifier) -> None:
    params = answer(verifier)
    del params["opaque"]
    assert verify(verifier, params).status == 200


def test_verify_upper_case_response_hex_is_accepted(verifier: DigestVerifier) -> None:
    params = answer(verifier)
    params["response"] = params["response"].upper()
    assert verify(verifier, params).status == 200


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5-sess", "SHA-256-sess"])
def test_verify_enabled_algorithm_answer_is_accepted(clock: FakeClock, algorithm: str) -> None:
    verifier = make_verifier(clock, algorithms=("MD5", algorithm))
    assert verify(verifier, answer(verifier, algorithm=algorithm)).status == 200


def test_verify_legacy_answer_is_accepted_without_authentication_info(verifier: DigestVerifier) -> None:
    outcome = verify(verifier, answer(verifier, qop=None))
    assert (outcome.status, outcome.authentication_info) == (200, None)


def test_verify_absolute_form_uri_with_matching_host_port_is_accepted(verifier: DigestVerifier) -> None:
    params = answer(verifier, uri="http://testserver:8000/x?a=1")
    assert verify(verifier, params, target="/x?a=1", host="testserver:8000").status == 200


def test_verify_absolute_form_uri_with_default_port_is_accepted(verifier: DigestVerifier) -> None:
    params = answer(verifier, uri="http://TestServer/x")
    assert verify(verifier, params, host="testserver:80").status == 200


def test_verify_percent_encoded_uri_matching_decoded_target_is_accepted(verifier: DigestVerifier) -> None:
    params = answer(verifier, uri="/%7Euser/x?q=a%20b")
    assert verify(verifier, params, target="/~user/x?q=a b").status == 200


def test_verify_raw_query_target_exact_match_is_accepted(verifier: DigestVerifier) -> None:
    params = answer(verifier, uri="/x?a=1&b=%2F&c=%20")
    assert verify(verifier, params, target="/x?a=1&b=%2F&c=%20").status == 200


def test_verify_username_star_utf8_form_is_accepted(verifier: DigestVerifier) -> None:
    params = answer(verifier, username="Jäsøn Doe", password="Secret, or not?")
    del params["username"]
    params["username*"] = "UTF-8''J%C3%A4s%C3%B8n%20Doe"
    assert verify(verifier, params).username == "Jäsøn Doe"


@pytest.mark.parametrize("wire", ["utf-8", "latin-1"], ids=["curl-utf8-bytes", "requests-latin1-bytes"])
def test_verify_non_ascii_username_as_starlette_decodes_it_is_accepted(
    verifier: DigestVerifier, wire: str
) -> None:
    params = answer(verifier, username="Jäsøn Doe", password="Secret, or not?")
    params["username"] = quote("Jäsøn Doe".encode(wire).decode("latin-1"))
    assert verify(verifier, params).username == "Jäsøn Doe"


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_verify_userhash_answer_finds_plain_user(clock: FakeClock, algorithm: str) -> None:
    verifier = make_verifier(clock, algorithms=(algorithm,))
    params = answer(verifier, algorithm=algorithm)
    params |= {"username": quote(hash_hex(algorithm, f"guest:{REALM}")), "userhash": "true"}
    assert verify(verifier, params).username == "guest"


def test_verify_nc_reordered_within_window_is_accepted_then_replay_rejected(verifier: DigestVerifier) -> None:
    nonce = challenge(verifier)["nonce"]
    statuses = [
        verify(verifier, answer(verifier, nonce=nonce, nc=f"{nc:08x}")).status for nc in (1, 2, 5, 4, 1)
    ]
    assert statuses == [200, 200, 200, 200, 401]
