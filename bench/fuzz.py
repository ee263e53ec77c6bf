"""Fuzz a live server: 10,000 odd API requests and 10,000 odd chat frames (issue 10).

    .venv/bin/python bench/fuzz.py                       # fresh SQLite file, in-memory layer
    .venv/bin/python bench/fuzz.py --postgres --redis redis://127.0.0.1:6379/7
    .venv/bin/python bench/fuzz.py --url http://127.0.0.1:8000   # a server already running on DATABASE_URL

Starts one daphne process (the real ASGI app) on a throwaway database (a new SQLite file, or with
``--postgres`` the database ``--pg-name``, default ``ajv_fuzz``, dropped, created again and dropped at
the end), makes a service with workers,
bookings with codes and chats open now, then:

1. fires ``--requests`` API requests, a mix of every endpoint in docs/api.md (and wrong methods and
   unknown paths under /api/), drawn by Hypothesis from the strategies in tests/hardening/fuzzing.py
   (times from year 1 to 9999 with any offset, any Unicode, lone surrogates as JSON escapes, wrong
   JSON types, huge values), first the inputs once seen to fail; ``--clients`` keep-alive clients;
2. opens chat sockets over real WebSockets (parent by code, worker by session cookie, or not joined)
   and sends ``--frames`` frames of every type with random fields, each followed by a ping, so that
   every frame's answer is known.

Prints: requests sent, status histogram, 5xx, non-JSON answers under /api/; frames sent, error
frames by code, acks, unanswered frames, sockets closed by the server (by close code; 1011 must be 0);
elapsed time and rate; and the server's exceptions from its log, grouped by where they were raised.
With ``--url`` the server must use the same DATABASE_URL as this script (the world is made there).
The per-client limits are raised on the server it starts (every request comes from 127.0.0.1) so
that cases reach the code behind them; the limits themselves are tested in tests/.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import datetime as dt
import http.client
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, bench_env, free_port, pct, stop, wait_port  # noqa: E402

SERVER_LIMITS = {
    "BOOKINGS_PER_CLIENT_PER_HOUR": 10_000_000, "CODE_ATTEMPTS_LIMIT": 10_000_000, "CODE_ATTEMPTS_SLOWDOWN_AFTER": 10_000_000,
    "CHAT_MESSAGE_BURST": 10_000_000,
}
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


# --- set-up ------------------------------------------------------------------------------------------------
def fresh_postgres(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def staff_session_cookie(user) -> str:
    """A signed-in session that passed both factors (the records allauth leaves after password + TOTP)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from booking.actors import AUTH_RECORDS_SESSION_KEY, AUTH_RECORDS_USER_SESSION_KEY

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[AUTH_RECORDS_SESSION_KEY] = [{"method": "password", "at": time.time()}, {"method": "mfa", "at": time.time(), "type": "totp"}]
    store[AUTH_RECORDS_USER_SESSION_KEY] = str(user.pk)
    store.create()
    return store.session_key


