"""Staff pages: the worker's appointments and calendar, availability and time off, the calendar
feed, saved replies; the coordinator's side-by-side calendar and appointment changes.

Views are thin: reads from booking.selectors, writes through staff/services.py and
booking/services.py, always with the actor of the request (booking.actors). Dates from the address
bar go through booking.localtime, so no date at the ends of the calendar reaches arithmetic.
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from icalendar import Calendar, Event

from booking import localtime, selectors
from booking import services as booking_services
from booking.actors import Actor
from booking.models import Availability, AvailabilityException, Booking, Service
from booking.views import ics_response
from chatrooms.models import SavedReply

from . import services
from .forms import AvailabilityForm, CancelForm, DecisionForm, HandOverForm, MoveForm, SavedReplyForm, TimeOffForm
from .models import User
from .permissions import coordinator_required

# How far the staff calendars browse from today, either way.
CALENDAR_YEARS = 5


def _calendar_date(value, default: dt.date) -> dt.date:
    today = timezone.localdate()
    span = dt.timedelta(days=366 * CALENDAR_YEARS)
    return localtime.parse_date_or(value, default, earliest=today - span, latest=today + span)


def _bad_date(request, exc: localtime.TimeInputError):
    return render(request, "booking/bad_input.html", {"message": exc.message}, status=400)


def _worker_for(request, worker_id=None) -> User:
    """The worker whose calendar is edited: oneself, or anyone for a coordinator."""
    if worker_id is None:
        worker = request.user
    else:
        worker = get_object_or_404(User, pk=worker_id, is_active=True)
    if not services.can_manage_worker(Actor.from_request(request), worker):
        raise PermissionDenied
    return worker


def _safe_next(request, fallback: str, *, value: str | None = None) -> str:
    """Back to where the form was (``next`` of the form, or ``value``), but never to another site."""
    target = request.POST.get("next", "") if value is None else value
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@login_required
def dashboard(request):
    """A worker's today and upcoming appointments. A volunteer (no appointments) lands on the
    drop-in chat's desk instead."""
    if request.user.is_volunteer:
        return redirect("dropin:desk")
    now = timezone.now()
    start_of_today = dt.datetime.combine(timezone.localdate(), dt.time.min, tzinfo=timezone.get_current_timezone())
    qs = (
        Booking.objects.filter(worker=request.user, start__gte=start_of_today)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("service", "chat", "follow_up_of")
        .order_by("start")
    )
    tomorrow = start_of_today + dt.timedelta(days=1)
    bookings = list(qs[:200])
    context = {"today": [b for b in bookings if b.start < tomorrow], "upcoming": [b for b in bookings if b.start >= tomorrow], "now": now}
    return render(request, "staff/dashboard.html", context)


@login_required
def chat(request, booking_id):
    booking = get_object_or_404(Booking.objects.select_related("service", "follow_up_of"), pk=booking_id, worker=request.user)
    if booking.status == Booking.Status.BOOKED and not booking.chat_can_open:
        opens = timezone.localtime(booking.chat_opens)
        messages.info(
            request,
            _("The chat of this appointment opens on %(day)s at %(time)s, %(minutes)s minutes before it starts.")
            % {"day": formats.date_format(opens, "D j.n."), "time": formats.time_format(opens, "H.i"), "minutes": settings.JOIN_EARLY_MINUTES},
        )
        return redirect("staff:dashboard")
    replies = SavedReply.objects.filter(Q(owner=request.user) | Q(owner__isnull=True))
    return render(request, "chatrooms/room.html", {"booking": booking, "role": "worker", "saved_replies": replies})


