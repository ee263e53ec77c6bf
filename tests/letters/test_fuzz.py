"""Property-based fuzzing of the letter service's ways in: the JSON API under /api/v1/letters/, the
parent pages and the staff pages (as a volunteer, a worker and the coordinator), with any Unicode
(lone surrogates too), wrong JSON types, huge values and garbage bodies (strategies shared with
tests/hardening/fuzzing.py).

Properties: never a 5xx; every answer under /api/ is JSON; a parent never receives a draft or an
answer waiting for approval; each case within the deadline. ``FUZZ_EXAMPLES`` (default 30) sets
the cases per target.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from letters import services
from tests.conftest import staff_actor, staff_login
from tests.hardening import fuzzing as fz

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:Generating overly large repr"), pytest.mark.timeout(300)]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
SECRET_DRAFT = "LUONNOS-EI-SAA-NÄKYÄ"


def hset(examples: int = EXAMPLES):
    return hsettings(max_examples=examples, deadline=dt.timedelta(seconds=3), database=None, print_blob=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                                            HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def _quiet_server_errors():
    logger = logging.getLogger("django.request")
    logger.disabled = True
    yield
    logger.disabled = False


@pytest.fixture
def world(write_letter, letter_worker, volunteer, coordinator):
    """An answered letter, one with a volunteer's answer waiting for approval, one untaken."""
    answered, answered_code = write_letter(text="vastattu")
    services.take(actor=staff_actor(letter_worker), thread=answered)
    services.answer_send(actor=staff_actor(letter_worker), thread=answered, text="vastaus")
    in_review, review_code = write_letter(text="tarkistettava")
    services.take(actor=staff_actor(volunteer), thread=in_review)
    services.answer_send(actor=staff_actor(volunteer), thread=in_review, text=SECRET_DRAFT)
    waiting, waiting_code = write_letter(text="odottaa")
    return {
        "codes": [answered_code, review_code, waiting_code],
        "threads": [answered.pk, in_review.pk, waiting.pk],
        "users": {"worker": letter_worker, "volunteer": volunteer, "coordinator": coordinator},
        "topics": list(services.topic_choices().values_list("pk", flat=True)),
    }


def _codes(world):
    return fz.wrong_types(st.one_of(st.sampled_from(world["codes"]), fz.TEXT))


def api_requests(world) -> st.SearchStrategy[fz.Req]:
    text = fz.wrong_types(st.one_of(st.just("Hei, kirjoitan teille."), fz.TEXT, st.text(min_size=4990, max_size=5010)))
    create = fz.json_body({
        "text": text, "nickname": fz.wrong_types(fz.TEXT), "audience": fz.wrong_types(st.sampled_from(["child", "adult"]) | fz.TEXT),
        "topic": fz.wrong_types(st.sampled_from(world["topics"]) | fz.HUGE), "notify_email": fz.wrong_types(st.just("a@example.org") | fz.TEXT),
    })
    with_code = fz.json_body({"code": _codes(world), "text": text})
    return st.one_of(
        create.map(lambda b: fz.Req("letters_create", "POST", "/api/v1/letters/", body=b)),
        st.builds(lambda path, b: fz.Req("letters_code", "POST", path, body=b),
                  st.sampled_from(["/api/v1/letters/lookup", "/api/v1/letters/reply", "/api/v1/letters/close"]), with_code),
        st.builds(lambda path, method, b: fz.Req("letters_method", method, path, body=b),
                  st.sampled_from(["/api/v1/letters/", "/api/v1/letters/lookup", "/api/v1/letters/reply", "/api/v1/letters/close"]),
                  st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]), st.one_of(st.none(), st.just(b"{}"))),
        fz.TEXT.map(lambda tail: fz.Req("letters_404", "GET", "/api/v1/letters/" + fz.seg(tail))),
    )


def form_text():
    return st.one_of(fz.TEXT_NO_SURROGATES, st.sampled_from(["", "Hei", "child", "adult", "on", "reply", "close", "forget"]))


