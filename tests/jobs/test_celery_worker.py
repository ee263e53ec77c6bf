"""The scheduled jobs on a REAL Celery worker with the REAL Redis broker (CI sets REDIS_URL).

The worker runs in this process (celery.contrib.testing), takes the tasks from Redis like the
production worker does, and works on the same test database.
"""

import datetime as dt
import time

import pytest
from django.core import mail
from django.utils import timezone

from booking import codes, selectors
from booking.models import Booking
from booking.tasks import send_reminders
from chatrooms import services as chat
from chatrooms.models import Message
from chatrooms.tasks import close_overdue_sessions, mark_no_shows, purge_chat_content
from tests.conftest import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]




def booking_at(service, worker, start, **extra):
    code = codes.generate()
    booking = Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45),
        nickname="Nimimerkki-W", topic="aihe-W", code_hash=codes.hash_code(code), **extra,
    )
    return booking, code


def test_purge_on_a_real_worker_removes_what_it_should_and_nothing_else(celery_worker, service, worker, settings):
    settings.PURGE_AFTER_MINUTES = 0
    now = timezone.now()
    old, old_code = booking_at(service, worker, now - dt.timedelta(hours=2))
    chat.session_join(booking=old, role="parent")
    session = chat.session_join(booking=old, role="worker")
    chat.message_post(session=session, role="parent", text="vanha viesti")
    chat.session_end(session=session, by="worker")
    live, _ = booking_at(service, worker, now + dt.timedelta(minutes=5))
    live_session = chat.session_join(booking=live, role="worker")
    chat.message_post(session=live_session, role="worker", text="elävä viesti")

    purge_chat_content.delay()
    assert wait_for(lambda: not Message.objects.filter(session=session).exists())
    old.refresh_from_db()
    assert wait_for(lambda: Booking.objects.get(pk=old.pk).nickname == "")
    assert selectors.booking_by_code(old_code) is None
    assert Message.objects.filter(session=live_session).count() == 1
    assert Booking.objects.get(pk=live.pk).nickname == "Nimimerkki-W"


def test_session_closed_and_no_show_marked_on_a_real_worker(celery_worker, service, worker, settings):
    now = timezone.now()
    overdue, _ = booking_at(service, worker, now - dt.timedelta(minutes=45 + settings.SESSION_GRACE_MINUTES + 1))
    chat.session_join(booking=overdue, role="parent")
    chat.session_join(booking=overdue, role="worker")
    absent, _ = booking_at(service, worker, now - dt.timedelta(minutes=settings.NO_SHOW_AFTER_MINUTES + 1))
    on_time, _ = booking_at(service, worker, now - dt.timedelta(minutes=settings.NO_SHOW_AFTER_MINUTES - 5))

    close_overdue_sessions.delay()
    mark_no_shows.delay()
    assert wait_for(lambda: Booking.objects.get(pk=overdue.pk).status == Booking.Status.COMPLETED)
    assert wait_for(lambda: Booking.objects.get(pk=absent.pk).status == Booking.Status.NO_SHOW)
    assert Booking.objects.get(pk=on_time.pk).status == Booking.Status.BOOKED


def test_reminder_sent_once_on_a_real_worker_and_the_address_is_gone(celery_worker, service, worker, settings):
    soon, code = booking_at(service, worker, timezone.now() + dt.timedelta(minutes=30), reminder_email="muistutus@example.com")
    send_reminders.delay()
    send_reminders.delay()  # a second, overlapping run sends nothing more
    assert wait_for(lambda: Booking.objects.get(pk=soon.pk).reminder_email == "")
    time.sleep(1)
    sent = [m for m in mail.outbox if m.to == ["muistutus@example.com"]]
    assert len(sent) == 1 and code not in sent[0].body
