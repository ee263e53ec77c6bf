"""A year of plausible history for the demo (run by seed_demo), so that the report shows something on a fresh install.

Deterministic (seeded random) and idempotent: it runs once, marked by its bookings' code hashes.
Past bookings are created as the purge would have left them (no nickname, no topic, a dead code
"purged-demo-<n>"), so the purge job never touches them and the marker survives it: `make run` can
be run again after the scheduled jobs have run.
Figures are scaled from the helpline's 2022 numbers: about two appointment chats a week.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from booking.models import Availability, Booking, Service
from stats.models import AgeGroup, ContactedBy, ContactRecord, Feedback, Topic

MARK = "demo-history-"


def _hash(i: int) -> str:
    # The shape of retention._dead_code(): no real code can ever hash to it.
    return f"purged-{MARK}{i}"


@transaction.atomic
def create_history(*, service: Service, days: int = 365, seed: int = 2022) -> int:
    """Create past bookings with outcomes, statistics records and feedback. Returns how many bookings."""
    if Booking.objects.filter(code_hash=_hash(0)).exists():
        return 0
    rng = random.Random(seed)
    rules = list(Availability.objects.filter(service=service).select_related("worker"))
    if not rules:
        return 0
    subtopics = list(Topic.objects.filter(parent__isnull=False))
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    made = 0
    previous_by_worker = {}
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        todays = [r for r in rules if r.weekday == day.weekday()]
        for rule in todays:
            if rng.random() > 0.45:
                continue
            hour = rng.randrange(rule.start_time.hour, max(rule.start_time.hour + 1, rule.end_time.hour))
            start = dt.datetime.combine(day, dt.time(hour, 0), tzinfo=tz)
            if Booking.objects.filter(worker=rule.worker, start=start).exists():
                continue
            roll = rng.random()
            status = (
                Booking.Status.CANCELLED if roll < 0.12 else Booking.Status.NO_SHOW if roll < 0.2 else Booking.Status.COMPLETED
            )
            follow_up_of = previous_by_worker.get(rule.worker_id) if rng.random() < 0.25 else None
            booking = Booking.objects.create(
                service=service,
                worker=rule.worker,
                start=start,
                end=start + dt.timedelta(minutes=service.slot_minutes),
                status=status,
                code_hash=_hash(made),
                follow_up_of=follow_up_of,
            )
            made += 1
            if status == Booking.Status.CANCELLED:
                continue
            previous_by_worker[rule.worker_id] = booking
            record = ContactRecord.objects.create(
                booking=booking,
                service=service,
                worker=rule.worker,
                month=day.replace(day=1),
                outcome=ContactRecord.Outcome.HELD if status == Booking.Status.COMPLETED else ContactRecord.Outcome.NO_SHOW,
                is_follow_up=follow_up_of is not None,
                child_age_group=rng.choice(AgeGroup.values) if status == Booking.Status.COMPLETED else "",
                contacted_by=rng.choices(ContactedBy.values, weights=[7, 2, 1])[0] if status == Booking.Status.COMPLETED else "",
                professional_help_discussed=status == Booking.Status.COMPLETED and rng.random() < 0.6,
                guided_to_services=status == Booking.Status.COMPLETED and rng.random() < 0.4,
            )
            if status == Booking.Status.COMPLETED:
                record.topics.set(rng.sample(subtopics, k=rng.randint(1, 3)))
                if rng.random() < 0.35:
                    Feedback.objects.create(
                        service=service,
                        month=day.replace(day=1),
                        helpful=rng.choices(["yes", "partly", "no"], weights=[8, 3, 1])[0],
                        recommend=rng.choices(["yes", "maybe", "no"], weights=[8, 3, 1])[0],
                    )
    return made
