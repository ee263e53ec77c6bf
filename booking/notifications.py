"""Emails: one optional reminder to a parent, and the next day's list to each worker.

Both are idempotent: a reminder is claimed with a conditional update before it is sent and the
address is deleted after; a digest is recorded per worker and day before it is sent.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from .models import Booking, WorkerDigest


def send_due_reminders(*, now: dt.datetime | None = None) -> int:
    """One reminder REMINDER_BEFORE_MINUTES before the time, then the address is deleted.

    Addresses of bookings whose time has come without a reminder (e.g. booked at short notice) are
    deleted without sending. Returns how many reminders were sent.
    """
    now = now or timezone.now()
    Booking.objects.filter(start__lte=now).exclude(reminder_email="").update(reminder_email="")
    due = Booking.objects.filter(
        status=Booking.Status.BOOKED,
        reminder_sent_at__isnull=True,
        start__gt=now,
        start__lte=now + dt.timedelta(minutes=settings.REMINDER_BEFORE_MINUTES),
    ).exclude(reminder_email="")
    sent = 0
    for booking in due.select_related("service"):
        claimed = Booking.objects.filter(pk=booking.pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now)
        if not claimed:
            continue  # another worker is sending this one
        try:
            _send_reminder(booking)
        except Exception:
            Booking.objects.filter(pk=booking.pk).update(reminder_sent_at=None)  # let the retry send it
            raise
        Booking.objects.filter(pk=booking.pk).update(reminder_email="")
        sent += 1
    return sent


def _send_reminder(booking: Booking) -> None:
    join_url = settings.SITE_URL.rstrip("/") + reverse("chatrooms:join")
    local = timezone.localtime(booking.start)
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Reminder: your appointment chat %(day)s at %(time)s") % {"day": local.strftime("%d.%m."), "time": formats.time_format(local)}
        body = _(
            "Hello,\n\nthis is a reminder of your appointment chat (%(service)s) on %(day)s at %(time)s.\n"
            "Join at %(url)s with the code you got when you booked. You can come in %(minutes)s minutes before.\n\n"
            "This address has now been deleted from our system.\n\nMLL"
        ) % {"service": booking.service.name, "day": local.strftime("%d.%m.%Y"), "time": formats.time_format(local), "url": join_url,
             "minutes": settings.JOIN_EARLY_MINUTES}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [booking.reminder_email])


def send_worker_digests(*, now: dt.datetime | None = None) -> int:
    """Each worker with appointments tomorrow gets their list: times, service, follow-up mark.
    No nicknames, no topics. Sent once per worker and day."""
    now = now or timezone.now()
    tomorrow = timezone.localtime(now).date() + dt.timedelta(days=1)
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(tomorrow, dt.time.min, tzinfo=tz)
    hi = lo + dt.timedelta(days=1)
    by_worker: dict = {}
    for booking in Booking.objects.filter(status=Booking.Status.BOOKED, start__gte=lo, start__lt=hi).select_related("worker", "service").order_by("start"):
        by_worker.setdefault(booking.worker, []).append(booking)
    sent = 0
    for worker, bookings in by_worker.items():
        try:
            with transaction.atomic():
                WorkerDigest.objects.create(worker=worker, day=tomorrow)
        except IntegrityError:
            continue  # already sent
        with translation.override(settings.LANGUAGE_CODE):
            lines = [
                f"{formats.time_format(timezone.localtime(b.start))}–{formats.time_format(timezone.localtime(b.end))} {b.service.name}"
                + (f" ({_('follow-up')})" if b.follow_up_of_id else "")
                for b in bookings
            ]
            subject = _("Your appointment chats on %(day)s") % {"day": tomorrow.strftime("%d.%m.%Y")}
            body = _("Hello %(name)s,\n\nyour appointment chats tomorrow:\n\n%(lines)s\n\nMLL") % {
                "name": worker.display_name,
                "lines": "\n".join(lines),
            }
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [worker.email])
        except Exception:
            WorkerDigest.objects.filter(worker=worker, day=tomorrow).delete()
            raise
        sent += 1
    return sent
