"""DigestVerifier.verify(): the bad-input table (§7), each refused with the right status."""

from __future__ import annotations

import pytest

from sandbox.auth.digest import (
    DigestVerifier,
    Outcome,
    hash_hex,
    quote,
)
from sandbox.auth.nonces import NonceManager
from tests.unit.digest_support import (
    INVALID,
    REALM,
    FakeClock,
    answer,
    challenge,
    header,
    make_verifier,
    verify,
    verify_raw,
)

# verify(): failures (§7)


def test_verify_no_header_requires_authentication(verifier: DigestVerifier) -> None:
    assert verify_raw(verifier, []) == Outcome(401, "authentication_required")


@pytest.mark.parametrize("value", ["Basic Z3Vlc3Q6Z3Vlc3Q=", "Bearer abc.def", ""])
def test_verify_other_scheme_requires_authentication(verifier: DigestVerifier, value: str) -> None:
    assert verify_raw(verifier, [value]) == Outcome(401, "authentication_required")


def test_verify_bare_digest_is_invalid(verifier: DigestVerifier) -> None:
    assert verify_raw(verifier, ["Digest"]) == INVALID


def test_verify_two_authorization_headers_are_invalid(verifier: DigestVerifier) -> None:
    assert verify_raw(verifier, header(answer(verifier)) * 2) == INVALID


def test_verify_header_over_max_size_is_bad_request(verifier: DigestVerifier) -> None:
    params = answer(verifier) | {"junk": quote("x" * 10_000)}
    assert verify(verifier, params) == Outcome(400, "authorization_header_too_large")


def test_verify_unterminated_quote_is_invalid(verifier: DigestVerifier) -> None:
    (value,) = header(answer(verifier))
    assert verify_raw(verifier, [value + ', cnonce="abc']) == INVALID


def test_verify_duplicate_param_is_invalid(verifier: DigestVerifier) -> None:
    (value,) = header(answer(verifier))
    assert verify_raw(verifier, [value + ', Realm="sandbox"']) == INVALID


@pytest.mark.parametrize("name", ["response", "uri", "nonce", "username", "realm"])
def test_verify_missing_required_param_is_invalid(verifier: DigestVerifier, name: str) -> None:
    params = answer(verifier)
    del params[name]
    assert verify(verifier, params) == INVALID


@pytest.mark.parametrize("name", ["response", "uri", "nonce", "username", "realm"])
def test_verify_empty_required_param_is_invalid(verifier: DigestVerifier, name: str) -> None:
    assert verify(verifier, answer(verifier) | {name: '""'}) == INVALID


@pytest.mark.parametrize("name", ["nc", "cnonce"])
def test_verify_qop_without_nc_or_cnonce_is_invalid(verifier: DigestVerifier, name: str) -> None:
    params = answer(verifier)
    del params[name]
    assert verify(verifier, params) == INVALID


@pytest.mark.parametrize("nc", ["0000001", "000000001", "0000000g", "+0000001"])
def test_verify_nc_not_8_hex_digits_is_invalid(verifier: DigestVerifier, nc: str) -> None:
    assert verify(verifier, answer(verifier, nc=nc)) == INVALID


def test_verify_nc_zero_is_invalid_not_stale(verifier: DigestVerifier) -> None:
    assert verify(verifier, answer(verifier, nc="00000000")) == INVALID


def test_verify_qop_auth_int_is_invalid(verifier: DigestVerifier) -> None:
    assert verify(verifier, answer(verifier, qop="auth-int")) == INVALID


def test_verify_sha256_not_enabled_is_invalid(verifier: DigestVerifier) -> None:
    assert verify(verifier, answer(verifier, algorithm="SHA-256")) == INVALID


@pytest.mark.parametrize("algorithm", ["SHA256", "SHA-512-256", "SHA-1"])
def test_verify_unknown_algorithm_is_invalid(verifier: DigestVerifier, algorithm: str) -> None:
    assert verify(verifier, answer(verifier) | {"algorithm": algorithm}) == INVALID


def test_verify_response_of_wrong_length_is_invalid(verifier: DigestVerifier) -> None:
    params = answer(verifier) | {"response": quote("0" * 64)}
    assert verify(verifier, params) == INVALID


def test_verify_legacy_answer_with_legacy_disabled_is_invalid(clock: FakeClock) -> None:
    verifier = make_verifier(clock, allow_legacy=False)
    assert verify(verifier, answer(verifier, qop=None)) == INVALID


def test_verify_legacy_answer_with_sess_algorithm_is_invalid(clock: FakeClock) -> None:
    verifier = make_verifier(clock, algorithms=("MD5-sess",))
    params = answer(verifier, algorithm="MD5-sess", qop=None, cnonce="")
    assert verify(verifier, params) == INVALID


