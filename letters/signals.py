"""Upward news from the letter service. The staff app listens (the audit log); letters imports no
app above it.

``letter_changed`` is sent inside the transaction that makes the change (where there is one), so
what a listener writes commits or rolls back with it. It carries:
- ``thread``: the thread as it is now (never read its letters' text in a listener);
- ``change``: "written", "follow_up", "closed" (parent); "taken", "released", "assigned",
  "submitted", "answered", "approved", "returned", "flagged" (staff);
- ``actor``: the booking.actors.Actor who made it;
- ``details``: what else a listener may need ("previous" and "to" staff members of an assignment,
  the "writer" of an approved answer), never a parent's text.
"""

from django.dispatch import Signal

letter_changed = Signal()


def send_letter_changed(*, thread, change: str, actor, **details) -> None:
    letter_changed.send(sender=thread.__class__, thread=thread, change=change, actor=actor, details=details)
