"""Shared helpers for the bench scripts: Django set-up against the bench database, daphne
processes on loopback, percentiles. Every script is bounded in count and time and stops by itself."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ajv_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/6"


def bench_env(**extra) -> dict:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DB)
    env.setdefault("REDIS_URL", DEFAULT_REDIS)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    env.setdefault("LOG_LEVEL", "WARNING")
    # Every load client comes from 127.0.0.1: the per-client booking limit would stop the rush.
    env.setdefault("BOOKINGS_PER_CLIENT_PER_HOUR", "1000000")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def django_setup():
    os.environ.update({k: v for k, v in bench_env().items() if k not in os.environ})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port} after {timeout}s")


def pin_to(cpus):
    """A preexec_fn for subprocess.Popen that runs the child on ``cpus`` only (None: anywhere)."""
    if not cpus:
        return None
    cpus = set(cpus)
    return lambda: os.sched_setaffinity(0, cpus)


def start_daphne(port: int, cpus=None, **env_extra) -> subprocess.Popen:
    """A daphne process on loopback ``port``; ``cpus``: the CPU numbers it may run on (default any)."""
    cmd = [
        str(ROOT / ".venv/bin/python"), "-m", "config.serve", "-b", "127.0.0.1", "-p", str(port),
        "--access-log", os.devnull, "--websocket-max-message-size", "65536", "config.asgi:application",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=bench_env(**env_extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=pin_to(cpus))
    try:
        wait_port(port)
    except RuntimeError:
        proc.kill()
        raise RuntimeError(proc.stderr.read().decode()[-2000:]) from None
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(values: list[float]) -> str:
    return "p50 {:.1f} ms  p95 {:.1f} ms  p99 {:.1f} ms  max {:.1f} ms".format(
        pct(values, 50) * 1000, pct(values, 95) * 1000, pct(values, 99) * 1000, (max(values) if values else 0) * 1000
    )
