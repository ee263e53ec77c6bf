"""Writes for bookings: create, follow up, move, hand over, cancel, flag, find by code.

The one way in: the booking pages, the JSON API, the chat socket, the staff pages, the admin and the
scheduled jobs all call these, with an ``Actor`` (booking/actors.py) saying who acts. The rules live
here once: who may do what, the per-client limits, follow-up eligibility, which states allow a change.
Upward news (a cancel ends a chat; staff actions go to the audit log) leaves as a signal
(booking/signals.py); this module imports no other app.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import codes, events, ratelimit, selectors
from .actors import Actor
from .localtime import TZ, day_bounds
from .models import Booking, Service
from .ratelimit import RateLimited
from .signals import send_booking_changed

NICKNAME_MAX = 40
TOPIC_MAX = 500
MESSAGE_MAX = 300

__all__ = ["BookingError", "RateLimited", "NewBooking"]


class BookingError(Exception):
    """A refusal the user can act on. ``code`` is stable (API), ``message`` is for people."""

    MESSAGES = {
        "slot_taken": _("This time was just taken. Please choose another time."),
        "not_available": _("This time is not available for booking."),
        "invalid_nickname": _("Please give a nickname of 1–40 characters."),
        "invalid_topic": _("Please keep the topic under 500 characters."),
        "invalid_code": _("The code was not recognised. Please check it and try again."),
        "invalid_follow_up": _("The code for the follow-up is not valid."),
        "follow_up_other_worker": _("A follow-up is booked with the same worker."),
        "follow_up_other_service": _("A follow-up is booked in the same service."),
        "follow_up_not_allowed": _("A follow-up cannot be booked from this appointment."),
        "too_many_follow_ups": _("You already have the follow-up times you can book from this appointment."),
        "not_cancellable": _("This booking can no longer be cancelled."),
        "not_booked": _("This appointment is no longer booked, so it cannot be changed."),
        "started": _("This appointment has already started."),
        "too_late": _("The chat of this appointment is about to begin, so it can no longer be moved or handed over."),
        "same_time": _("The appointment is already at this time."),
        "forbidden": _("You may not do this."),
        "invalid_idempotency_key": _("The form has expired. Please try again."),
        "idempotency_key_reused": _("This form was already used for another booking."),
    }

    def __init__(self, code: str, *, field: str | None = None, alternatives: list | None = None):
        self.code = code
        self.field = field
        self.alternatives = alternatives or []
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self.MESSAGES.get(self.code, self.code))


@dataclass
class NewBooking:
    booking: Booking
    code: str = field(repr=False)
    # True when an idempotent re-post found the booking the first post made (nothing new was booked).
    replayed: bool = False


# --- text input ----------------------------------------------------------------------------------
def clean_text(value: str, *, max_length: int, single_line: bool) -> str:
    """Strip control characters (and lone surrogates) and surrounding space; keep printable Unicode."""
    value = value if isinstance(value, str) else ""
    value = unicodedata.normalize("NFC", value.encode("utf-8", "replace").decode("utf-8"))
    allowed_controls = "" if single_line else "\n"
    value = "".join(ch for ch in value if ch in allowed_controls or unicodedata.category(ch)[0] != "C")
    value = value.strip()
    if single_line:
        value = " ".join(value.split())
    return value[: max_length + 1]


def clean_json(value):
    """JSON may carry lone surrogates ("\\ud800"), which no database, log or socket can encode:
    replace them in every string of a parsed JSON value (API bodies, socket frames) before anything
    reads it."""
    if isinstance(value, str):
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            return value.encode("utf-8", "replace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {clean_json(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value


def validate_nickname(nickname: str) -> str:
    cleaned = clean_text(nickname, max_length=NICKNAME_MAX, single_line=True)
    if not cleaned or len(cleaned) > NICKNAME_MAX:
        raise BookingError("invalid_nickname", field="nickname")
    return cleaned


def validate_topic(topic: str) -> str:
    cleaned = clean_text(topic, max_length=TOPIC_MAX, single_line=False)
    if len(cleaned) > TOPIC_MAX:
        raise BookingError("invalid_topic", field="topic")
    return cleaned


def _staff_message(message: str) -> str:
    return clean_text(message, max_length=MESSAGE_MAX, single_line=False)[:MESSAGE_MAX]


# --- codes ---------------------------------------------------------------------------------------
def find_by_code(*, actor: Actor, code) -> Booking:
    """The booking a code belongs to, under the client's code-entry limit (every edge comes here).

    Raises ``RateLimited`` when the client has used up its attempts, ``BookingError("invalid_code")``
    for a code that is not a live booking's.
    """
    code = code if isinstance(code, str) else ""
    booking = ratelimit.check_code(actor.client, lambda: selectors.booking_by_code(code))
    if booking is None:
        raise BookingError("invalid_code", field="code")
    return booking


# --- who may change what -------------------------------------------------------------------------
def _may_act_for(actor: Actor, booking: Booking) -> bool:
    """Staff who may change this booking: its own worker, or a coordinator."""
    return actor.is_coordinator or (actor.is_professional and actor.user_id == booking.worker_id)


def change_refusal(booking: Booking, *, action: str, actor: Actor, now: dt.datetime | None = None) -> str | None:
    """The one rule for what a booking's state allows: None if ``action`` may happen now, else the
    refusal's code. Actions: "cancel", "move" (staff), "reschedule" (parent), "hand_over"."""
    now = now or timezone.now()
    if booking.status != Booking.Status.BOOKED:
        return "not_booked"
    if action == "cancel":
        if actor.is_parent and booking.start <= now:
            return "started"
        return None
    # Moving or handing over an appointment whose chat can already open would pull it away from
    # under the parent in the waiting room (or the worker who opened it).
    if now >= booking.chat_opens:
        return "too_late"
    return None


