"""Reads: free slots and booking look-ups. No writes here (see services.py).

Slots are computed in Europe/Helsinki wall-clock time and returned as aware datetimes. A fixed,
small number of queries is made whatever the number of workers and weeks.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import holidays
from django.conf import settings
from django.db.models import FloatField, Func, Q
from django.utils import timezone

from . import codes
from .localtime import TZ, local_datetime
from .models import Availability, AvailabilityException, Booking, ClosedDay, Service


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    worker_id: int
    worker_public_id: str
    worker_pseudonym: str

    def as_json(self) -> dict:
        return {
            "start": self.start.astimezone(TZ).isoformat(),
            "end": self.end.astimezone(TZ).isoformat(),
            "worker": {"id": self.worker_public_id, "pseudonym": self.worker_pseudonym},
        }


@lru_cache(maxsize=16)
def _finnish_holidays(year: int) -> dict[dt.date, str]:
    return dict(holidays.Finland(years=year))


def closed_dates(start_date: dt.date, end_date: dt.date) -> set[dt.date]:
    """Finnish public holidays plus the closed days an admin added, within [start_date, end_date]."""
    closed = set(ClosedDay.objects.filter(date__range=(start_date, end_date)).values_list("date", flat=True))
    for year in range(start_date.year, end_date.year + 1):
        closed.update(d for d in _finnish_holidays(year) if start_date <= d <= end_date)
    return closed


class Epoch(Func):
    """A datetime column as POSIX seconds (float), computed by the database."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="date_part('epoch', %(expressions)s)", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Django keeps UTC text in SQLite; julianday() rounded to the millisecond is exact enough.
        template = "(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400000.0) / 1000.0)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sql(self, compiler, connection, template=None, **extra):
        if template is None:  # other databases: fall back to the SQL standard
            template = "EXTRACT(EPOCH FROM %(expressions)s)"
        return super().as_sql(compiler, connection, template=template, **extra)


class _Busy:
    """A worker's busy intervals (POSIX seconds) merged into disjoint, sorted ones: an overlap
    test is one bisect over floats, not a scan over aware datetimes (the scan made the 30-worker,
    8-week search ~0.7 s; see docs/benchmarks.md)."""

    __slots__ = ("starts", "ends")

    def __init__(self, intervals=()):
        self.starts: list[float] = []
        self.ends: list[float] = []
        for s, e in sorted(intervals):
            if self.ends and s <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], e)
            else:
                self.starts.append(s)
                self.ends.append(e)

    def overlaps(self, start: float, end: float) -> bool:
        i = bisect.bisect_right(self.ends, start)  # the first interval ending after ``start``
        return i < len(self.starts) and self.starts[i] < end


def _overlaps(start, end, intervals) -> bool:
    return any(s < end and start < e for s, e in intervals)


def _grid(day, rule, slot_len, buffer, cache) -> list:
    """The (start, end, start_ts, end_ts) of a weekly rule on ``day``, stepped in wall-clock time so
    slots stay on the local grid across a DST change. Shared by every worker with the same hours."""
    key = (day, rule.start_time, rule.end_time)
    if key in cache:
        return cache[key]
    grid = []
    rule_end = local_datetime(day, rule.end_time)
    cursor = dt.datetime.combine(day, rule.start_time)
    while rule_end is not None:
        start = local_datetime(cursor.date(), cursor.time())
        cursor += slot_len + buffer
        if start is None:
            continue
        end = start + slot_len
        if end > rule_end:
            break
        grid.append((start, end, start.timestamp(), end.timestamp()))
    cache[key] = grid
    return grid


