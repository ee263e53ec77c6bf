"""The drop-in chat at opening: a rush of parents, a group of volunteers taking them as they finish.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ajv_h5_bench REDIS_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/dropin_rush.py [--parents 300] [--entry-seconds 60] [--volunteers 15] [--speed 10]

Two daphne processes on Redis (channel layer, cache) and PostgreSQL, the drop-in chat open
(DROPIN_ALWAYS_OPEN=1 in the servers). ``--parents`` enter through POST /api/v1/dropin/ spread over
``--entry-seconds`` and wait on /ws/dropin/ (joined with their code); ``--volunteers`` (capacity 1
or 2, alternately) each hold a staff socket (/ws/dropin/staff/) and press "take the next parent"
whenever they have room; a taken chat opens its own /ws/dropin/ socket (on the other server than
the parent's, so every frame crosses processes through Redis), both sides exchange messages for
20–60 s divided by ``--speed``, and the volunteer ends it. With ``--close-after S`` the bench closes
the drop-in chat S seconds after the first entry (dropin.services.close_queue), and the parents
still waiting must be told so.

Reports: parents taken exactly once or told at closing (must be all), double takes (0), anyone over
capacity (0), time from a volunteer's take_next to both sides being in the chat (the parent's
"opened" and the volunteer's "joined") p50/p95/p99, the delay of queue-position updates to the
waiting parents p50/p95/p99 (from the take_next that moved them up), and messages lost (acknowledged
but neither delivered live nor in the history at the end: must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import http.client
import itertools
import json
import random
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_env, django_setup, free_port, pct, start_daphne, stop  # noqa: E402

from websockets.asyncio.client import connect  # noqa: E402

SERVER_ENV = {"DROPIN_ALWAYS_OPEN": "1", "DROPIN_ENTRIES_PER_CLIENT_PER_HOUR": "1000000", "CODE_ATTEMPTS_LIMIT": "1000000"}


class Run:
    def __init__(self):
        self.t0 = time.monotonic()
        self.entered = {}  # contact id -> (code, t_entered)
        self.taken_by = defaultdict(list)  # contact id -> [volunteer, ...] (from the "taken" answers)
        self.opened = {}  # contact id -> t the parent saw "opened"
        self.closed = set()  # told at closing
        self.take_to_both = []
        self.removals = []  # (t_take_sent, contact id) of every successful take, in the order answered
        self.queue_delays = []
        self.joins = {}  # contact id -> t its join was sent (its place counts every take before)
        self.decrements = defaultdict(list)  # contact id -> arrival time of each step up the queue
        self.active = defaultdict(int)
        self.max_active = defaultdict(int)
        self.capacity = {}
        self.sent = {}  # (contact, role, n) -> t
        self.got = {}  # (contact, role, n) -> t delivered live to the other side
        self.acked = set()
        self.errors = defaultdict(int)
        self.entry_status = defaultdict(int)


def contact_of(code: str) -> int:
    """The contact a code belongs to (the bench looks it up in the database; the API does not say)."""
    from django.db import connection

    from booking import codes
    from dropin.models import Contact

    try:
        return Contact.objects.get(code_hash=codes.hash_code(code)).pk
    finally:
        connection.close()


def post_json(port: int, path: str, body: dict) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


async def ws(port: int, path: str, cookie: str | None = None):
    headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
    return await connect(f"ws://127.0.0.1:{port}{path}", additional_headers=headers, origin=f"http://127.0.0.1:{port}",
                         max_size=2**20, ping_interval=None, open_timeout=60, close_timeout=5)


async def parent(run: Run, i: int, port: int, start_at: float, done: asyncio.Event):
    await asyncio.sleep(max(0, start_at - time.monotonic()))
    status, body = await asyncio.to_thread(post_json, port, "/api/v1/dropin/", {"nickname": f"p{i}"})
    run.entry_status[status] += 1
    if status != 201:
        return
    contact = await asyncio.to_thread(contact_of, body["code"])
    sock = await ws(port, "/ws/dropin/")
    run.joins[contact] = time.monotonic()  # the place the join reports counts every take before this
    await sock.send(json.dumps({"type": "join", "code": body["code"], "echo": False}))
    position = None
    n = itertools.count(1)
    try:
        async for raw in sock:
            f = json.loads(raw)
            now = time.monotonic()
            kind = f.get("type")
            if kind == "joined":
                pass
            elif kind == "queue":
                if position is not None and f["position"] < position:
                    run.decrements[contact] += [now] * (position - f["position"])
                position = f["position"]
            elif kind == "opened":
                run.opened[contact] = now
            elif kind == "message" and f.get("role") == "worker":
                key = tuple(json.loads(f["text"]))
                run.got.setdefault((key[0], "worker", key[1]), now)
                # Answer each message, as a parent would.
                k = next(n)
                run.sent[(contact, "parent", k)] = time.monotonic()
                await sock.send(json.dumps({"type": "message", "text": json.dumps([contact, k]), "client_id": f"p{k}"}))
            elif kind == "ack":
                run.acked.add((contact, "parent", int(f["client_id"][1:])))
            elif kind == "ended":
                if f.get("reason") == "closed":
                    run.closed.add(contact)
                break
            elif kind == "error":
                run.errors[f.get("code")] += 1
    except Exception as exc:
        run.errors[type(exc).__name__] += 1
    finally:
        await sock.close()


async def volunteer(run: Run, v: dict, ports: list[int], speed: float, stop_event: asyncio.Event, rng: random.Random):
    staff = await ws(v["port"], "/ws/dropin/staff/", v["cookie"])
    answers: asyncio.Queue = asyncio.Queue()

    async def reader():
        async for raw in staff:
            f = json.loads(raw)
            if f.get("type") in ("taken", "error", "present"):
                await answers.put(f)

    reading = asyncio.create_task(reader())
    slots = asyncio.Semaphore(v["capacity"])
    chats = []
    try:
        while not stop_event.is_set():
            await slots.acquire()
            t_sent = time.monotonic()
            await staff.send(json.dumps({"type": "take_next"}))
            f = await answers.get()
            if f["type"] == "taken":
                contact = f["contact"]
                run.removals.append((t_sent, contact))
                run.taken_by[contact].append(v["name"])
                run.active[v["name"]] += 1
                run.max_active[v["name"]] = max(run.max_active[v["name"]], run.active[v["name"]])
                chats.append(asyncio.create_task(chat(run, v, contact, ports, t_sent, speed, rng, slots)))
            else:
                slots.release()
                if f.get("code") not in ("queue_empty",):
                    run.errors[f"take:{f.get('code')}"] += 1
                await asyncio.sleep(0.1)
        await asyncio.gather(*chats)
    finally:
        reading.cancel()
        await staff.close()


async def chat(run: Run, v: dict, contact: int, ports: list[int], t_sent: float, speed: float, rng: random.Random, slots):
    port = ports[(ports.index(v["port"]) + 1) % len(ports)]
    sock = await ws(port, "/ws/dropin/", v["cookie"])
    try:
        await sock.send(json.dumps({"type": "join", "contact": contact, "echo": False}))
        while True:
            f = json.loads(await sock.recv())
            if f["type"] == "joined":
                break
        t_in = time.monotonic()
        # Both sides are in when the parent has seen "opened" and the volunteer "joined".
        for _ in range(200):
            if contact in run.opened:
                break
            await asyncio.sleep(0.005)
        run.take_to_both.append(max(t_in, run.opened.get(contact, t_in)) - t_sent)
        length = rng.uniform(20, 60) / speed
        messages = max(2, int(length))
        last_id = 0

        async def listen():
            nonlocal last_id
            async for raw in sock:
                f = json.loads(raw)
                if f["type"] == "message" and f["role"] == "parent":
                    key = tuple(json.loads(f["text"]))
                    run.got.setdefault((key[0], "parent", key[1]), time.monotonic())
                    last_id = max(last_id, f["id"])
                elif f["type"] == "ack":
                    run.acked.add((contact, "worker", int(f["client_id"][1:])))
                elif f["type"] == "ended":
                    return

        listening = asyncio.create_task(listen())
        for k in range(1, messages + 1):
            run.sent[(contact, "worker", k)] = time.monotonic()
            await sock.send(json.dumps({"type": "message", "text": json.dumps([contact, k]), "client_id": f"w{k}"}))
            await asyncio.sleep(length / messages)
        await asyncio.sleep(0.3)  # the parent's last answer
        await sock.send(json.dumps({"type": "end"}))
        try:
            await asyncio.wait_for(listening, 5)
        except asyncio.TimeoutError:
            listening.cancel()
    finally:
        await sock.close()
        run.active[v["name"]] -= 1
        slots.release()


def setup(n_volunteers: int):
    """Fresh drop-in world in the bench database: volunteers (capacity 1 or 2, present) on today's shift."""
    from django.utils import timezone

    from bench import world
    from chatrooms.models import ChatSession
    from dropin import services
    from dropin.models import Contact, DutyMember, DutyShift
    from hours.models import Channel, WeeklyHours
    from staff.models import User
    from stats.models import ContactRecord

    Contact.objects.all().delete()
    ChatSession.objects.filter(channel="dropin").delete()
    DutyShift.objects.all().delete()
    ContactRecord.objects.filter(channel="dropin_chat").delete()
    world.reset()
    if not Channel.objects.filter(kind="chat").exists():
        chat = Channel.objects.create(slug="vanhempainchat", kind="chat")
        WeeklyHours.objects.create(channel=chat, weekday=0, start_time=dt.time(10), end_time=dt.time(13))
    today = timezone.localdate()
    start, end = services.openings(start_date=today, end_date=today)[0]
    shift = DutyShift.objects.create(starts_at=start, ends_at=end, date=today)
    from allauth.mfa.totp.internal.auth import TOTP

    people = []
    for i in range(n_volunteers):
        user = User.objects.create_user(email=f"dropin{i}@bench.invalid", password=None, pseudonym=f"V{i}", role="volunteer")
        TOTP.activate(user, "BENCHBENCHBENCHBENCHBENCHBENCH23")
        capacity = 1 + i % 2
        DutyMember.objects.create(shift=shift, user=user, capacity=capacity, present_since=timezone.now())
        people.append({"name": f"V{i}", "capacity": capacity, "cookie": world.worker_session_cookie(user)})
    return people


