"""Parent-facing booking pages. No accounts, no personal data. An edge: forms in, services called,
pages out; the rules are in booking/services.py."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from icalendar import Calendar, Event

from . import codes, localtime, selectors, services
from .actors import Actor
from .forms import BookingForm, ManageForm
from .models import Booking, Service
from .ratelimit import RateLimited

# The confirmation is answered with a redirect (post/redirect/get), so a reload never posts the
# form again. The code crosses the redirect in this short-lived, signed, HttpOnly cookie in the
# parent's own browser (never in the database or a URL); the quick exit deletes it too.
DONE_COOKIE = "booking_done"
DONE_COOKIE_SALT = "booking.done"
DONE_COOKIE_SECONDS = 600


def _bad_input(request, message: str, *, status: int = 400):
    return render(request, "booking/bad_input.html", {"message": message}, status=status)


def _week_start(value: str | None) -> dt.date:
    """Monday of the week asked for (this week at the earliest); TimeInputError for a bad date."""
    today = timezone.localdate()
    day = localtime.parse_date_or(value, today, earliest=today - dt.timedelta(days=366), latest=today + dt.timedelta(days=3 * 366))
    return localtime.week_start(max(day, localtime.week_start(today)))


def week(request, slug):
    service = get_object_or_404(Service, slug=slug, is_active=True)
    try:
        monday = _week_start(request.GET.get("week"))
    except localtime.TimeInputError as exc:
        return _bad_input(request, exc.message)
    workers = list(selectors.bookable_workers(service))
    worker = next((w for w in workers if w.public_id == request.GET.get("worker")), None)
    slots = selectors.free_slots(service=service, start_date=monday, end_date=monday + dt.timedelta(days=6), worker=worker)
    if not slots and not request.GET.get("week"):
        # Nothing free this week: open the first week that has a free time, rather than an empty page.
        later = selectors.free_slots(
            service=service, start_date=monday, end_date=timezone.localdate() + dt.timedelta(days=service.horizon_days), worker=worker
        )
        if later:
            monday = localtime.week_start(timezone.localtime(later[0].start).date())
            slots = [s for s in later if timezone.localtime(s.start).date() <= monday + dt.timedelta(days=6)]
    days = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        day_slots = [s for s in slots if timezone.localtime(s.start).date() == day]
        if worker is None:  # any worker: one button per time
            unique = {}
            for s in day_slots:
                unique.setdefault(s.start, s)
            day_slots = list(unique.values())
        days.append({"date": day, "slots": day_slots})
    today = timezone.localdate()
    horizon_end = today + dt.timedelta(days=service.horizon_days)
    context = {
        "service": service,
        "workers": workers,
        "worker": worker,
        "days": days,
        "monday": monday,
        "prev_week": monday - dt.timedelta(days=7) if monday > today else None,
        "next_week": monday + dt.timedelta(days=7) if monday + dt.timedelta(days=7) <= horizon_end else None,
        "has_slots": bool(slots),
    }
    return render(request, "booking/week.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, slug):
    service = get_object_or_404(Service, slug=slug, is_active=True)
    source = request.POST if request.method == "POST" else request.GET
    try:
        start = localtime.parse_instant(source.get("start", ""))
    except localtime.TimeInputError:
        return _bad_input(request, _("Please choose a time from the calendar."))
    worker = selectors.bookable_worker(service, source.get("worker"))
    form = BookingForm(service=service)
    error = None
    alternatives = []
    status = 200
    if request.method == "POST":
        form = BookingForm(request.POST, service=service)
        if form.is_valid():
            data = form.cleaned_data
            try:
                new = services.booking_create(
                    actor=Actor.from_request(request),
                    service=service,
                    start=data["start"],
                    worker=data["worker"],
                    nickname=data["nickname"],
                    topic=data["topic"],
                    reminder_email=data["reminder_email"],
                    idempotency_key=data["idempotency_key"],
                )
            except RateLimited:
                error, status = _("You have just made several bookings. You can book again in an hour."), 429
            except services.BookingError as exc:
                if exc.field in ("nickname", "topic"):
                    form.add_error(exc.field, exc.message)
                else:
                    error, alternatives = exc.message, exc.alternatives
            else:
                return _to_done(request, new)
    context = {
        "service": service,
        "start": start,
        "end": start + dt.timedelta(minutes=service.slot_minutes),
        "worker": worker,
        "form": form,
        "error": error,
        "alternatives": alternatives,
    }
    if error and status == 200:
        status = 409
    return render(request, "booking/confirm.html", context, status=status)


def _to_done(request, new: services.NewBooking):
    """Post/redirect/get: the code goes to the confirmation page in a short-lived signed cookie."""
    response = redirect("booking:done", slug=new.booking.service.slug)
    if new.code:
        value = signing.dumps({"b": new.booking.pk, "c": new.code}, salt=DONE_COOKIE_SALT)
        response.set_cookie(
            DONE_COOKIE, value, max_age=DONE_COOKIE_SECONDS, path="/book/", secure=settings.SESSION_COOKIE_SECURE,
            httponly=True, samesite="Strict",
        )
    return response


@never_cache
def done(request, slug):
    """The confirmation: the code, the time, how to join. Shown from the cookie the booking set, so
    a reload shows the same page (and books nothing); after a few minutes the cookie is gone."""
    try:
        data = signing.loads(request.COOKIES.get(DONE_COOKIE, ""), salt=DONE_COOKIE_SALT, max_age=DONE_COOKIE_SECONDS)
        booking = Booking.objects.select_related("service", "worker").get(pk=data["b"], service__slug=slug)
        code = data["c"]
    except (signing.BadSignature, Booking.DoesNotExist, KeyError, TypeError):
        return render(request, "booking/done_expired.html", {"slug": slug}, status=200)
    if not booking.code_hash or selectors.booking_by_code(code) != booking:
        return render(request, "booking/done_expired.html", {"slug": slug}, status=200)
    response = render(
        request,
        "booking/done.html",
        {
            "booking": booking,
            "code": code,
            "code_groups": code_groups(code),
            "ics_url": ics_url(booking),
            "join_link": format_html('<a href="{0}">{0}</a>', request.build_absolute_uri(reverse("chatrooms:join"))),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


def code_groups(code: str) -> list[str]:
    """A code in the groups it is printed in: ["7KQM", "XR4T", "9HWE"]."""
    plain = codes.normalize(code) or code
    return [plain[i : i + codes.GROUP] for i in range(0, len(plain), codes.GROUP)]


def ics_url(booking: Booking) -> str | None:
    """A link to the booking's .ics that carries no code and no id: its random calendar token.
    None once the booking is cancelled or purged."""
    if not booking.calendar_token:
        return None
    return reverse("booking:ics", args=[booking.calendar_token])


def booking_ics(request, token):
    """An .ics for the parent's own calendar: the time and how to join; no code, no nickname."""
    if not token or len(token) > 64:
        raise Http404
    booking = get_object_or_404(Booking.objects.select_related("service"), calendar_token=token, status=Booking.Status.BOOKED)
    join_url = request.build_absolute_uri(reverse("chatrooms:join"))
    return ics_response(booking_calendar(booking, join_url=join_url), "ajanvaraus.ics")


