"""Parent-facing booking pages. No accounts, no personal data."""

import datetime as dt

from django.contrib import messages
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

from staff.models import User

from . import ratelimit, selectors, services
from .forms import BookingForm
from .models import Booking, Service

ICS_SALT = "booking.ics"


def home(request):
    """The landing page: every appointment-chat service with its audience and next free time, and
    whether the helpline's other channels are open now."""
    from hours import selectors as hours_selectors

    now = timezone.now()
    context = {
        "services": hours_selectors.service_statuses(now=now),
        "channels": hours_selectors.channel_statuses(now=now),
        "now": now,
    }
    return render(request, "booking/home.html", context)


def _week_start(value: str | None) -> dt.date:
    today = timezone.localdate()
    try:
        day = dt.date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    day = max(day, today - dt.timedelta(days=today.weekday()))
    return day - dt.timedelta(days=day.weekday())


def week(request, slug):
    service = get_object_or_404(Service, slug=slug, is_active=True)
    monday = _week_start(request.GET.get("week"))
    workers = list(service.workers.filter(is_active=True).order_by("pseudonym"))
    worker = next((w for w in workers if w.public_id == request.GET.get("worker")), None)
    slots = selectors.free_slots(service=service, start_date=monday, end_date=monday + dt.timedelta(days=6), worker=worker)
    if not slots and not request.GET.get("week"):
        # Nothing free this week: open the first week that has a free time, rather than an empty page.
        later = selectors.free_slots(
            service=service, start_date=monday, end_date=timezone.localdate() + dt.timedelta(days=service.horizon_days), worker=worker
        )
        if later:
            monday = _week_start(timezone.localtime(later[0].start).date().isoformat())
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
        start = dt.datetime.fromisoformat(source.get("start", ""))
        if start.tzinfo is None:
            raise ValueError
    except ValueError:
        messages.error(request, _("Please choose a time from the calendar."))
        return redirect("booking:week", slug=slug)
    worker = User.objects.filter(public_id=source.get("worker") or "-", is_active=True).first()
    form = BookingForm(service=service)
    error = None
    alternatives = []
    status = 200
    if request.method == "POST":
        form = BookingForm(request.POST, service=service)
        address = ratelimit.address_from_request(request)
        if not ratelimit.booking_allowed(address):
            error, status = _("You have just made several bookings. You can book again in an hour."), 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                new = services.booking_create(
                    service=service,
                    start=data["start"],
                    worker=data["worker"],
                    nickname=data["nickname"],
                    topic=data["topic"],
                    reminder_email=data["reminder_email"],
                )
            except services.BookingError as exc:
                if exc.field in ("nickname", "topic"):
                    form.add_error(exc.field, exc.message)
                else:
                    error, alternatives = exc.message, exc.alternatives
            else:
                ratelimit.register_booking(address)
                return _done(request, new)
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


def ics_url(booking: Booking) -> str:
    """A link to the booking's .ics that carries no code: a signed, expiring token of its id."""
    return reverse("booking:ics", args=[signing.dumps(booking.pk, salt=ICS_SALT)])


def _done(request, new: services.NewBooking):
    """The confirmation page: the only time the code is ever shown. Never cached, never stored."""
    booking = new.booking
    token = signing.dumps(booking.pk, salt=ICS_SALT)
    response = render(
        request,
        "booking/done.html",
        {"booking": booking, "code": new.code, "ics_token": token, "join_link": format_html('<a href="{0}">{0}</a>', request.build_absolute_uri(reverse("chatrooms:join")))},
    )
    response["Cache-Control"] = "no-store"
    return response


def booking_ics(request, token):
    """An .ics for the parent's own calendar: the time and how to join; no code, no nickname."""
    try:
        booking_id = signing.loads(token, salt=ICS_SALT, max_age=60 * 60 * 24 * 90)
    except signing.BadSignature:
        raise Http404 from None
    booking = get_object_or_404(Booking, pk=booking_id)
    join_url = request.build_absolute_uri(reverse("chatrooms:join"))
    return ics_response(booking_calendar(booking, join_url=join_url), "ajanvaraus.ics")


def booking_calendar(booking: Booking, *, join_url: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//MLL//Ajanvarauschat//FI")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"{signing.Signer(salt='ics-uid').sign(str(booking.pk)).split(':')[-1]}@ajanvaraus")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.start)
    event.add("dtend", booking.end)
    event.add("summary", booking.service.name)
    event.add(
        "description",
        _("Join the chat at %(url)s with the code you were given. The code is not saved in this calendar entry.")
        % {"url": join_url},
    )
    event.add("url", join_url)
    cal.add_component(event)
    return cal


def ics_response(cal: Calendar, filename: str) -> HttpResponse:
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def manage(request):
    """Look a booking up with its code, and cancel it."""
    context = {}
    if request.method == "POST":
        address = ratelimit.address_from_request(request)
        code = request.POST.get("code", "")
        if ratelimit.is_blocked(address):
            context["error"] = _("Too many attempts. Please wait a while and try again.")
            return render(request, "booking/manage.html", context, status=429)
        booking = selectors.booking_by_code(code)
        if booking is None:
            ratelimit.register_failure(address)
            context["error"] = _("The code was not recognised. Please check it and try again.")
            return render(request, "booking/manage.html", context, status=400)
        if request.POST.get("action") == "cancel":
            try:
                booking = services.booking_cancel(booking=booking)
                context["cancelled_now"] = True
            except services.BookingError as exc:
                context["error"] = exc.message
        context.update({"booking": booking, "code": code})
    return render(request, "booking/manage.html", context)


def privacy(request):
    return render(request, "booking/privacy.html")
