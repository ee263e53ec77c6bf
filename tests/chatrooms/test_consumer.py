"""The chat WebSocket, through the real ASGI router (origin check, sessions, auth)."""

import asyncio
import datetime as dt

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from booking import codes, selectors
from booking.models import Availability, Booking
from chatrooms.models import ChatSession, Message
from config.asgi import application
from tests.conftest import mfa_session, SYSTEM
from tests.dates import open_day

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]
ORIGIN = (b"origin", b"http://localhost")


def make_booking(service, worker, *, minutes_from_now=5, length=45):
    code = codes.generate()
    start = timezone.now() + dt.timedelta(minutes=minutes_from_now)
    booking = Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=length),
        nickname="Väsynyt", code_hash=codes.hash_code(code),
    )
    return booking, code


def session_cookie(user) -> bytes:
    return f"sessionid={mfa_session(user).session_key}".encode()


async def connect(cookie: bytes | None = None):
    headers = [ORIGIN, (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    comm = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _ = await comm.connect()
    assert connected
    return comm


async def frames_until(comm, wanted_type, limit=10):
    seen = []
    for _ in range(limit):
        frame = await comm.receive_json_from(timeout=5)
        seen.append(frame)
        if frame["type"] == wanted_type:
            return frame, seen
    raise AssertionError(f"no {wanted_type} frame in {seen}")


async def join_refused(code, cookie=None) -> dict:
    """Join with ``code`` and return the error frame that refuses it."""
    comm = await connect(cookie)
    await comm.send_json_to({"type": "join", "code": code})
    error, _ = await frames_until(comm, "error")
    await comm.disconnect()
    return error


async def join_parent(code, after=None):
    comm = await connect()
    frame = {"type": "join", "code": code}
    if after is not None:
        frame["after"] = after
    await comm.send_json_to(frame)
    joined, _ = await frames_until(comm, "joined")
    history, _ = await frames_until(comm, "history")
    return comm, joined, history


async def join_worker(user, booking_id, after=None):
    comm = await connect(await database_sync_to_async(session_cookie)(user))
    frame = {"type": "join", "booking": booking_id}
    if after is not None:
        frame["after"] = after
    await comm.send_json_to(frame)
    joined, _ = await frames_until(comm, "joined")
    history, _ = await frames_until(comm, "history")
    return comm, joined, history


async def test_parent_waits_then_both_sides_exchange_messages(service, worker):
    booking, code = await database_sync_to_async(make_booking)(service, worker)
    parent, joined, _ = await join_parent(code)
    assert joined["state"] == "waiting" and joined["role"] == "parent"
    assert joined["worker"] == "Tuija"
    await frames_until(parent, "waiting")

    staff, joined_w, _ = await join_worker(worker, booking.pk)
    assert joined_w["state"] == "open" and joined_w["nickname"] == "Väsynyt"
    await frames_until(parent, "opened")  # the waiting room opens by itself

    await parent.send_json_to({"type": "message", "text": "Hei, <b>väsyttää</b>", "client_id": "c1"})
    ack, _ = await frames_until(parent, "ack")
    got, _ = await frames_until(staff, "message")
    assert got["text"] == "Hei, <b>väsyttää</b>" and got["role"] == "parent" and got["id"] == ack["id"]
    assert got["sent_at"]
    echo, _ = await frames_until(parent, "message")  # the sender gets it back too, with its server id
    assert echo["id"] == ack["id"] and echo["client_id"] == "c1"
    assert ack["message"] == {k: v for k, v in echo.items()}  # the ack carries the stored message itself

    await staff.send_json_to({"type": "message", "text": "Hei, kerro lisää.", "client_id": "w1"})
    got, _ = await frames_until(parent, "message")
    assert got["role"] == "worker" and got["text"] == "Hei, kerro lisää."

    await staff.send_json_to({"type": "typing"})
    typing, _ = await frames_until(parent, "typing")
    assert typing["role"] == "worker"

    await staff.send_json_to({"type": "end"})
    ended, _ = await frames_until(parent, "ended")
    assert ended["by"] == "worker"
    assert (await database_sync_to_async(Booking.objects.get)(pk=booking.pk)).status == Booking.Status.COMPLETED
    await parent.disconnect()
    await staff.disconnect()

    # The code is now dead for good.
    error = await join_refused(code)
    assert error["code"] == "ended"


async def test_reconnect_with_after_returns_exactly_the_missed_messages(service, worker):
    booking, code = await database_sync_to_async(make_booking)(service, worker)
    staff, _, _ = await join_worker(worker, booking.pk)
    parent, _, _ = await join_parent(code)
    await parent.send_json_to({"type": "message", "text": "eka", "client_id": "p1"})
    first_ack, _ = await frames_until(parent, "ack")
    await frames_until(parent, "message")
    await parent.disconnect()  # the parent's connection drops

    for i in range(3):
        await staff.send_json_to({"type": "message", "text": f"missed {i}", "client_id": f"w{i}"})
        await frames_until(staff, "ack")

    parent, _, history = await join_parent(code, after=first_ack["id"])
    assert [m["text"] for m in history["messages"]] == ["missed 0", "missed 1", "missed 2"]

    # A resend of a message whose ack was lost is stored once and acknowledged with the same id.
    await parent.send_json_to({"type": "message", "text": "eka", "client_id": "p1"})
    ack, _ = await frames_until(parent, "ack")
    assert ack["id"] == first_ack["id"] and ack["message"] == first_ack["message"]
    count = await database_sync_to_async(Message.objects.filter(text="eka").count)()
    assert count == 1
    await parent.disconnect()
    await staff.disconnect()


async def test_reload_without_after_replays_every_message(service, worker):
    booking, code = await database_sync_to_async(make_booking)(service, worker)
    staff, _, _ = await join_worker(worker, booking.pk)
    parent, _, _ = await join_parent(code)
    for text in ["yksi", "kaksi"]:
        await parent.send_json_to({"type": "message", "text": text})
        await frames_until(parent, "ack")
    await staff.disconnect()
    staff, _, history = await join_worker(worker, booking.pk)
    assert [m["text"] for m in history["messages"]] == ["yksi", "kaksi"]
    await parent.disconnect()
    await staff.disconnect()


@pytest.mark.parametrize("code", ["", "AAAA-BBBB-CCCC", "not a code at all"])
async def test_wrong_code_is_refused(service, worker, code):
    error = await join_refused(code)
    assert error["code"] == "invalid_code" and error["message"]


async def test_early_code_is_refused_with_the_opening_time(service, worker):
    booking, code = await database_sync_to_async(make_booking)(service, worker, minutes_from_now=120)
    error = await join_refused(code)
    assert error["code"] == "too_early" and error["opens"]


async def test_code_is_dead_after_the_session_time(service, worker):
    booking, code = await database_sync_to_async(make_booking)(service, worker, minutes_from_now=-120)
    error = await join_refused(code)
    assert error["code"] == "ended"


async def test_cancelled_booking_code_is_refused(service, worker):
    booking, code = await database_sync_to_async(make_booking)(service, worker)
    booking.status = Booking.Status.CANCELLED
    await database_sync_to_async(booking.save)()
    error = await join_refused(code)
    assert error["code"] == "cancelled"


async def test_worker_cannot_join_another_workers_booking(service, worker, make_worker):
    other = await database_sync_to_async(make_worker)("Sanna")
    booking, _ = await database_sync_to_async(make_booking)(service, worker)
    comm = await connect(await database_sync_to_async(session_cookie)(other))
    await comm.send_json_to({"type": "join", "booking": booking.pk})
    error, _ = await frames_until(comm, "error")
    assert error["code"] == "forbidden"
    assert not await database_sync_to_async(ChatSession.objects.filter(opened_at__isnull=False).exists)()
    await comm.disconnect()


async def test_anonymous_cannot_join_as_worker(service, worker):
    booking, _ = await database_sync_to_async(make_booking)(service, worker)
    comm = await connect()
    await comm.send_json_to({"type": "join", "booking": booking.pk})
    error, _ = await frames_until(comm, "error")
    assert error["code"] == "forbidden"
    await comm.disconnect()


@pytest.mark.parametrize(
    "raw, code",
    [
        ("not json", "bad_frame"),
        ("[1]", "bad_frame"),
        ('{"type": 5}', "bad_frame"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "message", "text": "hi"}', "not_joined"),
    ],
)
async def test_bad_frames_get_an_error_and_the_connection_stays_up(raw, code):
    comm = await connect()
    await comm.send_to(text_data=raw)
    error, _ = await frames_until(comm, "error")
    assert error["code"] == code
    await comm.send_json_to({"type": "ping"})
    pong, _ = await frames_until(comm, "pong")
    assert pong == {"type": "pong"}
    await comm.disconnect()


async def test_message_length_is_capped_with_a_clear_error(service, worker, settings):
    settings.CHAT_MESSAGE_MAX_CHARS = 100
    booking, code = await database_sync_to_async(make_booking)(service, worker)
    staff, _, _ = await join_worker(worker, booking.pk)
    parent, _, _ = await join_parent(code)
    await parent.send_json_to({"type": "message", "text": "x" * 101, "client_id": "big"})
    error, _ = await frames_until(parent, "error")
    assert error["code"] == "too_long" and "100" in error["message"] and error["client_id"] == "big"
    await parent.send_json_to({"type": "message", "text": "   "})
    error, _ = await frames_until(parent, "error")
    assert error["code"] == "empty"
    assert not await database_sync_to_async(Message.objects.exists)()
    await parent.disconnect()
    await staff.disconnect()


async def test_foreign_origin_is_refused():
    comm = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"https://evil.example"), (b"host", b"localhost")])
    connected, _ = await comm.connect()
    assert not connected


