"""The public JSON API (docs/api.md). An edge: it reads JSON, builds the actor, calls
booking.services and writes JSON. Every rule (limits, eligibility, what a state allows) is in the
services.

Parents have no accounts, so nothing here uses cookies: the views are CSRF-exempt and every booking
action is authorised by its code in the JSON body. Instead of CSRF, a POST must be
``application/json`` (which a foreign page cannot send without a CORS preflight that only
``API_ORIGINS`` pass) and must not come from a foreign ``Origin``.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from . import localtime, selectors, services
from .actors import Actor
from .forms import BookingForm
from .models import Booking, Service
from .ratelimit import RateLimited

MAX_RANGE_DAYS = 62
MAX_BODY_BYTES = 16 * 1024


def error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)


def rate_limited(exc: RateLimited) -> JsonResponse:
    message = "Too many bookings from this client. Try again later." if exc.what == "bookings" else "Too many attempts. Try again later."
    response = error(429, "rate_limited", message, retry_after=exc.retry_after)
    response["Retry-After"] = str(exc.retry_after)
    return response


# --- the edge's own checks: methods, media type, origin --------------------------------------------
def _origin_allowed(request, origin: str) -> bool:
    own = f"{request.scheme}://{request.get_host()}"
    return origin == own or origin in settings.API_ORIGINS or "*" in settings.API_ORIGINS


def _cors(request, response):
    origin = request.headers.get("Origin")
    if origin and origin in settings.API_ORIGINS:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Headers"] = "Content-Type, Idempotency-Key"
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Max-Age"] = "86400"
    response["Vary"] = "Origin"
    return response


def endpoint(*methods: str):
    """JSON in and out for the listed methods: 405 as JSON for others, a preflight answer for
    allowed origins, and for POST: 415 unless the body is JSON, 403 from a foreign Origin."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "OPTIONS":
                return _cors(request, HttpResponse(status=204, content_type="application/json"))
            if request.method not in methods:
                response = error(405, "method_not_allowed", f"Use {' or '.join(methods)}.")
                response["Allow"] = ", ".join(methods)
                return response
            if request.method == "POST":
                origin = request.headers.get("Origin")
                if origin and not _origin_allowed(request, origin):
                    return error(403, "forbidden_origin", "Requests from this site are not accepted.")
                if request.body and request.content_type != "application/json":
                    return error(415, "unsupported_media_type", "Send the body as application/json.")
            try:
                response = view(request, *args, **kwargs)
            except RateLimited as exc:
                response = rate_limited(exc)
            return _cors(request, response)

        return wrapped

    return decorate


