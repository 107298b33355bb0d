"""Password and PIN hashes for the demo world, computed once per distinct secret.

scrypt takes ~50 ms per hash, far too slow for 200,000 profiles, and `security.hash_secret` salts
randomly, which would make two seeds of the same world differ. Demo secrets are public (they are in the
README), so here the salt is derived from the seed and the secret: the same seed gives byte-identical
rows, and every hash still verifies with `accountdb.security.verify_secret`.
"""

from __future__ import annotations

import base64
import hashlib

from accountdb import security

# The password of every demo account, and the PINs some demo profiles use.
DEMO_PASSWORD = "marquee-demo"
DEMO_PINS: tuple[str, ...] = ("1234", "0000", "2580", "1111", "4321", "1984")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def deterministic_hash(secret: str, seed: int) -> str:
    """An scrypt hash in the `security` module's format, salted from (`seed`, `secret`)."""
    salt = hashlib.sha256(f"marquee-demo:{seed}:{secret}".encode()).digest()[: security.SALT_BYTES]
    n, r, p = security.DEFAULT_N, security.DEFAULT_R, security.DEFAULT_P
    digest = hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=security.KEY_BYTES
    )
    return f"{security.SCHEME}${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def demo_hashes(seed: int) -> tuple[str, dict[str, str]]:
    """(password hash, {pin: pin hash}) for one seeded world."""
    return deterministic_hash(DEMO_PASSWORD, seed), {pin: deterministic_hash(pin, seed) for pin in DEMO_PINS}
