"""Who is talking: the signed subscriber token carried in each message's metadata.

Web and app clients send ``{"marquee_token": "<JWT HS256>"}`` as message metadata. The token names the
account (``sub = "account:<id>"``) and the viewing profile (``profile_id``). A message without a token
is an anonymous visitor; a message with a token that fails verification is treated the same way (and
the refusal is logged) so that a forged token never reaches anyone's private data.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import jwt

logger = logging.getLogger(__name__)

TOKEN_METADATA_KEY = "marquee_token"
REGION_METADATA_KEY = "region"
SECRET_ENV = "MARQUEE_TOKEN_SECRET"
ALGORITHM = "HS256"
DEFAULT_REGION = "US"
DEFAULT_TOKEN_LIFETIME_SECONDS = 12 * 3600
# HS256 keys shorter than the hash output are brute-forceable; PyJWT also warns below 32 bytes.
MIN_SECRET_BYTES = 32


class TokenSecretMissing(RuntimeError):
    """MARQUEE_TOKEN_SECRET is unset or too short; tokens can be neither issued nor trusted."""


@dataclass(frozen=True)
class Identity:
    """The verified caller. ``account_id``/``profile_id`` are None for anonymous visitors."""

    account_id: int | None
    profile_id: int | None
    region_hint: str

    @property
    def is_anonymous(self) -> bool:
        return self.profile_id is None


def token_secret() -> str:
    secret = os.environ.get(SECRET_ENV, "")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise TokenSecretMissing(
            f"{SECRET_ENV} is unset or shorter than {MIN_SECRET_BYTES} bytes. "
            f'Set it to a long random value, e.g. `export {SECRET_ENV}="$(openssl rand -hex 32)"`.'
        )
    return secret


def issue_token(
    account_id: int,
    profile_id: int,
    *,
    lifetime_seconds: int = DEFAULT_TOKEN_LIFETIME_SECONDS,
    secret: str | None = None,
    now: float | None = None,
) -> str:
    """Sign a token for one profile of one account (used by `marquee token`, the web app and tests)."""
    issued_at = int(now if now is not None else time.time())
    claims = {
        "sub": f"account:{account_id}",
        "profile_id": int(profile_id),
        "iat": issued_at,
        "exp": issued_at + int(lifetime_seconds),
    }
    return jwt.encode(claims, secret or token_secret(), algorithm=ALGORITHM)


def verify_token(token: str, *, secret: str | None = None) -> tuple[int, int]:
    """Return (account_id, profile_id) of a valid token; raise jwt.InvalidTokenError otherwise."""
    claims = jwt.decode(
        token,
        secret or token_secret(),
        algorithms=[ALGORITHM],
        options={"require": ["sub", "profile_id", "exp", "iat"]},
    )
    subject = str(claims["sub"])
    kind, _, raw_id = subject.partition(":")
    if kind != "account" or not raw_id.isdigit():
        raise jwt.InvalidTokenError(f"subject {subject!r} is not of the form 'account:<id>'")
    profile_id = claims["profile_id"]
    if isinstance(profile_id, bool) or not isinstance(profile_id, int | str) or not str(profile_id).isdigit():
        raise jwt.InvalidTokenError("profile_id claim is not a positive integer")
    return int(raw_id), int(profile_id)


def _region_hint(metadata: dict[str, Any]) -> str:
    region = metadata.get(REGION_METADATA_KEY)
    if isinstance(region, str) and len(region) == 2 and region.isalpha():
        return region.upper()
    return DEFAULT_REGION


def identify(metadata: dict[str, Any] | None, *, sender_id: str = "?") -> Identity:
    """Resolve message metadata to an Identity, falling back to anonymous on any problem."""
    metadata = metadata if isinstance(metadata, dict) else {}
    region = _region_hint(metadata)
    token = metadata.get(TOKEN_METADATA_KEY)
    if not token:
        return Identity(account_id=None, profile_id=None, region_hint=region)
    if not isinstance(token, str):
        logger.warning("refused token for conversation %s: token is not a string", sender_id)
        return Identity(account_id=None, profile_id=None, region_hint=region)
    try:
        account_id, profile_id = verify_token(token)
    except TokenSecretMissing:
        logger.error("cannot verify tokens for conversation %s: %s is not configured", sender_id, SECRET_ENV)
        return Identity(account_id=None, profile_id=None, region_hint=region)
    except jwt.ExpiredSignatureError:
        logger.info("refused expired token for conversation %s; treating as anonymous", sender_id)
        return Identity(account_id=None, profile_id=None, region_hint=region)
    except jwt.InvalidTokenError as exc:
        # Log the reason, never the token: it is a bearer credential.
        logger.warning(
            "refused invalid token for conversation %s (%s); treating as anonymous", sender_id, exc
        )
        return Identity(account_id=None, profile_id=None, region_hint=region)
    return Identity(account_id=account_id, profile_id=profile_id, region_hint=region)
