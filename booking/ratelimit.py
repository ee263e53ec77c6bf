"""Rate limits: code entry (join page, look-up, cancel, WebSocket join, API), and new bookings.

Failures are counted per client in the cache (never in the database) under a keyed hash of the
client's address, so no address is stored anywhere in clear. After CODE_ATTEMPTS_LIMIT wrong codes
within CODE_ATTEMPTS_WINDOW_SECONDS, every code entry from that client is refused until the window
passes, right codes included, so guessing cannot go on in the background.

Before that hard stop, guessing is slowed: from the CODE_ATTEMPTS_SLOWDOWN_AFTER-th wrong code on,
the client must wait CODE_ATTEMPTS_DELAY_SECONDS * 2**(n - that) seconds (at most the window) after
its last wrong code before the next code is even looked at. A person who mistypes twice never
notices; a script gets at most CODE_ATTEMPTS_LIMIT tries per window. The numbers that make brute
force hopeless are in docs/security.md (and tests/hardening/test_code_guessing.py).
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache


def client_key(address: str | None, prefix: str = "codeattempts") -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), (address or "unknown").encode(), hashlib.sha256).hexdigest()
    return f"{prefix}:{digest[:32]}"


def address_from_request(request) -> str:
    if settings.SECURE_PROXY_SSL_HEADER:  # behind our own reverse proxy
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def address_from_scope(scope) -> str:
    if settings.SECURE_PROXY_SSL_HEADER:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                return value.decode("latin1").split(",")[-1].strip()
    client = scope.get("client") or ("", 0)
    return client[0] or ""


def _slowdown_after() -> int:
    return getattr(settings, "CODE_ATTEMPTS_SLOWDOWN_AFTER", 3)


def _delay_unit() -> float:
    return getattr(settings, "CODE_ATTEMPTS_DELAY_SECONDS", 2)


def delay_after(failures: int) -> float:
    """Seconds a client must wait after its ``failures``-th wrong code (0 before the slow-down)."""
    if failures < _slowdown_after():
        return 0.0
    return min(_delay_unit() * 2 ** (failures - _slowdown_after()), settings.CODE_ATTEMPTS_WINDOW_SECONDS)


def retry_after(address: str) -> int:
    """Whole seconds until this client may enter a code again; 0 if it may now."""
    key = client_key(address)
    failures = cache.get(key, 0)
    if failures >= settings.CODE_ATTEMPTS_LIMIT:
        return settings.CODE_ATTEMPTS_WINDOW_SECONDS
    until = cache.get(key + ":until", 0)
    return max(0, int(until - time.time() + 0.999))


def is_blocked(address: str) -> bool:
    """True if the client must not enter a code now: refused (limit reached) or slowed (too soon)."""
    return retry_after(address) > 0


def register_failure(address: str) -> int:
    key = client_key(address)
    failures = _count(key)
    delay = delay_after(failures)
    if delay:
        cache.set(key + ":until", time.time() + delay, timeout=int(delay) + 1)
    return failures


def _count(key: str, window: int | None = None) -> int:
    window = window or settings.CODE_ATTEMPTS_WINDOW_SECONDS
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 1


# New bookings per client: a person books one time, maybe two; a script booking out a whole week
# (the helpline has few times to give) is stopped after BOOKINGS_PER_CLIENT_PER_HOUR. Counted in the
# cache under a keyed hash of the address, like the code attempts; nothing in the database.
BOOKING_WINDOW_SECONDS = 3600


def booking_allowed(address: str) -> bool:
    return cache.get(client_key(address, "bookings"), 0) < settings.BOOKINGS_PER_CLIENT_PER_HOUR


def register_booking(address: str) -> int:
    return _count(client_key(address, "bookings"), window=BOOKING_WINDOW_SECONDS)