def _json_body(request):
    if len(request.body) > MAX_BODY_BYTES:
        return None, error(413, "too_large", "The request body is too large.")
    try:
        data = services.clean_json(json.loads(request.body or b"null"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, error(400, "bad_json", "The request body is not valid JSON.")
    if not isinstance(data, dict):
        return None, error(400, "bad_json", "The request body must be a JSON object.")
    return data, None


def _invalid(message: str, fields: dict) -> JsonResponse:
    return error(400, "invalid", message, fields=fields)


# --- output --------------------------------------------------------------------------------------
def service_json(service: Service) -> dict:
    return {
        "slug": service.slug,
        "name": service.name,
        "names": {"fi": service.name, "sv": service.name_sv or service.name, "en": service.name_en or service.name},
        "description": service.description,
        "audience": service.audience,
        "slot_minutes": service.slot_minutes,
        "min_notice_minutes": service.min_notice_minutes,
        "horizon_days": service.horizon_days,
        "workers": [{"id": w.public_id, "pseudonym": w.display_name} for w in selectors.bookable_workers(service)],
    }


def booking_json(booking: Booking) -> dict:
    opens, closes = selectors.join_window(booking)
    return {
        "service": booking.service.slug,
        "start": timezone.localtime(booking.start).isoformat(),
        "end": timezone.localtime(booking.end).isoformat(),
        "worker": {"id": booking.worker.public_id, "pseudonym": booking.worker.display_name},
        "nickname": booking.nickname,
        "status": booking.status,
        "follow_up": booking.follow_up_of_id is not None,
        "join_opens": timezone.localtime(opens).isoformat(),
        "join_closes": timezone.localtime(closes).isoformat(),
        "message": booking.cancel_message,
    }


def _booking_error(exc: services.BookingError) -> JsonResponse:
    if exc.code in ("slot_taken",):
        return error(409, exc.code, exc.message, alternatives=[s.as_json() for s in exc.alternatives])
    if exc.code in ("not_cancellable", "not_booked", "started", "too_late", "too_many_follow_ups", "idempotency_key_reused"):
        return error(409, exc.code, exc.message)
    if exc.code == "invalid_code":
        return error(404, "not_found", "No booking has this code.")
    return _invalid("Invalid booking.", {exc.field or "start": [exc.message]})


# --- endpoints ------------------------------------------------------------------------------------
@endpoint("GET")
def services_list(request):
    qs = Service.objects.filter(is_active=True).prefetch_related("workers")
    return JsonResponse({"services": [service_json(s) for s in qs]})


@endpoint("GET")
def slots(request, slug):
    service = get_object_or_404(Service, slug=slug, is_active=True)
    today = timezone.localdate()
    errors = {}
    start_date = end_date = None
    try:
        start_date = localtime.parse_date_or(request.GET.get("from"), today)
    except localtime.TimeInputError as exc:
        errors["from"] = [exc.message]
    try:
        end_date = localtime.parse_date_or(request.GET.get("to"), today + dt.timedelta(days=13))
    except localtime.TimeInputError as exc:
        errors["to"] = [exc.message]
    if not errors and end_date < start_date:
        errors["to"] = ["'to' must not be before 'from'."]
    if not errors and (end_date - start_date).days > MAX_RANGE_DAYS:
        errors["to"] = [f"At most {MAX_RANGE_DAYS} days at a time."]
    worker = None
    if request.GET.get("worker"):
        worker = selectors.bookable_worker(service, request.GET["worker"])
        if worker is None:
            errors["worker"] = ["Unknown worker."]
    if errors:
        return _invalid("Invalid query.", errors)
    found = selectors.free_slots(service=service, start_date=start_date, end_date=end_date, worker=worker)
    return JsonResponse({"service": service.slug, "slots": [s.as_json() for s in found]})


def _form_fields(data: dict) -> tuple[dict, dict]:
    form_data = {k: v for k, v in data.items() if isinstance(v, str)}
    wrong_types = {k: ["Must be a string."] for k, v in data.items() if not isinstance(v, str) and v is not None}
    return form_data, wrong_types


@endpoint("POST")
def bookings_create(request):
    data, problem = _json_body(request)
    if problem:
        return problem
    form_data, wrong_types = _form_fields(data)
    form_data.pop("idempotency_key", None)  # the API's key is the Idempotency-Key header
    form = BookingForm(form_data, require_privacy=False)
    if wrong_types or not form.is_valid():
        fields = {**{k: [str(m) for m in v] for k, v in form.errors.items()}, **wrong_types}
        return _invalid("Invalid booking.", fields)
    cleaned = form.cleaned_data
    actor = Actor.from_request(request)
    key = request.headers.get("Idempotency-Key", "")
    try:
        previous = None
        if cleaned.get("follow_up_of"):
            try:
                previous = services.find_by_code(actor=actor, code=cleaned["follow_up_of"])
            except services.BookingError:
                return _invalid("Invalid booking.", {"follow_up_of": ["The code is not valid for a follow-up."]})
        new = services.booking_create(
            actor=actor,
            service=cleaned["service"],
            start=cleaned["start"],
            worker=cleaned["worker"],
            nickname=cleaned["nickname"],
            topic=cleaned["topic"],
            reminder_email=cleaned["reminder_email"],
            follow_up_of=previous,
            idempotency_key=key,
        )
    except services.BookingError as exc:
        if exc.field == "idempotency_key" and exc.code != "idempotency_key_reused":
            return _invalid("Invalid booking.", {"Idempotency-Key": ["Use 16–128 visible ASCII characters, e.g. a UUID."]})
        return _booking_error(exc)
    body = booking_json(new.booking)
    body["code"] = new.code or None
    if new.replayed:
        body["replayed"] = True
    response = JsonResponse(body, status=200 if new.replayed else 201)
    response["Cache-Control"] = "no-store"
    return response


def _booking_from_code(request, data):
    code = data.get("code")
    if not isinstance(code, str) or not code:
        return None, _invalid("Invalid request.", {"code": ["This field is required."]})
    try:
        return services.find_by_code(actor=Actor.from_request(request), code=code), None
    except services.BookingError:
        return None, error(404, "not_found", "No booking has this code.")


@endpoint("POST")
def bookings_lookup(request):
    data, problem = _json_body(request)
    if problem:
        return problem
    booking, problem = _booking_from_code(request, data)
    return problem or JsonResponse(booking_json(booking))


@endpoint("POST")
def bookings_cancel(request):
    data, problem = _json_body(request)
    if problem:
        return problem
    booking, problem = _booking_from_code(request, data)
    if problem:
        return problem
    try:
        booking = services.booking_cancel(actor=Actor.from_request(request), booking=booking)
    except services.BookingError as exc:
        return error(409, "not_cancellable", exc.message)
    return JsonResponse(booking_json(booking))


@endpoint("POST")
def bookings_reschedule(request):
    """Change the time, with the same worker; the code stays the same (docs/api.md)."""
    data, problem = _json_body(request)
    if problem:
        return problem
    try:
        start = localtime.parse_instant(data.get("start"))
    except localtime.TimeInputError as exc:
        return _invalid("Invalid request.", {"start": [exc.message]})
    booking, problem = _booking_from_code(request, data)
    if problem:
        return problem
    try:
        booking = services.booking_move(actor=Actor.from_request(request), booking=booking, start=start)
    except services.BookingError as exc:
        return _booking_error(exc)
    return JsonResponse(booking_json(booking))
