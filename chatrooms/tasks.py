"""Scheduled chat jobs. Thin: each calls one idempotent rule in chatrooms/retention.py."""

from celery import shared_task
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from . import retention

RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError, RedisConnectionError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 8,
}


@shared_task(**RETRY)
def close_overdue_sessions():
    return len(retention.close_overdue_sessions())


@shared_task(**RETRY)
def mark_no_shows():
    return len(retention.mark_no_shows())


@shared_task(**RETRY)
def purge_chat_content():
    return retention.purge_due()