def page_requests(world) -> st.SearchStrategy[fz.Req]:
    fields = st.dictionaries(st.sampled_from(["text", "nickname", "audience", "topic", "notify_email", "privacy", "code", "action"]),
                             st.one_of(form_text(), st.sampled_from(world["codes"] + [str(t) for t in world["topics"]])), max_size=6)
    forms = fields.map(lambda d: "&".join(f"{fz.seg(k)}={fz.seg(v)}" for k, v in d.items()).encode())
    paths = st.sampled_from(["/letters/", "/letters/read/", "/letters/sent/", "/letters/sent/done/", "/letters/read/print/", "/letters/privacy/"])
    return st.builds(lambda path, method, body: fz.Req("letters_page", method, path, body=body if method == "POST" else None,
                                                       content_type="application/x-www-form-urlencoded"),
                     paths, st.sampled_from(["GET", "POST"]), forms)


def staff_requests(world) -> st.SearchStrategy[fz.Req]:
    ids = st.one_of(st.sampled_from(world["threads"]), st.integers(0, 10**6), st.sampled_from([2**31, 2**63]))
    actions = st.sampled_from(["take", "save", "send", "release", "assign", "approve", "return", "flag", "", "nope"])
    fields = st.fixed_dictionaries({"action": actions}, optional={
        "text": form_text(), "note": form_text(), "confirm": st.sampled_from(["yes", "no", ""]),
        "to": st.one_of(st.sampled_from([str(u.pk) for u in world["users"].values()]), form_text()),
    }).map(lambda d: "&".join(f"{fz.seg(k)}={fz.seg(v)}" for k, v in d.items()).encode())
    query = fz.query({"view": st.sampled_from(["open", "mine", "review", "all"]) | fz.TEXT})
    return st.one_of(
        st.builds(lambda tid, body: fz.Req("letters_staff", "POST", f"/staff/letters/{tid}/", body=body,
                                           content_type="application/x-www-form-urlencoded"), ids, fields),
        st.builds(lambda tid: fz.Req("letters_staff", "GET", f"/staff/letters/{tid}/"), ids),
        st.builds(lambda tid: fz.Req("letters_staff", "GET", f"/staff/letters/{tid}/record/"), ids),
        query.map(lambda q: fz.Req("letters_staff", "GET", "/staff/letters/", q)),
    )


def check(client: Client, req: fz.Req, kind: str):
    cache.clear()  # every case is a new visitor: the per-client limits are tested elsewhere
    fz.count(kind)
    headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in req.headers}
    response = client.generic(req.method, req.url, data=req.body or b"", content_type=req.content_type, **headers)
    exc_info = getattr(response, "exc_info", None)
    if exc_info and exc_info[1] is not None:
        exc = exc_info[1]
        exc.add_note(f"request: {req.short()}")
        raise exc.with_traceback(exc_info[2])
    problems = fz.http_problems(req, response.status_code, response.get("Content-Type", ""))
    assert not problems, f"{problems} for {req.short()}: {response.content[:300]!r}"
    return response


def test_the_letters_api_never_answers_5xx_and_always_json(world):
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)

    @hset()
    @given(req=api_requests(world))
    def case(req):
        response = check(client, req, "letters API requests")
        assert SECRET_DRAFT.encode() not in response.content

    case()


def test_the_parent_pages_never_answer_5xx(world):
    client = Client(raise_request_exception=False)

    @hset()
    @given(req=page_requests(world))
    def case(req):
        response = check(client, req, "letters page requests")
        assert SECRET_DRAFT.encode() not in response.content

    case()


@pytest.mark.parametrize("role", ["volunteer", "worker", "coordinator"])
def test_the_staff_pages_never_answer_5xx(world, role):
    client = staff_login(Client(raise_request_exception=False), world["users"][role])

    @hset(max(10, EXAMPLES))
    @given(req=staff_requests(world))
    def case(req):
        check(client, req, "letters staff requests")

    case()
