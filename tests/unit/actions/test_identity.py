"""The subscriber token: issued tokens verify, anything forged, expired or malformed is anonymous."""

from __future__ import annotations

import logging
import time

import jwt
import pytest

from actions import identity
from actions.identity import identify, issue_token, verify_token

SECRET = "unit-test-secret-that-is-long-enough-0123456789"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(identity.SECRET_ENV, SECRET)


def test_issued_token_round_trips_to_account_and_profile() -> None:
    token = issue_token(7, 12)
    assert verify_token(token) == (7, 12)
    who = identify({"marquee_token": token, "region": "de"})
    assert (who.account_id, who.profile_id, who.region_hint) == (7, 12, "DE")
    assert not who.is_anonymous


def test_missing_metadata_is_anonymous_in_default_region() -> None:
    for metadata in (None, {}, {"marquee_token": ""}, "not a dict"):
        who = identify(metadata)  # type: ignore[arg-type]
        assert who.is_anonymous and who.account_id is None
        assert who.region_hint == "US"


def test_bad_region_hint_falls_back_to_default() -> None:
    assert identify({"region": "'; DROP TABLE"}).region_hint == "US"
    assert identify({"region": 42}).region_hint == "US"


def test_forged_token_is_refused_and_logged_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    forged = issue_token(1, 1, secret="another-secret-that-is-also-long-enough-000")
    with caplog.at_level(logging.WARNING, logger="actions.identity"):
        who = identify({"marquee_token": forged}, sender_id="conv-9")
    assert who.is_anonymous
    assert "conv-9" in caplog.text and "refused" in caplog.text
    assert forged not in caplog.text


def test_expired_token_is_refused() -> None:
    old = issue_token(1, 2, lifetime_seconds=60, now=time.time() - 3600)
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_token(old)
    assert identify({"marquee_token": old}).is_anonymous


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "user:1", "profile_id": 1},
        {"sub": "account:x", "profile_id": 1},
        {"sub": "account:1", "profile_id": "abc"},
        {"sub": "account:1", "profile_id": True},
        {"sub": "account:1"},
    ],
)
def test_malformed_claims_are_refused(claims: dict) -> None:
    now = int(time.time())
    token = jwt.encode({"iat": now, "exp": now + 60, **claims}, SECRET, algorithm="HS256")
    with pytest.raises(jwt.InvalidTokenError):
        verify_token(token)
    assert identify({"marquee_token": token}).is_anonymous


def test_unsigned_token_is_refused() -> None:
    now = int(time.time())
    token = jwt.encode(
        {"sub": "account:1", "profile_id": 1, "iat": now, "exp": now + 60}, None, algorithm="none"
    )
    assert identify({"marquee_token": token}).is_anonymous


def test_short_or_missing_secret_refuses_to_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(identity.SECRET_ENV, "short")
    with pytest.raises(identity.TokenSecretMissing, match="MARQUEE_TOKEN_SECRET"):
        issue_token(1, 1)
    monkeypatch.delenv(identity.SECRET_ENV)
    with pytest.raises(identity.TokenSecretMissing):
        issue_token(1, 1)


def test_unverifiable_when_secret_missing_is_anonymous(monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue_token(3, 4)
    monkeypatch.delenv(identity.SECRET_ENV)
    assert identify({"marquee_token": token}).is_anonymous
