"""Staff operations with an actor: availability and time off (with their conflict rules), saved
replies, the calendar feed. Every staff page calls these; the rules live here once.

Moving, handing over and cancelling an appointment are booking rules (booking.services), which
this app's pages call with the staff actor; their audit entries come back as signals
(staff/receivers.py). A change never silently drops a booking: if booked appointments would fall
outside the new availability (or inside new time off), the change is refused with the list of
conflicts, and the caller decides: ``decision="keep"`` applies the change and keeps the
appointments, ``"cancel"`` applies it and cancels them with a message the parent sees when looking
the code up.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from booking import services as booking_services
from booking.actors import Actor
from booking.localtime import TZ
from booking.models import Availability, AvailabilityException, Booking, Service
from chatrooms.models import SavedReply

from . import audit
from .models import User, new_feed_token


class StaffError(Exception):
    """A refusal: ``code`` is stable; pages turn it into a message or a 403."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


def can_manage_worker(actor: Actor, worker) -> bool:
    """A professional edits their own calendar; a coordinator anyone's. Volunteers have no calendar."""
    if actor.is_coordinator:
        return True
    return actor.is_professional and actor.user_id == worker.pk


def _require_manage(actor: Actor, worker) -> None:
    if not can_manage_worker(actor, worker):
        raise StaffError("forbidden")


class AvailabilityConflict(Exception):
    def __init__(self, conflicts: list[Booking]):
        self.conflicts = conflicts
        super().__init__(f"{len(conflicts)} conflicting bookings")


def _covered(booking: Booking, rules, exceptions) -> bool:
    local_start = booking.start.astimezone(TZ)
    local_end = booking.end.astimezone(TZ)
    day = local_start.date()
    in_rule = any(
        r.service_id == booking.service_id
        and r.weekday == day.weekday()
        and (r.valid_from is None or r.valid_from <= day)
        and (r.valid_until is None or day <= r.valid_until)
        and r.start_time <= local_start.time()
        and local_end.time() <= r.end_time
        for r in rules
    )
    off = any(e.start < booking.end and booking.start < e.end for e in exceptions)
    return in_rule and not off


def conflicts_for(*, worker, rules, exceptions, now: dt.datetime | None = None) -> list[Booking]:
    """Future booked appointments of ``worker`` that ``rules`` and ``exceptions`` would not cover."""
    now = now or timezone.now()
    upcoming = Booking.objects.filter(worker=worker, status=Booking.Status.BOOKED, end__gt=now).select_related("service")
    return [b for b in upcoming if not _covered(b, rules, exceptions)]


def _current(worker):
    return list(Availability.objects.filter(worker=worker)), list(AvailabilityException.objects.filter(worker=worker))


def _new_conflicts(*, worker, before_rules, before_exceptions, after_rules, after_exceptions) -> list[Booking]:
    """Only the bookings a change uncovers count; ones already uncovered are not news."""
    before = {b.pk for b in conflicts_for(worker=worker, rules=before_rules, exceptions=before_exceptions)}
    return [b for b in conflicts_for(worker=worker, rules=after_rules, exceptions=after_exceptions) if b.pk not in before]


def _resolve(*, actor, conflicts, decision, message):
    if conflicts and decision not in ("keep", "cancel"):
        raise AvailabilityConflict(conflicts)
    if decision == "cancel":
        for booking in conflicts:
            booking_services.booking_cancel(actor=actor, booking=booking, message=message, reason="availability")


def availability_save(
    *,
    actor: Actor,
    worker,
    service: Service,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    instance: Availability | None = None,
    decision: str | None = None,
    message: str = "",
) -> Availability:
    _require_manage(actor, worker)
    if end_time <= start_time:
        raise StaffError("invalid_times")
    with transaction.atomic():
        rules, exceptions = _current(worker)
        candidate = instance or Availability(worker=worker, service=service)
        candidate.service, candidate.weekday, candidate.start_time, candidate.end_time = service, weekday, start_time, end_time
        proposed = [r for r in rules if instance is None or r.pk != instance.pk] + [candidate]
        conflicts = _new_conflicts(
            worker=worker, before_rules=rules, before_exceptions=exceptions, after_rules=proposed, after_exceptions=exceptions
        )
        _resolve(actor=actor, conflicts=conflicts, decision=decision, message=message)
        service.workers.add(worker)
        candidate.save()
        audit.log(actor=actor.user, action="availability", target_worker=worker, summary=f"{'changed' if instance else 'added'}: {service.slug} {candidate}")
    return candidate