async def test_parent_books_a_follow_up_with_the_same_worker_in_the_chat(service, worker, add_availability):
    for weekday in range(7):
        await database_sync_to_async(add_availability)(worker, service, weekday, "08:00", "20:00")
    booking, code = await database_sync_to_async(make_booking)(service, worker)
    staff, _, _ = await join_worker(worker, booking.pk)
    parent, _, _ = await join_parent(code)
    await parent.send_json_to({"type": "followup_slots"})
    offer, _ = await frames_until(parent, "followup_slots")
    assert offer["slots"] and {s["worker"]["pseudonym"] for s in offer["slots"]} == {"Tuija"}
    pick = offer["slots"][-1]
    await parent.send_json_to({"type": "followup_book", "start": pick["start"]})
    booked, _ = await frames_until(parent, "followup_booked")
    assert booked["start"] == pick["start"] and codes.normalize(booked["code"])
    assert booked["ics"].endswith(".ics") and codes.normalize(booked["code"]) not in booked["ics"]
    notice, _ = await frames_until(staff, "followup")
    new = await database_sync_to_async(Booking.objects.select_related("follow_up_of").get)(pk=notice["booking"])
    assert new.follow_up_of_id == booking.pk and new.worker_id == worker.pk
    # The worker cannot book follow-ups on the parent's behalf through the parent's frames.
    await staff.send_json_to({"type": "followup_book", "start": pick["start"]})
    error, _ = await frames_until(staff, "error")
    assert error["code"] == "forbidden"
    await parent.disconnect()
    await staff.disconnect()


