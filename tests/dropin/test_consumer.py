"""The drop-in sockets through the real ASGI router: /ws/dropin/ (parent and the person on duty in
one chat) and /ws/dropin/staff/ (take next, side channel, live notices)."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from booking import codes
from config.asgi import application
from dropin import services
from dropin.models import Contact
from tests.conftest import local, mfa_session
from tests.dropin.conftest import actor, enter

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]
ORIGIN = (b"origin", b"http://localhost")


async def connect(path="/ws/dropin/", user=None, cookie: str | None = None):
    headers = [ORIGIN, (b"host", b"localhost")]
    if user is not None:
        key = await database_sync_to_async(lambda: mfa_session(user).session_key)()
        headers.append((b"cookie", f"sessionid={key}".encode()))
    elif cookie:
        headers.append((b"cookie", cookie.encode()))
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await comm.connect()
    return comm, connected, code


async def frames_until(comm, wanted, limit=20, seen=None):
    got = []
    for _ in range(limit):
        frame = await comm.receive_json_from(timeout=5)
        got.append(frame)
        if seen is not None:
            seen.append(frame)
        if frame["type"] == wanted:
            return frame, got
    raise AssertionError(f"no {wanted} frame in {got}")


async def drain(comm, seen=None):
    """Everything the socket has been sent so far."""
    frames = []
    while not await comm.receive_nothing(timeout=0.3):
        frame = await comm.receive_json_from()
        frames.append(frame)
        if seen is not None:
            seen.append(frame)
    return frames


async def parent_joins(code, seen=None):
    comm, connected, _ = await connect()
    assert connected
    await comm.send_json_to({"type": "join", "code": code})
    joined, _ = await frames_until(comm, "joined", seen=seen)
    return comm, joined


async def helper_socket(user):
    comm, connected, _ = await connect("/ws/dropin/staff/", user=user)
    assert connected
    return comm


@pytest.fixture
def world(always_open, volunteer, on_duty, coordinator):
    first, second = volunteer("Eka"), volunteer("Toka")
    on_duty([(first, 1), (second, 1)])
    return {"first": first, "second": second, "coordinator": coordinator}


async def test_queue_take_chat_side_channel_end(world):
    (c1, code1), (c2, code2) = await database_sync_to_async(enter)(2, nickname="Äiti")
    parent_seen = []
    p1, joined = await parent_joins(code1, parent_seen)
    assert joined["state"] == "waiting" and joined["channel"] == "dropin" and joined["worker"] is None
    queue, _ = await frames_until(p1, "queue", seen=parent_seen)
    assert queue["position"] == 1 and queue["estimate_minutes"] is None  # no history: we cannot estimate
    p2, _ = await parent_joins(code2)
    queue2, _ = await frames_until(p2, "queue")
    assert queue2["position"] == 2

    desk = await helper_socket(world["first"])
    room = await helper_socket(world["coordinator"])
    await desk.send_json_to({"type": "take_next"})
    taken, _ = await frames_until(desk, "taken")
    assert taken["contact"] == c1.pk
    opened, _ = await frames_until(p1, "opened", seen=parent_seen)
    assert opened["worker"] == "Eka"
    moved, _ = await frames_until(p2, "queue")
    assert moved["position"] == 1  # the second parent moved up, live

    chat, connected, _ = await connect(user=world["first"])
    await chat.send_json_to({"type": "join", "contact": c1.pk})
    joined_w, _ = await frames_until(chat, "joined")
    assert joined_w["state"] == "open" and joined_w["nickname"] == "Äiti" and joined_w["contact"] == c1.pk
    await p1.send_json_to({"type": "message", "text": "Hei, en jaksa.", "client_id": "p1"})
    got, _ = await frames_until(chat, "message")
    assert got["text"] == "Hei, en jaksa." and got["seq"] == 1 and got["role"] == "parent"
    await chat.send_json_to({"type": "message", "text": "Hei. Olen tässä.", "client_id": "w1"})
    got, _ = await frames_until(p1, "message", seen=parent_seen)  # the parent's own message comes back first
    got, _ = await frames_until(p1, "message", seen=parent_seen)
    assert got["role"] == "worker" and got["seq"] == 2

    # The side channel: the coordinator sees it; the parent never does.
    await desk.send_json_to({"type": "side", "contact": c1.pk, "text": "SIVUKANAVA: mitä sanon?"})
    await frames_until(desk, "side_ack")
    side, _ = await frames_until(room, "side")
    assert side["text"] == "SIVUKANAVA: mitä sanon?" and side["role"] == "helper"
    await room.send_json_to({"type": "side", "contact": c1.pk, "text": "SIVUKANAVA: kuuntele."})
    await frames_until(desk, "side")
    await p1.send_json_to({"type": "sync", "after": 0})
    await frames_until(p1, "history", seen=parent_seen)
    await drain(p1, parent_seen)
    assert not any("SIVUKANAVA" in str(frame) for frame in parent_seen)
    assert not any(frame["type"] == "side" for frame in parent_seen)

    await chat.send_json_to({"type": "end"})
    ended, _ = await frames_until(p1, "ended")
    assert ended["by"] == "worker"
    contact = await database_sync_to_async(Contact.objects.get)(pk=c1.pk)
    assert contact.state == Contact.State.ENDED
    for comm in (p1, p2, desk, room, chat):
        await comm.disconnect()


async def test_rejoin_with_the_code_in_the_queue_and_in_the_chat(world):
    (c1, code1), (c2, code2) = await database_sync_to_async(enter)(2)
    p2, _ = await parent_joins(code2)
    await frames_until(p2, "queue")
    await p2.disconnect()  # the tab closed
    contact = await database_sync_to_async(Contact.objects.get)(pk=c2.pk)
    assert contact.away_since is not None
    p2, joined = await parent_joins(code2)
    queue, _ = await frames_until(p2, "queue")
    assert joined["state"] == "waiting" and queue["position"] == 2  # the same place
    contact = await database_sync_to_async(Contact.objects.get)(pk=c2.pk)
    assert contact.away_since is None

    await database_sync_to_async(services.take_next)(actor=actor(world["first"]))
    p1, _ = await parent_joins(code1)
    await p1.send_json_to({"type": "message", "text": "ensin", "client_id": "a"})
    ack, _ = await frames_until(p1, "ack")
    await p1.disconnect()
    p1, joined = await parent_joins(code1)
    history, _ = await frames_until(p1, "history")
    assert joined["state"] == "open" and [m["text"] for m in history["messages"]] == ["ensin"]
    await p1.send_json_to({"type": "message", "text": "ensin", "client_id": "a"})  # a resend is stored once
    again, _ = await frames_until(p1, "ack")
    assert again["id"] == ack["id"]
    await p1.disconnect()
    await p2.disconnect()


async def test_the_page_session_joins_without_the_code(world):
    client = Client()
    response = await database_sync_to_async(client.post)("/dropin/", {"nickname": "Isä", "privacy": "on"})
    assert response.status_code == 302
    comm, connected, _ = await connect(cookie=f"sessionid={client.cookies['sessionid'].value}")
    await comm.send_json_to({"type": "join"})
    joined, _ = await frames_until(comm, "joined")
    assert joined["nickname"] == "Isä" and joined["state"] == "waiting"
    await comm.disconnect()


async def test_leaving_the_queue_moves_the_others_up(world):
    (c1, code1), (c2, code2) = await database_sync_to_async(enter)(2)
    p1, _ = await parent_joins(code1)
    p2, _ = await parent_joins(code2)
    await frames_until(p2, "queue")
    await p1.send_json_to({"type": "end"})
    ended, _ = await frames_until(p1, "ended")
    assert ended["reason"] == "left_queue"
    moved, _ = await frames_until(p2, "queue")
    assert moved["position"] == 1
    assert (await database_sync_to_async(Contact.objects.get)(pk=c1.pk)).state == Contact.State.LEFT
    await p1.disconnect()
    await p2.disconnect()


async def test_hand_over_moves_the_chat_and_the_previous_person_can_no_longer_write(world):
    (c1, code1), = await database_sync_to_async(enter)(1)
    contact = await database_sync_to_async(services.take_next)(actor=actor(world["first"]))
    parent, _ = await parent_joins(code1)
    old, _, _ = await connect(user=world["first"])
    await old.send_json_to({"type": "join", "contact": c1.pk})
    await frames_until(old, "joined")
    await database_sync_to_async(services.hand_over)(actor=actor(world["coordinator"]), contact=contact, to_user=world["second"], note="")
    handed, _ = await frames_until(old, "handed_over")
    assert handed["worker"] == "Toka"
    helper, _ = await frames_until(parent, "helper")
    assert helper["worker"] == "Toka"
    await old.send_json_to({"type": "message", "text": "vielä minä", "client_id": "x"})
    error, _ = await frames_until(old, "error")
    assert error["code"] == "not_taken"
    new, _, _ = await connect(user=world["second"])
    await new.send_json_to({"type": "join", "contact": c1.pk})
    joined, _ = await frames_until(new, "joined")
    assert joined["state"] == "open"
    # The previous person cannot join it again.
    again, _, _ = await connect(user=world["first"])
    await again.send_json_to({"type": "join", "contact": c1.pk})
    error, _ = await frames_until(again, "error")
    assert error["code"] == "forbidden"
    for comm in (parent, old, new, again):
        await comm.disconnect()


async def test_at_closing_the_waiting_parent_is_told_with_the_alternatives(world, settings):
    (c1, code1), = await database_sync_to_async(enter)(1)
    parent, _ = await parent_joins(code1)
    await frames_until(parent, "queue")
    settings.DROPIN_ALWAYS_OPEN = False
    closed = await database_sync_to_async(services.close_queue)(now=local(2026, 11, 25, 13))  # a Wednesday: closed
    assert closed == [c1.pk]
    ended, _ = await frames_until(parent, "ended")
    assert ended["reason"] == "closed" and ended["by"] == "system"
    assert ended["alternatives"]["letters_url"] == "/letters/" and "next_opening" in ended["alternatives"]
    await parent.disconnect()


async def test_who_may_use_the_staff_socket_and_a_chat(world, make_worker):
    _comm, connected, _ = await connect("/ws/dropin/staff/")  # a parent
    assert not connected
    password_only = await database_sync_to_async(lambda: mfa_session(world["first"], mfa=False).session_key)()
    _comm, connected, _ = await connect("/ws/dropin/staff/", cookie=f"sessionid={password_only}")
    assert not connected
    (c1, code1), = await database_sync_to_async(enter)(1)
    await database_sync_to_async(services.take_next)(actor=actor(world["first"]))
    for user in (world["second"], world["coordinator"]):  # another volunteer; the coordinator too
        comm, _, _ = await connect(user=user)
        await comm.send_json_to({"type": "join", "contact": c1.pk})
        error, _ = await frames_until(comm, "error")
        assert error["code"] == "forbidden"
        await comm.disconnect()
    # A parent cannot flag, and a frame before joining is refused, never a closed socket.
    parent, _ = await parent_joins(code1)
    await parent.send_json_to({"type": "end", "flag": True})
    error, _ = await frames_until(parent, "error")
    assert error["code"] == "forbidden"
    stranger, _, _ = await connect()
    await stranger.send_json_to({"type": "message", "text": "hei"})
    error, _ = await frames_until(stranger, "error")
    assert error["code"] == "not_joined"
    await stranger.send_json_to({"type": "join", "code": codes.generate()})
    error, _ = await frames_until(stranger, "error")
    assert error["code"] == "invalid_code"
    for comm in (parent, stranger):
        await comm.disconnect()


async def test_take_next_refusals_are_error_frames(world):
    desk = await helper_socket(world["first"])
    await desk.send_json_to({"type": "take_next"})
    error, _ = await frames_until(desk, "error")
    assert error["code"] == "queue_empty" and error["message"]
    await database_sync_to_async(enter)(2)
    await desk.send_json_to({"type": "take_next"})
    await frames_until(desk, "taken")
    await desk.send_json_to({"type": "take_next"})
    error, _ = await frames_until(desk, "error")
    assert error["code"] == "at_capacity"
    await desk.send_json_to({"type": "side", "contact": "1", "text": "x"})
    error, _ = await frames_until(desk, "error")
    assert error["code"] == "bad_frame"
    await desk.disconnect()


async def test_a_frame_to_a_socket_that_just_closed_is_dropped_not_fatal():
    """bench/dropin_rush.py: a presence notice reaching a consumer whose browser had just closed
    raised in daphne's send, and the consumer died without running disconnect (the other side was
    never told it left)."""
    from autobahn.exception import Disconnected

    from chatrooms.consumers import send_or_drop

    class Closing:
        async def send(self, text_data=None):
            raise Disconnected("Attempt to send on a closed protocol")

    await send_or_drop(Closing(), {"type": "presence", "role": "parent", "online": True})  # no exception
