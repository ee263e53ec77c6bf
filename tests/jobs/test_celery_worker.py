"""The scheduled jobs on a REAL Celery worker with the REAL Redis broker (CI sets REDIS_URL).

The worker runs in this process (celery.contrib.testing), takes the tasks from Redis like the
production worker does, and works on the same test database. Every job in the beat schedule has a
test here or in its app's tests (the letters' in tests/letters/test_retention.py); the last test
below fails when a scheduled job has none.
"""

import datetime as dt
import time

import pytest
import time_machine
from django.core import mail
from django.utils import formats
from django.utils import timezone

from booking import codes, selectors
from booking.models import Booking, WorkerDigest
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


def test_worker_digest_on_a_real_worker_once_a_day_without_parents_details(celery_worker, service, worker):
    from booking.tasks import send_worker_digests

    booking, _ = booking_at(service, worker, timezone.now() + dt.timedelta(days=3))
    evening = timezone.localtime(booking.start).replace(hour=18, minute=0) - dt.timedelta(days=1)
    # The worker's clock moves with the test's (time-machine patches the whole process).
    with time_machine.travel(evening, tick=True):
        send_worker_digests.delay()
        send_worker_digests.delay()  # the beat's run and a late duplicate: one mail
        assert wait_for(lambda: WorkerDigest.objects.filter(worker=worker).exists())
        time.sleep(1)
    sent = [m for m in mail.outbox if m.to == [worker.email]]
    assert len(sent) == 1
    assert "Nimimerkki-W" not in sent[0].body and "aihe-W" not in sent[0].body
    assert formats.time_format(timezone.localtime(booking.start)) in sent[0].body


def test_idempotency_keys_forgotten_on_a_real_worker_after_their_hours(celery_worker, service, worker, settings):
    from booking import services
    from booking.actors import Actor
    from booking.tasks import forget_idempotency

    def book(key):
        day = timezone.localdate() + dt.timedelta(days=1)
        start = selectors.free_slots(service=service, start_date=day, end_date=day + dt.timedelta(days=14))[0].start
        return services.booking_create(actor=Actor.parent(key), service=service, start=start, nickname="A", idempotency_key=key * 32).booking

    old = book("a")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS, minutes=1), tick=True):
        young = book("b")  # booked just now: its key is still needed for a retry
        forget_idempotency.delay()
        assert wait_for(lambda: Booking.objects.filter(pk=old.pk, idempotency_hash="", code_sealed="").exists())
    young.refresh_from_db()
    assert young.idempotency_hash and young.code_sealed


def test_dropin_tick_on_a_real_worker_closes_the_queue_and_purges_later(celery_worker, settings):
    from dropin import tasks as dropin_tasks
    from dropin.models import Contact
    from tests.dropin.conftest import MONDAY_CLOSES, ensure_chat_channel, enter

    ensure_chat_channel()
    closing = MONDAY_CLOSES + dt.timedelta(minutes=1)
    with time_machine.travel(MONDAY_CLOSES - dt.timedelta(minutes=20), tick=True) as clock:
        (waiting, _), = enter(1, nickname="Jonottaja-W", topic="uni")
        clock.move_to(closing)
        dropin_tasks.tick.delay()
        assert wait_for(lambda: Contact.objects.get(pk=waiting.pk).state == Contact.State.CLOSED)
        told = Contact.objects.get(pk=waiting.pk)
        assert told.nickname == "Jonottaja-W" and told.purged_at is None  # kept until the purge is due
        clock.move_to(closing + dt.timedelta(minutes=settings.PURGE_AFTER_MINUTES + 1))
        dropin_tasks.tick.delay()
        assert wait_for(lambda: Contact.objects.get(pk=waiting.pk).purged_at is not None)
    gone = Contact.objects.get(pk=waiting.pk)
    assert gone.nickname == "" and gone.topic == "" and gone.code_hash.startswith("purged-")
    assert gone.state == Contact.State.CLOSED and gone.ended_at is not None  # the statistics keep the times


@pytest.mark.django_db(transaction=False)
def test_every_scheduled_job_is_tested_on_a_real_worker(settings):
    from pathlib import Path

    sources = [
        path.read_text(encoding="utf-8")
        for path in Path(__file__).resolve().parents[1].rglob("test_*.py")
        if "celery_worker" in path.read_text(encoding="utf-8")
    ]
    untested = [
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if not any(f"{entry['task'].rsplit('.', 1)[1]}.delay(" in source for source in sources)
    ]
    assert untested == []
