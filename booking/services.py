"""Writes for bookings: create, follow up, cancel. Views, the API, the chat and tasks all call these."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from staff.models import User

from . import codes, selectors
from .models import Booking, Service

NICKNAME_MAX = 40
TOPIC_MAX = 500


class BookingError(Exception):
    """A refusal the user can act on. ``code`` is stable (API), ``message`` is for people."""

    MESSAGES = {
        "slot_taken": _("This time was just taken. Please choose another time."),
        "not_available": _("This time is not available for booking."),
        "invalid_nickname": _("Please give a nickname of 1–40 characters."),
        "invalid_topic": _("Please keep the topic under 500 characters."),
        "invalid_follow_up": _("The code for the follow-up is not valid."),
        "follow_up_other_worker": _("A follow-up is booked with the same worker."),
        "not_cancellable": _("This booking can no longer be cancelled."),
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


def clean_text(value: str, *, max_length: int, single_line: bool) -> str:
    """Strip control characters and surrounding space; keep any printable Unicode."""
    value = unicodedata.normalize("NFC", value or "")
    allowed_controls = "" if single_line else "\n"
    value = "".join(ch for ch in value if ch in allowed_controls or unicodedata.category(ch)[0] != "C")
    value = value.strip()
    if single_line:
        value = " ".join(value.split())
    return value[: max_length + 1]


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


def booking_create(
    *,
    service: Service,
    start: dt.datetime,
    nickname: str,
    worker: User | None = None,
    topic: str = "",
    follow_up_of: Booking | None = None,
    reminder_email: str = "",
    now: dt.datetime | None = None,
) -> NewBooking:
    """Book ``start`` with ``worker`` (or any worker free then). Exactly one of concurrent callers wins.

    The worker's row is locked for the check-and-insert (on SQLite the IMMEDIATE transaction does the
    same), and the partial unique index on (worker, start) is the final guard in the database.
    """
    nickname = validate_nickname(nickname)
    topic = validate_topic(topic)
    if follow_up_of is not None:
        if worker is not None and worker.pk != follow_up_of.worker_id:
            raise BookingError("follow_up_other_worker", field="worker")
        worker = follow_up_of.worker
        service = follow_up_of.service if service is None else service

    if worker is not None:
        candidates = [worker]
    else:
        local_day = start.astimezone(selectors.TZ).date()
        free = selectors.free_slots(service=service, start_date=local_day, end_date=local_day, now=now)
        candidate_ids = list(dict.fromkeys(s.worker_id for s in free if s.start == start))
        day_start = dt.datetime.combine(local_day, dt.time.min, tzinfo=selectors.TZ)
        # Spread the load: the worker with the fewest bookings that (local) day goes first; one query.
        candidates = list(
            User.objects.filter(pk__in=candidate_ids)
            .annotate(
                day_load=Count(
                    "bookings",
                    filter=Q(bookings__start__gte=day_start, bookings__start__lt=day_start + dt.timedelta(days=1))
                    & Q(bookings__status__in=Booking.HOLDING),
                )
            )
            .order_by("day_load", "pk")
        )
        if not candidates:
            raise _refusal(service=service, start=start, worker=None)

    for candidate in candidates:
        try:
            return _book_one(
                service=service,
                worker=candidate,
                start=start,
                nickname=nickname,
                topic=topic,
                follow_up_of=follow_up_of,
                reminder_email=reminder_email,
                now=now,
            )
        except IntegrityError:
            continue
        except BookingError as exc:
            if exc.code != "slot_taken" or candidate is candidates[-1]:
                raise
    raise _refusal(service=service, start=start, worker=worker)


def _book_one(*, service, worker, start, nickname, topic, follow_up_of, reminder_email, now) -> NewBooking:
    # Fast refusal without the lock: in a rush for one slot, all but the first see its row here.
    # (The check under the lock below still decides; this only spares the queue.)
    if Booking.objects.filter(worker=worker, start=start, status__in=Booking.HOLDING).exists():
        raise _refusal(service=service, start=start, worker=worker)
    booking = None
    with transaction.atomic():
        # Serialise bookings per worker: the second request waits here, then sees the first one's row.
        User.objects.select_for_update().filter(pk=worker.pk).first()
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
            )
    if booking is None:
        # The alternatives are searched after the lock is released, not while others queue on it.
        raise _refusal(service=service, start=start, worker=worker)
    from . import events

    events.booking_changed(booking)
    return NewBooking(booking=booking, code=code)


def _refusal(*, service: Service, start: dt.datetime, worker) -> BookingError:
    """'Taken' if someone holds that time, else 'not available'; with the nearest free times."""
    holders = Booking.objects.filter(status__in=Booking.HOLDING, start__lt=start + dt.timedelta(minutes=service.slot_minutes), end__gt=start)
    if worker is not None:
        holders = holders.filter(worker=worker)
    else:
        holders = holders.filter(worker__services=service)
    alternatives = selectors.nearest_free_slots(service=service, around=start, worker=worker)
    code = "slot_taken" if holders.exists() else "not_available"
    return BookingError(code, field="start", alternatives=alternatives)


def followup_create(*, previous: Booking, start: dt.datetime, nickname: str | None = None) -> NewBooking:
    """A follow-up with the same worker, linked to the previous booking."""
    return booking_create(
        service=previous.service,
        worker=previous.worker,
        start=start,
        nickname=nickname or previous.nickname or "—",
        follow_up_of=previous,
    )


def booking_cancel(
    *, booking: Booking, by_staff: bool = False, message: str = "", now: dt.datetime | None = None
) -> Booking:
    """Cancel a booking. A parent may cancel until the start; staff at any time before it is held."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status != Booking.Status.BOOKED or (not by_staff and booking.start <= now):
            raise BookingError("not_cancellable")
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.cancelled_by_staff = by_staff
        booking.cancel_message = clean_text(message, max_length=300, single_line=False)[:300]
        booking.reminder_email = ""
        booking.save(update_fields=["status", "cancelled_at", "cancelled_by_staff", "cancel_message", "reminder_email"])
    from . import events

    events.booking_changed(booking)
    return booking
