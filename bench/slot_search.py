"""Free-time search under a realistic load: 30 workers x 8 weeks, about a third booked.

    .venv/bin/python bench/slot_search.py [--workers 30] [--weeks 8] [--runs 60]

Prints p50/p95 of the whole free_slots() call and its SQL query count, for several sizes, to show
the count does not grow with workers or weeks (no N+1). Uses DATABASE_URL (default: ajv_bench)."""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import django_setup, pct  # noqa: E402


def build(workers: int, weeks: int):
    from booking.models import Booking
    from booking.selectors import TZ

    from bench import world

    world.reset()
    service = world.make_service("bench-slots", min_notice_minutes=0, horizon_days=7 * weeks + 7)
    staff = world.make_workers(service, workers, tag="slots")
    today = dt.datetime.now(TZ).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    rows, n = [], 0
    for w in staff:
        for day_i in range(7 * weeks):
            day = monday + dt.timedelta(days=day_i)
            if day.weekday() >= 5:
                continue
            for hour in range(9, 17):
                n += 1
                if n % 3:
                    continue
                start = dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)
                rows.append(Booking(service=service, worker=w, start=start, end=start + dt.timedelta(minutes=45),
                                    nickname="bench", code_hash=secrets.token_hex(32)))
    Booking.objects.bulk_create(rows, batch_size=1000)
    return service, monday, len(rows)


def measure(service, monday, *, weeks: int, runs: int, worker=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from booking.selectors import TZ, free_slots

    now = dt.datetime.combine(monday, dt.time(0), tzinfo=TZ) - dt.timedelta(days=1)
    end = monday + dt.timedelta(days=7 * weeks - 1)
    times, found, queries = [], 0, 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            found = len(free_slots(service=service, start_date=monday, end_date=end, now=now, worker=worker))
            times.append(time.perf_counter() - t0)
        queries = len(ctx.captured_queries)
    return times, found, queries


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=30)
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--runs", type=int, default=60)
    ap.add_argument("--no-freeze", action="store_true", help="skip gc.freeze() (the 'before' figures)")
    args = ap.parse_args()
    django_setup()
    from django.db import connection

    service, monday, booked = build(args.workers, args.weeks)
    if not args.no_freeze:  # as config/asgi.py does in every server process
        import gc

        gc.collect()
        gc.freeze()
    print(f"database: {connection.vendor}; {args.workers} workers, {args.weeks} weeks, {booked} bookings")
    ok = True
    for weeks in sorted({1, 4, args.weeks}):
        times, found, queries = measure(service, monday, weeks=weeks, runs=args.runs)
        p50, p95 = pct(times, 50) * 1000, pct(times, 95) * 1000
        print(f"  {args.workers:3d} workers x {weeks} weeks: {found:5d} free slots  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  queries {queries}")
        if weeks == args.weeks:
            ok = p95 <= 50 and queries <= 10
    one = service.workers.first()
    times, found, queries = measure(service, monday, weeks=args.weeks, runs=args.runs, worker=one)
    print(f"    1 worker  x {args.weeks} weeks: {found:5d} free slots  p50 {pct(times, 50)*1000:6.1f} ms  p95 {pct(times, 95)*1000:6.1f} ms  queries {queries}")
    print("RESULT", "PASS" if ok else "FAIL", "(p95 <= 50 ms and <= 10 queries for the full search)")
    from bench import world

    world.reset()


if __name__ == "__main__":
    main()
