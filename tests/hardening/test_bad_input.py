"""Garbage in: property-based tests against the JSON API and the chat WebSocket. Whatever arrives,
the answer is a 4xx or an error frame, never a 5xx or a dropped connection; nothing is written on a
refusal; and what is stored is shown escaped."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st

from booking import codes
from booking.models import Booking
from chatrooms.consumers import ChatConsumer
from chatrooms.models import ChatSession, Message
from tests.conftest import staff_scope

NASTY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50),
    st.sampled_from([
        "", " ", "\u0000", "\u202e\u202d", "\ufeff", "e\u0301" * 30, "🧑‍🍼" * 20, "\ud7ff", "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>", "{{ 7*7 }}", "'; DROP TABLE booking_booking; --", "a" * 100_000,
    ]),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | NASTY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=8,
)
FIELDS = ["service", "start", "worker", "nickname", "topic", "follow_up_of", "code"]
BODIES = st.one_of(
    st.binary(max_size=200),
    NASTY_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=6).map(lambda d: json.dumps(d).encode()),
)
HSET = hsettings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.django_db
@HSET
@given(body=BODIES, url=st.sampled_from(["/api/v1/bookings/", "/api/v1/bookings/lookup", "/api/v1/bookings/cancel"]))
def test_the_api_answers_garbage_with_a_4xx_and_writes_nothing(service, worker, body, url):
    from django.core.cache import cache

    cache.clear()  # the rate limit would otherwise turn everything into 429s
    before = Booking.objects.count(), Booking.objects.filter(status=Booking.Status.CANCELLED).count()
    response = Client(raise_request_exception=False).post(url, body, content_type="application/json")
    assert 400 <= response.status_code < 500 or response.status_code in (200, 201), response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert (Booking.objects.count(), Booking.objects.filter(status=Booking.Status.CANCELLED).count()) == before


@pytest.mark.django_db
@HSET
@given(params=st.dictionaries(st.sampled_from(["from", "to", "worker"]), NASTY_TEXT.filter(lambda s: "\x00" not in s), max_size=3))
def test_slot_queries_with_garbage_parameters_are_4xx_not_5xx(service, worker, params):
    response = Client(raise_request_exception=False).get(f"/api/v1/services/{service.slug}/slots/", params)
    assert response.status_code in (200, 400), response.content[:300]


@pytest.mark.django_db
@HSET
@given(nickname=NASTY_TEXT.filter(lambda s: 0 < len(s) < 200), topic=NASTY_TEXT.filter(lambda s: len(s) < 600))
@example(nickname="<script>alert(1)</script>", topic="<b>hi</b>")
@example(nickname='"><img src=x onerror=alert(1)>', topic="")
def test_html_in_a_nickname_is_stored_as_text_and_shown_escaped(service, worker, nickname, topic):
    from tests.hardening.test_concurrent_booking import next_monday

    from django.core.cache import cache

    Booking.objects.all().delete()
    cache.clear()  # each example is a new visitor: the per-client booking limit is not under test here
    body = {"service": service.slug, "worker": worker.public_id, "start": next_monday(10).isoformat(), "nickname": nickname, "topic": topic}
    response = Client(raise_request_exception=False).post("/api/v1/bookings/", body, content_type="application/json")
    assert response.status_code in (201, 400), response.content[:300]
    if response.status_code == 201:
        booking = Booking.objects.get()
        from django.template.loader import render_to_string

        html = render_to_string("staff/_booking_list.html", {"bookings": [booking], "day_bookings": [booking]})
        assert "<script" not in html and "<img" not in html
        if "<" in booking.nickname:
            assert "&lt;" in html

# --- WebSocket frames ---------------------------------------------------------------------

FRAMES = st.one_of(
    NASTY_TEXT,
    JSON_VALUES.map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["message", "join", "typing", "end_", "followup_book", "followup_slots", "ping", "x"])},
        optional={"text": JSON_VALUES, "client_id": JSON_VALUES, "after": JSON_VALUES, "booking": JSON_VALUES,
                  "code": JSON_VALUES, "start": JSON_VALUES, "typing": JSON_VALUES},
    ).map(json.dumps),
)


async def _session(worker_user, booking, frames):
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/chat/")
    communicator.scope.update(await database_sync_to_async(staff_scope)(worker_user))  # signed in with the code
    communicator.scope["client"] = ("127.0.0.1", 1)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=json.dumps({"type": "join", "booking": booking.pk}))
    joined = json.loads(await communicator.receive_from(timeout=5))
    assert joined["type"] == "joined"
    answers = []
    for frame in frames:
        await communicator.send_input({"type": "websocket.receive", "text": frame})
        # Every frame gets its own answer (or, for typing, nothing): wait for a pong marker after it.
        await communicator.send_to(text_data=json.dumps({"type": "ping"}))
        while True:
            reply = json.loads(await communicator.receive_from(timeout=5))
            if reply["type"] == "pong":
                break
            answers.append(reply)
    await communicator.disconnect()
    return answers


@pytest.mark.django_db(transaction=True)
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(frames=st.lists(FRAMES, min_size=1, max_size=6))
def test_garbage_frames_get_error_frames_and_the_socket_stays_open(service, worker, frames):
    booking = Booking.objects.filter(worker=worker).first()
    if booking is None:
        now = timezone.now().replace(second=0, microsecond=0)
        booking = Booking.objects.create(service=service, worker=worker, start=now, end=now + timezone.timedelta(minutes=45),
                                         nickname="p", code_hash=codes.hash_code(codes.generate()))
    before = set(Message.objects.values_list("pk", flat=True))
    answers = asyncio.run(_session(worker, booking, frames))
    acks = [a for a in answers if a["type"] == "ack"]
    for a in answers:
        assert a["type"] in ("error", "ack", "message", "history", "presence", "typing", "followup_slots", "opened", "waiting"), a
        if a["type"] == "error":
            assert isinstance(a["message"], str) and a["code"]
    # Nothing is stored on a refusal: every new row was acknowledged to the sender.
    new = set(Message.objects.values_list("pk", flat=True)) - before
    assert new <= {a["id"] for a in acks}
    for m in Message.objects.filter(session__booking=booking):
        assert 0 < len(m.text) <= 2000
    ChatSession.objects.filter(booking=booking).update(ended_at=None)
