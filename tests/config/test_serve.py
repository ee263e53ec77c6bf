"""The server process (config/serve.py): daphne on uvloop, with the garbage collector's thresholds
raised over the frozen application (config/asgi.py); both can be turned off, and a bad setting is
refused with a clear message. That the whole app (pages, WebSockets, two processes over Redis) works when served this
way is proven by every test that starts a server: tests/e2e and tests/hardening/test_scale_out.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import gc, json, sys; from config import serve; serve.prepare(); import daphne.server as ds; "
    "json.dump({'loop': type(ds.twisted_loop).__module__, 'frozen': gc.get_freeze_count(), "
    "'thresholds': list(gc.get_threshold())}, sys.stdout)"
)


def probe(**env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVER_")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **env_extra)
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_server_runs_on_uvloop_with_raised_thresholds_over_the_frozen_application():
    done = probe()
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["loop"].startswith("uvloop")  # the loop daphne's Twisted reactor runs on
    assert seen["frozen"] > 10_000  # Django, the apps and the libraries: never walked again
    assert seen["thresholds"] == [10_000, 20, 20]


def test_both_can_be_turned_off():
    done = probe(SERVER_UVLOOP="0", SERVER_GC_THRESHOLDS="")
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["loop"] == "asyncio.unix_events"
    assert seen["thresholds"] == [700, 10, 10]  # CPython's own


def test_other_thresholds_are_taken():
    done = probe(SERVER_GC_THRESHOLDS="5000,10,30")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["thresholds"] == [5000, 10, 30]


def test_bad_thresholds_are_refused_with_a_clear_message():
    for bad in ("fast", "10000,20", "10000,0,20", "1,2,3,4"):
        done = probe(SERVER_GC_THRESHOLDS=bad)
        assert done.returncode != 0
        assert "SERVER_GC_THRESHOLDS must be three positive whole numbers" in done.stderr
        assert repr(bad) in done.stderr
