"""Digest computation vectors (DIGEST.md §5), the auth-param parser and the verifier (§3.3, §7)."""

from __future__ import annotations

import itertools
import re

import pytest

from sandbox.auth.digest import (
    DigestConfig,
    DigestParseError,
    DigestVerifier,
    Outcome,
    expected_response,
    ha1,
    hash_hex,
    parse_authorization,
    quote,
    response_auth,
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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_verifier(clock: FakeClock, **settings: object) -> DigestVerifier:
    config = DigestConfig(realm=REALM, **settings)  # type: ignore[arg-type]
    counter = itertools.count(1)
    nonces = NonceManager(SECRET, REALM, config.nonce_ttl, clock, lambda n: f"{next(counter):0{n}x}")
    return DigestVerifier(config, USERS.get, nonces, usernames=USERS.keys)


@pytest.fixture
def verifier(clock: FakeClock) -> DigestVerifier:
    return make_verifier(clock)


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
    return verifier.verify("GET", target, host, header(params))


# §5 vectors


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (RFC7616 | {"algorithm": "MD5"}, "8ca523f5e9506fed4657c9700eebdbec"),
        (
            RFC7616 | {"algorithm": "SHA-256"},
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
        (RFC2617 | {"algorithm": "MD5"}, "6629fae49393a05397450978507c4ef1"),
        (RFC2617 | NO_QOP | {"algorithm": "MD5"}, "670fd8c2df070c60b045671b8b24ff02"),
        (RFC7616 | {"algorithm": "MD5-sess"}, "e783283f46242139c486a698fec7211d"),
        (
            RFC7616 | {"algorithm": "SHA-256-sess"},
            "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7",
        ),
        (RFC7616 | NO_QOP | {"algorithm": "MD5"}, "7b2cc3b30e75b4777ea31027084363fd"),
        (
            RFC7616 | NO_QOP | {"algorithm": "SHA-256"},
            "a1306b0595a6c7fe96c448631fb5cfbd5107bd1fe1da729d978dd7446b812363",
        ),
        (RFC7616 | {"algorithm": "MD5", "method": "POST"}, "6f31d8ff6361bb27783b6ac62b999535"),
        (
            RFC7616 | {"algorithm": "SHA-256", "method": "POST"},
            "b85bfcaae378db6f6d75b1706062ac3d66fec2dd3d0082d77885522866488dac",
        ),
        (
            RFC7616 | {"algorithm": "MD5", "uri": "/dir/index.html?a=1&b=%2F", "nc": "00000002"},
            "d5d079865156da029377480da9b91926",
        ),
        (
            RFC7616 | {"algorithm": "SHA-256", "uri": "/dir/index.html?a=1&b=%2F", "nc": "00000002"},
            "8b74951ab7d94b554cd73a0516cde33a8712f5d55e9dbf52a1450a48ccd78210",
        ),
        (DOC | {"algorithm": "MD5"}, "533f24524ee7fc96c90525d6f6f4a55d"),
        (
            DOC | {"algorithm": "MD5", "nc": "00000001", "cnonce": "0a4f113b", "qop": "auth"},
            "cc008b868dceb1002a5d92ae899a7ea7",
        ),
        (
            DOC | {"algorithm": "SHA-256", "nc": "00000001", "cnonce": "0a4f113b", "qop": "auth"},
            "6faf2dff64966ecf9fa770568bcf7c1f07ed4b98c5e4b0ab3704a5f300cbd25a",
        ),
    ],
    ids=[
        "rfc7616-md5",
        "rfc7616-sha256",
        "rfc2617",
        "rfc2617-no-qop",
        "md5-sess",
        "sha256-sess",
        "md5-no-qop",
        "sha256-no-qop",
        "md5-post",
        "sha256-post",
        "md5-query-nc2",
        "sha256-query-nc2",
        "doc-example-no-qop",
        "doc-example-md5-auth",
        "doc-example-sha256-auth",
    ],
)
def test_expected_response_known_inputs_match_vector(inputs: dict, expected: str) -> None:
    assert expected_response(**inputs) == expected


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (RFC7616 | {"algorithm": "MD5"}, "3d78807defe7de2157e2b0b6573a855f"),
        (
            RFC7616 | {"algorithm": "SHA-256"},
            "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232",
        ),
        (RFC2617 | {"algorithm": "MD5"}, "939e7578ed9e3c518a452acee763bce9"),
        (DOC | {"algorithm": "MD5", "cnonce": None}, "871a43cd67a0196cf4f801935973deb1"),
    ],
    ids=["rfc7616-md5", "rfc7616-sha256", "rfc2617", "doc-example"],
)
def test_ha1_known_inputs_match_vector(inputs: dict, expected: str) -> None:
    fields = ("algorithm", "username", "realm", "password", "nonce", "cnonce")
    assert ha1(**{name: inputs[name] for name in fields}) == expected


