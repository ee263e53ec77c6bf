"""The server process (config/serve.py): daphne on uvloop (which can be turned off), and the garbage
collector's stops and the event loop's stalls logged when asked. That the whole app (pages, WebSockets, two processes over
Redis) works when served this way is proven by every test that starts a server: tests/e2e and
tests/hardening/test_scale_out.py."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from config.serve import CollectorStops, LoopStalls

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "import gc, json, sys; from config import serve; serve.prepare(); import daphne.server as ds; "
    "json.dump({'loop': type(ds.twisted_loop).__module__, 'frozen': gc.get_freeze_count(), "
    "'counting': any(isinstance(c, serve.CollectorStops) for c in gc.callbacks)}, sys.stdout)"
)


def probe(**env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVER_")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **env_extra)
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_the_server_runs_on_uvloop_with_the_application_frozen():
    seen = probe()
    assert seen["loop"].startswith("uvloop")  # the loop daphne's Twisted reactor runs on
    assert seen["frozen"] > 10_000  # Django, the apps and the libraries (config/asgi.py): never walked again
    assert seen["counting"] is False


def test_uvloop_can_be_turned_off_and_the_stops_counted():
    seen = probe(SERVER_UVLOOP="0", SERVER_GC_STATS="1")
    assert seen["loop"] == "asyncio.unix_events"
    assert seen["counting"] is True


def test_the_stops_are_logged_per_generation_at_most_every_interval(caplog):
    counter = CollectorStops(every=0.0)
    caplog.set_level(logging.INFO, logger="config.serve")
    gc.callbacks.append(counter)
    try:
        gc.collect(1)
    finally:
        gc.callbacks.remove(counter)
    [line] = [r.getMessage() for r in caplog.records if r.name == "config.serve"]
    assert line.startswith("gc: ")
    assert "gen0 0 (longest 0.0 ms); gen1 1 (longest " in line and line.endswith("gen2 0 (longest 0.0 ms)")

    quiet = CollectorStops(every=3600.0)
    caplog.clear()
    gc.callbacks.append(quiet)
    try:
        gc.collect(0)
    finally:
        gc.callbacks.remove(quiet)
    assert not [r for r in caplog.records if r.name == "config.serve"]
    assert quiet.counts == [1, 0, 0]

    gc.callbacks.append(quiet)
    try:
        gc.collect()  # a full collection is logged at once, whatever the interval
    finally:
        gc.callbacks.remove(quiet)
    [line] = [r.getMessage() for r in caplog.records if r.name == "config.serve"]
    assert line.startswith("gc: full collection, ") and line.endswith(" objects freed")


def test_a_held_event_loop_is_logged_with_how_long_and_a_free_one_is_not(caplog):
    caplog.set_level(logging.INFO, logger="config.serve")

    async def hold_the_loop_once():
        LoopStalls(asyncio.get_running_loop(), every=0.005, slow=0.08).start()
        await asyncio.sleep(0.1)  # free: the watcher runs on time
        free = [r.getMessage() for r in caplog.records if r.name == "config.serve"]
        time.sleep(0.25)  # a callback that keeps the loop for 250 ms
        await asyncio.sleep(0.05)
        return free

    free = asyncio.run(hold_the_loop_once())
    assert free == []
    [line] = [r.getMessage() for r in caplog.records if r.name == "config.serve"]
    assert line.startswith("loop: held ") and line.endswith(" ms")
    assert 200 <= float(line.split()[2]) < 2000
