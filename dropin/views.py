"""The drop-in chat's pages: the parent's (start, queue and chat, rejoin, feedback) and the staff's
(the desk, a chat panel, the statistics record, the duty coordinator's room, the shift plan).

Thin: read the request, build the actor, call dropin/services.py, render. Staff pages live under
/staff/ (two-factor, staff.middleware); who may do what is decided in the services.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from csp.constants import SELF
from csp.decorators import csp_replace

from booking.actors import Actor
from booking.localtime import TZ
from booking.ratelimit import RateLimited
from chatrooms.models import SavedReply
from stats.forms import RecordForm

from . import services
from .forms import CAPACITY_CHOICES, EntryForm, FeedbackForm, HandOverForm, RejoinForm, SideForm
from .models import MAX_CAPACITY, Contact, DutyMember, DutyShift
from .services import DropinError

CODE_COOKIE = "dropin_code"
CODE_COOKIE_SALT = "dropin.code"
CODE_COOKIE_PATH = "/dropin/"
SESSION_KEY = "dropin_contact"
PLAN_DAYS = 14


# --- the parent's pages ------------------------------------------------------------------------------
def _session_contact(request) -> Contact | None:
    contact_id = request.session.get(SESSION_KEY)
    if not isinstance(contact_id, int):
        return None
    return Contact.objects.select_related("session", "taken_by").filter(pk=contact_id).first()


def _closed_context(now=None) -> dict:
    alt = services.alternatives(now=now)
    return {"alternatives": alt, "opening": services.opening(now=now)}


@never_cache
@require_http_methods(["GET", "POST"])
def start(request):
    """"Start a chat": an optional nickname, topic and who it concerns, the privacy notice."""
    now = timezone.now()
    state = services.opening(now=now)
    current = _session_contact(request)
    if current is not None and current.state not in services.LIVE:
        current = None
    form = EntryForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contact, code = services.contact_enter(
                actor=Actor.from_request(request), nickname=data["nickname"], topic=data["topic"], audience=data["audience"]
            )
        except RateLimited:
            error, status = _("You have started several chats within an hour. Please try again later."), 429
        except DropinError as exc:
            if exc.code in ("invalid_nickname", "invalid_topic", "invalid_audience"):
                form.add_error({"invalid_nickname": "nickname", "invalid_topic": "topic"}.get(exc.code, "audience"), exc.message)
                status = 400
            else:
                error, status = exc.message, 409
                state = services.opening(now=timezone.now())
        else:
            request.session.cycle_key()
            request.session[SESSION_KEY] = contact.pk
            response = redirect("dropin:chat")
            value = signing.dumps({"c": contact.pk, "code": code}, salt=CODE_COOKIE_SALT)
            response.set_cookie(
                CODE_COOKIE, value, path=CODE_COOKIE_PATH, secure=settings.SESSION_COOKIE_SECURE, httponly=True,
                samesite="Strict",
            )
            return response
    elif request.method == "POST":
        status = 400
    context = {"form": form, "opening": state, "error": error, "current": current, **_closed_context(now)}
    if state.is_open:
        context["band"] = services.queue_band(now=now)
    return render(request, "dropin/start.html", context, status=status)


def _code_for(request, contact: Contact) -> str:
    """The code, from the browser's own signed cookie (set at entry; never stored on the server)."""
    try:
        data = signing.loads(request.COOKIES.get(CODE_COOKIE, ""), salt=CODE_COOKIE_SALT)
    except signing.BadSignature:
        return ""
    if not isinstance(data, dict) or data.get("c") != contact.pk or contact.state not in services.LIVE:
        return ""
    return data.get("code") or ""


@never_cache
def chat(request):
    """The parent's queue and chat: the same chat page as the appointment chat."""
    contact = _session_contact(request)
    if contact is None:
        return redirect("dropin:start")
    context = {
        "channel": "dropin",
        "role": "parent",
        "contact": contact,
        "code": _code_for(request, contact),
        "grace_minutes": settings.DROPIN_REJOIN_GRACE_MINUTES,
        **_closed_context(),
    }
    if contact.state not in services.LIVE:
        # Over: the page says how (a chat ended: the feedback questions; the queue left; closing).
        final = {Contact.State.ENDED: "ended", Contact.State.CLOSED: "closed"}.get(contact.state, "left_queue")
        context["final"] = "ended" if final == "ended" and contact.taken_at else final
    response = render(request, "chatrooms/room.html", context)
    if contact.state not in services.LIVE:
        response.delete_cookie(CODE_COOKIE, path=CODE_COOKIE_PATH)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def rejoin(request):
    """Back to one's place in the queue, or to one's chat, with the code (within the grace period)."""
    form = RejoinForm(request.POST or None)
    context, status = {"form": form, "grace_minutes": settings.DROPIN_REJOIN_GRACE_MINUTES}, 200
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_for_code(actor=Actor.from_request(request), code=form.cleaned_data["code"])
        except RateLimited as exc:
            context["error"], status = _("Too many attempts. Please wait a while and try again."), 429
            context["retry_after"] = exc.retry_after
        except DropinError as exc:
            context["error"], status = exc.message, 400
        else:
            request.session.cycle_key()
            request.session[SESSION_KEY] = contact.pk
            return redirect("dropin:chat")
        context["code"] = form.cleaned_data["code"]  # a mistyped code stays in the box to be mended
    elif request.method == "POST":
        status = 400
    return render(request, "dropin/rejoin.html", context, status=status)


