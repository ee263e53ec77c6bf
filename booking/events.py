"""Live notices to staff dashboards, sent through the channel layer after the transaction commits."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def worker_group(worker_id: int) -> str:
    return f"worker.{worker_id}"


def notify_worker(worker_id: int, event: dict) -> None:
    def send():
        layer = get_channel_layer()
        if layer is not None:
            try:
                async_to_sync(layer.group_send)(worker_group(worker_id), {"type": "dashboard.event", "event": event})
            except Exception:  # a notice is best effort; the page also reloads its list
                pass

    transaction.on_commit(send)


def booking_changed(booking) -> None:
    notify_worker(
        booking.worker_id,
        {"kind": "booking", "booking": booking.pk, "status": booking.status, "start": booking.start.isoformat()},
    )


def notify_worker_now(worker_id: int, event: dict) -> None:
    """For callers outside a transaction (the chat consumer): send at once."""
    notify_worker(worker_id, event)