def _calendar_days(worker, monday, days):
    """Appointments, free times (each with its service) and time off of one worker per day, for the
    calendar views. A blocked slot is time off of its own kind: the page names it and offers to
    unblock it."""
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(monday, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(monday + dt.timedelta(days=days), dt.time.min, tzinfo=tz)
    bookings = list(
        Booking.objects.filter(worker=worker, start__gte=lo, start__lt=hi)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("service")
        .order_by("start")
    )
    free = []
    for service in Service.objects.filter(workers=worker, is_active=True):
        slots = selectors.free_slots(service=service, worker=worker, start_date=monday, end_date=monday + dt.timedelta(days=days - 1))
        # One entry per time and service, however many of the worker's weekly rules give it.
        free += [{"start": timezone.localtime(start), "service": service} for start in sorted({s.start for s in slots})]
    free.sort(key=lambda f: (f["start"], f["service"].ordering, f["service"].name))
    off = list(AvailabilityException.objects.filter(worker=worker, start__lt=hi, end__gt=lo).order_by("start"))
    out = []
    for i in range(days):
        day = monday + dt.timedelta(days=i)
        day_lo, day_hi = localtime.day_bounds(day)
        day_free = [f for f in free if f["start"].date() == day]
        by_service = {}
        for f in day_free:
            by_service.setdefault(f["service"].pk, {"service": f["service"], "times": []})["times"].append(f["start"])
        out.append(
            {
                "date": day,
                "bookings": [b for b in bookings if timezone.localtime(b.start).date() == day],
                "free": day_free,
                "free_by_service": list(by_service.values()),
                "off": [_off_item(e) for e in off if e.start < day_hi and e.end > day_lo],
            }
        )
    return out


def _off_item(exception: AvailabilityException) -> dict:
    """Time off as the calendars show it: named by its kind in the page's language, its times in the
    language's clock (the template's ``time`` filter), the date only when it spans days."""
    start, end = timezone.localtime(exception.start), timezone.localtime(exception.end)
    last_moment = timezone.localtime(exception.end - dt.timedelta(microseconds=1))
    return {
        "pk": exception.pk,
        "blocked": exception.kind == AvailabilityException.Kind.BLOCKED,
        "label": exception.get_kind_display(),
        "start": start,
        "end": end,
        "same_day": start.date() == last_moment.date(),
        "reason": exception.reason,
    }


@login_required
def calendar(request, worker_id=None):
    worker = _worker_for(request, worker_id)
    view = "day" if request.GET.get("view") == "day" else "week"
    try:
        if view == "day":
            day = _calendar_date(request.GET.get("date"), timezone.localdate())
        else:
            day = localtime.week_start(_calendar_date(request.GET.get("week"), timezone.localdate()))
    except localtime.TimeInputError as exc:
        return _bad_date(request, exc)
    if view == "day":
        days = _calendar_days(worker, day, 1)
        prev, nxt = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    else:
        days = _calendar_days(worker, day, 7)
        prev, nxt = day - dt.timedelta(days=7), day + dt.timedelta(days=7)
    return render(request, "staff/calendar.html", {"worker": worker, "days": days, "view": view, "prev": prev, "next": nxt})


def _conflict_page(request, *, worker, conflicts, action_url, carry):
    return render(
        request,
        "staff/conflicts.html",
        {"worker": worker, "conflicts": conflicts, "action_url": action_url, "carry": carry, "form": DecisionForm()},
        status=409,
    )


@login_required
def availability(request, worker_id=None):
    worker = _worker_for(request, worker_id)
    rules = Availability.objects.filter(worker=worker).select_related("service").order_by("service__name", "weekday", "start_time")
    time_off = AvailabilityException.objects.filter(worker=worker, end__gte=timezone.now()).order_by("start")
    here = request.path
    form = AvailabilityForm(request.POST or None, prefix="a") if request.POST.get("form") == "availability" else AvailabilityForm(prefix="a")
    off_form = TimeOffForm(request.POST or None, prefix="t") if request.POST.get("form") == "time_off" else TimeOffForm(prefix="t")
    if request.method == "POST":
        actor = Actor.from_request(request)
        decision = DecisionForm(request.POST)
        decision.is_valid()
        choice, message = decision.cleaned_data.get("decision") or None, decision.cleaned_data.get("message", "")
        kind = request.POST.get("form")
        try:
            if kind == "availability" and form.is_valid():
                rule = None
                if request.POST.get("rule"):
                    rule = get_object_or_404(Availability, pk=_pk(request.POST["rule"]), worker=worker)
                services.availability_save(
                    actor=actor, worker=worker, instance=rule, decision=choice, message=message, **form.cleaned_data
                )
                messages.success(request, _("Availability saved."))
                return redirect(here)
            if kind == "delete_rule":
                rule = get_object_or_404(Availability, pk=_pk(request.POST.get("rule")), worker=worker)
                services.availability_delete(actor=actor, rule=rule, decision=choice, message=message)
                messages.success(request, _("Availability removed."))
                return redirect(here)
            if kind == "time_off" and off_form.is_valid():
                data = off_form.cleaned_data
                services.time_off_add(
                    actor=actor, worker=worker, start=data["start"], end=data["end"], reason=data["reason"], decision=choice, message=message
                )
                messages.success(request, _("Time off saved."))
                return redirect(here)
            if kind == "block_slot":
                start = localtime.parse_instant(request.POST.get("start", ""))
                service = get_object_or_404(Service, pk=_pk(request.POST.get("service")))
                services.block_slot(actor=actor, worker=worker, service=service, start=start, decision=choice, message=message)
                messages.success(request, _("The time is blocked."))
                return redirect(_safe_next(request, here))
            if kind == "delete_time_off":
                exception = get_object_or_404(AvailabilityException, pk=_pk(request.POST.get("exception")), worker=worker)
                unblocked = exception.kind == AvailabilityException.Kind.BLOCKED
                services.time_off_delete(actor=actor, exception=exception)
                messages.success(request, _("The time is free again.") if unblocked else _("Time off removed."))
                return redirect(_safe_next(request, here))
        except services.AvailabilityConflict as conflict:
            return _conflict_page(request, worker=worker, conflicts=conflict.conflicts, action_url=here, carry=request.POST)
        except services.StaffError as exc:
            if exc.code == "forbidden":
                raise PermissionDenied from None
            messages.error(request, _("Please check the times."))
        except localtime.TimeInputError as exc:
            messages.error(request, exc.message)
    context = {"worker": worker, "rules": rules, "time_off": time_off, "form": form, "off_form": off_form}
    return render(request, "staff/availability.html", context, status=400 if request.method == "POST" else 200)


@login_required
def feed_settings(request):
    url = request.build_absolute_uri(reverse("staff:feed", args=[request.user.feed_token]))
    return render(request, "staff/feed.html", {"feed_url": url})


@login_required
@require_POST
def feed_renew(request):
    services.feed_renew(actor=Actor.from_request(request))
    messages.success(request, _("A new link was made. The old link no longer works."))
    return redirect("staff:feed-settings")


def feed(request, token):
    """The worker's own appointments as iCalendar, for Outlook or a phone. Nothing about the parent:
    no nickname, no topic; only the time, the service and whether it is a follow-up."""
    worker = User.objects.filter(feed_token=token, is_active=True).first()
    if worker is None or not token:
        raise Http404
    cal = Calendar()
    cal.add("prodid", "-//MLL//Ajanvarauschat//FI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Appointment chats"))
    since = timezone.now() - dt.timedelta(days=30)
    for booking in Booking.objects.filter(worker=worker, start__gte=since, status__in=Booking.HOLDING).select_related("service"):
        event = Event()
        event.add("uid", f"booking-{booking.pk}@ajanvaraus")
        event.add("dtstamp", timezone.now())
        # Helsinki wall-clock times (TZID=Europe/Helsinki; ics_response adds the VTIMEZONE), not UTC.
        event.add("dtstart", booking.start.astimezone(localtime.TZ))
        event.add("dtend", booking.end.astimezone(localtime.TZ))
        summary = booking.service.name + (f" ({_('follow-up')})" if booking.follow_up_of_id else "")
        event.add("summary", summary)
        event.add("url", request.build_absolute_uri(reverse("staff:chat", args=[booking.pk])))
        cal.add_component(event)
    response = ics_response(cal, "ajanvaraukset.ics")
    response["Content-Disposition"] = 'inline; filename="ajanvaraukset.ics"'
    return response