def make_world(rooms: int, workers: int):
    """The service, workers, one future booking each (codes for look-up and cancel), and ``rooms``
    bookings open for chatting now (a fresh one per socket session: "end" kills a code for good)."""
    from django.utils import timezone

    from booking import codes
    from booking.models import Booking
    from booking.selectors import free_slots
    from chatrooms.models import ChatSession
    from tests.hardening import fuzzing as fz

    from bench import world

    world.reset()
    service = world.make_service("bench-fuzz", min_notice_minutes=60, horizon_days=60)
    staff = world.make_workers(service, workers, tag="fuzz", weekdays=range(7), start="08:00", end="20:00")
    today = timezone.localdate()
    free = free_slots(service=service, start_date=today + dt.timedelta(days=1), end_date=today + dt.timedelta(days=20))
    future_codes, future_ids = [], []
    for w in staff:
        slot = [s for s in free if s.worker_id == w.pk][-1]
        b, code = world.make_booking(service=service, worker=w, start=slot.start, nickname="fuzz")
        future_codes.append(code)
        future_ids.append(b.pk)
    now = timezone.now().replace(microsecond=0)
    pool, objs = [], []
    for i in range(rooms):
        code = codes.generate()
        w = staff[i % len(staff)]
        start = now - dt.timedelta(minutes=2) + dt.timedelta(seconds=i // len(staff))
        objs.append(Booking(service=service, worker=w, start=start, end=start + dt.timedelta(minutes=45), nickname="p",
                            code_hash=codes.hash_code(code)))
        pool.append([code, w.pk])
    for b, entry in zip(Booking.objects.bulk_create(objs), pool):
        entry.append(b.pk)
    ChatSession.objects.bulk_create(ChatSession(booking_id=entry[2], opened_at=now) for entry in pool[::2])
    cookies = {w.pk: staff_session_cookie(w) for w in staff}
    taken = {b.start for b in Booking.objects.filter(service=service)}
    fuzz_world = fz.World(
        services=[service.slug], workers=[w.public_id for w in staff], worker_pks=[w.pk for w in staff], service_pks=[service.pk],
        codes=future_codes + [p[0] for p in pool[:50]], free_starts=[s.as_json()["start"] for s in free if s.start not in taken][::11][:20],
        booking_ids=future_ids + [p[2] for p in pool[:50]],
    )
    return fuzz_world, pool, cookies


def start_server(port: int, log_path: Path, env_extra: dict) -> subprocess.Popen:
    cmd = [str(ROOT / ".venv/bin/python"), "-m", "config.serve", "-b", "127.0.0.1", "-p", str(port), "--access-log", os.devnull,
           "--websocket-max-message-size", "65536", "config.asgi:application"]
    log = open(log_path, "wb")  # a file, not a pipe: thousands of tracebacks must not block the server
    proc = subprocess.Popen(cmd, cwd=ROOT, env=bench_env(**env_extra), stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_port(port)
    except RuntimeError:
        proc.kill()
        raise RuntimeError(log_path.read_text(errors="replace")[-3000:]) from None
    return proc


# --- API ---------------------------------------------------------------------------------------------------------
def fire_requests(host: str, port: int, reqs: list, clients: int):
    from tests.hardening import fuzzing as fz

    queue = collections.deque(reqs)
    lock = threading.Lock()
    results = []  # (req, status, content_type, seconds)

    def run():
        conn = None
        while True:
            with lock:
                if not queue:
                    break
                req = queue.popleft()
            status, ctype, t0 = 0, "", time.perf_counter()
            for attempt in range(2):
                try:
                    conn = conn or http.client.HTTPConnection(host, port, timeout=30)
                    headers = {"Content-Type": req.content_type, **{k: v for k, v in req.headers}}
                    conn.request(req.method, req.url, body=req.body, headers=headers)
                    r = conn.getresponse()
                    r.read()
                    status, ctype = r.status, r.getheader("Content-Type", "")
                    if r.getheader("Connection", "").lower() == "close":
                        conn.close()
                        conn = None
                    break
                except (OSError, ValueError, http.client.HTTPException):
                    if conn is not None:
                        conn.close()
                    conn = None
            with lock:
                results.append((req, status, ctype, time.perf_counter() - t0))
                fz.count("API requests")
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=run) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - t0


# --- socket ------------------------------------------------------------------------------------------------------------
class SocketStats:
    def __init__(self):
        self.frames = 0
        self.sessions = 0
        self.answers = collections.Counter()  # answer frame types
        self.errors = collections.Counter()  # error frames by code
        self.closed = collections.Counter()  # close code -> sockets the server closed
        self.unanswered: list[str] = []
        self.closers: dict[int, list[str]] = collections.defaultdict(list)  # close code -> frames that caused it
        self.latency: list[float] = []


async def socket_session(port: int, role: str, rooms, cookies: dict, frames: list[str], stats: SocketStats, timeout: float):
    """Send ``frames`` on a socket that joined as ``role``; if the server closes it, go on with the
    rest on a new socket (and a new room), so every frame is sent whatever happens."""
    left = list(frames)
    while left:
        left = await _socket_run(port, role, next(rooms), cookies, left, stats, timeout)


async def _socket_run(port: int, role: str, room, cookies: dict, frames: list[str], stats: SocketStats, timeout: float) -> list[str]:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from tests.hardening import fuzzing as fz

    code, worker_pk, booking_id = room
    headers = {"Cookie": f"sessionid={cookies[worker_pk]}"} if role == "worker" else {}
    join = {"parent": fz.dumps({"type": "join", "code": code}), "worker": fz.dumps({"type": "join", "booking": booking_id})}.get(role)
    stats.sessions += 1
    todo = ([join] if join else []) + frames
    async with connect(f"ws://127.0.0.1:{port}/ws/chat/", origin=f"http://127.0.0.1:{port}", additional_headers=headers,
                       open_timeout=10, max_size=2**22, ping_interval=None) as ws:
        for i, text in enumerate(todo):
            stats.frames += 1
            fz.count("socket frames")
            t0 = time.perf_counter()
            try:
                await ws.send(text)
                await ws.send('{"type": "ping"}')
                pongs, got = fz.expected_pongs(text), []
                while pongs:
                    raw = await asyncio.wait_for(ws.recv(), timeout)
                    frame = json.loads(raw)
                    if frame.get("type") == "pong":
                        pongs -= 1
                        if not pongs:
                            break
                    got.append(frame)
                if not got and fz.needs_answer(text):
                    try:
                        got.append(json.loads(await asyncio.wait_for(ws.recv(), 1.0)))  # "ended" comes via the group
                    except asyncio.TimeoutError:
                        stats.unanswered.append(text[:200])
                stats.latency.append(time.perf_counter() - t0)
                for frame in got:
                    stats.answers[frame.get("type")] += 1
                    if frame.get("type") == "error":
                        stats.errors[frame.get("code")] += 1
            except ConnectionClosed as exc:
                close = exc.rcvd.code if exc.rcvd else 1006
                stats.closed[close] += 1
                if len(stats.closers[close]) < 5:
                    stats.closers[close].append(text[:200])
                return todo[i + 1:] if i >= len(todo) - len(frames) else frames  # the rest, on a new socket
            except asyncio.TimeoutError:
                stats.unanswered.append(text[:200])
                return todo[i + 1:] if i >= len(todo) - len(frames) else frames
    return []


async def fire_frames(port: int, sessions: list, pool: list, cookies: dict, concurrency: int, timeout: float):
    stats = SocketStats()
    rooms = itertools.cycle(pool)  # a fresh room per socket while they last ("end" kills a code for good)
    queue = collections.deque(sessions)

    async def run():
        while queue:
            role, frames = queue.popleft()
            try:
                await socket_session(port, role, rooms, cookies, frames, stats, timeout)
            except OSError as exc:
                stats.unanswered.append(f"connect failed: {exc}")

    t0 = time.perf_counter()
    await asyncio.gather(*(run() for _ in range(concurrency)))
    return stats, time.perf_counter() - t0


# --- the server's own account ------------------------------------------------------------------------------------------
PROJECT_FRAME = re.compile(r'File "(?:.*?/)?((?:booking|chatrooms|staff|stats|hours|config|demo)/[^"]+)", line (\d+), in (\S+)')
EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Warning)|[A-Za-z_][\w.]*Error\b)(: .*)?$")


