"""Property-based fuzzing of every way in (issue 10): the JSON API, the public pages, the staff pages
(as a worker and as a coordinator) and the chat socket, with times across the whole datetime range
(year 1 to 9999, offsets up to ±23:59), any date, any Unicode (lone surrogates too), wrong JSON types
and huge values. The strategies live in tests/hardening/fuzzing.py, shared with bench/fuzz.py.

Properties:
- HTTP: never a 5xx; every answer under /api/ is JSON (404 and 405 included); each case within the
  Hypothesis deadline.
- Socket: every frame gets an answer frame (a typing notice may get none) and the socket is never
  closed (under daphne an exception in the consumer is a close with 1011); each case within the
  deadline.

A server exception is re-raised as itself (with the request as a note), so Hypothesis reports each
distinct bug (by exception and line) with its own smallest example. The number of cases run is
printed at the end of the test run (tests/hardening/conftest.py). ``FUZZ_EXAMPLES`` (default 30)
sets the cases per target.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import json
import logging
import os

import pytest
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st

from booking import codes, selectors
from booking.models import Booking, Service
from chatrooms.models import ChatSession, Message, SavedReply
from staff.models import User
from tests.conftest import mfa_session, staff_login
from tests.hardening import fuzzing as fz

# While product bugs are open Hypothesis shrinks each distinct one, which takes longer than the
# suite's default 120 s per test; passing, the whole file takes well under a minute.
pytestmark = [pytest.mark.filterwarnings("ignore:Generating overly large repr"), pytest.mark.timeout(300)]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
HTTP_DEADLINE = dt.timedelta(seconds=3)
SOCKET_DEADLINE = dt.timedelta(seconds=10)


def hset(examples: int = EXAMPLES, deadline: dt.timedelta = HTTP_DEADLINE):
    # database=None: nothing written into the shared checkout; a failure prints its seed and example.
    return hsettings(max_examples=examples, deadline=deadline, database=None, print_blob=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


@pytest.fixture(autouse=True)
def _quiet_server_errors():
    """Django logs every 500 with its traceback (hundreds while Hypothesis shrinks); the test
    re-raises the exception itself, so the log adds only noise."""
    logger = logging.getLogger("django.request")
    logger.disabled = True
    yield
    logger.disabled = False


# --- the world the fuzzer knows ------------------------------------------------------------------------------
@pytest.fixture
def fuzz_world(service, worker, make_worker, add_availability):
    """Two workers with free times and an appointment each (with a known code), a coordinator, a
    saved reply."""
    second = make_worker("Sanna")
    for weekday in range(7):
        add_availability(second, service, weekday, start="08:00", end="20:00")
    coordinator = make_worker("Koordinaattori", role=User.Role.COORDINATOR)
    today = timezone.localdate()
    free = selectors.free_slots(service=service, start_date=today, end_date=today + dt.timedelta(days=13))
    assert free, "the fuzz world needs free times"
    booked, bookings = [], []
    for who in (worker, second):
        slot = [s for s in free if s.worker_id == who.pk][-1]
        code = codes.generate()
        bookings.append(Booking.objects.create(service=service, worker=who, start=slot.start, end=slot.end,
                                               nickname="Kaisa", code_hash=codes.hash_code(code)))
        booked.append((slot, code))
    SavedReply.objects.create(owner=worker, title="Hei", text="Hei!")
    taken = {slot.start for slot, _ in booked}
    world = fz.World(
        services=[service.slug], workers=[worker.public_id, second.public_id], worker_pks=[worker.pk, second.pk, coordinator.pk],
        service_pks=[service.pk], codes=[code for _, code in booked],
        free_starts=[s.as_json()["start"] for s in free if s.start not in taken][::7][:8], booking_ids=[b.pk for b in bookings],
    )
    world.users = {"worker": worker, "coordinator": coordinator}
    return world


def sign_in(client: Client, user) -> Client:
    """A staff session that passed both factors, as allauth leaves it after password and TOTP code."""
    return staff_login(client, user)


def socket_cookie(user) -> bytes:
    return f"sessionid={mfa_session(user).session_key}".encode()


# --- HTTP ------------------------------------------------------------------------------------------------------
def send(client: Client, req: fz.Req):
    headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in req.headers}
    return client.generic(req.method, req.url, data=req.body or b"", content_type=req.content_type, **headers)


def with_known(case, world: fz.World, name: str):
    """Add the inputs once seen to fail (findings 8 and 13) as explicit examples: tried every run."""
    for req in fz.known_requests(world).get(name, []):
        case = example(req=req)(case)
    return case


def check_http(client: Client, req: fz.Req, kind: str) -> None:
    cache.clear()  # every case is a new visitor: the per-client limits are not under test here
    fz.count(kind)
    response = send(client, req)
    exc_info = getattr(response, "exc_info", None)
    if exc_info and exc_info[1] is not None:
        exc = exc_info[1]
        exc.add_note(f"request: {req.short()}")
        raise exc.with_traceback(exc_info[2])
    problems = fz.http_problems(req, response.status_code, response.get("Content-Type", ""))
    assert not problems, f"{problems} for {req.short()}: {response.content[:300]!r}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(fz.API_TARGETS))
def test_api_never_answers_5xx_and_always_json(fuzz_world, name):
    # CSRF enforced as for a real client: a PUT or DELETE without a token must get JSON too.
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)

    @hset()
    @given(req=fz.API_TARGETS[name](fuzz_world))
    def case(req):
        check_http(client, req, "API requests")

    with_known(case, fuzz_world, name)()


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(fz.PAGE_TARGETS))
def test_public_pages_never_answer_5xx(fuzz_world, name):
    client = Client(raise_request_exception=False)

    @hset()
    @given(req=fz.PAGE_TARGETS[name](fuzz_world))
    def case(req):
        check_http(client, req, "public page requests")

    with_known(case, fuzz_world, name)()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["worker", "coordinator"])
@pytest.mark.parametrize("name", sorted(fz.STAFF_TARGETS))
def test_staff_pages_never_answer_5xx(fuzz_world, name, role):
    client = sign_in(Client(raise_request_exception=False), fuzz_world.users[role])

    @hset(max(5, EXAMPLES * 2 // 3))
    @given(req=fz.STAFF_TARGETS[name](fuzz_world))
    def case(req):
        check_http(client, req, "staff page requests")

    with_known(case, fuzz_world, name)()


# --- the chat socket -----------------------------------------------------------------------------------------------
ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


class Closed(AssertionError):
    """The server closed the socket (daphne would send 1011 for an exception: that is raised as itself)."""


async def _next(comm, timeout):
    """The next frame the server sends. If the consumer raised instead, its exception is raised here
    as itself: under daphne that is the socket closed with 1011."""
    get = asyncio.ensure_future(comm.output_queue.get())
    done, _ = await asyncio.wait({get, comm.future}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if get not in done:
        get.cancel()
        if comm.future.done():
            exc = comm.future.exception()
            if exc is None:
                raise Closed("the consumer stopped without a close frame")
            exc.add_note("the chat consumer raised: daphne closes the socket with 1011")
            raise exc
        raise asyncio.TimeoutError
    out = get.result()
    if out["type"] == "websocket.close":
        raise Closed(f"socket closed with {out.get('code')}")
    # daphne sends a text frame as UTF-8: a frame that cannot be encoded (a lone surrogate echoed
    # back) raises in the consumer's send, and daphne closes the socket with 1011.
    try:
        size = len(out["text"].encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise Closed(f"the server's frame is not valid UTF-8, daphne would close with 1011: {out['text'][:200]!r}") from exc
    if size > fz.MAX_SERVER_FRAME_BYTES:
        raise Closed(f"the server's frame has {size} bytes, over daphne's --websocket-max-message-size "
                     f"{fz.MAX_SERVER_FRAME_BYTES} (Procfile.prod): it would close with 1011: {out['text'][:120]!r}")
    return json.loads(out["text"])


async def _answers(comm, text: str) -> list[dict]:
    """Send one frame and a ping after it; the frames that came back before the pong."""
    await comm.send_input({"type": "websocket.receive", "text": text})  # send_to() refuses an empty frame
    await comm.send_to(text_data=json.dumps({"type": "ping"}))
    answers: list[dict] = []
    pongs = fz.expected_pongs(text)
    while pongs:
        frame = await _next(comm, 5)
        if frame.get("type") == "pong":
            pongs -= 1
            if pongs == 0:
                break
        answers.append(frame)
    if not answers and fz.needs_answer(text):
        # "ended" travels through the chat's group and may overtake nothing: wait for it a moment.
        try:
            answers.append(await _next(comm, 2))
        except asyncio.TimeoutError:
            pass
    return answers


class _LoggedErrors(logging.Handler):
    """Exceptions the consumer caught and logged (it answers them with a ``server_error`` frame)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.exceptions = []

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            self.exceptions.append(record.exc_info[1])