def _require(condition: bool) -> None:
    if not condition:
        raise BookingError("forbidden")


# --- creating ------------------------------------------------------------------------------------
def _check_horizon(service: Service, start: dt.datetime, now: dt.datetime) -> None:
    """A time far outside the booking period is refused before any search (and any arithmetic)."""
    if start < now - dt.timedelta(days=1) or start > now + dt.timedelta(days=service.horizon_days + 1):
        raise BookingError("not_available", field="start")


def _replay(*, key_hash: str, key: str, service: Service | None, start: dt.datetime) -> NewBooking | None:
    existing = Booking.objects.select_related("service", "worker").filter(idempotency_hash=key_hash).first()
    if existing is None:
        return None
    if (service is not None and existing.service_id != service.pk) or existing.start != start:
        raise BookingError("idempotency_key_reused", field="idempotency_key")
    return NewBooking(booking=existing, code=codes.unseal(existing.code_sealed, key), replayed=True)


def booking_create(
    *,
    actor: Actor,
    service: Service,
    start: dt.datetime,
    nickname: str,
    worker=None,
    topic: str = "",
    follow_up_of: Booking | None = None,
    reminder_email: str = "",
    idempotency_key: str = "",
    now: dt.datetime | None = None,
) -> NewBooking:
    """Book ``start`` with ``worker`` (or any worker free then). Exactly one of concurrent callers wins.

    - Parents and the system book; staff do not book for parents here.
    - A parent uses one of the client's new-booking allowance (BOOKINGS_PER_CLIENT_PER_HOUR), taken
      atomically before the booking and given back if nothing was booked.
    - With an ``idempotency_key`` (the booking form's hidden token, or the API's Idempotency-Key),
      a repeat finds the booking the first call made, and nothing is booked again.
    - The worker's row is locked for the check-and-insert (on SQLite the IMMEDIATE transaction does
      the same), and the partial unique index on (worker, start) is the final guard in the database.
    """
    _require(actor.is_parent or actor.is_system)
    now = now or timezone.now()
    nickname = validate_nickname(nickname)
    topic = validate_topic(topic)
    key_hash = ""
    if idempotency_key:
        if not codes.valid_idempotency_key(idempotency_key):
            raise BookingError("invalid_idempotency_key", field="idempotency_key")
        key_hash = codes.hash_idempotency_key(idempotency_key)
        replay = _replay(key_hash=key_hash, key=idempotency_key, service=service, start=start)
        if replay is not None:
            return replay
    if follow_up_of is not None:
        if worker is not None and worker.pk != follow_up_of.worker_id:
            raise BookingError("follow_up_other_worker", field="worker")
        if service is not None and service.pk != follow_up_of.service_id:
            raise BookingError("follow_up_other_service", field="service")
        worker, service = follow_up_of.worker, follow_up_of.service
        refusal = _follow_up_refusal(follow_up_of, now=now)
        if refusal:
            raise BookingError(refusal, field="follow_up_of")
    _check_horizon(service, start, now)

    allowance = ratelimit.take_booking(actor.client) if actor.is_parent else None
    try:
        new = _book_first_free(
            actor=actor,
            service=service, start=start, worker=worker, nickname=nickname, topic=topic, follow_up_of=follow_up_of,
            reminder_email=reminder_email, key_hash=key_hash, key=idempotency_key, now=now,
        )
    except BaseException:
        if allowance:
            ratelimit.give_back(allowance)
        raise
    if new.replayed and allowance:
        ratelimit.give_back(allowance)
    return new


