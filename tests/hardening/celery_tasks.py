"""A small task of the test suite's own (loaded with `celery worker --include`), to kill a worker under.

It records each run, works for a while, then makes its effect idempotently: a SET NX on a key per
task id guards the counter, the way a real task guards its side effect with a unique row or flag."""

import os
import time

import redis
from celery import shared_task


def _redis():
    return redis.Redis.from_url(os.environ["FAULT_REDIS_URL"])


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def slow_effect(self, key: str, seconds: float = 3.0):
    r = _redis()
    r.rpush(f"{key}:runs", os.getpid())
    time.sleep(seconds)
    if r.set(f"{key}:done", self.request.id, nx=True):
        r.incr(f"{key}:effects")
