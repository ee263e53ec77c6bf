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


# --- Idempotent booking: a re-post of the same form (or API call) finds the booking it made -------
IDEMPOTENCY_KEY_MIN = 16
IDEMPOTENCY_KEY_MAX = 128


def valid_idempotency_key(key) -> bool:
    """16–128 visible ASCII characters (a UUID, or the booking form's own random token)."""
    return isinstance(key, str) and IDEMPOTENCY_KEY_MIN <= len(key) <= IDEMPOTENCY_KEY_MAX and all(
        "!" <= ch <= "~" for ch in key
    )


def hash_idempotency_key(key: str) -> str:
    return hmac.new(settings.CODE_HASH_KEY.encode(), f"idempotency:{key}".encode(), hashlib.sha256).hexdigest()


def _sealer(key: str):
    import base64

    from cryptography.fernet import Fernet

    # The sealing key comes from the client's idempotency key alone (which is never stored), so the
    # server cannot open a sealed code without the client presenting its key again.
    digest = hashlib.sha256(f"seal:{key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(code: str, key: str) -> str:
    return _sealer(key).encrypt(code.encode()).decode()


def unseal(token: str, key: str) -> str:
    """The code sealed under ``key``; '' if it cannot be opened (wrong key, forgotten, damaged)."""
    from cryptography.fernet import InvalidToken

    if not token:
        return ""
    try:
        return _sealer(key).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return ""


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)