@require_POST
def leave(request):
    """After the chat: forget it in this browser."""
    request.session.pop(SESSION_KEY, None)
    response = redirect("hours:home")
    response.delete_cookie(CODE_COOKIE, path=CODE_COOKIE_PATH)
    return response


@require_http_methods(["GET", "POST"])
def feedback(request):
    """The two anonymous questions after a drop-in chat (stored with the channel and month only)."""
    contact = _session_contact(request)
    if not services.feedback_allowed(contact):
        return render(request, "dropin/feedback.html", {"unavailable": True})
    if request.session.get("dropin_feedback_given") == contact.pk:
        return render(request, "dropin/feedback.html", {"thanks": True})
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.feedback_save(contact=contact, **form.cleaned_data)
        request.session["dropin_feedback_given"] = contact.pk
        return render(request, "dropin/feedback.html", {"thanks": True})
    return render(request, "dropin/feedback.html", {"form": form}, status=400 if request.method == "POST" else 200)


# --- staff: shared ---------------------------------------------------------------------------------
def _actor(request) -> Actor:
    return Actor.from_request(request)


def _worker_actor(request) -> Actor:
    actor = _actor(request)
    if not services.may_work(actor):
        raise PermissionDenied
    return actor


def _coordinator_actor(request) -> Actor:
    actor = _actor(request)
    if not actor.is_coordinator:
        raise PermissionDenied
    return actor


