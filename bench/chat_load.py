"""Chat under load: N rooms (a parent and a worker socket each) through real daphne processes and
the channels-redis layer, every socket sending at a steady rate; then the same sockets and rate
through a bare asyncio `websockets` relay (the floor on this machine). The whole is run --runs
times on the same rooms and servers, so that one figure is never read alone.

    .venv/bin/python bench/chat_load.py [--rooms 500] [--rate 500] [--seconds 20] [--warmup 5] [--drain 5]
        [--servers 2] [--runs 3] [--skip-floor] [--pin LOADGEN_CPUS:SERVER_CPUS] [--probe-seconds 10]
        [--loadgen-gc]

    e.g. --pin 1:0 runs this process (the load generator) on CPU 1 and the daphne processes and
    the floor relay on CPU 0; a CPU list may be "0,2" or "0-3". PostgreSQL and Redis are not pinned.

Printed, in order:
  - what it ran on (bench/sysinfo.py): date (UTC), command line, git commit, CPU model, cores,
    load average, kernel, Python and package versions, PostgreSQL server_version and
    synchronous_commit, Redis version, the bench's settings and the pinning, and how long a one-row
    INSERT and its commit take on this PostgreSQL (one every 5 ms for --probe-seconds, before the
    first run and after the last: p50, p99, max and the stalls of 40 ms or more; the disk's flush is
    in every stored message, and a VM's disk may stall it whatever the load), then the same for
    the disk alone (an 8 KiB write and fdatasync of a file in var/, no PostgreSQL: when it stalls
    too, the stalls are the disk's);
  - for each run ("run 1/3"): the clock when it started and the load average before and after;
    the warm-up's own figures (--warmup, default 5 s at the full rate just after the joins, when
    the servers' collectors are still sorting out 1,000 sockets' worth of new objects: not steady
    state, so not in the figures; its messages still count for lost and duplicated); sockets held, messages per second,
    delivery latency p50/p95/p99/max (send -> the other side receives it), messages lost and
    duplicated, for our servers and for the floor, and our p50 as a multiple of the floor's; where
    the slowest 1 % of our messages lost their time (store leg: send -> ack, after the commit; relay
    leg: the rest) and in which seconds of the window they were sent, with the clock (a cluster is a
    stall: compare it with the commit probe and the servers' gc lines); the load generator's own
    garbage collections in the window (none: it keeps its collector off while it measures); and
    where the CPU went in our servers' send window (from the end of the warm-up to the end of the
    drain): CPU seconds of each daphne process, of this process (the load generator), of all
    postgres processes and all redis-server processes of the machine (other users' ones too), the
    machine's busy and steal shares, and CPU milliseconds per message sent;
  - a summary: what it ran on again (with the load average after the last run), a markdown table of
    the runs with their median and worst, a table of the CPU per message, and the verdict;
  - the servers' own lines: the group commit's batches (every 1,000) and the garbage collector's
    collections and longest stops (every 10 s, and each full collection, with the clock:
    config/serve.py).

RESULT PASS only if in every run: all sockets held, 0 lost, 0 duplicated, p99 < 50 ms and (when the
floor ran) our p50 at most 10x the floor's p50 of the same run; otherwise RESULT FAIL and what
failed in which run. Exit code 0 on PASS, 1 on FAIL.

Workers sign in with a real Django session cookie; parents join with their booking's code. The
sockets of one room are spread over the servers (parent on one daphne, worker on the next), so every
message crosses processes through Redis. Every run joins the same rooms again: the messages of the
runs before stay in the database (each join gets them as history, which is not counted), and every
run's messages carry client_ids of their own, as the server stores a client_id once per chat and
would take a repeated one for a resend. Uses DATABASE_URL (default ajv_bench) and REDIS_URL
(default db 6).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import sysinfo  # noqa: E402
from bench.common import ROOT, bench_env, django_setup, free_port, pct, pin_to, start_daphne, stop, wait_port  # noqa: E402

from websockets.asyncio.client import connect  # noqa: E402

P99_LIMIT = 0.050  # seconds
FLOOR_RATIO_LIMIT = 10  # our p50 at most this many times the floor's


class OwnStops:
    """The load generator's own garbage collections (``gc.callbacks``): a collection stops this
    process, and every message that arrives meanwhile is timed late, in both legs at once."""

    def __init__(self):
        self.started = 0.0
        self.stops: list[tuple[float, int, float]] = []  # (start, generation, seconds)

    def __call__(self, phase, info):
        if phase == "start":
            self.started = time.monotonic()
        else:
            self.stops.append((self.started, info["generation"], time.monotonic() - self.started))

    def line(self, start: float, end: float) -> str:
        inside = [(t - start, g, d) for t, g, d in self.stops if start <= t <= end]
        longest = sorted(inside, key=lambda x: -x[2])[:3]
        return (f"load generator's own gc in the window: {len(inside)} collections, "
                f"{sum(d for _, _, d in inside) * 1000:.0f} ms in all; longest "
                + (", ".join(f"{d * 1000:.1f} ms (gen{g}, second {t:.0f})" for t, g, d in longest) or "none"))


OWN_STOPS = OwnStops()


class Stats:
    def __init__(self):
        self.sent = {}  # (room, role, seq) -> t_sent
        self.got = {}  # (room, role, seq) -> latency
        self.dups = 0
        self.errors = {}
        self.acks = 0
        self.ack = {}  # (room, role, seq) -> send -> ack
        self.closed = 0

    def split_warmup(self, window_start: float) -> "Stats":
        """Move what was sent before ``window_start`` to a Stats of its own (returned)."""
        warm = Stats()
        for key in [k for k, t in self.sent.items() if t < window_start]:
            warm.sent[key] = self.sent.pop(key)
            for mine, theirs in ((self.got, warm.got), (self.ack, warm.ack)):
                if key in mine:
                    theirs[key] = mine.pop(key)
        return warm


async def run_phase(label, urls_for, rooms, rate, seconds, drain, *, run=1, is_floor=False, cpu_pids=None, loadgen_gc=False,
                    warmup=0.0):
    """One phase: connect and join every socket, send for ``warmup`` + ``seconds``, wait ``drain``,
    count. The figures are of the messages sent in the last ``seconds`` (the window); those of the
    warm-up are checked for loss and duplicates like every other and printed on a line of their own.
    ``cpu_pids`` (label -> pids): measure where the CPU goes in the window (sysinfo)."""
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
    await asyncio.sleep(1.0)  # the joins' presence notices settle
    # The CPU window opens here, just before the first send (reading /proc takes a few ms: the
    # sending is timed from after it).
    # The load generator's own collector stays out of the window: a full collection of its 1,000
    # sockets stopped it for up to 180 ms, and every message arriving meanwhile was timed late (the
    # stops were printed: OWN_STOPS). The window's garbage (tens of MB at most) waits for the end.
    if not loadgen_gc:
        gc.collect()
        gc.freeze()
        gc.disable()
    start = time.monotonic()
    t_window = start + warmup
    end = t_window + seconds
    senders = [asyncio.create_task(send_loop(stats, r, role, conns[(r, role)][0], start, end, interval, is_floor, run))
               for (r, role) in conns if isinstance(conns[(r, role)], tuple) and len(conns[(r, role)]) == 2]
    await asyncio.sleep(max(0.0, t_window - time.monotonic()))
    cpu_before = sysinfo.cpu_snapshot(cpu_pids, named=("postgres", "redis-server")) if cpu_pids else None
    own_lag = asyncio.create_task(watch_loop(end + drain))
    await asyncio.gather(*senders)
    await asyncio.sleep(drain)
    t_gc_on = time.monotonic()
    gc.enable()
    cpu = None
    if cpu_pids:
        cpu = sysinfo.cpu_used(cpu_before, sysinfo.cpu_snapshot(cpu_pids, named=("postgres", "redis-server")))
        cpu["window"] = time.monotonic() - t_window
    stalls = await own_lag
    held = sum(1 for ws in hold if ws.state.name == "OPEN")
    for ws in hold:
        await ws.close()
    lost = [k for k in stats.sent if k not in stats.got]  # the warm-up's too
    warm = stats.split_warmup(t_window)
    lat = list(stats.got.values())
    sent = len(stats.sent)
    print(f"{label}: {held}/{n_sockets} sockets held (connected+joined in {connect_s:.1f} s); "
          f"{sent} sent in {seconds} s = {sent / seconds:.0f} msg/s; delivered {len(stats.got)}; "
          f"lost {len(lost)}; duplicated {stats.dups}; errors {stats.errors or 0}"
          + (" (lost and duplicated: the warm-up's too)" if warm.sent else ""))
    if warm.sent:
        warm_lat = list(warm.got.values()) or [float("inf")]
        print(f"  warm-up ({warmup:g} s before the window, not in the figures): {len(warm.sent)} sent, "
              f"p50 {ms(pct(warm_lat, 50))} ms  p99 {ms(pct(warm_lat, 99))} ms  max {ms(max(warm_lat))} ms")
    # Nothing delivered: every latency figure is infinite (the worst, and never a pass).
    figures = {p: pct(lat, q) if lat else float("inf") for p, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))}
    print("  latency " + "  ".join(f"{p} {ms(v)} ms" for p, v in figures.items()))
    if stats.ack:
        ack_lat = list(stats.ack.values())
        print(f"  stored and acknowledged (send -> ack): p50 {ms(pct(ack_lat, 50))} ms  "
              f"p99 {ms(pct(ack_lat, 99))} ms")
        for line in tail_lines(stats, t_window, seconds):
            print("  " + line)
    print("  " + OWN_STOPS.line(t_window, t_gc_on))  # none, unless the collector is left on
    print(f"  load generator's own loop held 30 ms or more: {len(stalls)} times"
          + "".join(f"; {d * 1000:.0f} ms at second {t - t_window:.1f}" for t, d in sorted(stalls, key=lambda x: -x[1])[:3]))
    return {"held": held, "sockets": n_sockets, "sent": sent, "rate": sent / seconds, "lost": len(lost), "dups": stats.dups,
            "errors": stats.errors, **figures, "cpu": cpu}


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
                    # Stored and acknowledged: the sender's half of the trip (the rest is the relay).
                    room_s, seq_s, t_s = f["message"]["text"].split("|")
                    stats.ack[(int(room_s), role, int(seq_s))] = time.monotonic() - float(t_s)
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


async def send_loop(stats, room, role, ws, start, end, interval, is_floor, run):
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
            # The run is in the client_id: the server stores a client_id once per chat, and takes the
            # same one again (run 2 in the same room) for a resend, which it acknowledges but does
            # not pass on.
            frame = json.dumps({"type": "message", "text": text, "client_id": f"{role}-r{run}-{seq}"})
        try:
            await ws.send(frame)
        except Exception:
            return
        next_t += interval
        if next_t >= end:
            break  # no idle wait after the last message: the drain starts when the sending ends
        await asyncio.sleep(max(0, next_t - time.monotonic()))


async def watch_loop(until: float, every: float = 0.01, slow: float = 0.03) -> list[tuple[float, float]]:
    """(when, how late) of each time this process's event loop woke ``slow`` or more late: while it
    is held, arriving messages are timed late."""
    stalls = []
    while time.monotonic() < until:
        due = time.monotonic() + every
        await asyncio.sleep(every)
        late = time.monotonic() - due
        if late >= slow:
            stalls.append((due, late))
    return stalls


def tail_lines(stats, start: float, seconds: int) -> list[str]:
    """Where the slowest 1 % of the messages lost their time: in the store leg (send -> ack, which
    comes after the commit) or in the relay leg (the rest: publish, Redis, the other process, its
    socket); and when they were sent (per second of the send window), to tell a stall of the whole
    machine (a cluster) from queueing spread over the run."""
    if not stats.got:
        return []
    cut = pct(list(stats.got.values()), 99)
    slow = [k for k, v in stats.got.items() if v >= cut]
    legs = [(stats.ack[k], stats.got[k] - stats.ack[k]) for k in slow if k in stats.ack]
    per_second = [0] * (seconds + 1)
    for k in slow:
        per_second[min(seconds, max(0, int(stats.sent[k] - start)))] += 1
    busiest = sorted(range(len(per_second)), key=per_second.__getitem__, reverse=True)[:3]
    wall = time.time() - time.monotonic() + start  # the window's start on the wall clock
    lines = [f"slowest 1 % ({len(slow)} messages, >= {ms(cut)} ms): sent in second "
             + ", ".join(f"{s} ({per_second[s]}, {dt.datetime.fromtimestamp(wall + s):%H:%M:%S})"
                         for s in sorted(busiest) if per_second[s])
             + f" of the window; per second: {' '.join(str(n) for n in per_second)}"]
    if legs:
        lines.append(f"slowest 1 %: store leg (send -> ack) p50 {ms(pct([a for a, _ in legs], 50))} ms, "
                     f"relay leg (ack -> the other side) p50 {ms(pct([r for _, r in legs], 50))} ms")
    return lines


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


# --- reading the figures --------------------------------------------------------------------------
def cpu_list(text: str) -> set[int]:
    """'1' or '0,2' or '0-3' -> a set of CPU numbers."""
    cpus = set()
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    if not cpus:
        raise ValueError(f"no CPU in {text!r}")
    return cpus


def parse_pin(text: str) -> tuple[set[int], set[int]]:
    loadgen, sep, servers = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError("--pin takes LOADGEN_CPUS:SERVER_CPUS, e.g. 1:0")
    try:
        return cpu_list(loadgen), cpu_list(servers)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--pin {text}: {exc}") from None


def cpus_text(cpus) -> str:
    return ",".join(str(c) for c in sorted(cpus))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def ratio(ours: dict, floor: dict | None) -> float | None:
    if floor is None:
        return None
    return ours["p50"] / floor["p50"] if floor["p50"] > 0 else float("inf")


CPU_OTHERS = (("self", "load generator"), ("postgres", "postgres"), ("redis-server", "redis"))


def cpu_lines(cpu: dict, daphnes: list[str], sent: int) -> list[str]:
    parts = [(name, cpu[name]) for name in daphnes] + [(label, cpu[key]) for key, label in CPU_OTHERS]
    seconds = ", ".join(f"{name} {s:.2f} s" for name, s in parts)
    per_msg = ", ".join(f"{name} {s / sent * 1000:.2f} ms" for name, s in parts) if sent else "no message sent"
    lines = [f"  cpu: {seconds}, machine busy {cpu['machine busy %']:.0f} %, steal {cpu['steal %']:.0f} %",
             f"  cpu per message sent ({sent} in a {cpu['window']:.1f} s window): {per_msg}"]
    # One Python process runs on one core at a time: near a whole core, the load generator's own
    # queueing is part of the latency it reports.
    for name, s in [("load generator", cpu["self"])] + [(n, cpu[n]) for n in daphnes]:
        share = s / cpu["window"] * 100
        if share >= 80:
            lines.append(f"  note: {name} used {share:.0f} % of one core in the window: near saturation")
    return lines


def runs_table(results: list[dict]) -> list[str]:
    """Markdown: one row per run, then the median and the worst of every column."""
    head = ["run", "held", "msg/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "lost/dup", "floor p50 (p99) ms",
            "p50 / floor p50"]
    rows = []
    for i, r in enumerate(results, 1):
        ours, floor = r["ours"], r["floor"]
        rows.append([str(i), f"{ours['held']}/{ours['sockets']}", f"{ours['rate']:.0f}", ms(ours["p50"]), ms(ours["p95"]),
                     ms(ours["p99"]), ms(ours["max"]), f"{ours['lost']}/{ours['dups']}",
                     f"{ms(floor['p50'])} ({ms(floor['p99'])})" if floor else "-",
                     f"{r['ratio']:.1f}x" if r["ratio"] is not None else "-"])

    def column(key, of="ours"):
        return [r[of][key] for r in results if r[of] is not None]

    ratios = [r["ratio"] for r in results if r["ratio"] is not None]
    sockets = results[0]["ours"]["sockets"]
    for name, pick, held_pick, rate_pick in (("median", statistics.median, statistics.median, statistics.median),
                                             ("worst", max, min, min)):
        floor_cell = "-"
        if column("p50", "floor"):
            floor_cell = f"{ms(pick(column('p50', 'floor')))} ({ms(pick(column('p99', 'floor')))})"
        rows.append([f"**{name}**", f"{held_pick(column('held')):g}/{sockets}", f"{rate_pick(column('rate')):.0f}",
                     ms(pick(column("p50"))), ms(pick(column("p95"))), ms(pick(column("p99"))), ms(pick(column("max"))),
                     f"{pick(column('lost')):g}/{pick(column('dups')):g}", floor_cell,
                     f"{pick(ratios):.1f}x" if ratios else "-"])
    return markdown(head, rows)


def cpu_table(results: list[dict], daphnes: list[str]) -> list[str]:
    """Markdown: CPU milliseconds per message sent in each run's send window, by process."""
    names = daphnes + [label for _, label in CPU_OTHERS]
    keys = daphnes + [key for key, _ in CPU_OTHERS]
    head = ["run", "window s"] + [f"{n} ms/msg" for n in names] + ["machine busy", "steal"]
    rows = []
    for i, r in enumerate(results, 1):
        cpu, sent = r["ours"]["cpu"], r["ours"]["sent"] or 1
        rows.append([str(i), f"{cpu['window']:.1f}"] + [f"{cpu[k] / sent * 1000:.2f}" for k in keys]
                    + [f"{cpu['machine busy %']:.0f} %", f"{cpu['steal %']:.0f} %"])
    return markdown(head, rows)