@login_required
def saved_replies(request):
    mine = SavedReply.objects.filter(owner=request.user)
    shared = SavedReply.objects.filter(owner__isnull=True)
    form = SavedReplyForm(request.POST or None)
    if request.method == "POST":
        actor = Actor.from_request(request)
        try:
            if "delete" in request.POST:
                reply = get_object_or_404(SavedReply, pk=_pk(request.POST["delete"]))
                services.saved_reply_delete(actor=actor, reply=reply)
                return redirect("staff:saved-replies")
            if form.is_valid():
                services.saved_reply_add(
                    actor=actor, title=form.cleaned_data["title"], text=form.cleaned_data["text"], shared=form.cleaned_data["shared"]
                )
                messages.success(request, _("Saved reply added."))
                return redirect("staff:saved-replies")
        except services.StaffError:
            raise PermissionDenied from None
    return render(request, "staff/saved_replies.html", {"mine": mine, "shared": shared, "form": form})


@coordinator_required
def team(request):
    """Every worker's calendar side by side, for a day or a week."""
    view = "week" if request.GET.get("view") == "week" else "day"
    try:
        start = _calendar_date(request.GET.get("date"), timezone.localdate())
    except localtime.TimeInputError as exc:
        return _bad_date(request, exc)
    if view == "week":
        start = localtime.week_start(start)
        days = 7
    else:
        days = 1
    workers = User.objects.filter(Q(services__isnull=False) | Q(role=User.Role.WORKER), is_active=True).distinct().order_by("pseudonym")
    columns = [{"worker": w, "days": _calendar_days(w, start, days)} for w in workers]
    step = dt.timedelta(days=days)
    return render(
        request,
        "staff/team.html",
        {"columns": columns, "view": view, "start": start, "prev": start - step, "next": start + step, "dates": [start + dt.timedelta(days=i) for i in range(days)]},
    )


