"""Time-driven rules of the drop-in chat. Idempotent and safe to run late or twice, like
chatrooms/retention.py; dropin/tasks.py calls ``tick`` every half minute.

- At closing, the parents still in the queue are told kindly, with the alternatives.
- A parent gone longer than the rejoin grace gives up their place (or their chat ends).
- What people wrote is deleted PURGE_AFTER_MINUTES after the chat ended: the chat's messages (by
  chatrooms.retention.purge_due, as for every chat), and here the nickname, the topic, the code's
  hash (replaced by one that can never match), the side channel and the hand-over notes. What stays
  is what the wait estimates and the statistics need: times, states, who had the chat.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import services
from .models import Contact, HandOverNote, SideMessage


def _dead_code() -> str:
    return "purged-" + secrets.token_hex(16)


def purge_due(*, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=settings.PURGE_AFTER_MINUTES)
    purged = 0
    with transaction.atomic():
        due = list(
            Contact.objects.select_for_update()
            .filter(purged_at__isnull=True, ended_at__lte=cutoff)
            .exclude(state__in=services.LIVE)
            .values_list("pk", flat=True)
        )
        SideMessage.objects.filter(contact_id__in=due).delete()
        HandOverNote.objects.filter(contact_id__in=due).delete()
        for pk in due:
            Contact.objects.filter(pk=pk).update(
                nickname="", topic="", audience="", code_hash=_dead_code(), support_requested_at=None, purged_at=now
            )
            purged += 1
    return {"contacts": purged}


def tick(*, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    closed = services.close_queue(now=now)
    absent = services.drop_absent(now=now)
    # The chats' messages go with every other chat's (chatrooms.tasks.purge_chat_content).
    return {"closed": len(closed), **absent, **purge_due(now=now)}
