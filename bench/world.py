"""Bench data: a service, workers with weekly availability, bookings. Everything it makes is
recognisable (service slug 'bench-*', worker emails '@bench.invalid') and deleted by reset()."""

from __future__ import annotations

import datetime as dt
import time


def reset() -> None:
    from booking.models import Booking, Service
    from chatrooms.models import ChatSession
    from staff.models import User

    ChatSession.objects.filter(booking__service__slug__startswith="bench-").delete()
    Booking.objects.filter(service__slug__startswith="bench-").update(follow_up_of=None)
    Booking.objects.filter(service__slug__startswith="bench-").delete()
    Booking.objects.filter(worker__email__endswith="@bench.invalid").delete()
    Service.objects.filter(slug__startswith="bench-").delete()
    User.objects.filter(email__endswith="@bench.invalid").delete()


def make_service(slug: str, **extra):
    from booking.models import Service

    fields = dict(name=slug, slot_minutes=45, buffer_minutes=15, min_notice_minutes=0, horizon_days=70)
    fields.update(extra)
    return Service.objects.create(slug=slug, **fields)


def make_workers(service, n: int, *, tag: str, weekdays=range(5), start="09:00", end="17:00"):
    from booking.models import Availability
    from staff.models import User

    from allauth.mfa.totp.internal.auth import TOTP

    workers = []
    for i in range(n):
        w = User.objects.create_user(email=f"{tag}{i}@bench.invalid", password=None, pseudonym=f"{tag}{i}")
        TOTP.activate(w, "BENCHBENCHBENCHBENCHBENCHBENCH23")  # staff without two-factor may not chat
        service.workers.add(w)
        Availability.objects.bulk_create(
            Availability(worker=w, service=service, weekday=d, start_time=dt.time.fromisoformat(start),
                         end_time=dt.time.fromisoformat(end))
            for d in weekdays
        )
        workers.append(w)
    return workers


def make_booking(*, service, worker, start: dt.datetime, nickname="bench"):
    """A booking row with a fresh code; returns (booking, code). Bypasses the rules on purpose."""
    from booking import codes
    from booking.models import Booking

    code = codes.generate()
    b = Booking.objects.create(service=service, worker=worker, start=start,
                               end=start + dt.timedelta(minutes=service.slot_minutes),
                               nickname=nickname, code_hash=codes.hash_code(code))
    return b, code


def worker_session_cookie(user) -> str:
    """A logged-in Django session for ``user``, as the session cookie value."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from booking.actors import AUTH_RECORDS_SESSION_KEY, AUTH_RECORDS_USER_SESSION_KEY

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # As allauth leaves it after the password and the TOTP code: sockets refuse a session without it.
    store[AUTH_RECORDS_SESSION_KEY] = [{"method": "password", "at": time.time()}, {"method": "mfa", "at": time.time(), "type": "totp"}]
    store[AUTH_RECORDS_USER_SESSION_KEY] = str(user.pk)
    store.create()
    return store.session_key
