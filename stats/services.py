"""Writes for statistics: the worker's record of a session, and the parent's feedback."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from booking.models import Booking

from .models import ContactRecord, Feedback, Topic

RECORDABLE = (Booking.Status.COMPLETED, Booking.Status.NO_SHOW)


class StatsError(Exception):
    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


def month_of(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)


def record_save(
    *,
    booking: Booking,
    worker,
    topics: list[Topic],
    child_age_group: str = "",
    contacted_by: str = "",
    professional_help_discussed: bool = False,
    guided_to_services: bool = False,
) -> ContactRecord:
    """Create or update the statistics record of a held or no-show booking.

    Copies service, month, outcome and follow-up from the booking, so the record does not depend on
    anything the purge deletes. A topic is stored once however often it is given.
    """
    if booking.status not in RECORDABLE:
        raise StatsError("not_recordable")
    with transaction.atomic():
        record, _ = ContactRecord.objects.update_or_create(
            booking=booking,
            defaults={
                "service_id": booking.service_id,
                "worker": worker,
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


def feedback_save(*, service, helpful: str, recommend: str, now: dt.datetime | None = None) -> Feedback:
    """Anonymous: no booking, no nickname, no time finer than the month."""
    return Feedback.objects.create(service=service, month=month_of(now or timezone.now()), helpful=helpful, recommend=recommend)
