"""Signed, expiring, single-use links for account pages the assistant must not handle itself.

A link carries `<payload>.<signature>`: the payload names the purpose, the account, a random nonce and the
expiry; the signature is HMAC-SHA256 under a key derived from MARQUEE_TOKEN_SECRET (a separate derivation,
so a link can never pass as a subscriber token or the other way round). The `account_links` row makes it
single-use. The token is not stored: it is rebuilt from the row and the secret when a retried request must
show the same link again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import update
from sqlalchemy.orm import Session

from accountdb.models import AccountLink, LinkPurpose, utcnow
from accountdb.services.errors import ServiceError

SECRET_ENV = "MARQUEE_TOKEN_SECRET"
MIN_SECRET_BYTES = 32
PUBLIC_URL_ENV = "MARQUEE_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://localhost:8000"
_KEY_LABEL = b"marquee account links v1"
LINK_PATHS = {
    LinkPurpose.PAYMENT_METHOD_UPDATE: "/account/payment-method",
    LinkPurpose.PASSWORD_RESET: "/account/reset-password",
}
LINK_LIFETIMES = {
    LinkPurpose.PAYMENT_METHOD_UPDATE: timedelta(minutes=30),
    LinkPurpose.PASSWORD_RESET: timedelta(hours=1),
}


class LinkSecretMissing(ServiceError):
    """Links can be neither issued nor checked without the signing secret."""


class LinkRejected(ServiceError):
    """The link is forged, altered, for another page, expired or already used."""


@dataclass(frozen=True)
class IssuedLink:
    link_id: int
    url: str
    expires_at: datetime


def _signing_key() -> bytes:
    secret = os.environ.get(SECRET_ENV, "")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise LinkSecretMissing(
            f"{SECRET_ENV} is unset or shorter than {MIN_SECRET_BYTES} bytes, so secure links cannot be made; "
            f'set it, e.g. `export {SECRET_ENV}="$(openssl rand -hex 32)"`'
        )
    return hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _token(link: AccountLink) -> str:
    payload = {
        "p": link.purpose,
        "a": link.account_id,
        "n": link.nonce,
        "e": int(link.expires_at.timestamp()),
    }
    encoded = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    signature = hmac.new(_signing_key(), encoded.encode(), hashlib.sha256).digest()
    return f"{encoded}.{_b64(signature)}"


def link_url(link: AccountLink) -> str:
    base = os.environ.get(PUBLIC_URL_ENV, "").strip() or DEFAULT_PUBLIC_URL
    return f"{base.rstrip('/')}{LINK_PATHS[LinkPurpose(link.purpose)]}?token={quote(_token(link))}"


def issue_link(
    session: Session,
    account_id: int,
    purpose: LinkPurpose,
    conversation_id: str | None,
    now: datetime | None = None,
) -> IssuedLink:
    _signing_key()  # fail before writing anything when links cannot be signed
    now = now or utcnow()
    link = AccountLink(
        account_id=account_id,
        purpose=purpose,
        nonce=secrets.token_urlsafe(24),
        expires_at=now + LINK_LIFETIMES[purpose],
        conversation_id=conversation_id,
        created_at=now,
    )
    session.add(link)
    session.flush()
    return IssuedLink(link.id, link_url(link), link.expires_at)


def redeem_link(session: Session, token: str, purpose: LinkPurpose, now: datetime | None = None) -> int:
    """Check a link's token and use it up; returns the account id. Raises LinkRejected with the reason."""
    now = now or utcnow()
    encoded, _, signature = (token or "").partition(".")
    expected = hmac.new(_signing_key(), encoded.encode(), hashlib.sha256).digest()
    try:
        valid = hmac.compare_digest(_unb64(signature), expected)
        payload = json.loads(_unb64(encoded)) if valid else None
    except (ValueError, UnicodeDecodeError):
        valid, payload = False, None
    if not valid or not isinstance(payload, dict):
        raise LinkRejected("this link is not valid; ask the assistant or the website for a new one")
    if payload.get("p") != purpose:
        raise LinkRejected("this link is for a different page; open the link from the right message")
    if int(payload.get("e", 0)) <= now.timestamp():
        raise LinkRejected("this link has expired; ask for a new one")
    used = session.execute(
        update(AccountLink)
        .where(
            AccountLink.nonce == payload.get("n"),
            AccountLink.account_id == payload.get("a"),
            AccountLink.purpose == purpose,
            AccountLink.used_at.is_(None),
            AccountLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise LinkRejected("this link was already used; ask for a new one")
    return int(payload["a"])
