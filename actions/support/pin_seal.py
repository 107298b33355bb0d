"""Keep a parental-control PIN sealed between the turn that takes it and the turn that applies it.

A form slot lives in Rasa's tracker store, so the PIN never goes there in clear: the validator stores a
Fernet token (AES-128-CBC + HMAC-SHA256) under a key derived from MARQUEE_TOKEN_SECRET, bound to the
conversation and valid for SEAL_LIFETIME_SECONDS. The submit action unseals it, hands the PIN to
`accountdb.services.parental` (which stores only a scrypt hash), and clears the slot in the same reply.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken

from actions.identity import token_secret

SEAL_LIFETIME_SECONDS = 15 * 60
_KEY_LABEL = b"marquee parental pin seal v1"


class SealBroken(Exception):
    """The sealed PIN is expired, altered, or from another conversation."""


def _fernet() -> Fernet:
    # A separate derivation, so the seal key is neither the token key nor the account-link key.
    key = hmac.new(token_secret().encode(), _KEY_LABEL, hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal_pin(pin: str, conversation_id: str) -> str:
    return "sealed:" + _fernet().encrypt(json.dumps({"pin": pin, "c": conversation_id}).encode()).decode()


def unseal_pin(sealed: str, conversation_id: str) -> str:
    if not isinstance(sealed, str) or not sealed.startswith("sealed:"):
        raise SealBroken("the PIN was not sealed by this assistant")
    try:
        data = json.loads(
            _fernet().decrypt(sealed.removeprefix("sealed:").encode(), ttl=SEAL_LIFETIME_SECONDS)
        )
    except (InvalidToken, ValueError) as exc:
        raise SealBroken("the sealed PIN expired or was altered") from exc
    if data.get("c") != conversation_id:
        raise SealBroken("the sealed PIN belongs to another conversation")
    return str(data["pin"])
