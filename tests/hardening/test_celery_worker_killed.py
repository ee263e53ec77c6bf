"""A Celery worker killed (SIGKILL) in the middle of a task: the task is handed out again and runs
to the end on another worker, and its effect happens once."""

import os
import signal
import subprocess
import time
import uuid

import pytest
import redis

from tests.hardening import live

pytestmark = [pytest.mark.redis, pytest.mark.timeout(120)]


def _worker(env, name):
    return subprocess.Popen(
        [str(live.ROOT / ".venv/bin/celery"), "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING",
         "--include=tests.hardening.celery_tasks", f"--hostname={name}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=live.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def _wait(check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_task_whose_worker_is_killed_runs_again_and_takes_effect_once():
    port = live.free_port()
    server = live.start_redis(port)
    url = f"redis://127.0.0.1:{port}/6"
    env = dict(os.environ, REDIS_URL=url, CELERY_BROKER_URL=url, FAULT_REDIS_URL=url, CELERY_VISIBILITY_TIMEOUT="3",
               DJANGO_SETTINGS_MODULE="config.settings")
    env.pop("DATABASE_URL", None)  # the task needs no database
    r = redis.Redis.from_url(url)
    key = f"fault:{uuid.uuid4().hex}"
    first = second = None
    try:
        first = _worker(env, "first")
        send = subprocess.run(
            [str(live.ROOT / ".venv/bin/python"), "-c",
             f"import django; django.setup(); from tests.hardening.celery_tasks import slow_effect; slow_effect.delay({key!r}, 4)"],
            cwd=live.ROOT, env=env, timeout=60, check=True, capture_output=True,
        )
        assert send.returncode == 0
        assert _wait(lambda: r.llen(f"{key}:runs") == 1, 40), "the first worker never started the task"
        os.killpg(first.pid, signal.SIGKILL)  # mid-task: it sleeps 4 s before its effect
        first.wait(timeout=10)
        assert r.get(f"{key}:effects") is None

        # The broker hands an unacknowledged task out again once its visibility timeout has passed
        # (CELERY_VISIBILITY_TIMEOUT; 3 s here, minutes in production: docs/deploy.md).
        time.sleep(4)
        second = _worker(env, "second")
        assert _wait(lambda: r.get(f"{key}:effects") is not None, 60), "the task was not run again"
        time.sleep(5)  # past another visibility timeout: no third run, no second effect
        assert r.llen(f"{key}:runs") == 2
        assert int(r.get(f"{key}:effects")) == 1
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
        live.stop(server)
