"""Scheduled drop-in jobs. Thin: each calls one idempotent rule (dropin/retention.py)."""

from celery import shared_task

from chatrooms.tasks import RETRY

from . import retention


@shared_task(**RETRY)
def tick():
    return retention.tick()
