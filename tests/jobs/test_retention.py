"""The time-driven rules, with a pinned clock: closing, no-shows, purge, reminders, digests."""

import datetime as dt

import pytest
from django.core import mail

from booking import codes, selectors, services
from booking.models import Booking
from booking.notifications import send_due_reminders, send_worker_digests
from chatrooms import retention
from chatrooms import services as chat
from chatrooms.models import ChatSession, Message
from stats.models import ContactRecord
from stats.services import record_save
from tests.conftest import PARENT, local, staff_actor

pytestmark = pytest.mark.django_db
START = local(2026, 11, 23, 10)


@pytest.fixture
def booked(service, worker):
    code = codes.generate()
    booking = Booking.objects.create(
        service=service, worker=worker, start=START, end=START + dt.timedelta(minutes=45),
        nickname="Nimimerkki-R", topic="aihe-R", code_hash=codes.hash_code(code), reminder_email="vanhempi@example.com",
    )
    return booking, code


def held_chat(booking, texts=("hei", "kiitos")):
    chat.session_join(booking=booking, role="parent", now=START)
    session = chat.session_join(booking=booking, role="worker", now=START)
    for text in texts:
        chat.message_post(session=session, role="parent", text=text)
    return session


def test_session_is_closed_after_end_plus_grace_and_not_before(booked, settings):
    booking, _ = booked
    held_chat(booking)
    end = booking.end
    assert retention.close_overdue_sessions(now=end + dt.timedelta(minutes=settings.SESSION_GRACE_MINUTES - 1)) == []
    assert retention.close_overdue_sessions(now=end + dt.timedelta(minutes=settings.SESSION_GRACE_MINUTES)) == [booking.pk]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED and booking.chat.ended_by == "system"
    assert retention.close_overdue_sessions(now=end + dt.timedelta(hours=1)) == []  # twice is harmless


def test_parent_who_does_not_come_is_a_no_show_and_the_code_dies(booked, settings):
    booking, code = booked
    chat.session_join(booking=booking, role="worker", now=START)  # the worker is there, the parent is not
    assert retention.mark_no_shows(now=START + dt.timedelta(minutes=settings.NO_SHOW_AFTER_MINUTES - 1)) == []
    assert retention.mark_no_shows(now=START + dt.timedelta(minutes=settings.NO_SHOW_AFTER_MINUTES)) == [booking.pk]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW
    with pytest.raises(chat.ChatError) as exc:
        chat.parent_booking_for_code(actor=PARENT, code=code, now=START + dt.timedelta(minutes=20))
    assert exc.value.code == "ended"


def test_parent_who_came_is_never_a_no_show(booked, settings):
    booking, _ = booked
    held_chat(booking)
    assert retention.mark_no_shows(now=START + dt.timedelta(minutes=30)) == []
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.BOOKED


def test_purge_removes_what_people_wrote_and_keeps_what_statistics_need(booked, service, worker, settings):
    settings.PURGE_AFTER_MINUTES = 60
    booking, code = booked
    session = held_chat(booking)
    chat.session_end(session=session, by="worker", now=booking.end)
    record_save(actor=staff_actor(worker), booking=Booking.objects.get(pk=booking.pk), topics=[], contacted_by="mother")
    # An untouched later booking must keep everything.
    other_start = START + dt.timedelta(days=1)
    other = Booking.objects.create(service=service, worker=worker, start=other_start, end=other_start + dt.timedelta(minutes=45), nickname="Muu", topic="muu aihe", code_hash="o")
    other_session = held_chat(other, texts=("jää",))

    assert retention.purge_due(now=booking.end + dt.timedelta(minutes=59))["sessions"] == 0
    assert Message.objects.filter(session=session).count() == 2
    result = retention.purge_due(now=booking.end + dt.timedelta(minutes=60))
    assert result["sessions"] == 1 and result["messages"] == 2

    booking.refresh_from_db()
    assert not Message.objects.filter(session=session).exists()
    assert (booking.nickname, booking.topic, booking.reminder_email) == ("", "", "")
    assert selectors.booking_by_code(code) is None  # the code can never match again
    assert ChatSession.objects.get(pk=session.pk).purged_at is not None
    # What statistics need stays.
    assert booking.status == Booking.Status.COMPLETED and booking.start == START and booking.worker == worker
    assert ContactRecord.objects.get(booking=booking).contacted_by == "mother"
    # Nothing else was touched.
    other.refresh_from_db()
    assert (other.nickname, other.topic) == ("Muu", "muu aihe")
    assert Message.objects.filter(session=other_session).count() == 1
    assert retention.purge_due(now=booking.end + dt.timedelta(hours=5))["sessions"] == 0


