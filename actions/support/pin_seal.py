"""Keep a parental-control PIN sealed from the moment it is typed to the turn that applies it.

Rasa's tracker store keeps every user message and slot, so the PIN never goes there in clear. The input
channel (bot/channels.py, in the Rasa process) replaces a PIN typed at the PIN step with `PIN_PLACEHOLDER`
and passes the digits on sealed in the message metadata under `SEALED_PIN_KEY`; the form's validator keeps
that token in the `parental_pin` slot. A seal is a Fernet token (AES-128-CBC + HMAC-SHA256) under a key
derived from MARQUEE_TOKEN_SECRET (which both processes have), bound to the conversation and valid for
SEAL_LIFETIME_SECONDS. The submit action unseals it, hands the PIN to `accountdb.services.parental` (which
stores only a scrypt hash), and clears the slot in the same reply.

Imported by the Rasa process too: only the standard library, `cryptography` and `actions.identity`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken

from actions.identity import token_secret

SEAL_LIFETIME_SECONDS = 15 * 60
# Message metadata written only by the input channel: the sealed digits of a PIN typed at the PIN step.
SEALED_PIN_KEY = "marquee_sealed_pin"
# What Rasa stores as the user's text instead of a PIN typed at the PIN step.
PIN_PLACEHOLDER = "[PIN hidden]"
_KEY_LABEL = b"marquee parental pin seal v1"


class SealBroken(Exception):
    """The sealed PIN is expired, altered, or from another conversation."""


def _fernet() -> Fernet:
    # A separate derivation, so the seal key is neither the token key nor the account-link key.
    key = hmac.new(token_secret().encode(), _KEY_LABEL, hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal_pin(pin: str, conversation_id: str) -> str:
    """The PIN (or any short secret text) encrypted for this conversation, as "sealed:<token>"."""
    return "sealed:" + _fernet().encrypt(json.dumps({"pin": pin, "c": conversation_id}).encode()).decode()


def unseal_pin(sealed: str, conversation_id: str) -> str:
    """The text `seal_pin` sealed for `conversation_id`; SealBroken when expired, altered or another's."""
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
