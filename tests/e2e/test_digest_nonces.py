"""docs/design/digest.md §7, part 2: nonce lifetime, nc replay window, successful answers and multi-line
challenges,
sent raw to real servers. Malformed and wrong headers: test_digest_bad_input.py.

Nonce time is moved, never waited for: the `clock_server` has its own nonce clock, which each test
freezes at a later whole second so that the TTL boundary is exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sandbox.auth.digest import response_auth
from sandbox.core.clock import Clock
from sandbox.testing.server import SandboxServer
from tests.e2e.digest_helpers import (
    CNONCE,
    REALM,
    STATUSES,
    answer,
    assert_failure_envelope,
    assert_fresh_challenge,
    authorization,
    fetch_challenge,
    header,
    parse_params,
    send,
)
from tests.support.servers import ServerPool, dedicated_server


@pytest.fixture(scope="module")
def clock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with dedicated_server(tmp_path_factory.mktemp("nonce-clock"), orders=0, customers=1) as running:
        yield running


@pytest.fixture
def nonce_clock(clock_server: SandboxServer) -> Clock:
    """The server's nonce clock, frozen at a whole second (exact TTL boundaries) that lies past every
    instant an earlier test moved it to: the nc window purges by nonce age, so a clock going back to a
    time before a purge would replay-reject nonces, a situation no real clock creates."""
    clock: Clock = clock_server.sandbox.nonce_clock
    clock.freeze(datetime.fromtimestamp(int(clock.timestamp()) + 1000, UTC))
    return clock


def get(server: SandboxServer, params: dict[str, str]):
    return send(server, "GET", STATUSES, authorization(header(params)))


# --- nonce lifetime (clock moved, never slept) -----------------------------------------------------


def test_nonce_at_exactly_ttl_200(clock_server: SandboxServer, nonce_clock: Clock) -> None:
    params = answer(fetch_challenge(clock_server))
    nonce_clock.advance(clock_server.settings.digest_nonce_ttl)
    assert get(clock_server, params).status == 200


def test_expired_nonce_right_response_401_stale_nonce_expired(
    clock_server: SandboxServer, nonce_clock: Clock
) -> None:
    params = answer(fetch_challenge(clock_server))
    nonce_clock.advance(clock_server.settings.digest_nonce_ttl + 1)
    response = get(clock_server, params)
    assert_failure_envelope(response, 401, "nonce_expired")
    assert_fresh_challenge(response, previous_nonce=params["nonce"], stale=True)


def test_expired_nonce_wrong_response_401_not_stale(clock_server: SandboxServer, nonce_clock: Clock) -> None:
    params = answer(fetch_challenge(clock_server), password="wrong")
    nonce_clock.advance(clock_server.settings.digest_nonce_ttl + 1)
    response = get(clock_server, params)
    assert_failure_envelope(response, 401, "invalid_credentials")
    assert_fresh_challenge(response, previous_nonce=params["nonce"], stale=False)


def test_stale_challenge_nonce_answered_200(clock_server: SandboxServer, nonce_clock: Clock) -> None:
    params = answer(fetch_challenge(clock_server))
    nonce_clock.advance(clock_server.settings.digest_nonce_ttl + 1)
    stale = assert_fresh_challenge(get(clock_server, params), previous_nonce=params["nonce"], stale=True)
    assert get(clock_server, answer(stale)).status == 200


def test_nonce_near_ttl_200_with_working_nextnonce(clock_server: SandboxServer, nonce_clock: Clock) -> None:
    first = answer(fetch_challenge(clock_server))
    nonce_clock.advance(clock_server.settings.digest_nonce_ttl - 30)
    response = get(clock_server, first)
    assert response.status == 200
    info = parse_params(response.header("Authentication-Info") or "")
    assert info["nextnonce"] != first["nonce"]
    assert get(clock_server, answer(fetch_challenge(clock_server), nonce=info["nextnonce"])).status == 200


def test_nonce_from_the_future_401_not_stale(clock_server: SandboxServer, nonce_clock: Clock) -> None:
    params = answer(fetch_challenge(clock_server))
    nonce_clock.advance(-60)
    response = get(clock_server, params)
    assert_failure_envelope(response, 401, "invalid_credentials")
    assert_fresh_challenge(response, previous_nonce=params["nonce"], stale=False)


# --- nc replay window (§4.2) -----------------------------------------------------------------------


def test_nc_replayed_401_stale_nonce_count_reused(server: SandboxServer) -> None:
    params = answer(fetch_challenge(server))
    assert get(server, params).status == 200
    response = get(server, params)
    assert_failure_envelope(response, 401, "nonce_count_reused")
    assert_fresh_challenge(response, previous_nonce=params["nonce"], stale=True)


def test_nc_reordered_within_window_200(server: SandboxServer) -> None:
    challenge = fetch_challenge(server)
    assert get(server, answer(challenge, nc="00000005")).status == 200
    assert get(server, answer(challenge, nc="00000004")).status == 200
    assert get(server, answer(challenge, nc="00000001")).status == 200


def test_nc_reordered_far_beyond_connections_in_flight_200_then_replay_401(server: SandboxServer) -> None:
    challenge = fetch_challenge(server)
    assert get(server, answer(challenge, nc="00000fa0")).status == 200  # 4,000
    assert get(server, answer(challenge, nc="00000001")).status == 200  # 3,999 behind: sent earlier
    assert_failure_envelope(get(server, answer(challenge, nc="00000001")), 401, "nonce_count_reused")


def test_nc_older_than_window_401_stale_nonce_count_reused(server: SandboxServer) -> None:
    challenge = fetch_challenge(server)
    assert get(server, answer(challenge, nc="00001005")).status == 200  # 4,101
    response = get(server, answer(challenge, nc="00000005"))  # the 4,096-wide window moved past it
    assert_failure_envelope(response, 401, "nonce_count_reused")
    assert_fresh_challenge(response, previous_nonce=challenge.nonce, stale=True)


def test_nc_same_value_new_cnonce_still_replay_401_stale(server: SandboxServer) -> None:
    challenge = fetch_challenge(server)
    assert get(server, answer(challenge)).status == 200
    response = get(server, answer(challenge, cnonce="ffffffff"))
    assert_failure_envelope(response, 401, "nonce_count_reused")


# --- successful answers ----------------------------------------------------------------------------


def test_qop_auth_answer_200_authentication_info_rspauth_verifies(server: SandboxServer) -> None:
    params = answer(fetch_challenge(server))
    response = get(server, params)
    assert response.status == 200
    info_line = response.header("Authentication-Info") or ""
    info = parse_params(info_line)
    rspauth = response_auth(
        algorithm="MD5", username="demo", realm=REALM, password="demo-secret",
        uri=STATUSES, nonce=params["nonce"], nc="00000001", cnonce=CNONCE,
    )  # fmt: skip
    assert info == {"rspauth": rspauth, "qop": "auth", "nc": "00000001", "cnonce": CNONCE}
    assert info_line.startswith(f'rspauth="{rspauth}", qop=auth, nc=00000001, ')


def test_legacy_answer_valid_200_without_authentication_info(server: SandboxServer) -> None:
    response = get(server, answer(fetch_challenge(server), qop=None))
    assert response.status == 200
    assert response.json["success"] is True
    assert response.header("Authentication-Info") is None


def test_legacy_answer_reused_within_lifetime_200(server: SandboxServer) -> None:
    # No nc, so nothing to replay-check: as Apache, the nonce is reusable until it expires (§3.3 notes).
    params = answer(fetch_challenge(server), qop=None)
    assert [get(server, params).status for _ in range(2)] == [200, 200]


def test_legacy_answer_refused_when_disabled_401(server_pool: ServerPool) -> None:
    strict = server_pool.get(digest_allow_legacy=False)
    challenge = fetch_challenge(strict)
    legacy = get(strict, answer(challenge, qop=None))
    assert_failure_envelope(legacy, 401, "invalid_credentials")
    assert_fresh_challenge(legacy, previous_nonce=challenge.nonce)
    assert get(strict, answer(challenge)).status == 200


def test_unknown_user_and_wrong_password_identical_401_bodies(server: SandboxServer) -> None:
    unknown = get(server, answer(fetch_challenge(server), username="nobody"))
    wrong = get(server, answer(fetch_challenge(server), password="wrong"))
    assert_failure_envelope(unknown, 401, "invalid_credentials")
    assert unknown.body == wrong.body
    assert [name for name, _ in unknown.headers] == [name for name, _ in wrong.headers]


def test_acme_partner_answer_200(server: SandboxServer) -> None:
    params = answer(fetch_challenge(server), username="acme", password="acme-secret")
    assert get(server, params).status == 200


def test_head_without_auth_401_challenge_no_body(server: SandboxServer) -> None:
    response = send(server, "HEAD", STATUSES)
    assert response.status == 401
    assert response.body == b""
    assert_fresh_challenge(response, previous_nonce=None)


# --- SHA-256 enabled: one line per algorithm, one shared nonce (§3.2) ------------------------------

BOTH = ("SHA-256", "MD5")


def test_sha256_enabled_401_two_lines_in_order_sharing_one_nonce(sha256_first_server: SandboxServer) -> None:
    response = send(sha256_first_server, "GET", STATUSES)
    assert_failure_envelope(response, 401, "authentication_required")
    assert_fresh_challenge(response, previous_nonce=None, algorithms=BOTH)


@pytest.mark.parametrize("algorithm", BOTH)
def test_sha256_enabled_either_algorithm_same_nonce_200(
    sha256_first_server: SandboxServer, algorithm: str
) -> None:
    params = answer(fetch_challenge(sha256_first_server), algorithm=algorithm)
    response = get(sha256_first_server, params)
    assert response.status == 200
    assert parse_params(response.header("Authentication-Info") or "")["rspauth"] == response_auth(
        algorithm=algorithm, username="demo", realm=REALM, password="demo-secret",
        uri=STATUSES, nonce=params["nonce"], nc="00000001", cnonce=CNONCE,
    )  # fmt: skip


def test_sha256_enabled_wrong_password_401_two_fresh_lines(sha256_first_server: SandboxServer) -> None:
    params = answer(fetch_challenge(sha256_first_server), algorithm="SHA-256", password="wrong")
    response = get(sha256_first_server, params)
    assert_failure_envelope(response, 401, "invalid_credentials")
    assert_fresh_challenge(response, previous_nonce=params["nonce"], algorithms=BOTH)


def test_sha256_enabled_replay_401_two_stale_lines(sha256_first_server: SandboxServer) -> None:
    params = answer(fetch_challenge(sha256_first_server), algorithm="SHA-256")
    assert get(sha256_first_server, params).status == 200
    response = get(sha256_first_server, params)
    assert_failure_envelope(response, 401, "nonce_count_reused")
    assert_fresh_challenge(response, previous_nonce=params["nonce"], stale=True, algorithms=BOTH)


def test_sha256_enabled_md5_length_response_for_sha256_401(sha256_first_server: SandboxServer) -> None:
    params = answer(fetch_challenge(sha256_first_server), algorithm="MD5")
    params["algorithm"] = "SHA-256"
    response = get(sha256_first_server, params)
    assert_failure_envelope(response, 401, "invalid_credentials")
    assert_fresh_challenge(response, previous_nonce=params["nonce"], algorithms=BOTH)