def test_verify_uri_for_other_path_is_bad_request(verifier: DigestVerifier) -> None:
    assert verify(verifier, answer(verifier, uri="/y")) == Outcome(400, "digest_uri_mismatch")


def test_verify_uri_without_query_is_bad_request(verifier: DigestVerifier) -> None:
    assert verify(verifier, answer(verifier, uri="/x"), target="/x?a=1") == Outcome(
        400, "digest_uri_mismatch"
    )


@pytest.mark.parametrize(
    "uri",
    ["http://other/x", "http://testserver:8080/x", "ftp://testserver/x", "//testserver/x", "http://[::1/x"],
    ids=["other-host", "other-port", "other-scheme", "no-scheme", "unparseable"],
)
def test_verify_absolute_form_uri_for_other_origin_is_bad_request(verifier: DigestVerifier, uri: str) -> None:
    assert verify(verifier, answer(verifier, uri=uri)).status == 400


def test_verify_wrong_realm_is_invalid(verifier: DigestVerifier) -> None:
    assert verify(verifier, answer(verifier, realm="test")) == INVALID


def test_verify_wrong_opaque_is_invalid(verifier: DigestVerifier) -> None:
    assert verify(verifier, answer(verifier) | {"opaque": quote("0" * 32)}) == INVALID


def test_verify_forged_nonce_is_invalid(verifier: DigestVerifier) -> None:
    nonce = challenge(verifier)["nonce"]
    forged = nonce[:-1] + ("0" if nonce[-1] != "0" else "1")
    assert verify(verifier, answer(verifier, nonce=forged)) == INVALID


def test_verify_nonce_from_other_secret_is_invalid(verifier: DigestVerifier, clock: FakeClock) -> None:
    foreign = NonceManager(b"other-secret", REALM, 300, clock, lambda n: "0" * n).mint()
    assert verify(verifier, answer(verifier, nonce=foreign)) == INVALID


def test_verify_doc_example_nonce_2_is_invalid(verifier: DigestVerifier) -> None:
    assert verify(verifier, answer(verifier, nonce="2")) == INVALID


def test_verify_doc_example_header_verbatim_is_invalid(verifier: DigestVerifier) -> None:
    value = 'Digest username=guest, realm="test", nonce="2", uri="/uri", response="***"'
    assert verify_raw(verifier, [value], "/uri") == INVALID


def test_verify_wrong_password_is_invalid(verifier: DigestVerifier) -> None:
    assert verify(verifier, answer(verifier, password="nope")) == INVALID


def test_verify_unknown_user_fails_like_wrong_password(verifier: DigestVerifier) -> None:
    unknown = verify(verifier, answer(verifier, username="nobody", password="guest"))
    assert unknown == verify(verifier, answer(verifier, password="nope"))


def test_verify_response_for_other_method_is_invalid(verifier: DigestVerifier) -> None:
    assert verify(verifier, answer(verifier, method="POST")) == INVALID


def test_verify_response_with_lower_case_method_is_invalid(verifier: DigestVerifier) -> None:
    assert verify(verifier, answer(verifier, method="get")) == INVALID


def test_verify_username_and_username_star_together_are_invalid(verifier: DigestVerifier) -> None:
    params = answer(verifier) | {"username*": "UTF-8''guest"}
    assert verify(verifier, params) == INVALID


def test_verify_userhash_for_unknown_user_is_invalid(verifier: DigestVerifier) -> None:
    params = answer(verifier) | {"username": quote(hash_hex("MD5", f"nobody:{REALM}")), "userhash": "true"}
    assert verify(verifier, params) == INVALID


def test_verify_userhash_with_non_ascii_field_is_invalid(verifier: DigestVerifier) -> None:
    params = answer(verifier) | {"username": quote("Jäsøn"), "userhash": "true"}
    assert verify(verifier, params) == INVALID


def test_verify_userhash_not_true_or_false_is_invalid(verifier: DigestVerifier) -> None:
    assert verify(verifier, answer(verifier) | {"userhash": "maybe"}) == INVALID


def test_verify_expired_nonce_with_right_response_is_stale(
    verifier: DigestVerifier, clock: FakeClock
) -> None:
    params = answer(verifier)
    clock.now += 301
    assert verify(verifier, params) == Outcome(401, "nonce_expired", stale=True)


def test_verify_expired_nonce_with_wrong_response_is_not_stale(
    verifier: DigestVerifier, clock: FakeClock
) -> None:
    params = answer(verifier, password="nope")
    clock.now += 301
    assert verify(verifier, params) == INVALID


def test_verify_replayed_nc_is_stale(verifier: DigestVerifier) -> None:
    params = answer(verifier)
    verify(verifier, params)
    assert verify(verifier, params) == Outcome(401, "nonce_count_reused", stale=True)