async def _socket_case(role: str, cookie: bytes | None, join: str | None, frames: list[str]) -> None:
    headers = list(ORIGIN) + ([(b"cookie", cookie)] if cookie else [])
    comm = WebsocketCommunicator(_application(), "/ws/chat/", headers=headers)
    logged = _LoggedErrors()
    logging.getLogger().addHandler(logged)
    connected, _ = await comm.connect()
    assert connected
    try:
        for text in ([join] if join else []) + frames:
            fz.count("socket frames")
            answers = await _answers(comm, text)
            if fz.needs_answer(text):
                assert answers, f"no answer to {text[:300]!r}"
            problems = fz.frame_problems(answers)
            if problems and logged.exceptions:  # show the fault itself, not only the server_error frame
                exc = logged.exceptions[-1]
                exc.add_note(f"{problems} after {text[:300]!r}")
                raise exc
            assert not problems, f"{problems} after {text[:300]!r}"
    finally:
        logging.getLogger().removeHandler(logged)
        if not comm.future.done():
            await comm.disconnect()


def _application():
    from config.asgi import application

    return application


_starts = itertools.count()


def _open_booking(service, worker, *, opened: bool):
    """A booking whose chat may be joined now (a new one per case: "end" kills a code for good)."""
    code = codes.generate()
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=2) + dt.timedelta(seconds=next(_starts))
    booking = Booking.objects.create(service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45),
                                     nickname="p", code_hash=codes.hash_code(code))
    if opened:
        ChatSession.objects.create(booking=booking, opened_at=timezone.now())
    return booking, code


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(180)
def test_every_socket_frame_is_answered_and_the_socket_stays_open(fuzz_world, service, worker):
    cookie = socket_cookie(worker)
    service = Service.objects.get(pk=service.pk)

    @hset(EXAMPLES * 2, SOCKET_DEADLINE)
    @given(role=st.sampled_from(["parent", "worker", "nobody"]), opened=st.booleans(), data=st.data())
    def case(role, opened, data):
        cache.clear()
        fz.count("socket sessions")
        booking, code = _open_booking(service, worker, opened=opened)
        world = dataclasses.replace(fuzz_world, codes=[code], booking_ids=[booking.pk])
        join = {"parent": fz.dumps({"type": "join", "code": code}), "worker": fz.dumps({"type": "join", "booking": booking.pk})}.get(role)
        frames = data.draw(st.lists(fz.frames(world), min_size=1, max_size=6), label="frames")
        asyncio.run(_socket_case(role, cookie if role == "worker" else None, join, frames))

    case()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["parent", "worker", "nobody"])
