"""Chat under load: N rooms (a parent and a worker socket each) through real daphne processes and
the channels-redis layer, every socket sending at a steady rate; then the same sockets and rate
through a bare asyncio `websockets` relay (the floor on this machine).

    .venv/bin/python bench/chat_load.py [--rooms 500] [--rate 500] [--seconds 20] [--servers 2]

Reports sockets held, messages per second, delivery latency p50/p95/p99 (send -> the other side
receives it), messages lost and duplicated, and our p50 as a multiple of the floor's. Workers sign
in with a real Django session cookie; parents join with their booking's code. The sockets of one
room are spread over the servers (parent on one daphne, worker on the next), so every message
crosses processes through Redis. Uses DATABASE_URL (default ajv_bench) and REDIS_URL (default db 6).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, bench_env, django_setup, free_port, pct, start_daphne, stop, wait_port  # noqa: E402

from websockets.asyncio.client import connect  # noqa: E402


class Stats:
    def __init__(self):
        self.sent = {}  # (room, role, seq) -> t_sent
        self.got = {}  # (room, role, seq) -> latency
        self.dups = 0
        self.errors = {}
        self.acks = 0
        self.closed = 0


async def run_phase(label, urls_for, rooms, rate, seconds, drain, setup_rooms, is_floor=False):
    stats = Stats()
    n_sockets = 2 * len(rooms)
    interval = n_sockets / rate
    hold: list = []
    t_connect = time.monotonic()
    # Workers first (their join opens the chat), then parents, in batches so the servers are not
    # asked to complete a thousand handshakes at one instant.
    batch = 50
    conns = {}
    for role in ("worker", "parent"):
        for i in range(0, len(rooms), batch):
            chunk = rooms[i:i + batch]
            evs = {}
            for r in chunk:
                url, headers, join = urls_for(r, role)
                evs[r] = asyncio.Event()
                conns[(r, role)] = (url, headers, join, evs[r])
            res = await asyncio.gather(*(connect_and_join(stats, r, role, *conns[(r, role)], is_floor, hold) for r in chunk),
                                       return_exceptions=True)
            for r, x in zip(chunk, res):
                if isinstance(x, Exception):
                    stats.errors[type(x).__name__] = stats.errors.get(type(x).__name__, 0) + 1
                else:
                    conns[(r, role)] = x
    connect_s = time.monotonic() - t_connect
    start = time.monotonic() + 1.0
    end = start + seconds
    senders = [asyncio.create_task(send_loop(stats, r, role, conns[(r, role)][0], start, end, interval, is_floor))
               for (r, role) in conns if isinstance(conns[(r, role)], tuple) and len(conns[(r, role)]) == 2]
    await asyncio.gather(*senders)
    await asyncio.sleep(drain)
    held = sum(1 for ws in hold if ws.state.name == "OPEN")
    for ws in hold:
        await ws.close()
    lost = [k for k in stats.sent if k not in stats.got]
    lat = list(stats.got.values())
    sent = len(stats.sent)
    print(f"{label}: {held}/{n_sockets} sockets held (connected+joined in {connect_s:.1f} s); "
          f"{sent} sent in {seconds} s = {sent / seconds:.0f} msg/s; delivered {len(stats.got)}; "
          f"lost {len(lost)}; duplicated {stats.dups}; errors {stats.errors or 0}")
    print(f"  latency p50 {pct(lat, 50)*1000:.1f} ms  p95 {pct(lat, 95)*1000:.1f} ms  p99 {pct(lat, 99)*1000:.1f} ms  "
          f"max {max(lat or [0])*1000:.1f} ms")
    return {"held": held, "sent": sent, "lost": len(lost), "p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99),
            "dups": stats.dups}


async def connect_and_join(stats, room, role, url, headers, join, ev, is_floor, hold):
    ws = await connect(url, additional_headers={k: v for k, v in headers.items() if k != "Origin"},
                       origin=headers.get("Origin"), max_size=65536, ping_interval=None, open_timeout=60,
                       close_timeout=5)
    hold.append(ws)
    other = "parent" if role == "worker" else "worker"

    async def reader():
        try:
            async for raw in ws:
                f = json.loads(raw)
                t = f.get("type")
                if t == "message" and f.get("role") == other:
                    room_s, seq_s, t_s = f["text"].split("|")
                    key = (int(room_s), other, int(seq_s))
                    if key in stats.got:
                        stats.dups += 1
                    else:
                        stats.got[key] = time.monotonic() - float(t_s)
                elif t == "ack":
                    stats.acks += 1
                elif t == "joined":
                    ev.set()
                elif t == "error":
                    stats.errors[f.get("code")] = stats.errors.get(f.get("code"), 0) + 1
                    ev.set()
        except Exception:
            pass

    task = asyncio.create_task(reader())
    if is_floor:
        ev.set()
    else:
        await ws.send(json.dumps(join))
    await asyncio.wait_for(ev.wait(), 60)
    return ws, task


async def send_loop(stats, room, role, ws, start, end, interval, is_floor):
    await asyncio.sleep(max(0, start - time.monotonic()) + random.random() * interval)
    seq = 0
    next_t = time.monotonic()
    while next_t < end:
        now = time.monotonic()
        seq += 1
        text = f"{room}|{seq}|{now:.6f}"
        stats.sent[(room, role, seq)] = now
        if is_floor:
            frame = json.dumps({"type": "message", "role": role, "text": text})
        else:
            frame = json.dumps({"type": "message", "text": text, "client_id": f"{role}-{seq}"})
        try:
            await ws.send(frame)
        except Exception:
            return
        next_t += interval
        await asyncio.sleep(max(0, next_t - time.monotonic()))


def setup_rooms(n):
    """n bookings that are open for joining now, each with its own worker and a signed-in session."""
    from django.utils import timezone

    from bench import world

    world.reset()
    service = world.make_service("bench-chat", min_notice_minutes=0)
    workers = world.make_workers(service, n, tag="chat", weekdays=[])
    base = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    rooms = {}
    for i, w in enumerate(workers):
        booking, code = world.make_booking(service=service, worker=w, start=base)
        rooms[i] = {"booking": booking.pk, "code": code, "cookie": world.worker_session_cookie(w)}
    return rooms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rooms", type=int, default=500)
    ap.add_argument("--rate", type=float, default=500, help="messages per second, all sockets together")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--drain", type=float, default=5)
    ap.add_argument("--servers", type=int, default=2, help="daphne processes; a room's two sockets use different ones")
    ap.add_argument("--skip-floor", action="store_true")
    args = ap.parse_args()
    import functools
    import signal

    global print
    print = functools.partial(print, flush=True)  # noqa: A001 - figures must survive a kill

    def watchdog(*_):
        raise TimeoutError("bench/chat_load.py: watchdog fired; stopping the servers")

    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(int(2 * (args.seconds + args.drain) + 240))  # bounded, whatever happens
    django_setup()
    from django.db import connection

    rooms = setup_rooms(args.rooms)
    connection.close()
    from redis import Redis

    Redis.from_url(bench_env()["REDIS_URL"]).flushdb()  # our own db only: stale channel-layer state
    ports = [free_port() for _ in range(args.servers)]
    servers = [start_daphne(p) for p in ports]
    floor_port = free_port()
    floor = subprocess.Popen([sys.executable, str(ROOT / "bench/relay_floor.py"), str(floor_port)], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_port(floor_port)
    try:
        def ours(room, role):
            port = ports[(room + (role == "parent")) % len(ports)]
            headers = {"Origin": f"http://127.0.0.1:{port}"}
            if role == "worker":
                headers["Cookie"] = f"sessionid={rooms[room]['cookie']}"
                join = {"type": "join", "booking": rooms[room]["booking"], "echo": False}
            else:
                join = {"type": "join", "code": rooms[room]["code"], "echo": False}  # as the browser joins
            return f"ws://127.0.0.1:{port}/ws/chat/", headers, join

        def bare(room, role):
            return f"ws://127.0.0.1:{floor_port}/r/{room}/{role}", {}, None

        print(f"{args.rooms} rooms = {2 * args.rooms} sockets, {args.rate:.0f} msg/s in total for {args.seconds} s; "
              f"{args.servers} daphne process(es) + channels-redis; floor: bare websockets relay")
        room_ids = list(rooms)
        ours_r = asyncio.run(run_phase("daphne+channels-redis", ours, room_ids, args.rate, args.seconds, args.drain, None))
        floor_r = None
        if not args.skip_floor:
            floor_r = asyncio.run(run_phase("bare websockets relay", bare, room_ids, args.rate, args.seconds, args.drain, None,
                                            is_floor=True))
            print(f"our p50 is {ours_r['p50'] / floor_r['p50']:.1f}x the floor's "
                  f"(p99 {ours_r['p99'] / floor_r['p99']:.1f}x)")
        ok = ours_r["lost"] == 0 and ours_r["dups"] == 0 and ours_r["held"] == 2 * args.rooms and ours_r["p99"] < 0.050
        print("RESULT", "PASS" if ok else "FAIL", "(all held, 0 lost, 0 duplicated, p99 < 50 ms)")
    finally:
        signal.alarm(0)
        for s in servers:
            stop(s)
        stop(floor)
        for s in servers:
            err = s.stderr.read().decode(errors="replace")
            # Stopping daphne cancels the channel layer's tasks, which log CancelledError tracebacks:
            # shutdown noise. Anything else is a real server error and is shown.
            blocks = [b.strip() for b in err.split("Traceback (most recent call last):")[1:]]
            real = [b for b in blocks if b and not b.splitlines()[-1].startswith(("asyncio.exceptions.CancelledError", "During handling"))]
            if real:
                print("server errors:", err[-2000:])
        from bench import world

        world.reset()


if __name__ == "__main__":
    main()
