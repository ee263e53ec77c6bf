"""News from the booking floor that changes a chat (booking.signals)."""

from django.dispatch import receiver

from booking.signals import booking_changed

from . import retention, services


@receiver(booking_changed, dispatch_uid="chatrooms.cancel_ends_the_chat")
def cancel_ends_the_chat(sender, booking, change, actor, details, **kwargs):
    """Cancelling a booking ends its chat in the same transaction: a chat already open closes for
    both sides, and no message can be stored in it after the cancel."""
    if change != "cancelled":
        return
    if services.end_for_cancelled_booking(booking=booking):
        retention.tell_chat(booking.pk, "system")
