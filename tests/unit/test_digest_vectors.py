"""Digest computation vectors (docs/design/digest.md §5), the auth-param parser, config and challenges."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.auth.digest import (
    DigestConfig,
    DigestParseError,
    DigestVerifier,
    expected_response,
    ha1,
    hash_hex,
    parse_authorization,
    response_auth,
    split_scheme,
)
from sandbox.auth.nonces import NonceManager
from tests.unit.digest_support import (
    DOC,
    NO_QOP,
    REALM,
    RFC2617,
    RFC7616,
    SECRET,
    USERS,
    FakeClock,
    challenge,
    make_verifier,
)

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


# RFC 9110's quoted-string as written there, `(qdtext / quoted-pair)*`: the parser uses an equivalent
# but faster form (runs of qdtext between quoted-pairs), which must accept exactly the same strings.
_RFC_QUOTED = re.compile(r'"((?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*)"')


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet='a\\"\t ,=\x00\x7f\x80\xfféł\r', max_size=12))
def test_parse_quoted_values_exactly_as_rfc_9110_quoted_string(inner: str) -> None:
    value = f'a="{inner}"'
    rfc = _RFC_QUOTED.fullmatch(value[2:])
    try:
        parsed = parse_authorization(value)
    except DigestParseError:
        assert rfc is None
    else:
        assert rfc is not None
        assert parsed == {"a": re.sub(r"\\(.)", r"\1", rfc[1])}


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
