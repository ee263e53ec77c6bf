"""The drop-in chat's JSON API (docs/api.md, "Drop-in chat"): enter the queue, look up one's place
by code, leave. The same conventions as the booking API (booking/api.py: JSON in and out, the code
only in bodies, 429 with Retry-After); the chat itself runs on the socket /ws/dropin/.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils import timezone

from booking.actors import Actor
from booking.api import _json_body, endpoint, error

from . import services
from .models import Contact
from .services import DropinError

REFUSALS = {
    "closed": 409, "last_entry": 409, "staff_entry": 403, "invalid_code": 404, "ended": 409,
    "invalid_nickname": 400, "invalid_topic": 400, "invalid_audience": 400,
}
FIELDS = {"invalid_nickname": "nickname", "invalid_topic": "topic", "invalid_audience": "audience"}


def _refusal(exc: DropinError) -> JsonResponse:
    status = REFUSALS.get(exc.code, 400)
    if exc.code in FIELDS:
        return error(status, "invalid", exc.message, fields={FIELDS[exc.code]: [exc.message]})
    return error(status, exc.code, exc.message)


def contact_json(contact: Contact) -> dict:
    state = {Contact.State.WAITING: "waiting", Contact.State.TAKEN: "chatting"}.get(contact.state, "ended")
    body = {"status": state, "arrived_at": timezone.localtime(contact.arrived_at).isoformat(), "position": None, "estimate_minutes": None}
    if contact.state == Contact.State.WAITING:
        body["position"] = services.position(contact=contact)
        per_place, _seats = services.per_place_seconds()
        body["estimate_minutes"] = services.estimate_minutes(body["position"], per_place)
    return body


@endpoint("POST")
def enter(request):
    data, problem = _json_body(request)
    if problem:
        return problem
    wrong = {k: ["Must be a string."] for k in ("nickname", "topic", "audience") if data.get(k) is not None and not isinstance(data.get(k), str)}
    if wrong:
        return error(400, "invalid", "Invalid entry.", fields=wrong)
    try:
        contact, code = services.contact_enter(
            actor=Actor.from_request(request), nickname=data.get("nickname") or "", topic=data.get("topic") or "",
            audience=data.get("audience") or "",
        )
    except DropinError as exc:
        return _refusal(exc)
    body = {**contact_json(contact), "code": code, "socket": "/ws/dropin/"}
    response = JsonResponse(body, status=201)
    response["Cache-Control"] = "no-store"
    return response


def _contact(request, data):
    code = data.get("code")
    if not isinstance(code, str) or not code:
        return None, error(400, "invalid", "Invalid request.", fields={"code": ["This field is required."]})
    try:
        return services.contact_for_code(actor=Actor.from_request(request), code=code), None
    except DropinError as exc:
        return None, _refusal(exc)


@endpoint("POST")
def lookup(request):
    data, problem = _json_body(request)
    if problem:
        return problem
    contact, problem = _contact(request, data)
    return problem or JsonResponse(contact_json(contact))


@endpoint("POST")
def leave(request):
    data, problem = _json_body(request)
    if problem:
        return problem
    contact, problem = _contact(request, data)
    if problem:
        return problem
    contact = services.parent_leave(contact=contact)
    return JsonResponse(contact_json(contact))
