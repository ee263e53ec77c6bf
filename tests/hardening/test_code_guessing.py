"""Guessing codes: wrong codes from one client are first slowed, then refused; at the enforced rate
a brute force over the code space is hopeless (the numbers are in docs/security.md)."""

import datetime as dt
import math

import pytest
import time_machine
from django.conf import settings

from booking import codes, ratelimit
from tests.conftest import SYSTEM

LOOKUP = "/api/v1/bookings/lookup"


def _guess(client, code="2345-6789-ABCD"):
    return client.post(LOOKUP, {"code": code}, content_type="application/json")


@pytest.mark.django_db
def test_wrong_codes_are_slowed_before_they_are_refused(client):
    with time_machine.travel("2026-03-02 10:00:00+00:00", tick=False) as clock:
        before = settings.CODE_ATTEMPTS_SLOWDOWN_AFTER
        for _ in range(before - 1):
            assert _guess(client).status_code == 404  # a person mistyping is not held up
        assert _guess(client).status_code == 404  # the wrong code that starts the slow-down
        slowed = _guess(client)
        assert slowed.status_code == 429
        assert int(slowed["Retry-After"]) == settings.CODE_ATTEMPTS_DELAY_SECONDS
        assert slowed.json()["error"]["code"] == "rate_limited"

        # After waiting, one more try is allowed, and the next wait is twice as long.
        clock.shift(settings.CODE_ATTEMPTS_DELAY_SECONDS)
        assert _guess(client).status_code == 404
        assert int(_guess(client)["Retry-After"]) == 2 * settings.CODE_ATTEMPTS_DELAY_SECONDS


@pytest.mark.django_db
def test_after_the_limit_even_a_right_code_is_refused_until_the_window_passes(client, service, worker):
    from booking import services
    from tests.hardening.test_concurrent_booking import next_monday

    real = services.booking_create(actor=SYSTEM, service=service, worker=worker, start=next_monday(10), nickname="p").code
    with time_machine.travel("2026-03-02 10:00:00+00:00", tick=False) as clock:
        wrong = 0
        while wrong < settings.CODE_ATTEMPTS_LIMIT:
            answer = _guess(client)
            if answer.status_code == 429:  # slowed: wait as told, as a patient script would
                clock.shift(int(answer["Retry-After"]))
                continue
            assert answer.status_code == 404
            wrong += 1
        # Every code is refused now, the right one too, until the window has passed; waiting as told,
        # the right code works after it. (Windows are counted by the clock, so this holds on the
        # local-memory cache and on Redis alike, whose keys expire in real time.)
        refused = _guess(client, real)
        assert refused.status_code == 429
        while True:
            answer = _guess(client, real)
            if answer.status_code == 200:
                break
            assert answer.status_code == 429
            wait = int(answer["Retry-After"])
            assert 0 < wait <= settings.CODE_ATTEMPTS_WINDOW_SECONDS
            clock.shift(wait)
        started = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
        assert (dt.datetime.now(dt.UTC) - started).total_seconds() >= settings.CODE_ATTEMPTS_WINDOW_SECONDS


def test_the_enforced_rate_allows_at_most_the_limit_per_window():
    # Waiting out every delay of the slow-down costs more than the window itself, so the hard limit,
    # not the delays, bounds a patient script: at most CODE_ATTEMPTS_LIMIT guesses per window.
    delays = sum(ratelimit.delay_after(n) for n in range(1, settings.CODE_ATTEMPTS_LIMIT))
    assert delays > 0
    assert ratelimit.delay_after(settings.CODE_ATTEMPTS_SLOWDOWN_AFTER - 1) == 0


def test_brute_force_over_the_code_space_is_hopeless_at_the_enforced_rate():
    space = len(codes.ALPHABET) ** codes.LENGTH
    assert math.isclose(math.log2(space), codes.ENTROPY_BITS)
    guesses_per_day_per_address = settings.CODE_ATTEMPTS_LIMIT * 86400 / settings.CODE_ATTEMPTS_WINDOW_SECONDS
    valid_codes = 10_000  # ten times more live bookings than the service will hold at once
    addresses = 100_000  # a botnet, each address rate-limited on its own
    # Expected guesses before the first hit on any valid code: space / valid_codes.
    days = space / valid_codes / (guesses_per_day_per_address * addresses)
    years = days / 365.25
    assert years > 1_000, years
    # And the chance of any hit at all within a year of that botnet guessing:
    p_year = guesses_per_day_per_address * addresses * 365.25 * valid_codes / space
    assert p_year < 1e-3, p_year