def free_slots(
    *,
    service: Service,
    start_date: dt.date,
    end_date: dt.date,
    worker=None,
    now: dt.datetime | None = None,
    ignore_booking: Booking | None = None,
) -> list[Slot]:
    """Free slots of ``service`` whose local start date is within [start_date, end_date].

    Free = weekly availability − closed days − time off − other bookings of the worker (in any
    service, with the service's buffer kept around them) − minimum notice − beyond the horizon.
    ``ignore_booking``: a booking being moved does not block its own new time.
    Workers without a pseudonym take no bookings: parents must never see a worker unnamed.
    """
    now = now or timezone.now()
    earliest = now + dt.timedelta(minutes=service.min_notice_minutes)
    latest = now + dt.timedelta(days=service.horizon_days)
    start_date = max(start_date, earliest.astimezone(TZ).date())
    end_date = min(end_date, latest.astimezone(TZ).date())
    if end_date < start_date:
        return []

    window_start = dt.datetime.combine(start_date, dt.time.min, tzinfo=TZ)
    window_end = dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time.min, tzinfo=TZ)
    slot_len = dt.timedelta(minutes=service.slot_minutes)
    buffer = dt.timedelta(minutes=service.buffer_minutes)

    rules = (
        Availability.objects.filter(service=service, worker__is_active=True, worker__services=service)
        .exclude(worker__pseudonym="")
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=end_date))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start_date))
        .select_related("worker")
        .order_by("worker_id", "weekday", "start_time")
    )
    if worker is not None:
        rules = rules.filter(worker=worker)
    rules = list(rules)
    if not rules:
        return []
    worker_ids = {r.worker_id for r in rules}

    # Instants come back as POSIX seconds (see Epoch): parsing thousands of timestamptz values
    # into aware datetimes was half the time of a 30-worker, 8-week search.
    busy_ts: dict[int, list[tuple[float, float]]] = defaultdict(list)
    per_day: dict[tuple[int, dt.date], int] = defaultdict(int)
    buffer_s = buffer.total_seconds()
    count_per_day = service.max_per_worker_per_day is not None
    holding = Booking.objects.filter(
        worker_id__in=worker_ids,
        status__in=Booking.HOLDING,
        start__lt=window_end + buffer,
        end__gt=window_start - buffer,
    )
    if ignore_booking is not None:
        holding = holding.exclude(pk=ignore_booking.pk)
    for w_id, b_start, b_end in (
        holding.annotate(s=Epoch("start"), e=Epoch("end"))
        .values_list("worker_id", "s", "e")
    ):
        busy_ts[w_id].append((b_start - buffer_s, b_end + buffer_s))
        if count_per_day:
            per_day[(w_id, dt.datetime.fromtimestamp(b_start, TZ).date())] += 1
    for w_id, e_start, e_end in (
        AvailabilityException.objects.filter(worker_id__in=worker_ids, start__lt=window_end, end__gt=window_start)
        .annotate(s=Epoch("start"), e=Epoch("end"))
        .values_list("worker_id", "s", "e")
    ):
        busy_ts[w_id].append((e_start, e_end))

    busy = defaultdict(_Busy, {w_id: _Busy(intervals) for w_id, intervals in busy_ts.items()})
    grid_cache: dict = {}
    closed = closed_dates(start_date, end_date)
    by_weekday: dict[int, list[Availability]] = defaultdict(list)
    for rule in rules:
        by_weekday[rule.weekday].append(rule)

    slots: list[Slot] = []
    day = start_date
    while day <= end_date:
        if day not in closed:
            for rule in by_weekday.get(day.weekday(), ()):
                if (rule.valid_from and day < rule.valid_from) or (rule.valid_until and day > rule.valid_until):
                    continue
                slots.extend(_rule_slots(rule, day, slot_len, buffer, earliest, latest, busy, per_day, service, grid_cache))
        day += dt.timedelta(days=1)
    slots.sort(key=lambda s: (s.start, s.worker_pseudonym))
    return slots


def _rule_slots(rule, day, slot_len, buffer, earliest, latest, busy, per_day, service, grid_cache=None):
    limit = service.max_per_worker_per_day
    worker = rule.worker
    if limit is not None and per_day[(worker.id, day)] >= limit:
        return
    worker_busy = busy[worker.id]
    public_id, name = worker.public_id, worker.display_name
    earliest_ts, latest_ts = earliest.timestamp(), latest.timestamp()
    for start, end, start_ts, end_ts in _grid(day, rule, slot_len, buffer, {} if grid_cache is None else grid_cache):
        if start_ts < earliest_ts or start_ts > latest_ts:
            continue
        if worker_busy.overlaps(start_ts, end_ts):
            continue
        yield Slot(start, end, worker.id, public_id, name)


def slot_is_free(
    *, service: Service, worker, start: dt.datetime, now: dt.datetime | None = None, ignore_booking: Booking | None = None
) -> bool:
    local_day = start.astimezone(TZ).date()
    return any(
        s.start == start
        for s in free_slots(
            service=service, start_date=local_day, end_date=local_day, worker=worker, now=now, ignore_booking=ignore_booking
        )
    )


def nearest_free_slots(*, service: Service, around: dt.datetime, worker=None, count: int = 3) -> list[Slot]:
    """The free times closest to ``around``, for 'this time was just taken': one entry per time
    (the first free worker's), however many workers are free then."""
    local_day = around.astimezone(TZ).date()
    candidates = free_slots(
        service=service, start_date=local_day - dt.timedelta(days=3), end_date=local_day + dt.timedelta(days=7), worker=worker
    )
    one_per_time = list({s.start: s for s in reversed(candidates)}.values())
    one_per_time.sort(key=lambda s: abs((s.start - around).total_seconds()))
    return sorted(one_per_time[:count], key=lambda s: s.start)


def bookable_workers(service: Service):
    """The workers a parent may choose for ``service``: active and known by a pseudonym."""
    return service.workers.filter(is_active=True).exclude(pseudonym="").order_by("pseudonym")


def bookable_worker(service: Service, public_id) -> object | None:
    """The worker with this public id among ``bookable_workers``; None for anything else. A value
    that cannot be a public id (a NUL byte, say, which PostgreSQL refuses) never reaches a query."""
    if not isinstance(public_id, str) or not _PUBLIC_ID.fullmatch(public_id):
        return None
    return bookable_workers(service).filter(public_id=public_id).first()


_PUBLIC_ID = re.compile(r"[0-9a-f]{1,16}")


def booking_by_code(code: str) -> Booking | None:
    """The booking a code belongs to, or None. Compares keyed hashes only."""
    digest = codes.hash_code(code)
    if not digest:
        return None
    booking = Booking.objects.select_related("service", "worker").filter(code_hash=digest).first()
    if booking is None or not codes.matches(code, booking.code_hash):
        return None
    return booking


def join_window(booking: Booking) -> tuple[dt.datetime, dt.datetime]:
    """When a parent's code opens the chat: from a little before the start until the session is over."""
    closes = booking.end + dt.timedelta(minutes=settings.SESSION_GRACE_MINUTES)
    return booking.chat_opens, closes