@coordinator_required
def hand_over_day(request, worker_id, day):
    """A worker is ill: give each of their appointments that day to a colleague free at the same time,
    in one go. Each row offers only the colleagues free then; "keep" leaves an appointment as it is."""
    worker = get_object_or_404(User, pk=worker_id)
    try:
        date = _calendar_date(day, timezone.localdate())
    except localtime.TimeInputError:
        raise Http404 from None
    lo, hi = localtime.day_bounds(date)
    bookings = list(
        Booking.objects.filter(worker=worker, status=Booking.Status.BOOKED, start__gte=lo, start__lt=hi)
        .exclude(chat__opened_at__isnull=False)
        .select_related("service", "worker")
        .order_by("start")
    )
    rows = [{"booking": b, "candidates": booking_services.hand_over_candidates(b)} for b in bookings]
    if request.method == "POST":
        actor = Actor.from_request(request)
        note = request.POST.get("message", "")[:300]
        done, failed = 0, 0
        for row in rows:
            choice = request.POST.get(f"to-{row['booking'].pk}", "")
            target = next((w for w in row["candidates"] if str(w.pk) == choice), None)
            if target is None:
                continue
            try:
                booking_services.booking_hand_over(actor=actor, booking=row["booking"], worker=target, message=note)
                done += 1
            except booking_services.BookingError:
                failed += 1
        if done:
            messages.success(request, _("%(count)s appointments were handed over.") % {"count": done})
        if failed:
            messages.error(request, _("%(count)s appointments could not be handed over: the colleague was no longer free.") % {"count": failed})
        return redirect(f"{reverse('staff:team')}?view=day&date={date:%Y-%m-%d}")
    return render(request, "staff/hand_over_day.html", {"worker": worker, "date": date, "rows": rows})


def _move_times(booking: Booking) -> list[dt.datetime]:
    """The free times of the appointment's own worker it can move to, under the service's rules
    (minimum notice, horizon): the same search booking_move checks against."""
    if booking.status != Booking.Status.BOOKED:
        return []
    today = timezone.localdate()
    slots = selectors.free_slots(
        service=booking.service, worker=booking.worker, start_date=today,
        end_date=today + dt.timedelta(days=booking.service.horizon_days), ignore_booking=booking,
    )
    return [s.start for s in slots if s.start != booking.start]


@coordinator_required
def booking_manage(request, booking_id):
    """Move, hand over or cancel an appointment (coordinator). The parent sees the change and the
    message when they look their code up. Moving offers the worker's free times; handing over, the
    colleagues free at the same time. Afterwards the coordinator is back where they came from
    (``next``, e.g. the team calendar's day), or on the team calendar's day of the appointment."""
    booking = get_object_or_404(Booking.objects.select_related("service", "worker"), pk=booking_id)
    day = f"{reverse('staff:team')}?view=day&date={timezone.localtime(booking.start):%Y-%m-%d}"
    back = _safe_next(request, day, value=request.POST.get("next") if request.method == "POST" else request.GET.get("next"))
    candidates = booking_services.hand_over_candidates(booking) if booking.status == Booking.Status.BOOKED else []
    action = request.POST.get("action") if request.method == "POST" else None
    hand_form = HandOverForm(request.POST if action == "hand_over" else None, prefix="h", candidates=candidates)
    move_form = MoveForm(request.POST if action == "move" else None, prefix="m", free_times=_move_times(booking))
    cancel_form = CancelForm(request.POST if action == "cancel" else None, prefix="c")
    if request.method == "POST":
        actor = Actor.from_request(request)
        try:
            if action == "move" and move_form.is_valid():
                booking_services.booking_move(
                    actor=actor, booking=booking, start=move_form.cleaned_data["start"], message=move_form.cleaned_data["message"]
                )
                messages.success(request, _("The appointment was moved."))
                return redirect(back)
            if action == "hand_over" and hand_form.is_valid():
                booking_services.booking_hand_over(
                    actor=actor, booking=booking, worker=hand_form.cleaned_data["worker"],
                    message=hand_form.cleaned_data["message"],
                )
                messages.success(request, _("The appointment was handed over."))
                return redirect(back)
            if action == "cancel" and cancel_form.is_valid():
                booking_services.booking_cancel(actor=actor, booking=booking, message=cancel_form.cleaned_data["message"])
                messages.success(request, _("The appointment was cancelled."))
                return redirect(back)
        except booking_services.BookingError as exc:
            # A refusal about the chosen time or colleague belongs to that field; the rest (the
            # chat is about to begin, no longer booked) to the page.
            if action == "move" and exc.code in ("not_available", "slot_taken", "same_time"):
                move_form.add_error("start", exc.message)
                move_form.fields["start"].set_free(_move_times(booking))  # what is free now
            elif action == "hand_over" and exc.code == "slot_taken":
                hand_form.add_error("worker", _("This colleague is no longer free at this time. Please choose another."))
            else:
                messages.error(request, exc.message)
    return render(
        request,
        "staff/booking_manage.html",
        {"booking": booking, "move_form": move_form, "cancel_form": cancel_form, "hand_form": hand_form, "candidates": candidates, "back": back},
    )


def _pk(value) -> int:
    """A database id from a form; a 404 for anything else (``delete=abc``), never a 500."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk < 2**63:
        raise Http404
    return pk
