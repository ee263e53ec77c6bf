"""Property-based fuzzing of the drop-in chat's ways in (as tests/hardening/test_fuzz.py does for
the rest): any JSON (wrong types, huge and lone-surrogate strings, deep values) and garbage text on
both drop-in sockets, and any form data on the drop-in pages, parent's and staff's.

Properties: a socket frame is answered (a typing notice may get none) and the socket is never
closed (under daphne an exception in a consumer is a close with 1011); a page never answers 5xx.
``FUZZ_EXAMPLES`` (default 30) sets the cases per target.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os

import pytest
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from dropin import services
from tests.conftest import mfa_session, staff_login
from tests.dropin.conftest import actor, enter

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
pytestmark = [pytest.mark.timeout(300)]


def hset(examples=EXAMPLES, deadline=None):
    return hsettings(max_examples=examples, deadline=deadline, database=None, print_blob=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])


SURROGATES = st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=3)
ODD_TEXT = st.one_of(
    st.text(max_size=60), SURROGATES, st.just(""), st.just("\u202e\ufeff<script>alert(1)</script>"),
    st.builds(lambda n: "x" * n, st.sampled_from([199, 200, 201, 1999, 2000, 2001, 17000])),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), ODD_TEXT,
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)
CHAT_TYPES = ["join", "message", "typing", "sync", "queue", "end", "ping", "followup_slots", "followup_book", "side", "nonsense"]
STAFF_TYPES = ["take_next", "side", "support", "present", "ping", "join", "message", "nonsense"]


def frames(types, known: dict):
    """A socket frame as the text sent: mostly JSON objects with a known type and fields of any
    value (or the world's real ids and codes), sometimes garbage."""
    field_values = {name: st.one_of(VALUES, st.sampled_from(values)) for name, values in known.items()}
    obj = st.fixed_dictionaries(
        {"type": st.one_of(st.sampled_from(types), SCALARS)},
        optional={
            "text": st.one_of(ODD_TEXT, VALUES), "client_id": VALUES, "after": st.one_of(st.integers(-5, 10**6), VALUES),
            "echo": VALUES, "flag": VALUES, "on": VALUES, "present": VALUES, "start": VALUES,
            **{name: strategy for name, strategy in field_values.items()},
        },
    )
    as_text = obj.map(lambda f: json.dumps(f, ensure_ascii=True))
    garbage = st.one_of(st.text(max_size=40), st.just("[]"), st.just("null"), st.just('{"type": '), st.just("x" * 20000))
    return st.one_of(as_text, as_text, as_text, garbage)


def needs_answer(text: str) -> bool:
    try:
        frame = json.loads(text)
    except ValueError:
        return True
    return not (isinstance(frame, dict) and frame.get("type") == "typing")


class Closed(AssertionError):
    pass


async def _next(comm, timeout):
    get = asyncio.ensure_future(comm.output_queue.get())
    done, _ = await asyncio.wait({get, comm.future}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if get not in done:
        get.cancel()
        if comm.future.done():
            exc = comm.future.exception()
            if exc is None:
                raise Closed("the consumer stopped without a close frame")
            exc.add_note("the consumer raised: daphne closes the socket with 1011")
            raise exc
        raise asyncio.TimeoutError
    out = get.result()
    if out["type"] == "websocket.close":
        raise Closed(f"socket closed with {out.get('code')}")
    out["text"].encode("utf-8")  # daphne sends UTF-8: a lone surrogate sent back would close the socket
    return json.loads(out["text"])


async def _answers(comm, text):
    await comm.send_input({"type": "websocket.receive", "text": text})
    await comm.send_to(text_data=json.dumps({"type": "ping"}))
    answers = []
    while True:
        frame = await _next(comm, 5)
        if frame.get("type") == "pong":
            break
        answers.append(frame)
    if not answers and needs_answer(text):
        try:  # an "ended" travels through the chat's group and may come after the pong
            answers.append(await _next(comm, 2))
        except asyncio.TimeoutError:
            pass
    return answers


def _application():
    from config.asgi import application

    return application


async def _case(path, cookie, first, texts):
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")] + ([(b"cookie", cookie)] if cookie else [])
    comm = WebsocketCommunicator(_application(), path, headers=headers)
    logged = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = lambda record: logged.append(record)
    logging.getLogger().addHandler(handler)
    connected, _ = await comm.connect()
    assert connected
    try:
        for text in ([first] if first else []) + texts:
            answers = await _answers(comm, text)
            if needs_answer(text):
                assert answers, f"no answer to {text[:200]!r}"
            errors = [a for a in answers if a.get("type") == "error" and a.get("code") == "server_error"]
            assert not errors, f"server_error after {text[:200]!r}: {[r.getMessage() for r in logged][-1:]}"
    finally:
        logging.getLogger().removeHandler(handler)
        if not comm.future.done():
            await comm.disconnect()


def _end_all_chats():
    from dropin.models import Contact

    for contact in Contact.objects.filter(state=Contact.State.TAKEN).select_related("session"):
        services.contact_end(contact=contact, by="system")


@pytest.fixture
def fuzz_duty(always_open, volunteer, on_duty, coordinator):
    helper = volunteer("Eka")
    on_duty([(helper, 3)])
    return helper, coordinator


@pytest.mark.django_db(transaction=True)
def test_every_drop_in_frame_is_answered_and_the_socket_stays_open(fuzz_duty):
    helper, coordinator = fuzz_duty
    cookies = {
        "helper": f"sessionid={mfa_session(helper).session_key}".encode(),
        "coordinator": f"sessionid={mfa_session(coordinator).session_key}".encode(),
    }

    @hset(EXAMPLES * 2)
    @given(role=st.sampled_from(["parent", "helper", "nobody"]), taken=st.booleans(), data=st.data())
    def case(role, taken, data):
        cache.clear()
        _end_all_chats()  # a case's chat must not hold the helper's capacity for the next
        (contact, code), = enter(1, client=f"fuzz-{data.draw(st.integers(0, 10**9), label='client')}")
        if taken:
            services.take_next(actor=actor(helper))
            contact.refresh_from_db()
        first = {"parent": json.dumps({"type": "join", "code": code}), "helper": json.dumps({"type": "join", "contact": contact.pk})}.get(role)
        texts = data.draw(st.lists(frames(CHAT_TYPES, {"code": [code], "contact": [contact.pk]}), min_size=1, max_size=5), label="frames")
        asyncio.run(_case("/ws/dropin/", cookies["helper"] if role == "helper" else None, first, texts))

    case()

    @hset(EXAMPLES)
    @given(role=st.sampled_from(["helper", "coordinator"]), data=st.data())
    def staff_case(role, data):
        cache.clear()
        _end_all_chats()
        (contact, _code), = enter(1, client=f"fuzz-staff-{data.draw(st.integers(0, 10**9), label='client')}")
        texts = data.draw(st.lists(frames(STAFF_TYPES, {"contact": [contact.pk]}), min_size=1, max_size=5), label="frames")
        asyncio.run(_case("/ws/dropin/staff/", cookies[role], None, texts))

    staff_case()


FORM_VALUES = st.one_of(ODD_TEXT, st.integers(-(10**20), 10**20).map(str), st.sampled_from(["", "0", "1", "-1", "on", "child", "adult"]))


def form_data(fields):
    return st.dictionaries(st.sampled_from(fields), FORM_VALUES, max_size=len(fields))


def _post(client, url, data):
    # A lone surrogate cannot be sent as UTF-8 form data: the test client would fail before the
    # server sees it; browsers send it replaced, so do the same.
    clean = {k: v.encode("utf-8", "replace").decode("utf-8") for k, v in data.items()}
    return client.post(url, clean)


@pytest.mark.django_db
def test_drop_in_pages_never_answer_5xx(fuzz_duty):
    helper, coordinator = fuzz_duty
    logging.getLogger("django.request").disabled = True
    try:
        (contact, _code), = enter(1, client="pages")
        services.take_next(actor=actor(helper))
        parent = Client()
        helper_client = staff_login(Client(), helper)
        coordinator_client = staff_login(Client(), coordinator)

        @hset(EXAMPLES * 2)
        @given(
            target=st.sampled_from(["start", "rejoin", "feedback", "side", "support", "record", "hand_over", "capacity", "plan", "present"]),
            data=st.data(),
        )
        def case(target, data):
            cache.clear()
            some_id = data.draw(st.one_of(st.just(contact.pk), st.integers(0, 10**12)), label="id")
            if target == "start":
                response = _post(parent, "/dropin/", data.draw(form_data(["nickname", "topic", "audience", "privacy"])))
            elif target == "rejoin":
                response = _post(parent, "/dropin/rejoin/", data.draw(form_data(["code"])))
            elif target == "feedback":
                response = _post(parent, "/dropin/feedback/", data.draw(form_data(["helpful", "recommend"])))
            elif target in ("side", "support", "record", "present"):
                url = {"side": f"/staff/dropin/side/{some_id}/", "support": f"/staff/dropin/support/{some_id}/",
                       "record": f"/staff/dropin/record/{some_id}/", "present": "/staff/dropin/present/"}[target]
                response = _post(helper_client, url, data.draw(form_data(["text", "on", "next", "child_topics", "child_age_group", "present"])))
            elif target == "hand_over":
                response = _post(coordinator_client, f"/staff/dropin/room/hand-over/{some_id}/", data.draw(form_data(["to_user", "note"])))
            elif target == "capacity":
                response = _post(coordinator_client, f"/staff/dropin/room/capacity/{some_id}/", data.draw(form_data(["capacity"])))
            else:
                key = data.draw(st.one_of(st.integers(0, 10**20), st.integers(1_700_000_000, 1_900_000_000)), label="key")
                response = _post(coordinator_client, f"/staff/dropin/shifts/{key}/", data.draw(form_data(["coordinator", "on-1", "capacity-1"])))
            assert response.status_code < 500, (target, response.status_code)

        case()
    finally:
        logging.getLogger("django.request").disabled = False


@pytest.mark.django_db
def test_drop_in_api_never_answers_5xx_and_always_json(always_open):
    logging.getLogger("django.request").disabled = True
    client = Client()
    (_contact, code), = enter(1, client="api")
    try:
        @hset(EXAMPLES * 2)
        @given(
            path=st.sampled_from(["/api/v1/dropin/", "/api/v1/dropin/lookup", "/api/v1/dropin/leave"]),
            body=st.one_of(
                st.fixed_dictionaries({}, optional={"nickname": VALUES, "topic": VALUES, "audience": VALUES, "code": st.one_of(VALUES, st.just(code))}),
                VALUES,
            ),
        )
        def case(path, body):
            cache.clear()
            response = client.post(path, json.dumps(body, ensure_ascii=True), content_type="application/json")
            assert response.status_code < 500, (path, body, response.status_code)
            assert response["Content-Type"].startswith("application/json")

        case()
    finally:
        logging.getLogger("django.request").disabled = False
