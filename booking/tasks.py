"""Scheduled booking jobs. Thin: each calls one idempotent function in booking/notifications.py or services.py."""

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from . import notifications, services

RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError, RedisConnectionError, SMTPException, ConnectionError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
}


@shared_task(**RETRY)
def send_reminders():
    return notifications.send_due_reminders()


@shared_task(**RETRY)
def send_worker_digests():
    return notifications.send_worker_digests()


@shared_task(**RETRY)
def forget_idempotency():
    return services.forget_idempotency()