def _back(request, fallback: str) -> HttpResponseRedirect:
    """Back to the page the form was on: a path on this site only (never another site, and never a
    bare word that ``redirect`` would take for a view name)."""
    target = request.POST.get("next", "")
    if (
        target.startswith("/")
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


def _contact_or_404(contact_id) -> Contact:
    return get_object_or_404(Contact.objects.select_related("session", "taken_by"), pk=contact_id)


def _panel(contact: Contact, actor: Actor) -> dict:
    return {
        "contact": contact,
        "side": services.side_messages(actor=actor, contact=contact),
        "notes": list(contact.hand_overs.select_related("by_user", "from_user").order_by("-id")[:3]),
    }


def _desk_context(request, actor: Actor) -> dict:
    now = timezone.now()
    shift, member = services.my_duty(actor=actor, now=now)
    chats = list(
        Contact.objects.filter(taken_by_id=actor.user_id, state=Contact.State.TAKEN).select_related("session", "taken_by").order_by("taken_at")
    )
    return {
        "shift": shift,
        "member": member,
        "panels": [_panel(c, actor) for c in chats],
        "queue": services.queue_state(now=now),
        "missing": services.records_missing(actor=actor),
        "opening": services.opening(now=now),
        "at_capacity": member is not None and len(chats) >= member.capacity,
    }


# --- staff: the desk -----------------------------------------------------------------------------------
@login_required
def desk(request):
    """The person on duty's desk: their chats side by side, the queue, "take the next parent"."""
    actor = _worker_actor(request)
    return render(request, "dropin/desk.html", _desk_context(request, actor))


@login_required
def desk_state(request):
    """What the desk shows, for its script to refresh without reloading the running chats."""
    actor = _worker_actor(request)
    context = _desk_context(request, actor)
    return JsonResponse(
        {
            "chats": [p["contact"].pk for p in context["panels"]],
            "summary": render_to_string("dropin/_desk_summary.html", context, request=request),
            "records": render_to_string("dropin/_desk_records.html", context, request=request),
        }
    )


@login_required
def panel(request, contact_id):
    """One chat's panel on the desk (inserted by the desk's script when a chat is taken or handed over)."""
    actor = _worker_actor(request)
    contact = _contact_or_404(contact_id)
    if contact.taken_by_id != actor.user_id or contact.state != Contact.State.TAKEN:
        raise Http404
    return render(request, "dropin/_panel.html", {"p": _panel(contact, actor)})


@login_required
@require_POST
def present(request):
    actor = _worker_actor(request)
    try:
        services.presence_set(actor=actor, present=request.POST.get("present") == "1")
    except DropinError as exc:
        messages.error(request, exc.message)
    return redirect("dropin:desk")


@login_required
@require_POST
def take(request):
    """"Take the next parent" without the desk's script (the script sends it over the socket)."""
    actor = _worker_actor(request)
    try:
        services.take_next(actor=actor)
    except DropinError as exc:
        messages.info(request, exc.message)
    return redirect("dropin:desk")


@login_required
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
def chat_panel(request, contact_id):
    """The chat itself, for the person on duty who has it: the appointment chat's page, framed in
    their desk (same origin only)."""
    actor = _worker_actor(request)
    try:
        contact = services.helper_contact(actor=actor, contact_id=contact_id)
    except DropinError:
        raise Http404 from None
    replies = SavedReply.objects.filter(Q(owner=request.user) | Q(owner__isnull=True))
    context = {
        "channel": "dropin",
        "role": "worker",
        "contact": contact,
        "saved_replies": replies,
        "embedded": request.GET.get("embedded") == "1",
    }
    return render(request, "chatrooms/room.html", context)


@login_required
@require_POST
def side(request, contact_id):
    actor = _worker_actor(request)
    contact = _contact_or_404(contact_id)
    form = SideForm(request.POST)
    if form.is_valid():
        try:
            services.side_post(actor=actor, contact=contact, text=form.cleaned_data["text"])
        except DropinError as exc:
            if exc.code == "forbidden":
                raise PermissionDenied from None
            messages.error(request, exc.message)
    else:
        messages.error(request, _("The message is empty."))
    return _back(request, reverse("dropin:desk"))


@login_required
@require_POST
def support(request, contact_id):
    actor = _worker_actor(request)
    contact = _contact_or_404(contact_id)
    try:
        services.support_set(actor=actor, contact=contact, on=request.POST.get("on") == "1")
    except DropinError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from None
        messages.error(request, exc.message)
    return _back(request, reverse("dropin:desk"))


@login_required
@require_http_methods(["GET", "POST"])
def record(request, contact_id):
    """The anonymous statistics record of one's own ended drop-in chat."""
    actor = _worker_actor(request)
    contact = _contact_or_404(contact_id)
    if contact.taken_by_id != actor.user_id:
        raise Http404
    if contact.state != Contact.State.ENDED:
        messages.info(request, _("Statistics are recorded once the chat has ended."))
        return redirect("dropin:desk")
    form = RecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.record_save(actor=actor, contact=contact, **form.record_values())
        messages.success(request, _("Statistics saved. Thank you."))
        return redirect("dropin:desk")
    return render(request, "dropin/record.html", {"form": form, "contact": contact})


# --- staff: the duty coordinator's room --------------------------------------------------------------
def _room_context(actor: Actor) -> dict:
    now = timezone.now()
    shift = services.current_shift(now=now)
    members = list(shift.members.select_related("user").order_by("user__pseudonym")) if shift else []
    chats = list(Contact.objects.filter(state=Contact.State.TAKEN).select_related("taken_by", "session").order_by("taken_at"))
    by_user: dict[int, list] = {}
    for contact in chats:
        by_user.setdefault(contact.taken_by_id, []).append(contact)
    rows = [{"member": m, "chats": by_user.pop(m.user_id, [])} for m in members]
    rows += [{"member": None, "user": contact_list[0].taken_by, "chats": contact_list} for contact_list in by_user.values()]
    return {
        "shift": shift,
        "rows": rows,
        "chats": chats,
        "side": {c.pk: services.side_messages(actor=actor, contact=c) for c in chats},
        "queue": services.queue_state(now=now),
        "opening": services.opening(now=now),
        "now": now,
        "capacities": CAPACITY_CHOICES,
    }


@login_required
def room(request):
    """The duty coordinator's room: the queue, everyone's chats with their durations and support
    requests, the side channels, hand-over."""
    actor = _coordinator_actor(request)
    return render(request, "dropin/room.html", _room_context(actor))


@login_required
def room_live(request):
    actor = _coordinator_actor(request)
    return render(request, "dropin/_room_live.html", _room_context(actor))


@login_required
def read(request, contact_id):
    """The coordinator reads a chat on the person on duty's support request (audited, each time)."""
    actor = _coordinator_actor(request)
    contact = _contact_or_404(contact_id)
    try:
        chat_messages = services.chat_read(actor=actor, contact=contact)
    except DropinError as exc:
        return render(request, "dropin/read.html", {"contact": contact, "error": exc.message}, status=403)
    return render(request, "dropin/read.html", {"contact": contact, "chat_messages": chat_messages})


def _present_people(shift: DutyShift | None, *, exclude=None, coordinator=None) -> list:
    people = []
    if shift is not None:
        people = [m.user for m in shift.members.filter(present_since__isnull=False).select_related("user") if m.user_id != exclude]
    if coordinator is not None and coordinator.pk != exclude and coordinator not in people:
        people.append(coordinator)  # taking the chat over oneself
    return people


@login_required
@require_http_methods(["GET", "POST"])
def hand_over(request, contact_id):
    actor = _coordinator_actor(request)
    contact = _contact_or_404(contact_id)
    shift = services.current_shift()
    people = _present_people(shift, exclude=contact.taken_by_id, coordinator=request.user)
    form = HandOverForm(request.POST or None, people=people)
    error = None
    if request.method == "POST" and form.is_valid():
        to_user = get_user_model().objects.filter(pk=form.cleaned_data["to_user"], is_active=True).first()
        try:
            services.hand_over(actor=actor, contact=contact, to_user=to_user, note=form.cleaned_data["note"])
        except DropinError as exc:
            error = exc.message
        else:
            messages.success(request, _("The chat was handed over to %(name)s.") % {"name": to_user.display_name})
            return redirect("dropin:room")
    if contact.state != Contact.State.TAKEN:
        error = error or DropinError("not_taken").message
    return render(request, "dropin/hand_over.html", {"contact": contact, "form": form, "error": error},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def capacity(request, member_id):
    actor = _coordinator_actor(request)
    member = get_object_or_404(DutyMember, pk=member_id)
    try:
        services.member_capacity_set(actor=actor, member=member, capacity=request.POST.get("capacity"))
    except DropinError as exc:
        messages.error(request, exc.message)
    return redirect("dropin:room")


# --- staff: planning the shifts ----------------------------------------------------------------------
@login_required
def shifts(request):
    """The coming openings (PLAN_DAYS days) with their shifts: who coordinates, who is on duty."""
    _coordinator_actor(request)
    today = timezone.localdate()
    planned = {
        s.starts_at: s
        for s in DutyShift.objects.filter(ends_at__gt=timezone.now()).prefetch_related("members__user").select_related("coordinator")
    }
    rows = [
        {"starts_at": start, "ends_at": end, "shift": planned.get(start), "key": int(start.timestamp())}
        for start, end in services.openings(start_date=today, end_date=today + dt.timedelta(days=PLAN_DAYS))
        if end > timezone.now()
    ]
    return render(request, "dropin/shifts.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def plan(request, key):
    """Plan one opening's shift: the duty coordinator, and who is on duty with how many chats at once."""
    actor = _coordinator_actor(request)
    try:
        starts_at = dt.datetime.fromtimestamp(key, tz=TZ)
    except (OverflowError, OSError, ValueError):
        raise Http404 from None
    day = starts_at.date()
    match = [o for o in services.openings(start_date=day, end_date=day) if o[0] == starts_at]
    if not match:
        raise Http404
    starts_at, ends_at = match[0]
    User = get_user_model()
    staff = list(User.objects.filter(is_active=True).exclude(role=User.Role.ADMIN).order_by("pseudonym", "email"))
    coordinators = [u for u in User.objects.filter(is_active=True, role__in=[User.Role.COORDINATOR, User.Role.ADMIN])]
    shift = DutyShift.objects.filter(starts_at=starts_at).first()
    current = {m.user_id: m.capacity for m in shift.members.all()} if shift else {}
    error = None
    if request.method == "POST":
        members = {}
        for user in staff:
            if request.POST.get(f"on-{user.pk}") == "1":
                members[user] = request.POST.get(f"capacity-{user.pk}", "1")
        coordinator = next((u for u in coordinators if str(u.pk) == request.POST.get("coordinator")), None)
        try:
            services.shift_plan(actor=actor, starts_at=starts_at, ends_at=ends_at, coordinator=coordinator, members=members)
        except DropinError as exc:
            error = exc.message
            current = {u.pk: c for u, c in members.items()}
        else:
            messages.success(request, _("The shift is planned."))
            return redirect("dropin:shifts")
    people = [{"user": u, "on": u.pk in current, "capacity": current.get(u.pk, 1)} for u in staff]
    context = {
        "starts_at": starts_at, "ends_at": ends_at, "shift": shift, "people": people, "coordinators": coordinators,
        "error": error, "capacities": range(1, MAX_CAPACITY + 1),
    }
    return render(request, "dropin/plan.html", context, status=400 if error else 200)