async def test_presence_is_announced_both_ways(service, worker):
    booking, code = await database_sync_to_async(make_booking)(service, worker)
    parent, _, _ = await join_parent(code)
    staff, _, _ = await join_worker(worker, booking.pk)
    here, _ = await frames_until(parent, "presence")
    assert here == {"type": "presence", "role": "worker", "online": True}
    back, _ = await frames_until(staff, "presence")
    assert back["role"] == "parent" and back["online"] is True
    await staff.disconnect()
    # Both sides announce themselves and answer the other's announcement, so the parent may hear
    # "worker online" twice (which side's announcement lands first is a race); what matters is that
    # the worker leaving is heard, and that nothing but worker presence comes before it.
    heard = []
    while not heard or heard[-1]["online"] is not False:
        frame, _ = await frames_until(parent, "presence")
        heard.append(frame)
        assert len(heard) <= 3, heard
    assert all(f["role"] == "worker" for f in heard), heard
    assert heard[-1] == {"type": "presence", "role": "worker", "online": False}
    await parent.disconnect()


async def test_worker_ends_and_flags_an_abusive_contact_and_follow_ups_are_cancelled(service, worker, add_availability):
    for weekday in range(7):
        await database_sync_to_async(add_availability)(worker, service, weekday, "08:00", "20:00")
    booking, code = await database_sync_to_async(make_booking)(service, worker)
    staff, _, _ = await join_worker(worker, booking.pk)
    parent, _, _ = await join_parent(code)
    await parent.send_json_to({"type": "followup_slots"})
    offer, _ = await frames_until(parent, "followup_slots")
    await parent.send_json_to({"type": "followup_book", "start": offer["slots"][-1]["start"]})
    await frames_until(parent, "followup_booked")
    # The parent cannot flag; the worker can.
    await parent.send_json_to({"type": "end", "flag": True})
    error, _ = await frames_until(parent, "error")
    assert error["code"] == "forbidden"
    await staff.send_json_to({"type": "end", "flag": True})
    await frames_until(parent, "ended")
    session = await database_sync_to_async(ChatSession.objects.get)(booking=booking)
    assert session.flagged
    statuses = await database_sync_to_async(lambda: list(Booking.objects.filter(follow_up_of=booking).values_list("status", flat=True)))()
    assert statuses == ["cancelled"]
    await parent.disconnect()
    await staff.disconnect()


