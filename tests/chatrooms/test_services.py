"""Chat rules without a socket."""

import datetime as dt

import pytest
from django.utils import timezone

from booking import codes
from booking.models import Booking
from chatrooms import services
from chatrooms.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(service, worker):
    start = timezone.now() + dt.timedelta(minutes=5)
    return Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), nickname="N", code_hash=codes.hash_code(codes.generate())
    )


def test_message_before_the_worker_opens_is_refused(booking):
    session = services.session_join(booking=booking, role="parent")
    with pytest.raises(services.ChatError) as exc:
        services.message_post(session=session, role="parent", text="hei")
    assert exc.value.code == "not_open"
    assert not Message.objects.exists()


def test_ending_records_held_or_no_show(booking, service, worker):
    session = services.session_join(booking=booking, role="worker")
    services.session_end(session=session, by="worker")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW  # the parent never came

    start = booking.start + dt.timedelta(hours=1)
    other = Booking.objects.create(service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), code_hash="z")
    services.session_join(booking=other, role="parent")
    session = services.session_join(booking=other, role="worker")
    services.session_end(session=session, by="parent")
    services.session_end(session=session, by="worker")  # twice is harmless
    other.refresh_from_db()
    assert other.status == Booking.Status.COMPLETED
    assert other.chat.ended_by == "parent"


def test_messages_after_returns_only_newer(booking):
    session = services.session_join(booking=booking, role="worker")
    ids = [services.message_post(session=session, role="worker", text=str(i))[0].pk for i in range(4)]
    assert [m.text for m in services.messages_after(session=session, after=ids[1])] == ["2", "3"]


def test_control_characters_are_stripped_but_text_kept(booking):
    session = services.session_join(booking=booking, role="worker")
    message, _ = services.message_post(session=session, role="worker", text="rivi 1\nrivi\x002 😊 <script>")
    assert message.text == "rivi 1\nrivi2 😊 <script>"


def test_a_stored_message_reads_back_as_it_was_acknowledged_and_a_resend_is_stored_once(booking):
    from chatrooms.models import Message

    session = services.session_join(booking=booking, role="worker")
    sent, created = services.message_post(session=session, role="worker", text="hei", client_id="c-1")
    stored = Message.objects.get(pk=sent.pk)
    assert created and stored.as_frame() == sent.as_frame()  # same id, text, role and time as the ack
    again, created_again = services.message_post(session=session, role="worker", text="hei", client_id="c-1")
    assert not created_again and again.pk == sent.pk
    assert Message.objects.filter(session=session).count() == 1
    services.session_end(session=session, by="worker")
    with pytest.raises(services.ChatError) as exc:
        services.message_post(session=session, role="worker", text="myöhässä")
    assert exc.value.code == "ended" and Message.objects.filter(session=session).count() == 1


def test_messages_are_numbered_one_two_three_in_each_chat(booking, service, worker):
    session = services.session_join(booking=booking, role="worker")
    services.session_join(booking=booking, role="parent")
    first, _ = services.message_post(session=session, role="worker", text="yksi", client_id="w-1")
    second, _ = services.message_post(session=session, role="parent", text="kaksi", client_id="p-1")
    resent, created = services.message_post(session=session, role="parent", text="kaksi", client_id="p-1")
    third = Message.objects.create(session=session, role="worker", text="kolme")  # made through the ORM
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert not created and resent.seq == 2
    assert [m["seq"] for m in (x.as_frame() for x in services.messages_after(session=session))] == [1, 2, 3]
    # Another chat counts from one.
    start = booking.start + dt.timedelta(hours=1)
    other = Booking.objects.create(service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), code_hash="y")
    other_session = services.session_join(booking=other, role="worker")
    assert services.message_post(session=other_session, role="worker", text="hei")[0].seq == 1


def test_a_counter_saved_back_stale_does_not_block_the_chat(booking):
    """An admin (or any code) that saves a session from an old copy sets its counter back; the next
    message must still be stored, numbered after the highest one."""
    from chatrooms.models import ChatSession

    session = services.session_join(booking=booking, role="worker")
    stale = ChatSession.objects.get(pk=session.pk)
    services.message_post(session=session, role="worker", text="yksi")
    services.message_post(session=session, role="worker", text="kaksi")
    stale.save()  # last_seq back to 0
    message, created = services.message_post(session=session, role="worker", text="kolme")
    assert created and message.seq == 3
    assert list(Message.objects.filter(session=session).values_list("seq", flat=True)) == [1, 2, 3]


def test_the_flood_guard_lets_a_burst_through_then_a_steady_rate():
    now = [0.0]
    throttle = services.Throttle(rate=2.0, burst=3, clock=lambda: now[0])
    assert [throttle.allow() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5  # one more token after half a second at 2 per second
    assert throttle.allow() and not throttle.allow()
    now[0] += 60  # a quiet minute refills the burst, not more
    assert [throttle.allow() for _ in range(4)] == [True, True, True, False]
