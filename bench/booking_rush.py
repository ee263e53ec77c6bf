"""Booking rush through the real HTTP API (daphne + PostgreSQL).

    .venv/bin/python bench/booking_rush.py [--same 200] [--slots 400] [--clients 50]

1. ``--same`` clients POST /api/v1/bookings/ for the SAME slot at the same instant: expect exactly one
   201, every other answer a clean 409 (slot_taken), no 5xx, one row in the database.
2. A rush over many slots: every free slot is requested twice, by ``--clients`` concurrent clients:
   bookings per second, and no (worker, start) booked twice.
Uses DATABASE_URL (default: ajv_bench) and REDIS_URL (default: Redis db 6)."""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import http.client
import json
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import django_setup, free_port, pct, start_daphne, stop  # noqa: E402


def post(conn_holder, port, body) -> tuple[int, dict]:
    for attempt in range(2):
        if conn_holder.get("c") is None:
            conn_holder["c"] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c = conn_holder["c"]
        try:
            c.request("POST", "/api/v1/bookings/", body=json.dumps(body), headers={"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = {"raw": data[:200].decode(errors="replace")}
            return r.status, parsed
        except (ConnectionError, http.client.HTTPException, OSError):
            c.close()
            conn_holder["c"] = None
            if attempt:
                return 0, {}
    return 0, {}


def rush_same(port, service, worker, start, n):
    barrier = threading.Barrier(n)
    results = []
    lock = threading.Lock()
    body = {"service": service.slug, "worker": worker.public_id, "start": start.isoformat(), "nickname": "rush"}

    def run():
        holder = {}
        barrier.wait()
        t0 = time.perf_counter()
        status, data = post(holder, port, body)
        with lock:
            results.append((status, data.get("error", {}).get("code"), time.perf_counter() - t0))

    return results, _run_threads(run, n)


def _run_threads(target, count: int) -> float:
    """Run ``count`` threads of ``target`` to the end; the seconds it took."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def rush_many(port, service, slots, clients):
    queue = collections.deque(slots)
    lock = threading.Lock()
    results = []

    def run():
        holder = {}
        while True:
            with lock:
                if not queue:
                    return
                worker, start = queue.popleft()
            body = {"service": service.slug, "worker": worker.public_id, "start": start.isoformat(), "nickname": "rush"}
            t0 = time.perf_counter()
            status, data = post(holder, port, body)
            with lock:
                results.append((status, data.get("error", {}).get("code"), time.perf_counter() - t0))

    return results, _run_threads(run, clients)


def report(label, results, elapsed):
    by_status = collections.Counter(s for s, _, _ in results)
    codes = collections.Counter(c for s, c, _ in results if s != 201)
    lat = [t for _, _, t in results]
    print(f"{label}: {len(results)} requests in {elapsed:.2f} s; statuses {dict(sorted(by_status.items()))}; "
          f"refusals {dict(codes)}")
    print(f"  latency p50 {pct(lat, 50)*1000:.0f} ms  p95 {pct(lat, 95)*1000:.0f} ms  max {max(lat)*1000:.0f} ms")
    return by_status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--same", type=int, default=200)
    ap.add_argument("--slots", type=int, default=400, help="distinct slots in the second rush (each asked twice)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    django_setup()
    from django.db import connection
    from django.db.models import Count

    from booking.models import Booking
    from booking.selectors import TZ, free_slots

    from bench import world

    world.reset()
    service = world.make_service("bench-rush", min_notice_minutes=0, horizon_days=120)
    workers = world.make_workers(service, 20, tag="rush", weekdays=range(7), start="08:00", end="20:00")
    today = dt.datetime.now(TZ).date()
    slots = free_slots(service=service, start_date=today + dt.timedelta(days=1), end_date=today + dt.timedelta(days=60))
    by_pk = {w.pk: w for w in workers}
    connection.close()  # the server, not this process, talks to the database from here on

    port = args.port or free_port()
    server = start_daphne(port)
    ok = True
    try:
        print(f"database: {connection.vendor}; daphne on 127.0.0.1:{port}")
        first = slots[0]
        results, elapsed = rush_same(port, service, by_pk[first.worker_id], first.start, args.same)
        st = report(f"1) {args.same} concurrent requests for ONE slot", results, elapsed)
        rows = Booking.objects.filter(worker_id=first.worker_id, start=first.start).count()
        clean = st.get(201) == 1 and st.get(409, 0) == args.same - 1 and rows == 1
        print(f"  rows for that slot: {rows}; exactly one 201 and {args.same - 1} x 409: {'yes' if clean else 'NO'}")
        ok &= clean

        chosen = random.Random(7).sample(slots[1:], min(args.slots, len(slots) - 1))
        wanted = [(by_pk[s.worker_id], s.start) for s in chosen] * 2
        random.Random(8).shuffle(wanted)
        results, elapsed = rush_many(port, service, wanted, args.clients)
        st = report(f"2) {len(wanted)} requests over {len(chosen)} slots, {args.clients} clients", results, elapsed)
        doubled = (Booking.objects.filter(service=service, status__in=Booking.HOLDING)
                   .values("worker_id", "start").annotate(n=Count("id")).filter(n__gt=1).count())
        booked = Booking.objects.filter(service=service).count() - 1
        print(f"  {st.get(201, 0) / elapsed:.0f} bookings/s; rows {booked} for {len(chosen)} slots; doubled: {doubled}")
        fives = sum(v for k, v in st.items() if k >= 500 or k == 0)
        ok &= doubled == 0 and booked == st.get(201, 0) == len(chosen) and fives == 0
    finally:
        stop(server)
        err = server.stderr.read().decode(errors="replace")
        if "Traceback" in err:
            print("server errors:", err[-3000:])
        connection.close()
        world.reset()
    print("RESULT", "PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