def test_frames_once_seen_to_close_the_socket_get_an_answer(service, worker, role):
    """Finding 8: a follow-up in year 9999 and a lone surrogate in ``client_id`` closed it with 1011."""
    cookie = socket_cookie(worker)
    failures = []
    for text in fz.known_frames()[role]:
        cache.clear()
        booking, code = _open_booking(service, worker, opened=True)
        join = {"parent": fz.dumps({"type": "join", "code": code}), "worker": fz.dumps({"type": "join", "booking": booking.pk})}.get(role)
        try:
            asyncio.run(_socket_case(role, cookie if role == "worker" else None, join, [text]))
        except Exception as exc:  # every frame is tried; all failures are reported together
            failures.append(f"{text}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["parent", "worker"])
def test_a_long_chats_history_fits_in_what_daphne_sends(service, worker, role):
    """Forty messages at the length limit (a pasted text; the flood guard lets them through in about
    twenty seconds) are about 100 KB. Joining that chat again, or a ``sync``, must not make a
    ``history`` frame daphne refuses to send (over 64 KiB: the socket closed with 1011, again at every
    reconnect, and the history never arrives)."""
    cookie = socket_cookie(worker)
    booking, code = _open_booking(service, worker, opened=True)
    session = ChatSession.objects.get(booking=booking)
    for i in range(40):
        Message.objects.create(session=session, role=Message.Role.PARENT if i % 2 else Message.Role.WORKER,
                               text=("Väsyttää ja itkettää. " * 100)[:2000])
    join = {"parent": fz.dumps({"type": "join", "code": code}), "worker": fz.dumps({"type": "join", "booking": booking.pk})}[role]
    asyncio.run(_socket_case(role, cookie if role == "worker" else None, None, [join, fz.dumps({"type": "sync", "after": 0})]))
