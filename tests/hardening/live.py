"""Helpers for tests that run real daphne processes (and a Redis of their own) against the test
database: a chat client that follows docs/protocol.md the way static/js/chat.js does."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid
from pathlib import Path

from websockets.asyncio.client import connect

from bench.common import free_port, stop, wait_port  # noqa: F401 - one copy, shared with the bench scripts

ROOT = Path(__file__).resolve().parents[2]




def test_database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def server_env(**extra) -> dict:
    env = dict(os.environ)
    env.update(DATABASE_URL=test_database_url(), DJANGO_SETTINGS_MODULE="config.settings", LOG_LEVEL="WARNING",
               DB_POOL_MAX="4")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_daphne(port: int, **extra) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "config.serve", "-b", "127.0.0.1", "-p", str(port), "--access-log", os.devnull, "config.asgi:application"],
        cwd=ROOT, env=server_env(**extra), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    return proc


def start_redis(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


class ChatClient:
    """Outbox until acknowledged, reconnect with back-off, rejoin with ``after``, dedupe by id,
    and fill gaps in ``seq`` with a ``sync`` — what static/js/chat.js does (docs/protocol.md)."""

    def __init__(self, port: int, role: str, join: dict, cookie: str | None = None):
        self.port, self.role, self.join_frame, self.cookie = port, role, join, cookie
        self.outbox: dict[str, str] = {}
        self.seen: dict[int, dict] = {}
        self.last_id = 0  # the id of the last message held with no gap before it
        self.contig_seq = 0
        self.ahead_of_gap: dict[int, int] = {}
        self.gap_syncs = 0
        self.reconnects = 0
        self.joined = asyncio.Event()
        self.ws = None
        self._task = None
        self._stop = False

    async def start(self):
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.joined.wait(), 20)

    async def _run(self):
        delay = 0.2
        while not self._stop:
            try:
                headers = {"Cookie": f"sessionid={self.cookie}"} if self.cookie else {}
                async with connect(f"ws://127.0.0.1:{self.port}/ws/chat/", origin=f"http://127.0.0.1:{self.port}",
                                   additional_headers=headers, open_timeout=5, ping_interval=2, ping_timeout=4) as ws:
                    self.ws = ws
                    join = dict(self.join_frame)
                    if self.last_id:
                        join["after"] = self.last_id
                    await ws.send(json.dumps(join))
                    async for raw in ws:
                        await self._on(json.loads(raw))
            except Exception:
                pass
            self.ws = None
            self.joined.clear()
            if self._stop:
                return
            self.reconnects += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2)

    async def _on(self, f):
        t = f.get("type")
        if t == "joined":
            self.joined.set()
            if f.get("state") == "open":
                await self._flush()
        elif t == "opened":
            await self._flush()
        elif t == "history":
            for m in f["messages"]:
                self._render(m)
        elif t == "message":
            self._render(f)
        elif t == "ack":
            self.outbox.pop(f.get("client_id"), None)

    def _render(self, m):
        if m["id"] in self.seen:
            return
        self.seen[m["id"]] = m
        if m["seq"] <= self.contig_seq:
            return
        self.ahead_of_gap[m["seq"]] = m["id"]
        while self.contig_seq + 1 in self.ahead_of_gap:
            self.contig_seq += 1
            self.last_id = max(self.last_id, self.ahead_of_gap.pop(self.contig_seq))
        if self.ahead_of_gap:
            asyncio.get_running_loop().call_later(1.0, lambda: asyncio.ensure_future(self._sync_if_gap()))

    async def _sync_if_gap(self):
        if self.ahead_of_gap and self.ws is not None and self.joined.is_set():
            self.gap_syncs += 1
            try:
                await self.ws.send(json.dumps({"type": "sync", "after": self.last_id}))
            except Exception:
                pass  # the reconnect rejoins with after=last_id anyway

    async def _flush(self):
        for cid, text in list(self.outbox.items()):
            await self.ws.send(json.dumps({"type": "message", "text": text, "client_id": cid}))

    async def say(self, text: str):
        cid = uuid.uuid4().hex
        self.outbox[cid] = text
        if self.ws is not None and self.joined.is_set():
            try:
                await self.ws.send(json.dumps({"type": "message", "text": text, "client_id": cid}))
            except Exception:
                pass  # stays in the outbox; resent after the reconnect

    def texts_from(self, role: str) -> list[str]:
        return [m["text"] for _, m in sorted(self.seen.items()) if m["role"] == role]

    async def close(self):
        self._stop = True
        if self.ws is not None:
            await self.ws.close()
        if self._task:
            self._task.cancel()


def make_room(service, worker):
    """A booking open for joining now, its code, and a signed-in session cookie for its worker."""
    import datetime as dt

    from django.utils import timezone

    from booking import codes
    from booking.models import Booking
    from tests.conftest import mfa_session

    code = codes.generate()
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=2)
    booking = Booking.objects.create(service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45),
                                     nickname="p", code_hash=codes.hash_code(code))
    store = mfa_session(worker)  # signed in with password and TOTP code
    from django.db import connection

    connection.close()  # this runs in a helper thread: leave no connection behind
    return booking, code, store.session_key


async def eventually(check, timeout=20.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(step)
    return check()