def _candidates(*, service: Service, start: dt.datetime, now) -> list:
    """Workers free at ``start``, the one with the fewest bookings that local day first (one query)."""
    User = get_user_model()
    local_day = start.astimezone(TZ).date()
    free = selectors.free_slots(service=service, start_date=local_day, end_date=local_day, now=now)
    candidate_ids = list(dict.fromkeys(s.worker_id for s in free if s.start == start))
    day_lo, day_hi = day_bounds(local_day)
    return list(
        User.objects.filter(pk__in=candidate_ids)
        .annotate(
            day_load=Count(
                "bookings",
                filter=Q(bookings__start__gte=day_lo, bookings__start__lt=day_hi) & Q(bookings__status__in=Booking.HOLDING),
            )
        )
        .order_by("day_load", "pk")
    )


def _book_first_free(*, actor, service, start, worker, nickname, topic, follow_up_of, reminder_email, key_hash, key, now) -> NewBooking:
    candidates = [worker] if worker is not None else _candidates(service=service, start=start, now=now)
    if not candidates:
        raise _refusal(service=service, start=start, worker=None)
    for candidate in candidates:
        try:
            return _book_one(
                actor=actor, service=service, worker=candidate, start=start, nickname=nickname, topic=topic, follow_up_of=follow_up_of,
                reminder_email=reminder_email, key_hash=key_hash, key=key, now=now,
            )
        except IntegrityError:
            # Either the slot went to someone else (try the next worker), or a concurrent request with
            # the same idempotency key won: then that booking is the answer.
            if key_hash:
                replay = _replay(key_hash=key_hash, key=key, service=service, start=start)
                if replay is not None:
                    return replay
            continue
        except BookingError as exc:
            if exc.code != "slot_taken" or candidate is candidates[-1]:
                raise
    raise _refusal(service=service, start=start, worker=worker)


def _book_one(*, actor, service, worker, start, nickname, topic, follow_up_of, reminder_email, key_hash, key, now) -> NewBooking:
    # Fast refusal without the lock: in a rush for one slot, all but the first see its row here.
    # (The check under the lock below still decides; this only spares the queue.)
    if Booking.objects.filter(worker=worker, start=start, status__in=Booking.HOLDING).exists():
        raise _refusal(service=service, start=start, worker=worker)
    booking = None
    with transaction.atomic():
        # Serialise bookings per worker: the second request waits here, then sees the first one's row.
        get_user_model().objects.select_for_update().filter(pk=worker.pk).first()
        if follow_up_of is not None:
            # Under the same lock (follow-ups are with the same worker): the flag and the number of
            # pending follow-ups are read after any concurrent follow-up committed.
            previous = Booking.objects.select_for_update().get(pk=follow_up_of.pk)
            refusal = _follow_up_refusal(previous, now=now, under_lock=True)
            if refusal:
                raise BookingError(refusal, field="follow_up_of")
        if selectors.slot_is_free(service=service, worker=worker, start=start, now=now):
            code = codes.generate()
            booking = Booking.objects.create(
                service=service,
                worker=worker,
                start=start,
                end=start + dt.timedelta(minutes=service.slot_minutes),
                nickname=nickname,
                topic=topic,
                follow_up_of=follow_up_of,
                reminder_email=reminder_email or "",
                code_hash=codes.hash_code(code),
                calendar_token=codes.new_calendar_token(),
                idempotency_hash=key_hash,
                code_sealed=codes.seal(code, key) if key_hash else "",
            )
            send_booking_changed(booking=booking, change="created", actor=actor)
    if booking is None:
        # The alternatives are searched after the lock is released, not while others queue on it.
        raise _refusal(service=service, start=start, worker=worker)
    events.booking_changed(booking)
    return NewBooking(booking=booking, code=code)


def _refusal(*, service: Service, start: dt.datetime, worker) -> BookingError:
    """'Taken' if someone booked that very time (a race for one slot), else 'not available' (a time
    off the calendar's grid, outside the hours, too soon); with the nearest free times."""
    holders = Booking.objects.filter(status__in=Booking.HOLDING, start=start)
    if worker is not None:
        holders = holders.filter(worker=worker)
    else:
        holders = holders.filter(worker__services=service)
    alternatives = selectors.nearest_free_slots(service=service, around=start, worker=worker)
    code = "slot_taken" if holders.exists() else "not_available"
    return BookingError(code, field="start", alternatives=alternatives)