def markdown(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [head] + rows) for i in range(len(head))]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    return [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(row) for row in rows]


def failures(results: list[dict]) -> list[str]:
    """What failed, per run; empty when every run passed."""
    found = []
    for i, r in enumerate(results, 1):
        ours, why = r["ours"], []
        if ours["held"] != ours["sockets"]:
            why.append(f"{ours['sockets'] - ours['held']} of {ours['sockets']} sockets not held")
        if ours["lost"]:
            why.append(f"{ours['lost']} lost")
        if ours["dups"]:
            why.append(f"{ours['dups']} duplicated")
        if not ours["p99"] < P99_LIMIT:
            why.append(f"p99 {ms(ours['p99'])} ms not < {ms(P99_LIMIT)} ms")
        if r["ratio"] is not None and not r["ratio"] <= FLOOR_RATIO_LIMIT:
            why.append(f"p50 {r['ratio']:.1f}x the floor's, not <= {FLOOR_RATIO_LIMIT}x")
        if why:
            found.append(f"run {i}: " + ", ".join(why))
    return found


def main() -> bool:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rooms", type=int, default=500)
    ap.add_argument("--rate", type=float, default=500, help="messages per second, all sockets together")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--drain", type=float, default=5)
    ap.add_argument("--warmup", type=float, default=5,
                    help="seconds the sockets send at the full rate before the measured window (default 5): their "
                         "messages count for lost and duplicated but not in the latency figures, which they "
                         "get a line of their own; 0: measure from the first message, as before 2026-12-04 evening")
    ap.add_argument("--servers", type=int, default=2, help="daphne processes; a room's two sockets use different ones")
    ap.add_argument("--runs", type=int, default=3, help="times the whole (our servers, then the floor) is run")
    ap.add_argument("--skip-floor", action="store_true")
    ap.add_argument("--loadgen-gc", action="store_true",
                    help="leave the load generator's garbage collector on while it measures (as the bench did "
                         "before 2026-12-04), to see what its stops cost")
    ap.add_argument("--probe-seconds", type=float, default=10,
                    help="time the disk's commit (one-row INSERT and commit every 5 ms), then the disk's flush "
                         "alone (fdatasync of a file in var/), each for this long, before the first run and "
                         "after the last; 0: not at all")
    ap.add_argument("--pin", type=parse_pin, metavar="LOADGEN_CPUS:SERVER_CPUS",
                    help="e.g. 1:0: this process on CPU 1, the daphne processes and the floor relay on CPU 0")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.pin and not set().union(*args.pin) <= os.sched_getaffinity(0):
        ap.error(f"--pin: this process may run on CPU {cpus_text(os.sched_getaffinity(0))} only")
    import functools
    import signal

    global print
    print = functools.partial(print, flush=True)  # noqa: A001 - figures must survive a kill

    loadgen_cpus, server_cpus = args.pin or (None, None)
    if loadgen_cpus:
        # Before any thread is started: a thread inherits its creator's affinity, and this call
        # sets the calling thread's only.
        os.sched_setaffinity(0, loadgen_cpus)

    def watchdog(*_):
        raise TimeoutError("bench/chat_load.py: watchdog fired; stopping the servers")

    signal.signal(signal.SIGALRM, watchdog)
    gc.callbacks.append(OWN_STOPS)
    # Bounded, whatever happens: set-up, then per run both phases' sending and draining plus time to connect.
    signal.alarm(int(120 + 4 * args.probe_seconds + args.runs * (2 * (args.warmup + args.seconds + args.drain) + 120)))
    django_setup()
    from django.db import connection
    from django.utils import timezone

    rooms = setup_rooms(args.rooms)
    connection.close()
    from redis import Redis

    redis_url = bench_env()["REDIS_URL"]
    Redis.from_url(redis_url).flushdb()  # our own db only: stale channel-layer state
    ports = [free_port() for _ in range(args.servers)]
    servers = [start_daphne(p, cpus=server_cpus, CHAT_GROUP_COMMIT_STATS=1, SERVER_GC_STATS=1) for p in ports]
    floor_port = free_port()
    floor = subprocess.Popen([sys.executable, str(ROOT / "bench/relay_floor.py"), str(floor_port)], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=pin_to(server_cpus))
    wait_port(floor_port)
    daphnes = [f"daphne {i}" for i in range(1, args.servers + 1)]
    try:
        if args.pin:
            # As the kernel has it now, read back from the processes.
            pinning = (f"load generator on CPU {cpus_text(os.sched_getaffinity(0))}; "
                       + ", ".join(f"{n} on CPU {cpus_text(os.sched_getaffinity(s.pid))}" for n, s in zip(daphnes, servers))
                       + f", floor relay on CPU {cpus_text(os.sched_getaffinity(floor.pid))}; postgres and redis not pinned")
        else:
            pinning = "none"
        info = sysinfo.collect(redis_url=redis_url, **{
            "bench": (f"{args.rooms} rooms = {2 * args.rooms} sockets, {args.rate:.0f} msg/s in total for {args.seconds} s "
                      f"(after a {args.warmup:g} s warm-up, +{args.drain:g} s drain), {args.runs} run(s); {args.servers} daphne process(es) + channels-redis"
                      + ("; floor skipped" if args.skip_floor else "; floor: bare websockets relay")
                      + ("; the load generator's collector on" if args.loadgen_gc
                         else "; the load generator's collector off while it measures")),
            "pinning": pinning,
        })
        if args.probe_seconds:
            info["postgresql commit, before the first run"] = sysinfo.commit_probe(args.probe_seconds)
            info["disk flush without postgresql, before the first run"] = sysinfo.flush_probe(args.probe_seconds)
        connection.close()
        info["load average before the first run"] = info.pop("load average")
        sysinfo.show(info)

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

        room_ids = list(rooms)
        cpu_pids = {name: [s.pid] for name, s in zip(daphnes, servers)}
        results = []
        for run in range(1, args.runs + 1):
            tag = f"run {run}/{args.runs}"
            # The clock in the servers' time zone, to place the servers' "gc:" lines printed at the end.
            print(f"--- {tag} --- {timezone.localtime():%Y-%m-%d %H:%M:%S} --- load average {sysinfo.load_average()} before")
            ours_r = asyncio.run(run_phase(f"{tag} daphne+channels-redis", ours, room_ids, args.rate, args.seconds,
                                           args.drain, run=run, cpu_pids=cpu_pids, loadgen_gc=args.loadgen_gc,
                                           warmup=args.warmup))
            for line in cpu_lines(ours_r["cpu"], daphnes, ours_r["sent"]):
                print(line)
            floor_r = None
            if not args.skip_floor:
                floor_r = asyncio.run(run_phase(f"{tag} bare websockets relay", bare, room_ids, args.rate, args.seconds,
                                                args.drain, run=run, is_floor=True, loadgen_gc=args.loadgen_gc,
                                                warmup=args.warmup))
            r = {"ours": ours_r, "floor": floor_r, "ratio": ratio(ours_r, floor_r)}
            if floor_r is not None:
                print(f"{tag}: our p50 is {r['ratio']:.1f}x the floor's (p99 {ours_r['p99'] / floor_r['p99']:.1f}x)")
            print(f"{tag}: load average {sysinfo.load_average()} after")
            results.append(r)

        info["load average after the last run"] = sysinfo.load_average()
        if args.probe_seconds:
            info["postgresql commit, after the last run"] = sysinfo.commit_probe(args.probe_seconds)
            info["disk flush without postgresql, after the last run"] = sysinfo.flush_probe(args.probe_seconds)
            connection.close()
        info["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        print()
        sysinfo.show(info, title="summary: ran on")
        print()
        print(f"Chat latency, {args.rooms} rooms, {args.rate:.0f} msg/s, {args.seconds} s, {args.servers} daphne, "
              f"{args.runs} run(s)" + (", pinned " + ":".join(cpus_text(c) for c in args.pin) if args.pin else "")
              + " (worst: highest latency, ratio and lost/dup, fewest held, lowest msg/s):")
        print()
        for line in runs_table(results):
            print(line)
        print()
        print("CPU per message sent in our servers' send window (postgres and redis: all their processes on the machine):")
        print()
        for line in cpu_table(results, daphnes):
            print(line)
        print()
        failed = failures(results)
        conditions = f"all held, 0 lost, 0 duplicated, p99 < {ms(P99_LIMIT)} ms" + (
            "" if args.skip_floor else f", p50 <= {FLOOR_RATIO_LIMIT}x the floor's")
        if failed:
            print(f"RESULT FAIL ({conditions}, in every run of {args.runs}):")
            for line in failed:
                print("  " + line)
        else:
            print(f"RESULT PASS ({conditions}, in every run of {args.runs})")
        return not failed
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
            # The servers' own account: where a message's time went (chatrooms/groupcommit.py, every
            # 1,000 batches), then the garbage collector's stops and the event loop's stalls
            # (config/serve.py, with the log's clock).
            lines = err.splitlines()
            for line in lines:
                if "group commit:" in line:
                    print(f"daphne {servers.index(s) + 1}: {line.split('chatrooms.groupcommit: ', 1)[-1]}")
            for line in lines:
                if "config.serve: gc:" in line or "config.serve: loop:" in line:
                    print(f"daphne {servers.index(s) + 1}: {line[1:24]} {line.split('config.serve: ', 1)[-1]}")
            if real:
                print("server errors:", err[-2000:])
        from bench import world

        world.reset()


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