def test_purge_with_zero_delay_is_immediate(booked, settings):
    settings.PURGE_AFTER_MINUTES = 0
    booking, _ = booked
    session = held_chat(booking)
    chat.session_end(session=session, by="worker", now=booking.end)
    assert retention.purge_due(now=booking.end)["messages"] == 2


def test_cancelled_booking_is_purged_too(booked, settings):
    booking, code = booked
    services.booking_cancel(actor=PARENT, booking=booking, now=START - dt.timedelta(days=1))
    retention.purge_due(now=START)
    booking.refresh_from_db()
    assert booking.nickname == "" and booking.topic == "" and selectors.booking_by_code(code) is None


def test_reminder_is_sent_once_and_the_address_is_deleted(booked, settings):
    booking, code = booked
    before = START - dt.timedelta(minutes=settings.REMINDER_BEFORE_MINUTES + 1)
    assert send_due_reminders(now=before) == 0 and not mail.outbox
    at = START - dt.timedelta(minutes=settings.REMINDER_BEFORE_MINUTES - 1)
    assert send_due_reminders(now=at) == 1
    assert send_due_reminders(now=at + dt.timedelta(minutes=1)) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["vanhempi@example.com"]
    assert "/join/" in message.body and code not in message.body and "Nimimerkki-R" not in message.body
    assert Booking.objects.get(pk=booking.pk).reminder_email == ""


def test_no_address_means_nothing_sent(booked):
    booking, _ = booked
    Booking.objects.filter(pk=booking.pk).update(reminder_email="")
    assert send_due_reminders(now=START - dt.timedelta(minutes=30)) == 0 and not mail.outbox


def test_address_is_deleted_when_the_time_comes_without_a_reminder(booked):
    booking, _ = booked
    send_due_reminders(now=START + dt.timedelta(minutes=1))
    assert Booking.objects.get(pk=booking.pk).reminder_email == "" and not mail.outbox


def test_worker_digest_lists_tomorrow_without_parents_details(booked, worker):
    booking, _ = booked
    evening = START - dt.timedelta(hours=16)  # 18:00 the day before
    assert send_worker_digests(now=evening) == 1
    assert send_worker_digests(now=evening) == 0  # once per day
    body = mail.outbox[0].body
    assert mail.outbox[0].to == [worker.email]
    assert "10.00–10.45" in body and "Nimimerkki-R" not in body and "aihe-R" not in body


def test_booking_form_takes_an_optional_reminder_address(client, service, worker, time_machine):
    time_machine.move_to(local(2026, 11, 16, 8), tick=False)
    client.post("/book/vanhempainpuhelin/confirm/", {"start": "2026-11-23T10:00:00+02:00", "nickname": "A", "privacy": "on", "reminder_email": "a@example.com"})
    client.post("/book/vanhempainpuhelin/confirm/", {"start": "2026-11-23T11:00:00+02:00", "nickname": "B", "privacy": "on"})
    assert sorted(Booking.objects.values_list("reminder_email", flat=True)) == ["", "a@example.com"]
    bad = client.post("/book/vanhempainpuhelin/confirm/", {"start": "2026-11-23T12:00:00+02:00", "nickname": "C", "privacy": "on", "reminder_email": "not-an-address"})
    assert bad.status_code == 200 and Booking.objects.count() == 2


def test_parent_who_waited_in_vain_gets_an_apology_not_a_held_chat(booked, settings):
    booking, code = booked
    chat.session_join(booking=booking, role="parent", now=START)  # the worker never opens the chat
    retention.close_overdue_sessions(now=booking.end + dt.timedelta(minutes=settings.SESSION_GRACE_MINUTES))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.cancelled_by_staff
    assert booking.cancel_message.startswith("Pahoittelemme")
