"""Celery's worker and beat log through the project's LOGGING, so the address scrubber covers their
lines too (issue 10, finding 11). Before, Celery replaced the root logger's handlers with its own,
unfiltered ones."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def env():
    e = {k: v for k, v in os.environ.items() if k not in ("LOG_LEVEL",)}
    # An in-memory broker: the worker must not take the tasks of a `make run` from var/celery-queue.
    e.update(DJANGO_SETTINGS_MODULE="config.settings", CELERY_BROKER_URL="memory://")
    return e


def test_celery_logging_setup_keeps_the_project_filter():
    """Celery's own logging set-up (what `celery worker` and `celery beat` call at start) ends with
    the project's handlers; a Celery logger's line with an IP or an email address is scrubbed."""
    probe = (
        "from config.celery import app; app.log.setup(loglevel='INFO', redirect_stdouts=False);"
        "import logging; logging.getLogger('celery.worker.consumer').warning('client %s mailed %s', '203.0.113.9', 'isa@example.fi');"
        "from celery.utils.log import get_task_logger; get_task_logger('booking.tasks').warning('task for 2001:db8::7 to isa@example.fi')"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    assert "203.0.113.9" not in out and "2001:db8::7" not in out and "isa@example.fi" not in out
    assert "client [addr] mailed [email]" in out
    assert "task for [addr] to [email]" in out


@pytest.mark.timeout(60)
def test_a_real_worker_logs_through_the_scrubber():
    """`celery -A config worker` itself: its "<hostname> ready." line is scrubbed when the hostname
    holds an address (a stand-in for any address a Celery line may carry)."""
    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "config", "--quiet", "worker", "--pool=solo", "--loglevel=INFO",
         "--hostname=probe@198.51.100.23", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            line = worker.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "ready." in line:
                break
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    out = "".join(lines)
    assert "ready." in out, out
    assert "198.51.100.23" not in out, out
    assert "probe@[addr] ready." in out