@pytest.mark.parametrize(
    ("algorithm", "a2", "expected"),
    [
        ("MD5", "GET:/dir/index.html", "39aff3a2bab6126f332b942af96d3366"),
        (
            "SHA-256",
            "GET:/dir/index.html",
            "9a3fdae9a622fe8de177c24fa9c070f2b181ec85e15dcbdc32e10c82ad450b04",
        ),
        ("MD5", "GET:/uri", "1e4d1a151b5fee82148fb7910dddfce1"),
    ],
    ids=["rfc-md5", "rfc-sha256", "doc-example"],
)
def test_hash_hex_ha2_inputs_match_vector(algorithm: str, a2: str, expected: str) -> None:
    assert hash_hex(algorithm, a2) == expected


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "9b712497bc9f91499fbcca1dfc5f09a5"),
        ("SHA-256", "86d3b25618d41854ca5039a5d7e53ff6355d5134a9b1fb088a78ac3c462195a0"),
    ],
)
def test_response_auth_rfc7616_inputs_match_vector(algorithm: str, expected: str) -> None:
    inputs = {name: value for name, value in RFC7616.items() if name != "method"}
    assert response_auth(algorithm=algorithm, **inputs) == expected


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "ef39423ddb4654f2b2e7c13086c4af33"),
        ("SHA-256", "87b0795fd83ead9d2b2de07bedcf253a645d08e516ad86bf6848489828831159"),
    ],
)
def test_hash_hex_userhash_of_guest_matches_vector(algorithm: str, expected: str) -> None:
    assert hash_hex(algorithm, "guest:test") == expected


def test_expected_response_sess_without_cnonce_raises() -> None:
    with pytest.raises(ValueError, match="cnonce"):
        expected_response(**(RFC7616 | NO_QOP | {"algorithm": "MD5-sess"}))


# Parser and scheme split (§3.3 steps 3-4)


def test_parse_token_and_quoted_values_are_unwrapped() -> None:
    assert parse_authorization('username=guest, realm="test"') == {"username": "guest", "realm": "test"}


def test_parse_mixed_case_names_are_lower_cased() -> None:
    assert parse_authorization("UserName=guest, QOP=auth") == {"username": "guest", "qop": "auth"}


def test_parse_backslash_escapes_are_removed() -> None:
    assert parse_authorization(r'username="a\"b\\c\d"') == {"username": 'a"b\\cd'}


def test_parse_empty_items_and_whitespace_are_tolerated() -> None:
    assert parse_authorization(' , a = 1 ,, \tb="2" , ') == {"a": "1", "b": "2"}


def test_parse_empty_value_list_is_empty() -> None:
    assert parse_authorization("") == {}


def test_parse_value_of_1024_chars_is_accepted() -> None:
    assert parse_authorization(f'a="{"x" * 1024}"') == {"a": "x" * 1024}


@pytest.mark.parametrize(
    "value",
    [
        'realm="a", REALM="b"',
        'realm="test',
        'realm="test" x, nonce="2"',
        "realm=a b",
        "realm=",
        "=x",
        'realm="a\r\nX-Injected: 1"',
        f'a="{"x" * 1025}"',
        "uri=/dir/index.html",
    ],
    ids=[
        "duplicate",
        "unterminated-quote",
        "garbage-between",
        "two-tokens",
        "no-value",
        "no-name",
        "control-char",
        "over-long",
        "unquoted-slash",
    ],
)
def test_parse_malformed_value_raises(value: str) -> None:
    with pytest.raises(DigestParseError):
        parse_authorization(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Digest a=1, b=2", ("Digest", "a=1, b=2")),
        (" digest \t a=1", ("digest", "a=1")),
        ("Digest", ("Digest", "")),
    ],
)
def test_split_scheme_header_splits_at_first_whitespace(value: str, expected: tuple[str, str]) -> None:
    assert split_scheme(value) == expected


