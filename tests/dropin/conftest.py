"""The drop-in chat's test world: the seeded chat channel (hours migration: Mon–Tue 10–13, Thu
17–20, Fri 10–13), people on duty, parents in the queue, the clock pinned where it matters."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from dropin import services
from dropin.models import DutyMember, DutyShift
from staff.models import User
from tests.conftest import local, staff_actor

# Monday 23.11.2026: the drop-in chat is open 10–13.
MONDAY_11 = local(2026, 11, 23, 11)
MONDAY_OPENS, MONDAY_CLOSES = local(2026, 11, 23, 10), local(2026, 11, 23, 13)


def ensure_chat_channel():
    """The drop-in chat's channel as the hours migration seeds it (a transactional test before this
    one may have flushed the seeded rows)."""

    from hours.models import Channel, WeeklyHours

    if Channel.objects.filter(kind=Channel.Kind.CHAT).exists():
        return
    chat = Channel.objects.create(slug="vanhempainchat", kind=Channel.Kind.CHAT, ordering=20)
    for weekday, start, end in ((0, 10, 13), (1, 10, 13), (3, 17, 20), (4, 10, 13)):
        WeeklyHours.objects.create(channel=chat, weekday=weekday, start_time=dt.time(start), end_time=dt.time(end))


@pytest.fixture
def chat_channel(db):
    ensure_chat_channel()


@pytest.fixture
def at_monday_11(chat_channel):
    with time_machine.travel(MONDAY_11, tick=False) as traveller:
        yield traveller


@pytest.fixture
def always_open(settings, chat_channel):
    settings.DROPIN_ALWAYS_OPEN = True
    return settings


@pytest.fixture
def volunteer(make_worker):
    def make(name="Vapaaehtoinen", **extra):
        return make_worker(name, role=User.Role.VOLUNTEER, **extra)

    return make


@pytest.fixture
def coordinator(make_worker):
    return make_worker("Koordinaattori", role=User.Role.COORDINATOR)


@pytest.fixture
def on_duty(coordinator):
    """A shift for the opening around now, with ``people`` present: [(user, capacity), ...]."""

    def make(people=(), *, present=True, now=None):
        from django.utils import timezone

        now = now or timezone.now()
        day = now.astimezone(services.TZ).date()
        start, end = next(o for o in services.openings(start_date=day, end_date=day) if o[0] - services.SHIFT_EARLY <= now < o[1] + services.SHIFT_LATE)
        shift, _ = DutyShift.objects.get_or_create(starts_at=start, defaults={"ends_at": end, "date": day, "coordinator": coordinator})
        for user, capacity in people:
            DutyMember.objects.update_or_create(
                shift=shift, user=user, defaults={"capacity": capacity, "present_since": now if present else None}
            )
        return shift

    return make


def enter(n=1, *, client="parent", **fields):
    """``n`` parents enter the queue (each from its own client); returns [(contact, code), ...]."""
    from booking.actors import Actor

    return [services.contact_enter(actor=Actor.parent(f"{client}-{i}"), **fields) for i in range(n)]


def actor(user):
    return staff_actor(user)
