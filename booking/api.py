"""The public JSON API (docs/api.md). Parents have no accounts, so nothing here uses cookies:
the views are CSRF-exempt and every booking action is authorised by its code in the JSON body."""

import datetime as dt
import json

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import ratelimit, selectors, services
from .forms import BookingForm
from .models import Booking, Service

MAX_RANGE_DAYS = 62
MAX_BODY_BYTES = 16 * 1024


def error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)


def _too_many(message: str, wait: int) -> JsonResponse:
    response = error(429, "rate_limited", message, retry_after=wait)
    response["Retry-After"] = str(wait)
    return response


def _rate_limited(address: str) -> JsonResponse:
    return _too_many("Too many attempts. Try again later.", ratelimit.retry_after(address))


def _json_body(request):
    if len(request.body) > MAX_BODY_BYTES:
        return None, error(413, "too_large", "The request body is too large.")
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None, error(400, "bad_json", "The request body is not valid JSON.")
    if not isinstance(data, dict):
        return None, error(400, "bad_json", "The request body must be a JSON object.")
    return data, None


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
        "workers": [{"id": w.public_id, "pseudonym": w.display_name} for w in service.workers.all() if w.is_active],
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


@require_GET
def services_list(request):
    qs = Service.objects.filter(is_active=True).prefetch_related("workers")
    return JsonResponse({"services": [service_json(s) for s in qs]})


@require_GET
def slots(request, slug):
    service = get_object_or_404(Service, slug=slug, is_active=True)
    today = timezone.localdate()
    errors = {}
    try:
        start_date = dt.date.fromisoformat(request.GET["from"]) if request.GET.get("from") else today
    except ValueError:
        errors["from"] = ["Use YYYY-MM-DD."]
    try:
        end_date = (
            dt.date.fromisoformat(request.GET["to"]) if request.GET.get("to") else today + dt.timedelta(days=13)
        )
    except ValueError:
        errors["to"] = ["Use YYYY-MM-DD."]
    if not errors and end_date < start_date:
        errors["to"] = ["'to' must not be before 'from'."]
    if not errors and (end_date - start_date).days > MAX_RANGE_DAYS:
        errors["to"] = [f"At most {MAX_RANGE_DAYS} days at a time."]
    worker = None
    if request.GET.get("worker"):
        worker = service.workers.filter(public_id=request.GET["worker"], is_active=True).first()
        if worker is None:
            errors["worker"] = ["Unknown worker."]
    if errors:
        return error(400, "invalid", "Invalid query.", fields=errors)
    found = selectors.free_slots(service=service, start_date=start_date, end_date=end_date, worker=worker)
    return JsonResponse({"service": service.slug, "slots": [s.as_json() for s in found]})


@csrf_exempt
@require_POST
def bookings_create(request):
    data, problem = _json_body(request)
    if problem:
        return problem
    form_data = {k: v for k, v in data.items() if isinstance(v, str)}
    wrong_types = {k: ["Must be a string."] for k, v in data.items() if not isinstance(v, str) and v is not None}
    form = BookingForm(form_data, require_privacy=False)
    if wrong_types or not form.is_valid():
        fields = {**{k: [str(m) for m in v] for k, v in form.errors.items()}, **wrong_types}
        return error(400, "invalid", "Invalid booking.", fields=fields)
    cleaned = form.cleaned_data
    previous = None
    address = ratelimit.address_from_request(request)
    if not ratelimit.booking_allowed(address):
        return _too_many("Too many bookings from this client. Try again later.", ratelimit.BOOKING_WINDOW_SECONDS)
    if cleaned.get("follow_up_of"):
        if ratelimit.is_blocked(address):
            return _rate_limited(address)
        previous = selectors.booking_by_code(cleaned["follow_up_of"])
        if previous is None or previous.status != Booking.Status.BOOKED or previous.service_id != cleaned["service"].pk:
            if previous is None:
                ratelimit.register_failure(address)
            return error(400, "invalid", "Invalid booking.", fields={"follow_up_of": ["The code is not valid for a follow-up."]})
    try:
        new = services.booking_create(
            service=cleaned["service"],
            start=cleaned["start"],
            worker=cleaned["worker"],
            nickname=cleaned["nickname"],
            topic=cleaned["topic"],
            reminder_email=cleaned["reminder_email"],
            follow_up_of=previous,
        )
    except services.BookingError as exc:
        if exc.code == "slot_taken":
            return error(409, exc.code, exc.message, alternatives=[s.as_json() for s in exc.alternatives])
        return error(400, "invalid", "Invalid booking.", fields={exc.field or "start": [exc.message]})
    ratelimit.register_booking(address)
    body = booking_json(new.booking)
    body["code"] = new.code
    response = JsonResponse(body, status=201)
    response["Cache-Control"] = "no-store"
    return response


def _booking_from_code(request):
    data, problem = _json_body(request)
    if problem:
        return None, problem
    address = ratelimit.address_from_request(request)
    if ratelimit.is_blocked(address):
        return None, _rate_limited(address)
    code = data.get("code")
    if not isinstance(code, str) or not code:
        return None, error(400, "invalid", "Invalid request.", fields={"code": ["This field is required."]})
    booking = selectors.booking_by_code(code)
    if booking is None:
        ratelimit.register_failure(address)
        return None, error(404, "not_found", "No booking has this code.")
    return booking, None


@csrf_exempt
@require_POST
def bookings_lookup(request):
    booking, problem = _booking_from_code(request)
    return problem or JsonResponse(booking_json(booking))


@csrf_exempt
@require_POST
def bookings_cancel(request):
    booking, problem = _booking_from_code(request)
    if problem:
        return problem
    try:
        booking = services.booking_cancel(booking=booking)
    except services.BookingError as exc:
        return error(409, exc.code, exc.message)
    return JsonResponse(booking_json(booking))