def final_check(run: Run) -> dict:
    """From the database: every acknowledged message is stored; who had which chat; states."""
    from dropin.models import Contact
    from chatrooms.models import Message

    stored = set()
    for contact_id, role, text in Message.objects.filter(session__channel="dropin").values_list("session__dropin_contact", "role", "text"):
        cid, k = json.loads(text)
        stored.add((cid, role, k))
    lost = [key for key in run.acked if key not in stored]
    not_live = [key for key in run.acked if key not in run.got and key[1] in ("worker", "parent")]
    from django.db.models import Count

    states = dict(Contact.objects.values_list("state").annotate(n=Count("pk")))
    return {"lost": len(lost), "not_live": len(not_live), "states": states}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parents", type=int, default=300)
    ap.add_argument("--entry-seconds", type=float, default=60)
    ap.add_argument("--volunteers", type=int, default=15)
    ap.add_argument("--speed", type=float, default=10, help="chats last 20-60 s divided by this")
    ap.add_argument("--close-after", type=float, default=0, help="close the drop-in chat this many seconds after the first entry")
    ap.add_argument("--servers", type=int, default=2)
    args = ap.parse_args()
    import functools

    global print
    print = functools.partial(print, flush=True)  # noqa: A001

    def watchdog(*_):
        raise TimeoutError("bench/dropin_rush.py: watchdog fired; stopping the servers")

    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(int(args.entry_seconds + args.parents * 60 / args.speed / max(1, args.volunteers) + 300))
    import os

    os.environ.update(SERVER_ENV)
    django_setup()
    from django.db import connection

    people = setup(args.volunteers)
    connection.close()
    from redis import Redis

    Redis.from_url(bench_env()["REDIS_URL"]).flushdb()
    ports = [free_port() for _ in range(args.servers)]
    servers = [start_daphne(p, **SERVER_ENV) for p in ports]
    for i, v in enumerate(people):
        v["port"] = ports[i % len(ports)]
    print(f"{args.parents} parents within {args.entry_seconds:.0f} s, {args.volunteers} volunteers (capacity 1-2, "
          f"{sum(v['capacity'] for v in people)} chats at once), chats of 20-60 s / {args.speed:g}; "
          f"{args.servers} daphne processes on Redis and PostgreSQL")
    run = Run()
    try:
        asyncio.run(rush(run, args, ports, people))
    finally:
        signal.alarm(0)
        for s in servers:
            stop(s)
        for s in servers:
            err = s.stderr.read().decode(errors="replace")
            blocks = [b.strip() for b in err.split("Traceback (most recent call last):")[1:]]
            real = [b for b in blocks if b and not b.splitlines()[-1].startswith(("asyncio.exceptions.CancelledError", "During handling"))]
            if real:
                print("server errors:", err[-3000:])
    report(run, args, people)


