"""One-time codes: easy to read aloud and type, never stored in clear.

The alphabet drops 0/O, 1/I/L and U so that no two characters are confused when read from a screen
or over the phone. 12 characters of a 30-character alphabet carry log2(30**12) ≈ 58.9 bits.
"""

import hashlib
import hmac
import math
import secrets

from django.conf import settings

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
GROUP = 4
ENTROPY_BITS = LENGTH * math.log2(len(ALPHABET))


def generate() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalize(code: str) -> str:
    """Uppercase, drop spaces and dashes. Returns '' if the result cannot be a code."""
    if not isinstance(code, str):
        return ""
    cleaned = "".join(ch for ch in code.upper() if ch not in " -\t\n")
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return ""
    return cleaned


def hash_code(code: str) -> str:
    """The keyed hash under which a code is stored; '' for anything that is not a code."""
    normalized = normalize(code)
    if not normalized:
        return ""
    return hmac.new(settings.CODE_HASH_KEY.encode(), normalized.encode(), hashlib.sha256).hexdigest()


def matches(code: str, stored_hash: str) -> bool:
    candidate = hash_code(code)
    return bool(candidate) and hmac.compare_digest(candidate, stored_hash)
