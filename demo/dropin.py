"""The drop-in chat's demo (run by seed_demo): volunteers, duty shifts for the coming openings, and
history, so that a newcomer can try the channel at once.

- Two volunteers (Aino, Eero) with the demo password; seed_demo gives every @demo.mll.fi account
  the demo TOTP secret. The coordinator (Koordinaattori) is the duty coordinator.
- A shift for every opening of the next week, the volunteers on it (capacity 1 and 2). Under `make
  run` the drop-in chat is open around the clock (DROPIN_ALWAYS_OPEN=1), so every day is one
  opening and there is a shift for today whatever the hour. Nobody is marked present: signing in as
  a volunteer and pressing "I am here" is part of trying it.
- A year of drop-in statistics records (the 2022 figures: about nine drop-in chats for every
  appointment chat, scaled down) for the report, and a few chats of the last days (ended and
  already purged) so that the queue's wait estimate has recent handling times to go by.

Idempotent: what exists is left as it is; the history runs once (marked by its source keys).
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from chatrooms.models import ChatSession
from dropin import services
from dropin.models import Contact, DutyMember, DutyShift
from staff.models import User
from stats.models import AgeGroup, Channel, ContactedBy, ContactRecord, Topic

VOLUNTEERS = [("aino@demo.mll.fi", "Aino", 1), ("eero@demo.mll.fi", "Eero", 2)]
COORDINATOR = "koordinaattori@demo.mll.fi"
MARK = "dropin:demo-"
SHIFT_DAYS = 7


def _volunteer(email: str, pseudonym: str, password: str) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"pseudonym": pseudonym, "role": User.Role.VOLUNTEER})
    if created:
        user.set_password(password)
        user.save()
    return user


@transaction.atomic
def create_dropin_demo(*, password: str, stdout=None) -> None:
    volunteers = [(_volunteer(email, name, password), capacity) for email, name, capacity in VOLUNTEERS]
    coordinator = User.objects.filter(email=COORDINATOR).first()
    today = timezone.localdate()
    made = 0
    for start, end in services.openings(start_date=today, end_date=today + dt.timedelta(days=SHIFT_DAYS)):
        if end <= timezone.now():
            continue
        shift, created = DutyShift.objects.get_or_create(
            starts_at=start, defaults={"ends_at": end, "date": start.astimezone(services.TZ).date(), "coordinator": coordinator}
        )
        made += created
        for user, capacity in volunteers:
            DutyMember.objects.get_or_create(shift=shift, user=user, defaults={"capacity": capacity})
    history = _history()
    recent = _recent_chats()
    if stdout is not None:
        stdout.write(
            f"Drop-in chat: {made} duty shifts planned, {history} past drop-in contacts for the statistics, "
            f"{recent} recent chats for the wait estimate."
        )


def _history(*, days: int = 365, seed: int = 975) -> int:
    """Statistics records of past drop-in chats: about 2.5 a day on the chat's four days a week."""
    if ContactRecord.objects.filter(source_key=f"{MARK}0").exists():
        return 0
    rng = random.Random(seed)
    subtopics = list(Topic.objects.filter(parent__isnull=False, is_active=True))
    volunteers = list(User.objects.filter(email__in=[email for email, _n, _c in VOLUNTEERS]))
    if not subtopics or not volunteers:
        return 0
    today = timezone.localdate()
    made = 0
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        if day.weekday() not in (0, 1, 3, 4):
            continue
        for _ in range(rng.choice((1, 2, 3, 4))):
            record = ContactRecord.objects.create(
                channel=Channel.DROPIN_CHAT, source_key=f"{MARK}{made}", worker=rng.choice(volunteers),
                month=day.replace(day=1), child_age_group=rng.choice(AgeGroup.values),
                contacted_by=rng.choice(ContactedBy.values), professional_help_discussed=rng.random() < 0.4,
                guided_to_services=rng.random() < 0.25,
            )
            record.topics.set(rng.sample(subtopics, rng.choice((1, 1, 2, 3))))
            made += 1
    return made


def _recent_chats(*, count: int = 8, seed: int = 11) -> int:
    """Ended (and already purged) chats of the last days, for the wait estimate."""
    now = timezone.now()
    if Contact.objects.filter(taken_at__gte=now - dt.timedelta(days=services.ESTIMATE_DAYS)).count() >= count:
        return 0
    rng = random.Random(seed)
    helper = User.objects.filter(email=VOLUNTEERS[0][0]).first()
    made = 0
    for i in range(count):
        taken = now - dt.timedelta(days=1 + i % 5, hours=rng.randrange(1, 6))
        ended = taken + dt.timedelta(minutes=rng.randrange(15, 45))
        session = ChatSession.objects.create(
            channel=ChatSession.Channel.DROPIN, opened_at=taken, parent_joined_at=taken, ended_at=ended, ended_by="worker",
            purged_at=ended,
        )
        Contact.objects.create(
            code_hash=f"purged-demo-dropin-{now.timestamp():.0f}-{i}", state=Contact.State.ENDED, arrived_at=taken,
            session=session, taken_by=helper, taken_at=taken, ended_at=ended, purged_at=ended,
        )
        made += 1
    return made