def availability_delete(*, actor: Actor, rule: Availability, decision: str | None = None, message: str = "") -> None:
    _require_manage(actor, rule.worker)
    with transaction.atomic():
        rules, exceptions = _current(rule.worker)
        remaining = [r for r in rules if r.pk != rule.pk]
        conflicts = _new_conflicts(
            worker=rule.worker, before_rules=rules, before_exceptions=exceptions, after_rules=remaining, after_exceptions=exceptions
        )
        _resolve(actor=actor, conflicts=conflicts, decision=decision, message=message)
        audit.log(actor=actor.user, action="availability", target_worker=rule.worker, summary=f"removed: {rule.service.slug} {rule}")
        rule.delete()


def time_off_add(
    *,
    actor: Actor,
    worker,
    start: dt.datetime,
    end: dt.datetime,
    reason: str = "",
    decision: str | None = None,
    message: str = "",
    kind: str = AvailabilityException.Kind.TIME_OFF,
) -> AvailabilityException:
    """Days or hours off, or one blocked slot (``kind="blocked"``, see ``block_slot``)."""
    _require_manage(actor, worker)
    if end <= start:
        raise StaffError("invalid_times")
    with transaction.atomic():
        rules, exceptions = _current(worker)
        new = AvailabilityException(worker=worker, start=start, end=end, kind=kind, reason=reason[:120])
        conflicts = _new_conflicts(
            worker=worker, before_rules=rules, before_exceptions=exceptions, after_rules=rules, after_exceptions=exceptions + [new]
        )
        _resolve(actor=actor, conflicts=conflicts, decision=decision, message=message)
        new.save()
        audit.log(
            actor=actor.user, action="time_off", target_worker=worker,
            summary=f"added {timezone.localtime(start):%Y-%m-%d %H:%M}–{timezone.localtime(end):%Y-%m-%d %H:%M}",
        )
    return new


def time_off_delete(*, actor: Actor, exception: AvailabilityException) -> None:
    """Time off removed, or a blocked slot unblocked: its times are free again."""
    _require_manage(actor, exception.worker)
    what = "unblocked" if exception.kind == AvailabilityException.Kind.BLOCKED else "removed"
    audit.log(actor=actor.user, action="time_off", target_worker=exception.worker, summary=f"{what} {exception}")
    exception.delete()


def block_slot(*, actor: Actor, worker, service: Service, start: dt.datetime, decision: str | None = None, message: str = ""):
    """One free slot of ``service`` taken out of the calendar: a short time off of the slot's length,
    marked as a blocked slot (pages name it "Blocked" in the reader's language and can unblock it
    with ``time_off_delete``)."""
    return time_off_add(
        actor=actor, worker=worker, start=start, end=start + dt.timedelta(minutes=service.slot_minutes),
        decision=decision, message=message, kind=AvailabilityException.Kind.BLOCKED,
    )


# --- saved replies and the calendar feed -----------------------------------------------------------
def saved_reply_add(*, actor: Actor, title: str, text: str, shared: bool) -> SavedReply:
    """A ready text for the chat: the author's own, or shared with everyone (coordinators only)."""
    if not actor.is_verified_staff:
        raise StaffError("forbidden")
    owner = None if (shared and actor.is_coordinator) else actor.user
    return SavedReply.objects.create(owner=owner, title=title, text=text)


def saved_reply_delete(*, actor: Actor, reply: SavedReply) -> None:
    if not (reply.owner_id == actor.user_id or (reply.owner_id is None and actor.is_coordinator)):
        raise StaffError("forbidden")
    reply.delete()


def feed_renew(*, actor: Actor) -> User:
    user = actor.user
    user.feed_token = new_feed_token()
    user.save(update_fields=["feed_token"])
    audit.log(actor=user, action="feed", target_worker=user)
    return user
