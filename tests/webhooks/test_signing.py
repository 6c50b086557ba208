"""The webhook signature recipe, pinned: integrators verify with the same function."""

from __future__ import annotations

import hashlib
import hmac

from sandbox.webhooks import sign, verify_signature

BODY = (
    b'{"event":"order.status_changed","data":{"order_code":"ALS8HEVP"},"sent_at":"2026-11-02T13:00:00+03:00"}'
)
T = 1_790_000_000


def test_sign_is_hmac_sha256_hex_over_timestamp_dot_body() -> None:
    expected = hmac.new(b"whsec_test", f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign("whsec_test", T, BODY) == f"t={T},v1={expected}"


def test_verify_accepts_its_own_signature_within_tolerance() -> None:
    assert verify_signature("whsec_test", sign("whsec_test", T, BODY), BODY, tolerance=300, now=T + 299)


def test_verify_refuses_an_old_signature() -> None:
    assert not verify_signature("whsec_test", sign("whsec_test", T, BODY), BODY, tolerance=300, now=T + 301)


def test_verify_refuses_another_secret() -> None:
    assert not verify_signature("whsec_other", sign("whsec_test", T, BODY), BODY, now=T)


def test_verify_refuses_a_changed_body() -> None:
    assert not verify_signature("whsec_test", sign("whsec_test", T, BODY), BODY + b" ", now=T)


def test_verify_accepts_any_matching_v1_of_a_rotated_secret() -> None:
    header = f"{sign('whsec_old', T, BODY)},v1={sign('whsec_test', T, BODY).split('v1=')[1]}"
    assert verify_signature("whsec_test", header, BODY, now=T)


def test_verify_refuses_malformed_headers() -> None:
    for header in ("", "t=abc,v1=00", f"t={T}", "v1=00", "garbage"):
        assert not verify_signature("whsec_test", header, BODY, now=T)
