"""The letter service's JSON API (docs/api.md, "Letters"): every parent step, the documented errors,
and that a parent never sees an unapproved answer."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from letters import services
from letters.models import Letter, Thread
from tests.conftest import staff_actor

pytestmark = pytest.mark.django_db


def post(client, path, body, **extra):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **extra)


@pytest.fixture
def api():
    return Client()


def test_write_read_reply_and_close_through_the_api(api, letter_worker, settings):
    settings.LETTER_ANSWER_DAYS = 7
    before = timezone.now()
    response = post(api, "/api/v1/letters/", {"text": "Hei, kirjoitan yöllä.", "nickname": "Yökyöpeli", "audience": "adult"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"code", "status", "answer_by"} and body["status"] == "waiting"
    answer_by = dt.datetime.fromisoformat(body["answer_by"])
    assert answer_by.utcoffset() is not None and before + dt.timedelta(days=7) <= answer_by <= timezone.now() + dt.timedelta(days=7)
    assert response["Cache-Control"] == "no-store"
    code = body["code"]

    looked = post(api, "/api/v1/letters/lookup", {"code": code}).json()
    assert looked["status"] == "waiting" and looked["delete_after"] is None and looked["can_reply"] is False
    assert looked["thread"] == [{"from": "parent", "text": "Hei, kirjoitan yöllä.", "at": looked["thread"][0]["at"]}]

    refused = post(api, "/api/v1/letters/reply", {"code": code, "text": "lisää"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_answered"

    thread = Thread.objects.get()
    services.take(actor=staff_actor(letter_worker), thread=thread)
    services.answer_send(actor=staff_actor(letter_worker), thread=thread, text="Hyvä että kirjoitit.")
    looked = post(api, "/api/v1/letters/lookup", {"code": code}).json()
    assert looked["status"] == "answered" and looked["can_reply"] is True and looked["follow_ups_left"] == 1
    assert looked["thread"][-1]["from"] == "helpline" and looked["thread"][-1]["text"] == "Hyvä että kirjoitit."
    assert looked["thread"][-1]["by"] == "Tuija"
    delete_after = dt.datetime.fromisoformat(looked["delete_after"])
    assert delete_after - dt.datetime.fromisoformat(looked["thread"][-1]["at"]) == dt.timedelta(days=settings.LETTER_KEEP_DAYS)

    replied = post(api, "/api/v1/letters/reply", {"code": code, "text": "Kiitos! Vielä yksi asia."})
    assert replied.status_code == 201 and replied.json()["status"] == "waiting" and replied.json()["delete_after"] is None
    services.answer_send(actor=staff_actor(letter_worker), thread=thread, text="Toinen vastaus.")
    again = post(api, "/api/v1/letters/reply", {"code": code, "text": "ja vielä"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "no_more_letters"

    closed = post(api, "/api/v1/letters/close", {"code": code})
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["delete_after"]
    assert post(api, "/api/v1/letters/reply", {"code": code, "text": "x"}).json()["error"]["code"] == "closed"
    assert post(api, "/api/v1/letters/close", {"code": code}).status_code == 200  # closing twice is fine


def test_the_api_never_shows_an_unapproved_answer(api, write_letter, volunteer, letter_worker):
    thread, code = write_letter()
    services.take(actor=staff_actor(volunteer), thread=thread)
    services.draft_save(actor=staff_actor(volunteer), thread=thread, text="LUONNOS-123")
    assert "LUONNOS-123" not in post(api, "/api/v1/letters/lookup", {"code": code}).content.decode()
    letter = services.answer_send(actor=staff_actor(volunteer), thread=thread)
    body = post(api, "/api/v1/letters/lookup", {"code": code})
    assert body.json()["status"] == "waiting" and "LUONNOS-123" not in body.content.decode()
    assert len(body.json()["thread"]) == 1
    services.answer_approve(actor=staff_actor(letter_worker), letter=letter)
    body = post(api, "/api/v1/letters/lookup", {"code": code}).json()
    assert body["status"] == "answered" and body["thread"][-1]["text"] == "LUONNOS-123" and body["thread"][-1]["by"] == "Veera"


def test_the_form_options(api):
    body = api.get("/api/v1/letters/").json()
    assert body["answer_days"] == 7 and body["max_chars"] == 5000 and body["follow_ups"] == 1 and body["keep_days"] == 30
    assert [a["value"] for a in body["audiences"]] == ["child", "adult"]
    assert {t["about"] for t in body["topics"]} == {"child", "adult"} and all(isinstance(t["id"], int) for t in body["topics"])


def test_a_topic_from_the_options_is_accepted(api):
    topic = api.get("/api/v1/letters/").json()["topics"][0]
    response = post(api, "/api/v1/letters/", {"text": "x", "topic": topic["id"]})
    assert response.status_code == 201
    assert Thread.objects.get().topic_id == topic["id"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": " \x00\x01 "}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"text": 5}, "text"),
        ({"text": ["a"]}, "text"),
        ({"text": "x", "nickname": "n" * 41}, "nickname"),
        ({"text": "x", "audience": "dog"}, "audience"),
        ({"text": "x", "topic": 999999}, "topic"),
        ({"text": "x", "topic": True}, "topic"),
        ({"text": "x", "topic": {"id": 1}}, "topic"),
        ({"text": "x", "notify_email": "nope"}, "notify_email"),
        ({"text": "x", "notify_email": 1}, "notify_email"),
    ],
)
def test_invalid_letters_are_400_with_the_field(api, body, field):
    response = post(api, "/api/v1/letters/", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert not Thread.objects.exists()


def test_a_full_length_letter_fits_even_with_every_character_escaped(api):
    text = "ä" * 4999 + "😀"
    data = json.dumps({"text": text}, ensure_ascii=True)
    assert len(data) > 16 * 1024
    response = post(api, "/api/v1/letters/", data)
    assert response.status_code == 201
    assert Letter.objects.get().text == text


def test_an_over_size_body_is_413(api):
    response = post(api, "/api/v1/letters/", json.dumps({"text": "x" * 100_000}))
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


@pytest.mark.parametrize("path", ["/api/v1/letters/lookup", "/api/v1/letters/reply", "/api/v1/letters/close"])
def test_an_unknown_code_is_404(api, path, write_letter):
    write_letter()
    response = post(api, path, {"code": "AAAA-BBBB-CCCC", "text": "x"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert post(api, path, {"text": "x"}).status_code == 400  # no code at all
    assert post(api, path, {"code": 12, "text": "x"}).status_code == 400


def test_a_flagged_letters_code_is_404(api, write_letter, coordinator):
    thread, code = write_letter()
    services.flag(actor=staff_actor(coordinator), thread=thread)
    assert post(api, "/api/v1/letters/lookup", {"code": code}).status_code == 404


def test_wrong_codes_are_limited_like_every_other_code(api, write_letter, settings):
    settings.CODE_ATTEMPTS_LIMIT = 3
    settings.CODE_ATTEMPTS_SLOWDOWN_AFTER = 100
    _, code = write_letter()
    post(api, "/api/v1/bookings/lookup", {"code": "AAAA-AAAA-AAAA"})  # a wrong booking code counts too
    for _ in range(2):
        assert post(api, "/api/v1/letters/lookup", {"code": "AAAA-AAAA-AAAA"}).status_code == 404
    response = post(api, "/api/v1/letters/lookup", {"code": code})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "rate_limited"


def test_new_letters_per_client_per_hour(api, settings):
    settings.LETTERS_PER_CLIENT_PER_HOUR = 2
    for _ in range(2):
        assert post(api, "/api/v1/letters/", {"text": "x"}).status_code == 201
    response = post(api, "/api/v1/letters/", {"text": "x"})
    assert response.status_code == 429 and response.has_header("Retry-After")
    assert Thread.objects.count() == 2


def test_api_conventions(api):
    assert api.get("/api/v1/letters/lookup").status_code == 405
    assert api.get("/api/v1/letters/lookup")["Content-Type"] == "application/json"
    assert api.post("/api/v1/letters/", {"text": "x"}).status_code == 415  # a form post is not JSON
    assert post(api, "/api/v1/letters/", b"{nope").json()["error"]["code"] == "bad_json"
    assert post(api, "/api/v1/letters/", b"[1]").status_code == 400
    foreign = post(api, "/api/v1/letters/", {"text": "x"}, HTTP_ORIGIN="https://evil.example")
    assert foreign.status_code == 403 and not Thread.objects.exists()
    missing = api.get("/api/v1/letters/nope")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"


def test_the_public_status_says_within_how_many_days_letters_are_answered(api, settings):
    from django.core.cache import cache

    settings.LETTER_ANSWER_DAYS = 5
    cache.clear()
    channels = api.get("/api/v1/status/").json()["channels"]
    letter = next(c for c in channels if c["kind"] == "letter")
    assert letter["always_open"] is True and letter["answer_days"] == 5