@pytest.mark.parametrize("cookie, expected", [(None, "Koodia ei tunnistettu"), (b"django_language=sv", "Koden kändes inte igen")])
async def test_errors_come_in_the_visitors_language(cookie, expected):
    error = await join_refused("AAAA-BBBB-CCCC", cookie)
    assert error["message"].startswith(expected)


async def test_worker_dashboard_hears_new_bookings_cancellations_and_the_waiting_parent(service, worker):
    from booking import services as booking_services

    dash = WebsocketCommunicator(
        application, "/ws/staff/", headers=[ORIGIN, (b"host", b"localhost"), (b"cookie", await database_sync_to_async(session_cookie)(worker))]
    )
    connected, _ = await dash.connect()
    assert connected
    def first_free_slot():
        day = open_day(timezone.localdate() + dt.timedelta(days=2))  # a public holiday has no free time
        service.workers.add(worker)
        Availability.objects.create(worker=worker, service=service, weekday=day.weekday(), start_time=dt.time(10), end_time=dt.time(13))
        return selectors.free_slots(service=service, start_date=day, end_date=day)[0]

    slot = await database_sync_to_async(first_free_slot)()
    new = await database_sync_to_async(booking_services.booking_create)(actor=SYSTEM, service=service, start=slot.start, nickname="Uusi")
    event = await dash.receive_json_from(timeout=5)
    assert event["kind"] == "booking" and event["booking"] == new.booking.pk and event["status"] == "booked"
    await database_sync_to_async(booking_services.booking_cancel)(actor=SYSTEM, booking=new.booking)
    event = await dash.receive_json_from(timeout=5)
    assert event["status"] == "cancelled"

    booking, code = await database_sync_to_async(make_booking)(service, worker)
    parent, _, _ = await join_parent(code)
    event = await dash.receive_json_from(timeout=5)
    assert event == {"kind": "waiting", "booking": booking.pk}
    await parent.disconnect()
    await dash.disconnect()


async def test_dashboard_socket_refuses_anonymous_visitors():
    dash = WebsocketCommunicator(application, "/ws/staff/", headers=[ORIGIN, (b"host", b"localhost")])
    connected, _ = await dash.connect()
    assert not connected


async def test_sync_fetches_messages_a_broadcast_missed(service, worker):
    booking, code = await database_sync_to_async(make_booking)(service, worker)
    staff, _, _ = await join_worker(worker, booking.pk)
    parent, _, _ = await join_parent(code)
    # A message stored without a broadcast, as when the channel layer drops one under overload.
    session = await database_sync_to_async(ChatSession.objects.get)(booking=booking)
    stored = await database_sync_to_async(Message.objects.create)(session=session, role="worker", text="pudonnut")
    await parent.send_json_to({"type": "sync", "after": stored.pk - 1})
    history, _ = await frames_until(parent, "history")
    assert [m["text"] for m in history["messages"]] == ["pudonnut"]
    await parent.send_json_to({"type": "sync", "after": "x"})
    error, _ = await frames_until(parent, "error")
    assert error["code"] == "bad_frame"
    await parent.disconnect()
    await staff.disconnect()


