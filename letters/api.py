"""The letter service's JSON API (docs/api.md, "Letters"): the same conventions as bookings
(booking.api: ``endpoint``, ``error``; JSON in and out, the code only in bodies, CSRF-exempt but
JSON-only and refused from foreign origins). An edge: every rule is in letters/services.py.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone, translation

from booking.actors import Actor
from booking.api import endpoint, error
from booking.services import clean_json

from . import services
from .models import Letter, Thread

# A letter of LETTER_MAX_CHARS characters may arrive with every character escaped ("\ud83d\ude00"
# is 12 bytes for one emoji), so the body limit is bigger than the bookings' 16 KiB.
BODY_OVERHEAD = 4 * 1024


def body_limit() -> int:
    return settings.LETTER_MAX_CHARS * 12 + BODY_OVERHEAD


def _body(request):
    if len(request.body) > body_limit():
        return None, error(413, "too_large", "The request body is too large.")
    try:
        data = clean_json(json.loads(request.body or b"null"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, error(400, "bad_json", "The request body is not valid JSON.")
    if not isinstance(data, dict):
        return None, error(400, "bad_json", "The request body must be a JSON object.")
    return data, None


def _invalid(fields: dict) -> JsonResponse:
    return error(400, "invalid", "Invalid letter.", fields=fields)


def _strings(data: dict, names: tuple[str, ...]) -> tuple[dict, dict]:
    values, wrong = {}, {}
    for name in names:
        value = data.get(name)
        if value is None:
            values[name] = ""
        elif isinstance(value, str):
            values[name] = value
        else:
            wrong[name] = ["Must be a string."]
    return values, wrong


def _iso(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def _refusal(exc: services.LetterError) -> JsonResponse:
    if exc.code == "invalid_code":
        return error(404, "not_found", "No letter has this code.")
    if exc.field:
        return _invalid({exc.field: [exc.message]})
    return error(409, exc.code, exc.message)


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response


def thread_json(thread: Thread) -> dict:
    letters = services.parent_letters(thread)
    refusal = services.reply_refusal(thread)
    return {
        "status": services.public_status(thread),
        "nickname": thread.nickname,
        "answer_by": _iso(thread.answer_by),
        "delete_after": _iso(thread.delete_after),
        "can_reply": refusal is None,
        "follow_ups_left": max(0, settings.LETTER_FOLLOW_UPS - services.follow_ups_used(thread)),
        "thread": [
            {
                "from": letter.author,
                "text": letter.text,
                "at": _iso(letter.sent_at or letter.created_at),
                **({"by": letter.written_by.display_name if letter.written_by else None} if letter.author == Letter.Author.HELPLINE else {}),
            }
            for letter in letters
        ],
    }


def _thread_from_code(request, data):
    code = data.get("code")
    if not isinstance(code, str) or not code:
        return None, _invalid({"code": ["This field is required."]})
    try:
        return services.find_by_code(actor=Actor.from_request(request), code=code), None
    except services.LetterError as exc:
        return None, _refusal(exc)


@endpoint("GET", "POST")
def letters(request):
    """GET: what a client needs to show the form (limits, choices). POST: write a new letter."""
    if request.method == "GET":
        return JsonResponse(
            {
                "answer_days": settings.LETTER_ANSWER_DAYS,
                "keep_days": settings.LETTER_KEEP_DAYS,
                "max_chars": settings.LETTER_MAX_CHARS,
                "follow_ups": settings.LETTER_FOLLOW_UPS,
                "audiences": [{"value": value, "label": str(label)} for value, label in Thread.Audience.choices],
                "topics": [{"id": t.pk, "about": t.about, "name": t.name} for t in services.topic_choices()],
            }
        )
    data, problem = _body(request)
    if problem:
        return problem
    values, wrong = _strings(data, ("text", "nickname", "audience", "notify_email"))
    topic = data.get("topic")
    if topic is not None and (isinstance(topic, bool) or not isinstance(topic, (int, str))):
        wrong["topic"] = ["Must be a topic id."]
    if wrong:
        return _invalid(wrong)
    try:
        new = services.letter_create(
            actor=Actor.from_request(request),
            text=values["text"],
            nickname=values["nickname"],
            audience=values["audience"],
            topic=topic,
            notify_email=values["notify_email"],
            language=translation.get_language(),
        )
    except services.LetterError as exc:
        return _refusal(exc)
    thread = new.thread
    body = {"code": new.code, "status": services.public_status(thread), "answer_by": _iso(thread.answer_by)}
    return _no_store(JsonResponse(body, status=201))


@endpoint("POST")
def lookup(request):
    data, problem = _body(request)
    if problem:
        return problem
    thread, problem = _thread_from_code(request, data)
    return problem or _no_store(JsonResponse(thread_json(thread)))


@endpoint("POST")
def reply(request):
    data, problem = _body(request)
    if problem:
        return problem
    text = data.get("text")
    if not isinstance(text, str):
        return _invalid({"text": ["This field is required." if text is None else "Must be a string."]})
    thread, problem = _thread_from_code(request, data)
    if problem:
        return problem
    try:
        services.parent_reply(actor=Actor.from_request(request), thread=thread, text=text)
    except services.LetterError as exc:
        return _refusal(exc)
    thread.refresh_from_db()
    return _no_store(JsonResponse(thread_json(thread), status=201))


@endpoint("POST")
def close(request):
    data, problem = _body(request)
    if problem:
        return problem
    thread, problem = _thread_from_code(request, data)
    if problem:
        return problem
    thread = services.parent_close(actor=Actor.from_request(request), thread=thread)
    return _no_store(JsonResponse(thread_json(thread)))
