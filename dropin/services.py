"""The drop-in chat's rules, once: entering the queue, rejoining with the code, taking the next
parent, presence and capacity on a duty shift, the side channel to the coordinator, hand-over,
the coordinator's (audited) read, ending, statistics and feedback.

Every edge (the pages in views.py, the sockets in consumers.py, the Celery tasks) calls these with
an ``Actor`` (booking.actors) and translates the answer; ``DropinError`` carries a stable ``code``
and a message for people. Live news leaves through dropin/events.py after the transaction commits.

Taking (docs/dropin.md, "Take next, not offered"): a present person under their capacity takes the
parent who has waited longest. "Taken by exactly one person" is the database's: the parent's row
goes from ``waiting`` to ``taken`` in one conditional UPDATE (``WHERE state = 'waiting'``), so of
any number of concurrent takers exactly one changes it; on PostgreSQL the candidate row is picked
with ``FOR UPDATE SKIP LOCKED``, so concurrent takers take *different* parents instead of queueing
behind one. Capacity: the taker's duty row is locked (``SELECT ... FOR UPDATE``) while their chats
are counted and the parent is taken, so two takes (or a take and a hand-over) to the same person
are counted one after the other and nobody goes over capacity.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking import codes, ratelimit
from booking.actors import ADMIN, COORDINATOR, VOLUNTEER, WORKER, Actor
from booking.localtime import TZ, day_bounds
from booking.services import clean_text
from chatrooms import services as chat_services
from chatrooms.models import ChatSession, Message
from chatrooms.services import ChatError
from hours import selectors as hours_selectors
from hours.models import Channel
from stats import services as stats_services
from stats.models import Channel as StatsChannel

from . import events
from .models import MAX_CAPACITY, Contact, DutyMember, DutyShift, HandOverNote, SideMessage
from .signals import dropin_audit

NICKNAME_MAX = 40
TOPIC_MAX = 200
SIDE_MAX = 2000
NOTE_MAX = 500
ENTRY_WINDOW_SECONDS = 3600
# People on duty may mark themselves present this long before the opening; a shift counts as the
# current one until this long after closing (running chats go on after closing).
SHIFT_EARLY = dt.timedelta(minutes=30)
SHIFT_LATE = dt.timedelta(minutes=90)
# The wait estimate needs this many recent chats (from the last ESTIMATE_DAYS days) to say anything.
ESTIMATE_MIN_CHATS = 5
ESTIMATE_CHATS = 30
ESTIMATE_DAYS = 30
ESTIMATE_CACHE_SECONDS = 15
STAFF_ROLES = (VOLUNTEER, WORKER, COORDINATOR, ADMIN)
LIVE = (Contact.State.WAITING, Contact.State.TAKEN)


class DropinError(ChatError):
    """A refusal: ``code`` is stable (socket frames, API), ``message`` is for people. A ChatError, so
    the chat sockets turn it into an error frame like every other refusal."""

    MESSAGES = {
        **ChatError.MESSAGES,
        "closed": _("The drop-in chat is closed right now."),
        "last_entry": _("The drop-in chat closes soon, so no new chats are started before it opens again."),
        "staff_entry": _("You are signed in as staff. To try the parent's side, use a private window."),
        "ended": _("This chat has ended and the code is no longer valid."),
        "no_shift": _("No duty shift is planned for now. The duty coordinator plans the shifts."),
        "not_on_shift": _("You are not on the duty list of this shift. Ask the duty coordinator to add you."),
        "not_present": _("Mark yourself present first."),
        "at_capacity": _("You already have as many chats as you take at once."),
        "queue_empty": _("Nobody is waiting right now."),
        "not_taken": _("This chat is not going on any more."),
        "no_support_request": _("You may read a chat only while the person on duty asks for your support with it."),
        "target_unavailable": _("That person is not present on this shift, or already has as many chats as they take at once."),
        "invalid_capacity": _("Chats at once: from 1 to 3."),
        "invalid_nickname": _("Please keep the nickname under 40 characters."),
        "invalid_topic": _("Please keep the topic to one line of under 200 characters."),
        "invalid_audience": _("Please choose who it concerns from the list."),
        "not_recordable": _("Statistics are recorded once the chat has ended."),
        "audit_unavailable": _("The audit log is not available, so the chat cannot be read now."),
        "not_opening": _("This is not an opening of the drop-in chat."),
    }

    @property
    def message(self) -> str:
        if self.code in ("too_long", "too_early"):
            return super().message
        return str(self.MESSAGES.get(self.code, self.code))


# --- opening hours ---------------------------------------------------------------------------------
def chat_channel() -> Channel | None:
    """The drop-in chat's channel in the opening hours (hours: the channel of kind "chat")."""
    return Channel.objects.filter(kind=Channel.Kind.CHAT, is_active=True).order_by("ordering", "pk").first()