# --- follow-ups ----------------------------------------------------------------------------------
def _follow_up_refusal(previous: Booking, *, now: dt.datetime, under_lock: bool = False) -> str | None:
    """Why no follow-up may be booked from ``previous`` now (None: it may).

    Eligible: the previous appointment is still booked (its chat is waiting or open), or it was held
    and its chat ended normally moments ago (the parent books at the end of the conversation: until
    the code's window closes). Never from a contact the worker flagged. At most
    FOLLOW_UPS_OPEN_PER_BOOKING follow-ups pending from one appointment.
    """
    if previous.flagged:
        return "follow_up_not_allowed"
    if previous.status == Booking.Status.BOOKED:
        pass
    elif previous.status == Booking.Status.COMPLETED:
        if now > selectors.join_window(previous)[1]:
            return "follow_up_not_allowed"
    else:
        return "follow_up_not_allowed"
    if under_lock:
        pending = Booking.objects.filter(follow_up_of=previous, status=Booking.Status.BOOKED).count()
        if pending >= settings.FOLLOW_UPS_OPEN_PER_BOOKING:
            return "too_many_follow_ups"
    return None


def followup_create(*, actor: Actor, previous: Booking, start: dt.datetime, nickname: str | None = None) -> NewBooking:
    """A follow-up with the same worker in the same service, linked to the previous booking.

    The same rules as ``booking_create`` (limits included) plus the follow-up eligibility, whichever
    edge asks (the chat's "book a follow-up", the API's ``follow_up_of``)."""
    return booking_create(
        actor=actor,
        service=previous.service,
        worker=previous.worker,
        start=start,
        nickname=nickname or previous.nickname or "—",
        follow_up_of=previous,
    )


def followup_slots(*, booking: Booking, days: int | None = None):
    """Free times of the same worker for a follow-up, from today over the service's horizon."""
    today = timezone.localdate()
    horizon = days or booking.service.horizon_days
    return selectors.free_slots(
        service=booking.service, worker=booking.worker, start_date=today, end_date=today + dt.timedelta(days=horizon)
    )


# --- changing ------------------------------------------------------------------------------------
def booking_cancel(*, actor: Actor, booking: Booking, message: str = "", reason: str = "", now: dt.datetime | None = None) -> Booking:
    """Cancel a booking, and with it its chat (a chat already open ends for both sides).

    A parent (who proved the code) may cancel until the start; the booking's worker or a
    coordinator until it is held; the system at any time it is booked.
    """
    now = now or timezone.now()
    if not (actor.is_parent or actor.is_system):
        _require(_may_act_for(actor, booking))
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("service", "worker").get(pk=booking.pk)
        refusal = change_refusal(booking, action="cancel", actor=actor, now=now)
        if refusal:
            raise BookingError("not_cancellable" if refusal == "not_booked" else refusal)
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.cancelled_by_staff = not actor.is_parent
        if not actor.is_parent:  # a parent's own cancel keeps what staff last said
            booking.cancel_message = _staff_message(message)
        booking.reminder_email = ""
        booking.calendar_token = ""
        booking.save(
            update_fields=["status", "cancelled_at", "cancelled_by_staff", "cancel_message", "reminder_email", "calendar_token"]
        )
        send_booking_changed(booking=booking, change="cancelled", actor=actor, reason=reason)
    events.booking_changed(booking)
    return booking


