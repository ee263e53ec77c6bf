"""Writes for statistics: the worker's record of a session, the parent's feedback, and the report
taken out of the system as a file (which is audited, through ``signals.report_exported``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from booking import localtime
from booking.actors import Actor
from booking.models import Booking

from . import exports, selectors
from .models import Channel, ContactRecord, Feedback, Topic
from .signals import report_exported

RECORDABLE = (Booking.Status.COMPLETED, Booking.Status.NO_SHOW)


class StatsError(Exception):
    MESSAGES = {
        "forbidden": _("Only coordinators can see the statistics."),
        "end_before_start": _("The end must not be before the start."),
        "not_recordable": _("Statistics are recorded once the appointment has ended."),
    }

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self.MESSAGES.get(self.code, self.code))


def can_read_reports(actor: Actor) -> bool:
    """Reports (the page and the file) are for coordinators and admins whose session passed the
    second factor: never a worker, never a password-only session."""
    return actor.is_coordinator


def report_period(*, start, end) -> tuple[dt.date, dt.date]:
    """The report's period, checked: each date within the calendar the service keeps
    (``localtime.parse_date`` raises ``TimeInputError``), the end not before the start."""
    start, end = localtime.parse_date(start), localtime.parse_date(end)
    if end < start:
        raise StatsError("end_before_start")
    return start, end


@dataclass(frozen=True)
class Export:
    filename: str
    content: str
    content_type: str = "text/csv; charset=utf-8"


def report_export(
    *, actor: Actor, start: dt.date, end: dt.date, service=None, hide_small: bool = False, language: str | None = None
) -> Export:
    """The report as a CSV file, in ``language`` (default: the active one). Every export is
    announced with ``report_exported`` (the audit log listens) before the file is handed out."""
    if not can_read_reports(actor):
        raise StatsError("forbidden")
    start, end = report_period(start=start, end=end)
    with translation.override(language or translation.get_language()):
        report = selectors.report(start=start, end=end, service=service)
        export = Export(filename=exports.filename(report), content=exports.report_csv(report, hide_small=hide_small))
    report_exported.send(
        sender=Export, actor=actor, user=actor.user, format="csv", start=start, end=end, service=service, hide_small=hide_small
    )
    return export


def month_of(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)


def record_save(
    *,
    actor: Actor,
    booking: Booking,
    topics: list[Topic],
    child_age_group: str = "",
    contacted_by: str = "",
    professional_help_discussed: bool = False,
    guided_to_services: bool = False,
) -> ContactRecord:
    """Create or update the statistics record of a held or no-show appointment: its own worker only.

    Copies service, month, outcome and follow-up from the booking, so the record does not depend on
    anything the purge deletes. A topic is stored once however often it is given.
    """
    if not (actor.is_verified_staff and actor.user_id == booking.worker_id):
        raise StatsError("forbidden")
    if booking.status not in RECORDABLE:
        raise StatsError("not_recordable")
    with transaction.atomic():
        record, _ = ContactRecord.objects.update_or_create(
            booking=booking,
            defaults={
                "channel": Channel.APPOINTMENT_CHAT,
                "service_id": booking.service_id,
                "worker": actor.user,
                "month": month_of(booking.start),
                "outcome": ContactRecord.Outcome.NO_SHOW if booking.status == Booking.Status.NO_SHOW else ContactRecord.Outcome.HELD,
                "is_follow_up": booking.follow_up_of_id is not None,
                "child_age_group": child_age_group,
                "contacted_by": contacted_by,
                "professional_help_discussed": professional_help_discussed,
                "guided_to_services": guided_to_services,
            },
        )
        record.topics.set({t.pk for t in topics})
    return record


def channel_record_save(
    *,
    actor: Actor,
    channel: str,
    source_key: str,
    when: dt.datetime,
    topics: list[Topic],
    child_age_group: str = "",
    contacted_by: str = "",
    professional_help_discussed: bool = False,
    guided_to_services: bool = False,
    outcome: str = ContactRecord.Outcome.HELD,
) -> ContactRecord:
    """Create or update the record of a contact in another channel (a drop-in chat, a letter).

    The channel's own service decides who may record which contact (the person who had the chat or
    answered the letter) and calls this with the contact's ``source_key`` ("dropin:17"); here the
    record is kept once per contact, with the month only, never a time or a text.
    """
    if not actor.is_verified_staff or channel not in Channel.values or channel == Channel.APPOINTMENT_CHAT:
        raise StatsError("forbidden")
    if not source_key or len(source_key) > 40:
        raise StatsError("not_recordable")
    with transaction.atomic():
        record, _ = ContactRecord.objects.update_or_create(
            source_key=source_key,
            defaults={
                "channel": channel,
                "service": None,
                "worker": actor.user,
                "month": month_of(when),
                "outcome": outcome,
                "is_follow_up": False,
                "child_age_group": child_age_group,
                "contacted_by": contacted_by,
                "professional_help_discussed": professional_help_discussed,
                "guided_to_services": guided_to_services,
            },
        )
        record.topics.set({t.pk for t in topics})
    return record


def feedback_save(
    *, service=None, helpful: str, recommend: str, channel: str = "appointment_chat", now: dt.datetime | None = None
) -> Feedback:
    """Anonymous: no booking, no nickname, no time finer than the month; the channel (and for an
    appointment chat, its service)."""
    return Feedback.objects.create(
        channel=channel, service=service, month=month_of(now or timezone.now()), helpful=helpful, recommend=recommend
    )