@dataclass(frozen=True)
class Opening:
    """Whether the drop-in chat is open now, until when, whether it still takes new parents."""

    is_open: bool
    closes: dt.datetime | None  # None: open around the clock (the demo setting)
    next_opening: dt.datetime | None
    last_entry: dt.datetime | None  # no new entries from this moment on
    accepting: bool
    always_open: bool = False


def opening(*, now: dt.datetime | None = None) -> Opening:
    now = now or timezone.now()
    channel = chat_channel()
    if channel is None:
        return Opening(is_open=False, closes=None, next_opening=None, last_entry=None, accepting=False)
    status = hours_selectors.channel_status(channel=channel, now=now)  # with the demo override
    last_entry = None
    if status.is_open and status.until is not None:
        last_entry = status.until - dt.timedelta(minutes=settings.DROPIN_LAST_ENTRY_MINUTES)
    accepting = status.is_open and (last_entry is None or now < last_entry)
    return Opening(
        is_open=status.is_open, closes=status.until if status.is_open else None, next_opening=status.next_opening,
        last_entry=last_entry, accepting=accepting, always_open=status.always_open,
    )


def always_open() -> bool:
    return bool(settings.DROPIN_ALWAYS_OPEN)


def openings(*, start_date: dt.date, end_date: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The drop-in chat's openings on the local dates [start_date, end_date]: what a shift is planned
    for. Under DROPIN_ALWAYS_OPEN every local day is one opening."""
    if always_open():
        result, day = [], start_date
        while day <= end_date:
            result.append(day_bounds(day))
            day += dt.timedelta(days=1)
        return result
    channel = chat_channel()
    if channel is None:
        return []
    return hours_selectors.channel_intervals(channel=channel, start_date=start_date, end_date=end_date)


def alternatives(*, now: dt.datetime | None = None) -> dict:
    """What a parent can do when the drop-in chat is closed (or closes): its next opening, the
    appointment chat's next free time, and the letter service (open around the clock)."""
    now = now or timezone.now()
    state = opening(now=now)
    next_free = None
    for item in hours_selectors.service_statuses(now=now):
        if item.next_free and (next_free is None or item.next_free.start < next_free[1].start):
            next_free = (item.service, item.next_free)
    return {
        "next_opening": state.next_opening,
        "next_free": next_free[1].start if next_free else None,
        "next_free_service": next_free[0] if next_free else None,
        "letters_url": "/letters/",
    }


# --- duty shifts -----------------------------------------------------------------------------------
def current_shift(*, now: dt.datetime | None = None) -> DutyShift | None:
    """The shift on duty now: from SHIFT_EARLY before its opening to SHIFT_LATE after it closes."""
    now = now or timezone.now()
    return (
        DutyShift.objects.filter(starts_at__lte=now + SHIFT_EARLY, ends_at__gt=now - SHIFT_LATE)
        .select_related("coordinator")
        .order_by("-starts_at")
        .first()
    )


def may_work(actor: Actor) -> bool:
    """Volunteers, workers and coordinators (two-factor sessions) work in the drop-in chat."""
    return actor.has_role(*STAFF_ROLES)


def _require_work(actor: Actor) -> None:
    if not may_work(actor):
        raise DropinError("forbidden")


def _require_coordinator(actor: Actor) -> None:
    if not actor.is_coordinator:
        raise DropinError("forbidden")


def _capacity(value) -> int:
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise DropinError("invalid_capacity") from None
    if not 1 <= value <= MAX_CAPACITY:
        raise DropinError("invalid_capacity")
    return value


def shift_plan(
    *, actor: Actor, starts_at: dt.datetime, ends_at: dt.datetime, coordinator=None, members: dict | None = None
) -> DutyShift:
    """Plan (or re-plan) the shift of one opening: its duty coordinator and who is on duty with
    which capacity (``members``: user -> capacity). People left out are taken off the list; their
    running chats go on. Coordinators only; the opening must be a real one."""
    _require_coordinator(actor)
    local_day = starts_at.astimezone(TZ).date()
    if (starts_at, ends_at) not in [tuple(o) for o in openings(start_date=local_day, end_date=local_day)]:
        raise DropinError("not_opening")
    members = {user: _capacity(capacity) for user, capacity in (members or {}).items()}
    if coordinator is not None and not getattr(coordinator, "is_coordinator", False):
        raise DropinError("forbidden")
    with transaction.atomic():
        shift, _created = DutyShift.objects.get_or_create(
            starts_at=starts_at, defaults={"ends_at": ends_at, "date": local_day, "coordinator": coordinator}
        )
        if shift.coordinator_id != getattr(coordinator, "pk", None):
            shift.coordinator = coordinator
            shift.save(update_fields=["coordinator"])
        shift.members.exclude(user__in=list(members)).delete()
        for user, capacity in members.items():
            member, created = DutyMember.objects.get_or_create(shift=shift, user=user, defaults={"capacity": capacity})
            if not created and member.capacity != capacity:
                DutyMember.objects.filter(pk=member.pk).update(capacity=capacity)
        events.staff_changed(coordinators=True, everyone=True)
    return shift


def member_capacity_set(*, actor: Actor, member: DutyMember, capacity) -> DutyMember:
    """The coordinator changes one person's chats at once (1-3) during the shift."""
    _require_coordinator(actor)
    member.capacity = _capacity(capacity)
    DutyMember.objects.filter(pk=member.pk).update(capacity=member.capacity)
    events.staff_changed(users=[member.user_id], coordinators=True)
    return member


def presence_set(*, actor: Actor, present: bool, now: dt.datetime | None = None) -> DutyMember:
    """"I am here" / "I am leaving" on the current shift. Volunteers must be on its duty list;
    professionals (workers, coordinators) join it by marking themselves present."""
    _require_work(actor)
    now = now or timezone.now()
    shift = current_shift(now=now)
    if shift is None:
        raise DropinError("no_shift")
    with transaction.atomic():
        member = DutyMember.objects.select_for_update().filter(shift=shift, user_id=actor.user_id).first()
        if member is None:
            if actor.role == VOLUNTEER or not present:
                raise DropinError("not_on_shift")
            member = DutyMember.objects.create(shift=shift, user=actor.user, capacity=1)
        member.present_since = (member.present_since or now) if present else None
        DutyMember.objects.filter(pk=member.pk).update(present_since=member.present_since)
        events.staff_changed(users=[actor.user_id], coordinators=True)
        events.queue_changed(staff_only=True)  # the wait estimate counts who is here
    return member


def my_duty(*, actor: Actor, now: dt.datetime | None = None) -> tuple[DutyShift | None, DutyMember | None]:
    shift = current_shift(now=now)
    if shift is None or actor.user_id is None:
        return shift, None
    return shift, DutyMember.objects.filter(shift=shift, user_id=actor.user_id).first()


# --- the queue -------------------------------------------------------------------------------------
def _clean_line(value, *, max_length: int, code: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DropinError(code)
    # Tabs and line breaks of a pasted line are spaces here (clean_text drops control characters).
    cleaned = clean_text(" ".join(value.split()), max_length=max_length, single_line=True)
    if len(cleaned) > max_length:
        raise DropinError(code)
    return cleaned


def contact_enter(*, actor: Actor, nickname="", topic="", audience="", now: dt.datetime | None = None) -> tuple[Contact, str]:
    """A parent enters the queue. Returns the contact and its one-time code (shown once; only its
    keyed hash is stored). Refused when closed or within DROPIN_LAST_ENTRY_MINUTES of closing, for
    staff sessions, and over DROPIN_ENTRIES_PER_CLIENT_PER_HOUR (RateLimited)."""
    now = now or timezone.now()
    if not actor.is_parent:
        raise DropinError("staff_entry")
    nickname = _clean_line(nickname, max_length=NICKNAME_MAX, code="invalid_nickname")
    topic = _clean_line(topic, max_length=TOPIC_MAX, code="invalid_topic")
    if audience is None:
        audience = ""
    if not isinstance(audience, str) or audience not in ("", *Contact.Audience.values):
        raise DropinError("invalid_audience")
    state = opening(now=now)
    if not state.accepting:
        raise DropinError("last_entry" if state.is_open else "closed")
    key = ratelimit.take("dropin_entries", actor.client, limit=settings.DROPIN_ENTRIES_PER_CLIENT_PER_HOUR, window=ENTRY_WINDOW_SECONDS)
    try:
        for _attempt in range(3):
            code = codes.generate()
            try:
                with transaction.atomic():
                    session = chat_services.session_create(channel=ChatSession.Channel.DROPIN, parent_joined=True, now=now)
                    contact = Contact.objects.create(
                        code_hash=codes.hash_code(code), nickname=nickname, topic=topic, audience=audience,
                        arrived_at=now, session=session,
                    )
                    events.queue_changed()
                return contact, code
            except IntegrityError:  # the same code twice: ~2**-59, but then simply another one
                continue
        raise DropinError("server_error")
    except Exception:
        ratelimit.give_back(key)  # nothing was entered: the allowance is not used up
        raise


def _lookup(code) -> Contact | None:
    code_hash = codes.hash_code(code) if isinstance(code, str) else ""
    if not code_hash:
        return None
    return Contact.objects.select_related("session", "taken_by").filter(code_hash=code_hash).first()


def _check_live(contact: Contact, *, now: dt.datetime) -> Contact:
    if contact.state not in LIVE or contact.session.ended_at is not None:
        raise DropinError("ended")
    grace = dt.timedelta(minutes=settings.DROPIN_REJOIN_GRACE_MINUTES)
    if contact.away_since is not None and contact.away_since <= now - grace:
        raise DropinError("ended")  # gone longer than the grace: the place was given up
    return contact


def contact_for_code(*, actor: Actor, code, now: dt.datetime | None = None) -> Contact:
    """Rejoin with the code: the same place in the queue, or the same chat, within the grace period.
    The code goes through booking.ratelimit.check_code, the one limit on every code entry."""
    now = now or timezone.now()
    contact = ratelimit.check_code(actor.client, lambda: _lookup(code))
    if contact is None:
        raise DropinError("invalid_code")
    return _check_live(contact, now=now)


def contact_from_session(*, contact_id, now: dt.datetime | None = None) -> Contact:
    """The contact a parent's browser session holds (the entry or rejoin page put only its id there)."""
    contact = None
    if isinstance(contact_id, int) and not isinstance(contact_id, bool):
        contact = Contact.objects.select_related("session", "taken_by").filter(pk=contact_id).first()
    if contact is None:
        raise DropinError("invalid_code")
    return _check_live(contact, now=now or timezone.now())


def parent_connected(*, contact: Contact) -> None:
    Contact.objects.filter(pk=contact.pk, away_since__isnull=False).update(away_since=None)


def parent_disconnected(*, contact_id: int, now: dt.datetime | None = None) -> None:
    Contact.objects.filter(pk=contact_id, state__in=LIVE).update(away_since=now or timezone.now())


def position(*, contact: Contact) -> int:
    """1 for the parent who waited longest. Arrival order is the order of entry (the id)."""
    return Contact.objects.filter(state=Contact.State.WAITING, pk__lte=contact.pk).count()


@dataclass(frozen=True)
class QueueState:
    waiting: int
    longest_wait: dt.timedelta | None
    per_place: float | None  # seconds of waiting per place in the queue; None: cannot estimate
    seats: int  # chats the people present take at once, together


def _seats(shift: DutyShift | None) -> int:
    if shift is None:
        return 0
    return shift.members.filter(present_since__isnull=False).aggregate(s=Sum("capacity"))["s"] or 0


def per_place_seconds(*, now: dt.datetime | None = None) -> tuple[float | None, int]:
    """(seconds per place in the queue, seats): the median length of the last ESTIMATE_CHATS chats
    divided by the chats the people present take at once. None when there are fewer than
    ESTIMATE_MIN_CHATS recent chats or nobody is present: then we say we cannot estimate, rather
    than guess. Cached for a few seconds (it is asked on every queue change)."""
    cached = cache.get("dropin:per_place")
    if cached is not None:
        return tuple(cached)
    now = now or timezone.now()
    recent = list(
        Contact.objects.filter(taken_at__isnull=False, ended_at__isnull=False, ended_at__gte=now - dt.timedelta(days=ESTIMATE_DAYS))
        .order_by("-ended_at")
        .values_list("taken_at", "ended_at")[:ESTIMATE_CHATS]
    )
    seats = _seats(current_shift(now=now))
    per_place = None
    if len(recent) >= ESTIMATE_MIN_CHATS and seats:
        per_place = statistics.median((end - start).total_seconds() for start, end in recent) / seats
    cache.set("dropin:per_place", [per_place, seats], ESTIMATE_CACHE_SECONDS)
    return per_place, seats


def queue_state(*, now: dt.datetime | None = None) -> QueueState:
    now = now or timezone.now()
    waiting = Contact.objects.filter(state=Contact.State.WAITING)
    agg = waiting.aggregate(n=Count("pk"), first=Min("arrived_at"))
    count = agg["n"]
    per_place, seats = per_place_seconds(now=now)
    longest = now - agg["first"] if agg["first"] else None
    return QueueState(waiting=count, longest_wait=longest, per_place=per_place, seats=seats)


def estimate_minutes(place: int, per_place: float | None) -> int | None:
    """About how many minutes the parent at ``place`` waits, rounded up to 5; None: cannot say."""
    if per_place is None or place < 1:
        return None
    minutes = place * per_place / 60
    return max(5, int(-(-minutes // 5) * 5))


def queue_band(*, now: dt.datetime | None = None) -> str:
    """The public status' band: "none", "short" or "long" (never exact numbers)."""
    state = queue_state(now=now)
    if state.waiting == 0:
        return "none"
    if state.per_place is not None:
        minutes = state.waiting * state.per_place / 60
        return "short" if minutes <= settings.DROPIN_SHORT_WAIT_MINUTES else "long"
    return "short" if state.seats and state.waiting <= state.seats else "long"


def parent_leave(*, contact: Contact, now: dt.datetime | None = None) -> Contact:
    """The parent leaves the queue; in a chat, they end it."""
    now = now or timezone.now()
    with transaction.atomic():
        left = Contact.objects.filter(pk=contact.pk, state=Contact.State.WAITING).update(state=Contact.State.LEFT, ended_at=now)
        if left:
            chat_services.session_end(session=contact.session, by="parent", now=now)
            events.chat_ended(contact.session, by="parent", reason="left_queue")
            events.queue_changed(removed=contact.pk)
            contact.refresh_from_db()
            return contact
    return contact_end(contact=contact, by="parent", now=now)


# --- taking ----------------------------------------------------------------------------------------
def _active_chats(user_id) -> int:
    return Contact.objects.filter(taken_by_id=user_id, state=Contact.State.TAKEN).count()


def _locked_member(shift: DutyShift, user_id) -> DutyMember | None:
    return DutyMember.objects.select_for_update().filter(shift=shift, user_id=user_id).first()


def take_next(*, actor: Actor, now: dt.datetime | None = None) -> Contact:
    """The present person takes the parent who has waited longest (see the module's docstring for
    why exactly one taker wins and nobody goes over capacity)."""
    _require_work(actor)
    now = now or timezone.now()
    shift = current_shift(now=now)
    if shift is None:
        raise DropinError("no_shift")
    with transaction.atomic():
        member = _locked_member(shift, actor.user_id)
        if member is None:
            raise DropinError("not_on_shift")
        if member.present_since is None:
            raise DropinError("not_present")
        if _active_chats(actor.user_id) >= member.capacity:
            raise DropinError("at_capacity")
        for _attempt in range(5):
            candidate = (
                Contact.objects.select_for_update(skip_locked=True)
                .filter(state=Contact.State.WAITING)
                .order_by("pk")
                .values_list("pk", flat=True)
                .first()
            )
            if candidate is None:
                raise DropinError("queue_empty")
            taken = Contact.objects.filter(pk=candidate, state=Contact.State.WAITING).update(
                state=Contact.State.TAKEN, taken_by=actor.user, taken_at=now, shift=shift
            )
            if taken:  # one statement: of concurrent takers, exactly one changes the row
                break
        else:
            raise DropinError("queue_empty")
        contact = Contact.objects.select_related("session").get(pk=candidate)
        chat_services.session_open(session=contact.session, now=now)
        events.chat_opened(contact.session, helper=actor.user)
        events.queue_changed(removed=contact.pk)
        events.staff_changed(users=[actor.user_id], coordinators=True)
    return contact


def helper_contact(*, actor: Actor, contact_id) -> Contact:
    """A chat the signed-in person on duty may open: only one they have (or had, to record it)."""
    _require_work(actor)
    if isinstance(contact_id, bool) or not isinstance(contact_id, (int, str)):
        raise DropinError("forbidden")
    try:
        contact_id = int(contact_id)
    except (TypeError, ValueError):
        raise DropinError("forbidden") from None
    contact = Contact.objects.select_related("session", "taken_by").filter(pk=contact_id, taken_by_id=actor.user_id).first()
    if contact is None or contact.state not in (Contact.State.TAKEN, Contact.State.ENDED):
        raise DropinError("forbidden")
    return contact


def contact_end(*, contact: Contact, by: str, actor: Actor | None = None, flag: bool = False, now: dt.datetime | None = None) -> Contact:
    """End a chat: the parent's code dies, the person on duty records the statistics. ``by`` is
    "parent", "worker" (the person on duty: must be the one who has it) or "system". ``flag``
    (person on duty only) marks an abusive contact (audited)."""
    now = now or timezone.now()
    if by == "worker" and (actor is None or actor.user_id is None or actor.user_id != contact.taken_by_id):
        raise DropinError("forbidden")
    if flag and by != "worker":
        raise DropinError("forbidden")
    with transaction.atomic():
        ended = Contact.objects.filter(pk=contact.pk, state=Contact.State.TAKEN).update(state=Contact.State.ENDED, ended_at=now)
        session = chat_services.session_end(session=contact.session, by=by, now=now)
        if flag:
            Contact.objects.filter(pk=contact.pk).update(flagged=True)
            ChatSession.objects.filter(pk=session.pk).update(flagged=True)
            _audit(actor, "flag", contact, summary=f"drop-in chat {contact.pk} flagged as abusive")
        if ended:
            events.chat_ended(session, by=session.ended_by)
            events.staff_changed(users=[contact.taken_by_id], coordinators=True)
    contact.refresh_from_db()
    return contact


# --- support, the side channel, hand-over, reading ---------------------------------------------------
def _may_side(actor: Actor, contact: Contact) -> str:
    """The side channel's role of ``actor`` for this chat, or DropinError."""
    if actor.is_coordinator:
        return SideMessage.Role.COORDINATOR if actor.user_id != contact.taken_by_id else SideMessage.Role.HELPER
    if may_work(actor) and actor.user_id == contact.taken_by_id:
        return SideMessage.Role.HELPER
    raise DropinError("forbidden")


def support_set(*, actor: Actor, contact: Contact, on: bool, now: dt.datetime | None = None) -> Contact:
    """The person on duty asks the coordinator for support with this chat (or no longer does). While
    asked, the coordinator may read the chat (audited)."""
    if not (may_work(actor) and actor.user_id == contact.taken_by_id) or contact.state != Contact.State.TAKEN:
        raise DropinError("forbidden")
    now = now or timezone.now()
    Contact.objects.filter(pk=contact.pk).update(support_requested_at=now if on else None)
    contact.support_requested_at = now if on else None
    events.staff_changed(users=[contact.taken_by_id], coordinators=True)
    return contact


def side_post(*, actor: Actor, contact: Contact, text) -> SideMessage:
    """A message on the chat's side channel: between the person on duty and the coordinator only."""
    role = _may_side(actor, contact)
    if not isinstance(text, str):
        raise DropinError("bad_frame")
    if len(text) > SIDE_MAX:
        raise DropinError("too_long")
    text = clean_text(text, max_length=SIDE_MAX, single_line=False)
    if not text:
        raise DropinError("empty")
    with transaction.atomic():
        message = SideMessage.objects.create(contact=contact, author=actor.user, role=role, text=text)
        message.author = actor.user
        events.side_message(contact, message.as_frame())
    return message


def side_messages(*, actor: Actor, contact: Contact) -> list[SideMessage]:
    _may_side(actor, contact)
    return list(contact.side_messages.select_related("author"))


def hand_over(*, actor: Actor, contact: Contact, to_user, note: str = "", now: dt.datetime | None = None) -> Contact:
    """The coordinator hands a running chat to another person present on the shift, or takes it over
    (``to_user`` = themselves), with a note for the one who continues. The receiver's capacity is
    counted under the lock of their duty row, as in take_next. Audited."""
    _require_coordinator(actor)
    now = now or timezone.now()
    note = clean_text(note if isinstance(note, str) else "", max_length=NOTE_MAX, single_line=False)[:NOTE_MAX]
    shift = current_shift(now=now)
    if shift is None:
        raise DropinError("no_shift")
    if to_user is None or getattr(to_user, "pk", None) == contact.taken_by_id:
        raise DropinError("target_unavailable")
    with transaction.atomic():
        member = _locked_member(shift, to_user.pk)
        if to_user.pk == actor.user_id:
            # The coordinator taking a chat over is on duty from now: on the shift's list, present.
            if member is None:
                DutyMember.objects.create(shift=shift, user=to_user, capacity=MAX_CAPACITY, present_since=now)
            elif member.present_since is None:
                DutyMember.objects.filter(pk=member.pk).update(present_since=now)
            member = _locked_member(shift, to_user.pk)
        if member is None or member.present_since is None:
            raise DropinError("target_unavailable")
        if _active_chats(to_user.pk) >= member.capacity:
            raise DropinError("target_unavailable")
        previous = contact.taken_by_id
        moved = Contact.objects.filter(pk=contact.pk, state=Contact.State.TAKEN, taken_by_id=previous).update(
            taken_by=to_user, support_requested_at=None
        )
        if not moved:
            raise DropinError("not_taken")
        HandOverNote.objects.create(contact=contact, from_user_id=previous, to_user=to_user, by_user=actor.user, note=note)
        _audit(
            actor, "hand_over", contact, summary=f"drop-in chat {contact.pk} handed over",
            details={"to": to_user.display_name},
        )
        events.helper_changed(contact.session, helper=to_user, previous=previous)
        events.staff_changed(users=[previous, to_user.pk], coordinators=True)
    contact.refresh_from_db()
    return contact


def _audit(actor: Actor, action: str, contact: Contact, *, summary: str, details: dict | None = None) -> None:
    """Upward news for the audit log (staff.receivers). A read without an audit entry must not
    happen: with no receiver listening, refuse."""
    if not dropin_audit.has_listeners():
        raise DropinError("audit_unavailable")
    dropin_audit.send(sender=Contact, actor=actor, action=action, contact=contact, summary=summary, details=details or {})


def chat_read(*, actor: Actor, contact: Contact) -> list[Message]:
    """The coordinator reads a chat's content: only while the person on duty asks for support with
    that chat, and every read is in the audit log (docs/security.md, "The drop-in chat")."""
    _require_coordinator(actor)
    if contact.support_requested_at is None or contact.state != Contact.State.TAKEN:
        raise DropinError("no_support_request")
    with transaction.atomic():
        _audit(actor, "read", contact, summary=f"drop-in chat {contact.pk} read on a support request",
               details={"on_duty": contact.taken_by.display_name if contact.taken_by_id else ""})
        return chat_services.messages_after(session=contact.session)


# --- after the chat --------------------------------------------------------------------------------
def records_missing(*, actor: Actor, limit: int = 20) -> list[Contact]:
    """Ended chats of this person still without their statistics record."""
    from stats.models import ContactRecord

    ended = list(
        Contact.objects.filter(taken_by_id=actor.user_id, state=Contact.State.ENDED, taken_at__isnull=False)
        .order_by("-ended_at")[: limit * 3]
    )
    done = set(ContactRecord.objects.filter(source_key__in=[c.source_key for c in ended]).values_list("source_key", flat=True))
    return [c for c in ended if c.source_key not in done][:limit]


def record_save(*, actor: Actor, contact: Contact, **data):
    """The anonymous statistics record of an ended chat, by the person who had it (channel "dropin_chat")."""
    if not (may_work(actor) and actor.user_id == contact.taken_by_id):
        raise DropinError("forbidden")
    if contact.state != Contact.State.ENDED or contact.taken_at is None:
        raise DropinError("not_recordable")
    return stats_services.channel_record_save(
        actor=actor, channel=StatsChannel.DROPIN_CHAT, source_key=contact.source_key, when=contact.taken_at, **data
    )


def feedback_allowed(contact: Contact | None) -> bool:
    return contact is not None and contact.state == Contact.State.ENDED and contact.taken_at is not None


def feedback_save(*, contact: Contact, helpful: str, recommend: str):
    if not feedback_allowed(contact):
        raise DropinError("not_recordable")
    return stats_services.feedback_save(channel=StatsChannel.DROPIN_CHAT, helpful=helpful, recommend=recommend)


# --- time-driven -----------------------------------------------------------------------------------
def close_queue(*, now: dt.datetime | None = None) -> list[int]:
    """At closing, the parents still waiting are told kindly, with the alternatives; running chats
    go on. Safe to run any time: nothing happens while the chat is open."""
    now = now or timezone.now()
    if opening(now=now).is_open:
        return []
    closed = []
    for contact in Contact.objects.select_related("session").filter(state=Contact.State.WAITING):
        with transaction.atomic():
            if not Contact.objects.filter(pk=contact.pk, state=Contact.State.WAITING).update(state=Contact.State.CLOSED, ended_at=now):
                continue
            chat_services.session_end(session=contact.session, by="system", now=now)
            events.chat_ended(contact.session, by="system", reason="closed", alternatives=events.alternatives_json(now=now))
        closed.append(contact.pk)
    if closed:
        events.queue_changed()
    return closed


def drop_absent(*, now: dt.datetime | None = None) -> dict:
    """Parents gone longer than DROPIN_REJOIN_GRACE_MINUTES (their socket closed, no rejoin): a place
    in the queue is given up; a chat ends (the person on duty sees it end and records it)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=settings.DROPIN_REJOIN_GRACE_MINUTES)
    left = ended = 0
    for contact in Contact.objects.select_related("session").filter(state__in=LIVE, away_since__lte=cutoff):
        if contact.state == Contact.State.WAITING:
            with transaction.atomic():
                if Contact.objects.filter(pk=contact.pk, state=Contact.State.WAITING, away_since__lte=cutoff).update(
                    state=Contact.State.LEFT, ended_at=now
                ):
                    chat_services.session_end(session=contact.session, by="system", now=now)
                    events.chat_ended(contact.session, by="system", reason="away")
                    events.queue_changed(removed=contact.pk)
                    left += 1
        else:
            contact_end(contact=contact, by="system", now=now)
            ended += 1
    return {"left": left, "ended": ended}