def booking_move(*, actor: Actor, booking: Booking, start: dt.datetime, message: str = "", now: dt.datetime | None = None) -> Booking:
    """Move an appointment to another free time of the same worker; the parent's code stays valid.

    Staff (its worker or a coordinator) move with a message the parent sees when looking the code
    up. A parent reschedules their own booking (proved by the code) under the same limits as a new
    booking: it uses one of the client's new-booking allowance.
    """
    now = now or timezone.now()
    if actor.is_parent:
        action = "reschedule"
    else:
        _require(_may_act_for(actor, booking))
        action = "move"
    refusal = change_refusal(booking, action=action, actor=actor, now=now)
    if refusal:
        raise BookingError(refusal)
    if start == booking.start:
        raise BookingError("same_time", field="start")
    _check_horizon(booking.service, start, now)
    allowance = ratelimit.take_booking(actor.client) if actor.is_parent else None
    try:
        with transaction.atomic():
            get_user_model().objects.select_for_update().filter(pk=booking.worker_id).first()
            booking = Booking.objects.select_for_update().select_related("service", "worker").get(pk=booking.pk)
            refusal = change_refusal(booking, action=action, actor=actor, now=now)
            if refusal:
                raise BookingError(refusal)
            free = selectors.slot_is_free(
                service=booking.service, worker=booking.worker, start=start, now=now, ignore_booking=booking
            )
            if not free:
                raise _refusal(service=booking.service, start=start, worker=booking.worker)
            old = booking.start
            booking.start = start
            booking.end = start + dt.timedelta(minutes=booking.service.slot_minutes)
            fields = ["start", "end"]
            if not actor.is_parent:
                booking.cancel_message = _staff_message(message)
                fields.append("cancel_message")
            booking.save(update_fields=fields)
            send_booking_changed(booking=booking, change="rescheduled" if actor.is_parent else "moved", actor=actor, old_start=old)
    except BaseException:
        if allowance:
            ratelimit.give_back(allowance)
        raise
    events.booking_changed(booking)
    return booking


def hand_over_candidates(booking: Booking) -> list:
    """Workers of the booking's service who are free at its very time (the minimum notice does not
    apply: a worker falling ill in the morning is exactly when this is needed)."""
    notice = dt.timedelta(minutes=booking.service.min_notice_minutes)
    now = min(timezone.now(), booking.start - notice)
    day = booking.start.astimezone(TZ).date()
    # One free-time search over all the service's workers, not one per colleague.
    free = selectors.free_slots(service=booking.service, start_date=day, end_date=day, now=now)
    ids = {s.worker_id for s in free if s.start == booking.start and s.worker_id != booking.worker_id}
    return list(get_user_model().objects.filter(pk__in=ids).order_by("pseudonym"))


def booking_hand_over(*, actor: Actor, booking: Booking, worker, message: str = "", now: dt.datetime | None = None) -> Booking:
    """Give an appointment to another worker at the same time (say, the worker fell ill).

    Coordinators only. The parent's code stays valid; the look-up shows the new worker's pseudonym
    and the message; both workers' dashboards update."""
    _require(actor.is_coordinator)
    now = now or timezone.now()
    User = get_user_model()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk__in=[booking.worker_id, worker.pk]).order_by("pk").count()
        booking = Booking.objects.select_for_update().select_related("service", "worker").get(pk=booking.pk)
        refusal = change_refusal(booking, action="hand_over", actor=actor, now=now)
        if refusal:
            raise BookingError(refusal)
        if worker not in hand_over_candidates(booking):
            raise BookingError("slot_taken", field="worker")
        previous = booking.worker
        booking.worker = worker
        booking.cancel_message = _staff_message(message)
        booking.save(update_fields=["worker", "cancel_message"])
        send_booking_changed(booking=booking, change="handed_over", actor=actor, previous_worker=previous)
    events.booking_changed(booking)
    events.notify_worker(
        previous.pk, {"kind": "booking", "booking": booking.pk, "status": "handed_over", "start": booking.start.isoformat()}
    )
    return booking


def booking_flag(*, actor: Actor, booking: Booking, now: dt.datetime | None = None) -> Booking:
    """The worker ends an abusive contact: no follow-up can be booked from it any more, and the
    parent's pending follow-ups (the whole chain) are cancelled. Its own worker or a coordinator."""
    _require(_may_act_for(actor, booking))
    now = now or timezone.now()
    with transaction.atomic():
        Booking.objects.filter(pk=booking.pk).update(flagged=True)
        booking.refresh_from_db()
        pending, frontier = [], [booking.pk]
        while frontier:
            found = list(Booking.objects.filter(follow_up_of_id__in=frontier))
            pending += [b for b in found if b.status == Booking.Status.BOOKED]
            frontier = [b.pk for b in found]
        for follow_up in pending:
            booking_cancel(actor=Actor.system(), booking=follow_up, reason="flagged", now=now)
        send_booking_changed(booking=booking, change="flagged", actor=actor, follow_ups_cancelled=len(pending))
    return booking


# --- housekeeping ----------------------------------------------------------------------------------
def forget_idempotency(*, now: dt.datetime | None = None) -> int:
    """Idempotency keys and sealed codes are kept only IDEMPOTENCY_KEEP_HOURS after booking."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS)
    return (
        Booking.objects.filter(created_at__lte=cutoff)
        .exclude(idempotency_hash="", code_sealed="")
        .update(idempotency_hash="", code_sealed="")
    )
