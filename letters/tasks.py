"""Scheduled letter jobs. Thin: each calls one idempotent rule in letters/services.py."""

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from . import services

RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError, RedisConnectionError, SMTPException, ConnectionError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
}


@shared_task(**RETRY)
def purge_letters():
    return services.purge_due()


@shared_task(**RETRY)
def send_letter_notices():
    return services.send_due_notices()