async def rush(run: Run, args, ports, people):
    rng = random.Random(2022)
    stop_event = asyncio.Event()
    done = asyncio.Event()
    t_start = time.monotonic() + 1
    volunteers = [asyncio.create_task(volunteer(run, v, ports, args.speed, stop_event, rng)) for v in people]
    parents = [
        asyncio.create_task(parent(run, i, ports[i % len(ports)], t_start + i * args.entry_seconds / args.parents, done))
        for i in range(args.parents)
    ]
    closer = None
    if args.close_after:
        closer = asyncio.create_task(close_later(t_start + args.close_after))
    await asyncio.gather(*parents)
    stop_event.set()
    await asyncio.gather(*volunteers)
    if closer:
        await closer
    run.seconds = time.monotonic() - t_start


async def close_later(at: float):
    await asyncio.sleep(max(0, at - time.monotonic()))

    def close():
        from django.db import connection
        from django.test.utils import override_settings

        from dropin import services

        with override_settings(DROPIN_ALWAYS_OPEN=False):
            closed = services.close_queue(now=dt.datetime(2026, 11, 25, 3, tzinfo=dt.UTC))  # a Wednesday night: closed
        connection.close()
        return closed

    closed = await asyncio.to_thread(close)
    print(f"closed the drop-in chat: {len(closed)} parents were still waiting")


