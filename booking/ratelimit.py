"""Per-client limits: code entry (every page, the API, both sockets) and new bookings.

Every limit is **one atomic consume**: the attempt is counted and decided in a single cache
operation (``add`` then ``incr``; both are atomic in Redis and in the local-memory cache), so
concurrent attempts cannot all pass a "may this client try?" check before any of them is counted.
Windows are fixed and numbered by the clock (at most ``limit`` per window; around a window's end a
client may use the last of one window and the first of the next).
A code attempt is counted *before* the code is looked up and given back when the code was right, so
only wrong codes stay counted, as before, but at most ``CODE_ATTEMPTS_LIMIT`` lookups can ever be
in flight or done per window, however many sockets fire at once.

Clients are keyed by a keyed hash of their address (``client_key``); no address is stored anywhere
in clear, not even in the cache.

Code entry is slowed before it is refused: from the CODE_ATTEMPTS_SLOWDOWN_AFTER-th wrong code on,
the next attempt must wait CODE_ATTEMPTS_DELAY_SECONDS * 2**(n - that) seconds (at most the window).
The numbers that make brute force hopeless are in docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")


class RateLimited(Exception):
    """Refused by a per-client limit. ``retry_after``: whole seconds until it may try again."""

    def __init__(self, retry_after: int, *, what: str = "codes"):
        self.retry_after = max(1, int(retry_after))
        self.what = what
        super().__init__(f"rate limited ({what}), retry after {self.retry_after} s")


# --- who the client is ---------------------------------------------------------------------------
def client_key(address: str | None) -> str:
    """A keyed hash of a client address: the only form in which a client is ever remembered."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"client:{address or 'unknown'}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


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


def client_for_request(request) -> str:
    return client_key(address_from_request(request))


def client_for_scope(scope) -> str:
    return client_key(address_from_scope(scope))


# --- the atomic counter ----------------------------------------------------------------------------
def _key(name: str, client: str) -> str:
    return f"limit:{name}:{client or 'unknown'}"


def _window(key: str, window: int, now: float | None = None) -> tuple[str, float]:
    """The counter of the current window for ``key``, and when that window ends.

    Windows are fixed and numbered by the clock (``now // window``), so starting a new one needs no
    reset that concurrent requests could race on: a new window is simply a new counter, and an old
    one expires on its own. (The clock is the one the code reads, so tests can move it.)
    """
    now = time.time() if now is None else now
    index = int(now // window)
    return f"{key}:{index}", (index + 1) * window


def consume(key: str, window: int) -> tuple[int, str, float]:
    """Count one more attempt under ``key`` in the current window, in one atomic step.

    ``add`` creates the window's counter (a no-op if it exists) and ``incr`` adds one and returns the
    new value atomically, in Redis and in the local-memory cache alike. Returns the count, the
    counter's key (to ``give_back``) and when the window ends.
    """
    counter, ends = _window(key, window)
    for _ in range(3):
        cache.add(counter, 0, timeout=window * 2)
        try:
            return cache.incr(counter), counter, ends
        except ValueError:  # evicted between add and incr: add again
            continue
    return cache.incr(counter), counter, ends


def give_back(counter: str) -> None:
    try:
        if cache.decr(counter) < 0:
            cache.set(counter, 0, timeout=60)
    except ValueError:  # the window ended meanwhile: nothing to give back
        pass


def _seconds_until(moment: float) -> int:
    return max(1, math.ceil(moment - time.time()))


# --- code entry ----------------------------------------------------------------------------------
def _slowdown_after() -> int:
    return settings.CODE_ATTEMPTS_SLOWDOWN_AFTER


def delay_after(failures: int) -> float:
    """Seconds a client must wait after its ``failures``-th wrong code (0 before the slow-down)."""
    if failures < _slowdown_after():
        return 0.0
    return min(settings.CODE_ATTEMPTS_DELAY_SECONDS * 2 ** (failures - _slowdown_after()), settings.CODE_ATTEMPTS_WINDOW_SECONDS)


def check_code(client: str, lookup: Callable[[], T | None]) -> T | None:
    """Look a code up under the client's code-entry limit; the one way every code is checked.

    Counts the attempt first (atomically); refuses with ``RateLimited`` when the client is over the
    limit in this window or must still wait after its last wrong code; runs ``lookup``; gives the
    attempt back when the code was right (``lookup`` returned something), so only wrong codes stay
    counted. Returns what ``lookup`` returned.
    """
    key = _key("codes", client)
    window = settings.CODE_ATTEMPTS_WINDOW_SECONDS
    wait_until = cache.get(key + ":until", 0)
    if wait_until > time.time():
        raise RateLimited(_seconds_until(wait_until))
    count, counter, ends = consume(key, window)
    if count > settings.CODE_ATTEMPTS_LIMIT:
        raise RateLimited(_seconds_until(ends))
    found = lookup()
    if found is not None:
        give_back(counter)
        return found
    delay = delay_after(count)
    if delay:
        cache.set(key + ":until", time.time() + delay, timeout=int(delay) + 1)
    return None


def code_retry_after(client: str) -> int:
    """Whole seconds until this client may enter a code again; 0 if it may now (for pages)."""
    key = _key("codes", client)
    counter, ends = _window(key, settings.CODE_ATTEMPTS_WINDOW_SECONDS)
    if (cache.get(counter) or 0) >= settings.CODE_ATTEMPTS_LIMIT:
        return _seconds_until(ends)
    until = cache.get(key + ":until", 0)
    return max(0, math.ceil(until - time.time()))


# --- other per-client allowances (new bookings, new letters, drop-in entries) -----------------------
def take(name: str, client: str, *, limit: int, window: int) -> str:
    """Take one of ``limit`` per ``window`` seconds for ``client``; RateLimited if none is left.

    Returns the counter's key, to ``give_back`` when the action did not happen after all (a slot
    that was just taken must not cost the parent one of their bookings).
    """
    count, counter, ends = consume(_key(name, client), window)
    if count > limit:
        give_back(counter)
        raise RateLimited(_seconds_until(ends), what=name)
    return counter


BOOKING_WINDOW_SECONDS = 3600


def take_booking(client: str) -> str:
    return take("bookings", client, limit=settings.BOOKINGS_PER_CLIENT_PER_HOUR, window=BOOKING_WINDOW_SECONDS)
