"""Upward news from the booking floor. Apps above (chatrooms, staff) listen; booking imports none of them.

``booking_changed`` is sent inside the transaction that makes the change, so what listeners write
(the chat ended, the audit entry) commits or rolls back with it; a listener that tells the outside
world (a live notice) defers that to ``transaction.on_commit`` itself. It carries:
- ``booking``: the booking as it is now;
- ``change``: "created", "cancelled", "moved", "handed_over", "rescheduled" or "flagged";
- ``actor``: the booking.actors.Actor who made it;
- ``details``: a dict of what else a listener may need (old start, previous worker id, how many
  follow-ups a flag cancelled, why a cancel happened), never a parent's text.

Listeners: chatrooms ends the chat of a cancelled booking; staff writes the audit log for staff
actors.
"""

from django.dispatch import Signal

booking_changed = Signal()


def send_booking_changed(*, booking, change: str, actor, **details) -> None:
    booking_changed.send(sender=booking.__class__, booking=booking, change=change, actor=actor, details=details)