def ics_time(value: dt.datetime) -> dt.datetime:
    """A time for a calendar file: on the helpline's clock, written ``TZID=Europe/Helsinki`` (with
    its VTIMEZONE, see ``ics_response``), never in UTC, so that every calendar shows the Finnish
    time the pages show."""
    return value.astimezone(localtime.TZ)


def booking_calendar(booking: Booking, *, join_url: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//MLL//Ajanvarauschat//FI")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"{booking.calendar_token[:22]}@ajanvaraus")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", ics_time(booking.start))
    event.add("dtend", ics_time(booking.end))
    event.add("summary", booking.service.name)
    event.add(
        "description",
        _("Join the chat at %(url)s with the code you were given. The code is not saved in this calendar entry.")
        % {"url": join_url},
    )
    event.add("url", join_url)
    cal.add_component(event)
    return cal


def add_timezones(cal: Calendar) -> Calendar:
    """A VTIMEZONE for every TZID the calendar's events use (RFC 5545 asks for one each; Outlook
    needs it), from icalendar's own tz data, covering the years of the events."""
    starts = [c.decoded("dtstart") for c in cal.walk("VEVENT") if "DTSTART" in c]
    starts = [s for s in starts if isinstance(s, dt.datetime)]
    if starts:
        first = min(starts).date().replace(month=1, day=1)
        last = max(starts).date().replace(month=1, day=1) + dt.timedelta(days=2 * 366)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal


def ics_response(cal: Calendar, filename: str) -> HttpResponse:
    response = HttpResponse(add_timezones(cal).to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- the look-up page: look up, change the time, cancel ------------------------------------------------
def _manage_render(request, context: dict, *, status: int = 200):
    return render(request, "booking/manage.html", context, status=status)


def _refusal_text(booking: Booking, *, action: str, actor: Actor) -> str | None:
    refusal = services.change_refusal(booking, action=action, actor=actor)
    return str(services.BookingError.MESSAGES[refusal]) if refusal else None


def _free_week(booking: Booking, week: dt.date | None) -> dict:
    """The booking's own worker's free times for a week, day by day, like the week view: the week
    asked for (within the booking period), else the booked time's own week, else the first week
    from now that has a free time."""
    service, worker = booking.service, booking.worker
    today = timezone.localdate()
    first_monday = localtime.week_start(today)
    horizon_end = today + dt.timedelta(days=service.horizon_days)
    monday = localtime.week_start(week or timezone.localtime(booking.start).date())
    monday = min(max(monday, first_monday), localtime.week_start(horizon_end))
    slots = selectors.free_slots(service=service, worker=worker, start_date=monday, end_date=monday + dt.timedelta(days=6))
    if not slots and week is None:
        later = selectors.free_slots(service=service, worker=worker, start_date=monday, end_date=horizon_end)
        if later:
            monday = localtime.week_start(timezone.localtime(later[0].start).date())
            slots = [s for s in later if timezone.localtime(s.start).date() <= monday + dt.timedelta(days=6)]
    days = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        days.append({"date": day, "slots": [s for s in slots if timezone.localtime(s.start).date() == day]})
    return {
        "monday": monday,
        "days": days,
        "has_slots": bool(slots),
        "prev_week": monday - dt.timedelta(days=7) if monday > first_monday else None,
        "next_week": monday + dt.timedelta(days=7) if monday + dt.timedelta(days=7) <= horizon_end else None,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def manage(request):
    """Look a booking up with its code; change its time (the same worker, the code kept) or cancel it.

    Every step is a POST: the code travels in a hidden field of each step's form, never in a URL,
    and is checked again (under the code-entry limit) each time. Nothing changes without a confirm
    step: choosing a time asks "change to this time?", cancelling asks "are you sure?". The rules
    (who may change what, limits, free times) are booking.services'.
    """
    if request.method != "POST":
        return _manage_render(request, {})
    form = ManageForm(request.POST)
    form.is_valid()
    code = form.cleaned_data.get("code") or request.POST.get("code", "")[:64]
    context = {"code": code}
    actor = Actor.from_request(request)
    try:
        booking = services.find_by_code(actor=actor, code=code)
    except RateLimited:
        context["error"] = _("Too many attempts. Please wait a while and try again.")
        return _manage_render(request, context, status=429)
    except services.BookingError:
        context["error"] = _("The code was not recognised. Please check it and try again.")
        return _manage_render(request, context, status=400)
    action = form.cleaned_data.get("action") or ManageForm.LOOKUP
    start = form.cleaned_data.get("start")
    context.update(booking=booking, step="lookup")
    status = 200

    if action in (ManageForm.TIMES, ManageForm.MOVE):
        refusal = _refusal_text(booking, action="reschedule", actor=actor)
        if refusal:
            context["error"] = refusal
            status = 409
        elif form.has_error("start") or form.has_error("week"):
            context.update(step="times", error=_("Please choose a time from the list."), **_free_week(booking, None))
            status = 400
        elif action == ManageForm.TIMES and start is None:
            context.update(step="times", **_free_week(booking, form.cleaned_data.get("week")))
        elif action == ManageForm.TIMES:
            context.update(step="confirm_move", new_start=start, new_end=start + dt.timedelta(minutes=booking.service.slot_minutes))
        else:
            old_start = booking.start
            try:
                booking = services.booking_move(actor=actor, booking=booking, start=start)
            except RateLimited:
                context["error"] = _("You have just made several bookings or changes. You can try again in an hour.")
                status = 429
            except services.BookingError as exc:
                context.update(error=exc.message, alternatives=exc.alternatives)
                status = 409
            else:
                context.update(booking=booking, moved_now=True, old_start=old_start, ics_url=ics_url(booking))
    elif action == ManageForm.CANCEL:
        refusal = _refusal_text(booking, action="cancel", actor=actor)
        if refusal:
            context["error"] = refusal
            status = 409
        else:
            context["step"] = "confirm_cancel"
    elif action == ManageForm.CANCEL_CONFIRMED:
        try:
            booking = services.booking_cancel(actor=actor, booking=booking)
        except services.BookingError as exc:
            context["error"] = exc.message
            status = 409
        else:
            context.update(booking=booking, cancelled_now=True)
            if booking.service.is_active:
                context["book_again_url"] = reverse("booking:week", args=[booking.service.slug])

    context["booking"] = booking
    context["can_reschedule"] = services.change_refusal(booking, action="reschedule", actor=actor) is None
    context["can_cancel"] = services.change_refusal(booking, action="cancel", actor=actor) is None
    return _manage_render(request, context, status=status)


def privacy(request):
    return render(request, "booking/privacy.html")
