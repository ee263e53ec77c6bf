"""Staff changes to availability and time off, and moving appointments.

A change never silently drops a booking: if booked appointments would fall outside the new
availability (or inside new time off), the change is refused with the list of conflicts, and the
caller decides: ``decision="keep"`` applies the change and keeps the appointments, ``"cancel"``
applies it and cancels them with a message the parent sees when looking the code up.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from staff import audit

from . import selectors, services
from .models import Availability, AvailabilityException, Booking, Service


class AvailabilityConflict(Exception):
    def __init__(self, conflicts: list[Booking]):
        self.conflicts = conflicts
        super().__init__(f"{len(conflicts)} conflicting bookings")


def _covered(booking: Booking, rules, exceptions) -> bool:
    local_start = booking.start.astimezone(selectors.TZ)
    local_end = booking.end.astimezone(selectors.TZ)
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


def _resolve(*, actor, conflicts, decision, message):
    if conflicts and decision not in ("keep", "cancel"):
        raise AvailabilityConflict(conflicts)
    if decision == "cancel":
        for booking in conflicts:
            services.booking_cancel(booking=booking, by_staff=True, message=message)
            audit.log(actor=actor, action="cancel", target_worker=booking.worker, summary=f"booking {booking.pk} (availability change)")


def availability_save(
    *,
    actor,
    worker,
    service: Service,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    instance: Availability | None = None,
    decision: str | None = None,
    message: str = "",
) -> Availability:
    if end_time <= start_time:
        raise ValueError("end_time must be after start_time")
    with transaction.atomic():
        rules, exceptions = _current(worker)
        candidate = instance or Availability(worker=worker, service=service)
        candidate.service, candidate.weekday, candidate.start_time, candidate.end_time = service, weekday, start_time, end_time
        proposed = [r for r in rules if instance is None or r.pk != instance.pk] + [candidate]
        conflicts = conflicts_for(worker=worker, rules=proposed, exceptions=exceptions)
        # Only bookings this change uncovers count; ones already uncovered are not news.
        before = {b.pk for b in conflicts_for(worker=worker, rules=rules, exceptions=exceptions)}
        conflicts = [b for b in conflicts if b.pk not in before]
        _resolve(actor=actor, conflicts=conflicts, decision=decision, message=message)
        service.workers.add(worker)
        candidate.save()
        audit.log(actor=actor, action="availability", target_worker=worker, summary=f"{'changed' if instance else 'added'}: {service.slug} {candidate}")
    return candidate


def availability_delete(*, actor, rule: Availability, decision: str | None = None, message: str = "") -> None:
    with transaction.atomic():
        rules, exceptions = _current(rule.worker)
        remaining = [r for r in rules if r.pk != rule.pk]
        before = {b.pk for b in conflicts_for(worker=rule.worker, rules=rules, exceptions=exceptions)}
        conflicts = [b for b in conflicts_for(worker=rule.worker, rules=remaining, exceptions=exceptions) if b.pk not in before]
        _resolve(actor=actor, conflicts=conflicts, decision=decision, message=message)
        audit.log(actor=actor, action="availability", target_worker=rule.worker, summary=f"removed: {rule.service.slug} {rule}")
        rule.delete()


def time_off_add(
    *, actor, worker, start: dt.datetime, end: dt.datetime, reason: str = "", decision: str | None = None, message: str = ""
) -> AvailabilityException:
    """Days or hours off, or one blocked slot (a short time off)."""
    if end <= start:
        raise ValueError("end must be after start")
    with transaction.atomic():
        rules, exceptions = _current(worker)
        new = AvailabilityException(worker=worker, start=start, end=end, reason=reason[:120])
        before = {b.pk for b in conflicts_for(worker=worker, rules=rules, exceptions=exceptions)}
        conflicts = [b for b in conflicts_for(worker=worker, rules=rules, exceptions=exceptions + [new]) if b.pk not in before]
        _resolve(actor=actor, conflicts=conflicts, decision=decision, message=message)
        new.save()
        audit.log(
            actor=actor, action="time_off", target_worker=worker,
            summary=f"added {timezone.localtime(start):%Y-%m-%d %H:%M}–{timezone.localtime(end):%Y-%m-%d %H:%M}",
        )
    return new


def time_off_delete(*, actor, exception: AvailabilityException) -> None:
    audit.log(actor=actor, action="time_off", target_worker=exception.worker, summary=f"removed {exception}")
    exception.delete()


def booking_move(*, actor, booking: Booking, start: dt.datetime, message: str = "") -> Booking:
    """Move an appointment to another free time of the same worker. The parent's code stays valid and
    the look-up shows the new time with the message."""
    with transaction.atomic():
        from staff.models import User

        User.objects.select_for_update().filter(pk=booking.worker_id).first()
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status != Booking.Status.BOOKED:
            raise services.BookingError("not_cancellable")
        if not selectors.slot_is_free(service=booking.service, worker=booking.worker, start=start):
            raise services.BookingError("slot_taken", field="start")
        old = booking.start
        booking.start = start
        booking.end = start + dt.timedelta(minutes=booking.service.slot_minutes)
        booking.cancel_message = services.clean_text(message, max_length=300, single_line=False)[:300]
        booking.save(update_fields=["start", "end", "cancel_message"])
        audit.log(
            actor=actor, action="move", target_worker=booking.worker,
            summary=f"booking {booking.pk}: {timezone.localtime(old):%Y-%m-%d %H:%M} → {timezone.localtime(start):%Y-%m-%d %H:%M}",
        )
    from . import events

    events.booking_changed(booking)
    return booking


def hand_over_candidates(booking: Booking) -> list:
    """Workers of the booking's service who are free at its very time (the minimum notice does not
    apply: a worker falling ill in the morning is exactly when this is needed)."""
    from staff.models import User

    notice = dt.timedelta(minutes=booking.service.min_notice_minutes)
    now = min(timezone.now(), booking.start - notice)
    day = booking.start.astimezone(selectors.TZ).date()
    # One free-time search over all the service's workers, not one per colleague.
    free = selectors.free_slots(service=booking.service, start_date=day, end_date=day, now=now)
    ids = {s.worker_id for s in free if s.start == booking.start and s.worker_id != booking.worker_id}
    return list(User.objects.filter(pk__in=ids).order_by("pseudonym"))


def booking_hand_over(*, actor, booking: Booking, worker, message: str = "") -> Booking:
    """Give an appointment to another worker at the same time (say, the worker fell ill). The parent's
    code stays valid; the look-up shows the new worker's pseudonym and the message; both workers'
    dashboards update."""
    from chatrooms.models import ChatSession
    from staff.models import User

    with transaction.atomic():
        User.objects.select_for_update().filter(pk__in=[booking.worker_id, worker.pk]).order_by("pk").count()
        booking = Booking.objects.select_for_update().select_related("service", "worker").get(pk=booking.pk)
        opened = ChatSession.objects.filter(booking=booking, opened_at__isnull=False).exists()
        if booking.status != Booking.Status.BOOKED or opened:
            raise services.BookingError("not_cancellable")
        if worker not in hand_over_candidates(booking):
            raise services.BookingError("slot_taken", field="worker")
        previous = booking.worker
        booking.worker = worker
        booking.cancel_message = services.clean_text(message, max_length=300, single_line=False)[:300]
        booking.save(update_fields=["worker", "cancel_message"])
        audit.log(
            actor=actor, action="hand_over", target_worker=previous,
            summary=f"booking {booking.pk}: {previous.display_name} → {worker.display_name}",
        )
    from . import events

    events.booking_changed(booking)
    events.notify_worker(previous.pk, {"kind": "booking", "booking": booking.pk, "status": "handed_over",
                                       "start": booking.start.isoformat()})
    return booking
