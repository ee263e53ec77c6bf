"""Time-driven rules: closing sessions, no-shows and the purge of what people wrote.

Each function is idempotent and safe to run twice or late: it selects only rows that still need
the change, changes them with a conditional update, and returns what it changed. Live notices go
out after the transaction commits. Celery tasks (chatrooms/tasks.py) only call these.
"""

from __future__ import annotations

import datetime as dt
import secrets

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from booking import events
from booking.models import Booking

from . import services
from .models import ChatSession, Message


def tell_chat(booking_id: int, by: str) -> None:
    def send():
        layer = get_channel_layer()
        if layer is not None:
            try:
                async_to_sync(layer.group_send)(f"chat.{booking_id}", {"type": "chat.ended", "by": by})
            except Exception:  # the page also learns it on its next join
                pass

    transaction.on_commit(send)


def close_overdue_sessions(*, now: dt.datetime | None = None) -> list[int]:
    """Sessions past their end plus the grace period are closed; both sides see it end."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=settings.SESSION_GRACE_MINUTES)
    closed = []
    for booking in Booking.objects.filter(status=Booking.Status.BOOKED, end__lte=cutoff):
        session = services.session_for(booking)
        services.session_end(session=session, by="system", now=now)
        tell_chat(booking.pk, "system")
        booking.refresh_from_db(fields=["status"])
        if booking.status == Booking.Status.NO_SHOW:
            events.notify_worker(booking.worker_id, {"kind": "no_show", "booking": booking.pk})
        closed.append(booking.pk)
    return closed


def mark_no_shows(*, now: dt.datetime | None = None) -> list[int]:
    """A parent who has not come NO_SHOW_AFTER_MINUTES after the start is marked no-show, and the
    worker is told. Their code dies with it."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=settings.NO_SHOW_AFTER_MINUTES)
    marked = []
    due = Booking.objects.filter(status=Booking.Status.BOOKED, start__lte=cutoff).filter(
        Q(chat__isnull=True) | Q(chat__parent_joined_at__isnull=True)
    )
    for booking in due:
        session = services.session_for(booking)
        services.session_end(session=session, by="system", now=now)
        booking.refresh_from_db(fields=["status"])
        if booking.status == Booking.Status.NO_SHOW:
            tell_chat(booking.pk, "system")
            events.notify_worker(booking.worker_id, {"kind": "no_show", "booking": booking.pk})
            marked.append(booking.pk)
    return marked


def _dead_code() -> str:
    # Unique like a real hash, but no code can ever hash to it (real hashes are 64 hex digits).
    return "purged-" + secrets.token_hex(16)


def _forget_booking(pk: int) -> None:
    Booking.objects.filter(pk=pk).update(
        nickname="", topic="", reminder_email="", code_hash=_dead_code(), calendar_token="", idempotency_hash="", code_sealed=""
    )


def purge_due(*, now: dt.datetime | None = None) -> dict:
    """Delete what people wrote once it has served its purpose.

    PURGE_AFTER_MINUTES (0 = at once) after a chat closed, after a booking's time was over (whatever
    its status: held, no-show, cancelled, or a chat that was never ended), or after it was
    cancelled: its messages are deleted, the parent's nickname and topic are cleared, the code's
    hash is replaced so it can never match again (a dead code stays dead), the calendar link stops
    working, and the session is marked purged. What stays is what the statistics need: service,
    worker, times, status, follow-up link.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=settings.PURGE_AFTER_MINUTES)
    purged_sessions = 0
    deleted_messages = 0
    with transaction.atomic():
        sessions = list(
            ChatSession.objects.select_for_update(of=("self",))
            .filter(purged_at__isnull=True)
            .filter(
                Q(ended_at__lte=cutoff)
                | Q(booking__end__lte=cutoff)
                | Q(booking__status=Booking.Status.CANCELLED, booking__cancelled_at__lte=cutoff)
            )
        )
        for session in sessions:
            if session.ended_at is None:  # over, but the closing job has not come by yet
                services.session_end(session=session, by="system", now=now)
            deleted, _ = Message.objects.filter(session=session).delete()
            deleted_messages += deleted
            ChatSession.objects.filter(pk=session.pk).update(purged_at=now)
            if session.booking_id is not None:  # a drop-in chat's own app forgets its contact
                _forget_booking(session.booking_id)
            purged_sessions += 1
        leftovers = (
            Booking.objects.filter(Q(end__lte=cutoff) | Q(status=Booking.Status.CANCELLED, cancelled_at__lte=cutoff))
            .exclude(status=Booking.Status.BOOKED)
            .filter(chat__isnull=True)
            .exclude(nickname="", topic="", code_hash__startswith="purged-")
        )
        leftover_ids = list(leftovers.values_list("pk", flat=True))
        for pk in leftover_ids:
            _forget_booking(pk)
    return {"sessions": purged_sessions, "messages": deleted_messages, "bookings": len(leftover_ids)}