def server_exceptions(log: str) -> collections.Counter:
    """Exceptions in the server's log, keyed by (exception, innermost project frame)."""
    found: collections.Counter = collections.Counter()
    frame, last = None, None
    for line in log.splitlines():
        if line.startswith(("During handling of the above exception", "The above exception was the direct cause")) and last:
            found[last] -= 1  # only the exception that escaped counts, not the one it was raised while handling
            if not found[last]:
                del found[last]
            last = None
            continue
        m = PROJECT_FRAME.search(line)
        if m:
            frame = f"{m.group(1)}:{m.group(2)} {m.group(3)}"
            continue
        m = EXC_LINE.match(line)
        if m and frame:
            # One key per kind of failure: the message without positions, sizes and characters.
            message = re.sub(r"'\\u[0-9a-f]{4}'|(?<!utf-)\b\d+", "N", (m.group(2) or "")[:90])
            last = (m.group(1) + message, frame)
            found[last] += 1
            frame = None
    return found


# --- main --------------------------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--frames", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    ap.add_argument("--sockets", type=int, default=16, help="concurrent chat sockets")
    ap.add_argument("--frames-per-socket", type=int, default=12)
    ap.add_argument("--workers", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds a frame may wait for its answer")
    ap.add_argument("--url", help="fuzz a server already running (on this DATABASE_URL) instead of starting one")
    ap.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database (--pg-name) instead of a SQLite file")
    ap.add_argument("--pg-name", default="ajv_fuzz", help="the throwaway PostgreSQL database: dropped, created, dropped at the end")
    ap.add_argument("--redis", default="", help="REDIS_URL for the server (cache and channel layer); default none")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="fuzz-"))
    if args.url:
        os.environ.setdefault("DATABASE_URL", bench_env()["DATABASE_URL"])
    elif args.postgres:
        os.environ["DATABASE_URL"] = fresh_postgres(args.pg_name)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'fuzz.sqlite3'}"
    os.environ["REDIS_URL"] = args.redis
    os.environ.setdefault("DB_POOL_MAX", "8")
    from bench.common import django_setup

    django_setup()
    from django.db import connection

    from tests.hardening import fuzzing as fz

    sessions_wanted = args.frames // (args.frames_per_socket + 1) + 1
    world, pool, cookies = make_world(rooms=sessions_wanted + 100, workers=args.workers)

    t0 = time.perf_counter()
    from hypothesis import strategies as st

    api = st.one_of(*(make(world) for make in fz.API_TARGETS.values()))
    known = [r for reqs in fz.known_requests(world).values() for r in reqs if r.path.startswith("/api/")]
    reqs = known + fz.draw_many(api, max(0, args.requests - len(known)), seed=args.seed)
    rooms_world = dataclasses.replace(world, codes=world.codes + [p[0] for p in pool[:200]], booking_ids=world.booking_ids + [p[2] for p in pool[:200]])
    session = st.tuples(st.sampled_from(["parent", "parent", "worker", "worker", "nobody"]),
                        st.lists(fz.frames(rooms_world), min_size=1, max_size=2 * args.frames_per_socket))
    sessions, total = [], 0
    for role in ("parent", "worker", "nobody"):
        for text in fz.known_frames()[role]:
            sessions.append((role, [text]))
            total += 1 + (role != "nobody")
    batch = 0
    while total < args.frames:
        for role, frames in fz.draw_many(session, sessions_wanted, seed=args.seed + 1 + batch):
            if total >= args.frames:
                break
            frames = frames[: args.frames - total - (role != "nobody")] or frames[:1]
            sessions.append((role, frames))
            total += len(frames) + (role != "nobody")
        batch += 1
    print(f"drew {len(reqs)} requests and {total} frames in {len(sessions)} sessions in {time.perf_counter() - t0:.1f} s")
    connection.close()

    server = None
    log_path = tmp / "server.log"
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname, parts.port or 80
    else:
        host, port = "127.0.0.1", free_port()
        env = dict(SERVER_LIMITS, DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=args.redis, LOG_LEVEL="ERROR", DB_POOL_MAX="8")
        server = start_server(port, log_path, env)
    ok = True
    try:
        print(f"database: {connection.vendor}; channel layer: {'redis' if args.redis else 'in-memory'}; server {host}:{port}")
        results, elapsed = fire_requests(host, port, reqs, args.clients)
        statuses = collections.Counter(s for _, s, _, _ in results)
        fives = sum(n for s, n in statuses.items() if s >= 500 or s == 0)
        not_json = [(r, s, c) for r, s, c, _ in results if fz.http_problems(r, s, c) and s < 500 and s != 0]
        by_target = collections.Counter(r.target for r, _, _, _ in results)
        lat = [t for _, _, _, t in results]
        print(f"\nAPI: {len(results)} requests in {elapsed:.1f} s, {len(results) / elapsed:.0f} requests/s, {args.clients} clients")
        print(f"  by endpoint: {dict(sorted(by_target.items()))}")
        print(f"  statuses: {dict(sorted(statuses.items()))}")
        print(f"  5xx (or no answer): {fives}; non-JSON answers under /api/: {len(not_json)}")
        print(f"  latency p50 {pct(lat, 50) * 1000:.0f} ms  p95 {pct(lat, 95) * 1000:.0f} ms  max {max(lat) * 1000:.0f} ms")
        failing = collections.Counter((r.target, s) for r, s, c, _ in results if fz.http_problems(r, s, c))
        if failing:
            print(f"  failing (endpoint, status): {dict(failing.most_common(12))}")
            shortest = {}
            for r, s, c, _ in results:
                if fz.http_problems(r, s, c):
                    key = (r.target, s)
                    if key not in shortest or len(r.short()) < len(shortest[key]):
                        shortest[key] = r.short(160)
            for key, text in list(shortest.items())[:12]:
                print(f"    e.g. {key}: {text}")
        ok &= fives == 0 and not not_json

        stats, elapsed = asyncio.run(fire_frames(port, sessions, pool, cookies, args.sockets, args.timeout))
        print(f"\nSocket: {stats.frames} frames (joins included) on {stats.sessions} sockets in {elapsed:.1f} s, "
              f"{stats.frames / elapsed:.0f} frames/s, {args.sockets} sockets at a time")
        print(f"  answers: {dict(stats.answers.most_common())}")
        print(f"  error frames: {sum(stats.errors.values())} {dict(stats.errors.most_common())}; acks: {stats.answers['ack']}")
        print(f"  unanswered frames: {len(stats.unanswered)}; sockets closed by the server: {dict(stats.closed)} "
              f"(1011: {stats.closed.get(1011, 0)})")
        print(f"  frame to answer p50 {pct(stats.latency, 50) * 1000:.1f} ms  p95 {pct(stats.latency, 95) * 1000:.1f} ms  "
              f"max {max(stats.latency or [0]) * 1000:.0f} ms")
        for close, texts in stats.closers.items():
            for text in texts[:3]:
                print(f"    closed with {close} after: {text}")
        for text in stats.unanswered[:3]:
            print(f"    unanswered: {text}")
        print(f"  server_error frames (the socket's 5xx): {stats.errors.get('server_error', 0)}")
        ok &= not stats.closed and not stats.unanswered and not stats.errors.get("server_error")
    finally:
        if server is not None:
            stop(server)
        if log_path.exists():
            found = server_exceptions(log_path.read_text(errors="replace"))
            print(f"\nserver exceptions in its log: {sum(found.values())}, {len(found)} distinct")
            for (exc, frame), n in found.most_common(25):
                print(f"  {n:5d} × {exc}  at {frame}")
            ok &= not found
        connection.close()
        if args.postgres and not args.url:
            drop_postgres(args.pg_name)
        elif args.url:
            from bench import world as bench_world

            bench_world.reset()
    print(f"\ncases run: {dict(fz.COUNTS)}")
    print("RESULT", "PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
