"""Hashing of passwords and profile PINs with scrypt (stdlib), stored as "scrypt$n$r$p$salt$hash".

The cost parameters travel inside each encoded hash, so raising them later still verifies old hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

SCHEME = "scrypt"
# n=2**14, r=8 needs 16 MiB and about 50 ms per hash: slow for guessing, fine for a login.
DEFAULT_N = 2**14
DEFAULT_R = 8
DEFAULT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
# hashlib.scrypt refuses to allocate more than maxmem; leave headroom above 128 * n * r.
_MAX_MEMORY = 64 * 1024 * 1024
PIN_PATTERN = re.compile(r"\d{4}")


class MalformedSecretHash(ValueError):
    """A stored hash that is not in the "scrypt$n$r$p$salt$hash" format (corrupt or foreign data)."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEMORY, dklen=KEY_BYTES
    )


def hash_secret(secret: str, *, n: int = DEFAULT_N, r: int = DEFAULT_R, p: int = DEFAULT_P) -> str:
    """A salted scrypt hash of `secret`, safe to store."""
    if not secret:
        raise ValueError("cannot hash an empty secret; ask the user for a non-empty password or PIN")
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(secret, salt, n, r, p)
    return f"{SCHEME}${n}${r}${p}${_b64encode(salt)}${_b64encode(digest)}"


def verify_secret(secret: str, encoded: str) -> bool:
    """Whether `secret` matches the stored `encoded` hash; compares in constant time."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise MalformedSecretHash(f"stored secret hash is not in the {SCHEME}$n$r$p$salt$hash format")
    try:
        n, r, p = (int(value) for value in parts[1:4])
        salt, expected = _b64decode(parts[4]), _b64decode(parts[5])
    except ValueError as exc:
        raise MalformedSecretHash(f"stored secret hash has unreadable fields: {exc}") from exc
    candidate = _derive(secret, salt, n, r, p) if secret else b""
    return hmac.compare_digest(candidate, expected)


def check_pin_format(pin: str) -> None:
    """Profile PINs are exactly four digits; anything else is refused with a message the user can act on."""
    if not PIN_PATTERN.fullmatch(pin or ""):
        raise ValueError("a profile PIN must be exactly 4 digits (0-9); please choose another PIN")