def report(run: Run, args, people):
    from django.db import connection

    # The k-th step up of a waiting parent answers the k-th take (after its join) of a parent ahead.
    for contact, steps in run.decrements.items():
        ahead = sorted(t for t, cid in run.removals if cid < contact and t >= run.joins[contact])
        run.queue_delays += [max(0.0, arrived - taken) for arrived, taken in zip(steps, ahead)]
    check = final_check(run)
    connection.close()
    doubles = sum(1 for takers in run.taken_by.values() if len(takers) > 1)
    over = sum(1 for v in people if run.max_active[v["name"]] > v["capacity"])
    taken = len(run.taken_by)
    print(f"entries: {dict(run.entry_status)}; taken exactly once: {taken - doubles}; told at closing: {len(run.closed)}; "
          f"neither: {args.parents - taken - len(run.closed)}; run {run.seconds:.1f} s")
    print(f"double takes: {doubles}; over capacity: {over}; messages acknowledged {len(run.acked)}, lost {check['lost']}, "
          f"not delivered live {check['not_live']}; errors {dict(run.errors) or 0}; states {check['states']}")
    t = run.take_to_both
    print(f"take_next -> both in the chat ({len(t)}): p50 {pct(t, 50)*1000:.1f} ms  p95 {pct(t, 95)*1000:.1f} ms  "
          f"p99 {pct(t, 99)*1000:.1f} ms  max {max(t or [0])*1000:.1f} ms")
    q = run.queue_delays
    print(f"queue-position updates ({len(q)}): p50 {pct(q, 50)*1000:.1f} ms  p95 {pct(q, 95)*1000:.1f} ms  "
          f"p99 {pct(q, 99)*1000:.1f} ms  max {max(q or [0])*1000:.1f} ms")
    ok = (taken - doubles + len(run.closed) == args.parents and doubles == 0 and over == 0 and check["lost"] == 0
          and pct(t, 99) < 0.25 and pct(q, 99) < 1.0)
    print("RESULT", "PASS" if ok else "FAIL", "(all taken once or told at closing, 0 double, 0 over capacity, 0 lost, "
          "take p99 < 250 ms, queue updates p99 < 1 s)")


if __name__ == "__main__":
    main()