async def test_a_connection_that_joins_without_echo_gets_its_message_in_the_ack_only(service, worker):
    booking, code = await database_sync_to_async(make_booking)(service, worker)
    staff, _, _ = await join_worker(worker, booking.pk)
    second_tab, _, _ = await join_worker(worker, booking.pk)  # the worker's other tab, default echo
    parent = await connect()
    await parent.send_json_to({"type": "join", "code": code, "echo": False})
    await frames_until(parent, "history")
    await parent.send_json_to({"type": "message", "text": "ilman kaikua", "client_id": "e1"})
    ack, _ = await frames_until(parent, "ack")
    assert ack["message"]["text"] == "ilman kaikua" and ack["message"]["seq"] == 1
    for other in (staff, second_tab):
        got, _ = await frames_until(other, "message")
        assert got["id"] == ack["id"]
    # The worker's message still reaches the parent; the parent's own copy never came.
    await staff.send_json_to({"type": "message", "text": "kuulen", "client_id": "w1"})
    got, seen = await frames_until(parent, "message")
    assert got["text"] == "kuulen" and not [f for f in seen if f.get("type") == "message" and f["role"] == "parent"]
    # The worker's second tab, joined with the default, gets the worker's own messages.
    got, _ = await frames_until(second_tab, "message")
    assert got["text"] == "kuulen"
    bad = await connect()
    await bad.send_json_to({"type": "join", "code": code, "echo": "no"})
    error, _ = await frames_until(bad, "error")
    assert error["code"] == "bad_frame"
    for comm in (parent, staff, second_tab, bad):
        await comm.disconnect()


async def test_a_worker_joining_a_day_early_is_told_when_the_chat_opens_and_nothing_opens(service, worker):
    booking, _code = await database_sync_to_async(make_booking)(service, worker, minutes_from_now=24 * 60)
    staff = await connect(await database_sync_to_async(session_cookie)(worker))
    await staff.send_json_to({"type": "join", "booking": booking.pk})
    error, _ = await frames_until(staff, "error")
    assert error["code"] == "too_early" and error["opens"]
    assert not await database_sync_to_async(ChatSession.objects.filter(booking=booking).exists)()
    await staff.disconnect()


async def test_a_flood_of_messages_is_slowed_and_nothing_refused_is_stored(service, worker, settings):
    settings.CHAT_MESSAGE_BURST = 5
    settings.CHAT_MESSAGES_PER_SECOND = 2.0
    booking, code = await database_sync_to_async(make_booking)(service, worker)
    staff, _, _ = await join_worker(worker, booking.pk)
    parent, _, _ = await join_parent(code)
    for i in range(8):
        await parent.send_json_to({"type": "message", "text": f"tulva {i}", "client_id": f"f{i}"})
    answers = []
    while len([a for a in answers if a["type"] in ("ack", "error")]) < 8:
        answers.append(await parent.receive_json_from(timeout=5))
    acks = [a for a in answers if a["type"] == "ack"]
    slowed = [a for a in answers if a["type"] == "error"]
    assert len(acks) == 5 and len(slowed) == 3
    assert all(e["code"] == "slow_down" and e["client_id"] for e in slowed)
    stored = await database_sync_to_async(lambda: list(Message.objects.values_list("text", flat=True)))()
    assert sorted(stored) == [f"tulva {i}" for i in range(5)]
    # The connection stays up, and after a moment the held-back message goes through.
    await asyncio.sleep(0.6)
    await parent.send_json_to({"type": "message", "text": "tulva 5", "client_id": "f5"})
    ack, _ = await frames_until(parent, "ack")
    assert ack["message"]["text"] == "tulva 5"
    await parent.disconnect()
    await staff.disconnect()