# Configuration


@pytest.mark.parametrize(
    "settings",
    [{"algorithms": ("SHA-512-256",)}, {"algorithms": ()}, {"qop": "auth-int"}],
    ids=["unsupported-algorithm", "no-algorithm", "auth-int"],
)
def test_config_unsupported_setting_raises(settings: dict) -> None:
    with pytest.raises(ValueError):
        DigestConfig(realm=REALM, **settings)


def test_verifier_nonce_manager_with_other_ttl_raises(clock: FakeClock) -> None:
    nonces = NonceManager(SECRET, REALM, 60, clock, lambda n: "0" * n)
    with pytest.raises(ValueError, match="nonce_ttl"):
        DigestVerifier(DigestConfig(realm=REALM), USERS.get, nonces)


# Challenges (§3.2)


def test_challenges_default_is_one_exact_md5_line(verifier: DigestVerifier) -> None:
    (line,) = verifier.challenges()
    pattern = (
        r'Digest realm="sandbox", qop="auth", algorithm=MD5, nonce="[0-9a-f]{56}", opaque="[0-9a-f]{32}"'
    )
    assert re.fullmatch(pattern, line)


def test_challenges_stale_appends_unquoted_token(verifier: DigestVerifier) -> None:
    assert verifier.challenges(stale=True)[0].endswith('", stale=true')


def test_challenges_each_call_mints_fresh_nonce(verifier: DigestVerifier) -> None:
    assert challenge(verifier)["nonce"] != challenge(verifier)["nonce"]


def test_challenges_sha256_enabled_gives_two_lines_sharing_one_nonce(clock: FakeClock) -> None:
    lines = make_verifier(clock, algorithms=("SHA-256", "MD5")).challenges()
    params = [parse_authorization(split_scheme(line)[1]) for line in lines]
    assert [p["algorithm"] for p in params] == ["SHA-256", "MD5"]
    assert params[0]["nonce"] == params[1]["nonce"]


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
    assert verifier.verify("GET", "/x", HOST, ["digest" + value.removeprefix("Digest")]).status == 200


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


# verify(): failures (§7)


def test_verify_no_header_requires_authentication(verifier: DigestVerifier) -> None:
    assert verifier.verify("GET", "/x", HOST, []) == Outcome(401, "authentication_required")


@pytest.mark.parametrize("value", ["Basic Z3Vlc3Q6Z3Vlc3Q=", "Bearer abc.def", ""])
def test_verify_other_scheme_requires_authentication(verifier: DigestVerifier, value: str) -> None:
    assert verifier.verify("GET", "/x", HOST, [value]) == Outcome(401, "authentication_required")


def test_verify_bare_digest_is_invalid(verifier: DigestVerifier) -> None:
    assert verifier.verify("GET", "/x", HOST, ["Digest"]) == INVALID


def test_verify_two_authorization_headers_are_invalid(verifier: DigestVerifier) -> None:
    assert verifier.verify("GET", "/x", HOST, header(answer(verifier)) * 2) == INVALID


def test_verify_header_over_max_size_is_bad_request(verifier: DigestVerifier) -> None:
    params = answer(verifier) | {"junk": quote("x" * 10_000)}
    assert verify(verifier, params) == Outcome(400, "authorization_header_too_large")


def test_verify_unterminated_quote_is_invalid(verifier: DigestVerifier) -> None:
    (value,) = header(answer(verifier))
    assert verifier.verify("GET", "/x", HOST, [value + ', cnonce="abc']) == INVALID


def test_verify_duplicate_param_is_invalid(verifier: DigestVerifier) -> None:
    (value,) = header(answer(verifier))
    assert verifier.verify("GET", "/x", HOST, [value + ', Realm="sandbox"']) == INVALID


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
    assert verifier.verify("GET", "/uri", HOST, [value]) == INVALID


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
