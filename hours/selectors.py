"""Reads: is a channel or an appointment-chat service open now, until when, and when does it next open.

One interval engine serves both: weekly wall-clock rules in Europe/Helsinki (the channels' opening
hours, or the workers' weekly availability of a service), minus the closed dates (Finnish public
holidays and booking.ClosedDay), with per-date exceptions. Intervals are aware datetimes, so a
DST change between now and the next opening is handled by zoneinfo, not by arithmetic on hours.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Prefetch, Q
from django.utils import formats, timezone
from django.urls import reverse
from django.utils.translation import gettext as _

from booking import selectors as booking_selectors
from booking.models import Availability, AvailabilityException, Service

from . import extensions
from .models import Channel, HoursException, WeeklyHours

TZ = booking_selectors.TZ
# How far ahead "next opening" looks: long enough for Christmas to New Year.
LOOKAHEAD_DAYS = 21

Interval = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class Status:
    is_open: bool
    until: dt.datetime | None  # when open: when it closes (None: around the clock)
    next_opening: dt.datetime | None  # the next time it opens after now (after `until` if open now)
    always_open: bool = False

    def text(self, *, now: dt.datetime) -> str:
        """A short human sentence in the active language, e.g. "Open until 13:00"."""
        if self.always_open:
            return _("Open around the clock")
        if self.is_open:
            return _("Open until %(time)s") % {"time": when(self.until, now=now)}
        if self.next_opening is None:
            return _("Closed")
        return _("Closed. Opens %(when)s") % {"when": when(self.next_opening, now=now)}


def when(moment: dt.datetime | None, *, now: dt.datetime, say_today: bool = False) -> str:
    """"13:00" (or "today at 13:00"), "tomorrow at 10:00", "on Thursday 12.3. at 17:00" relative to
    now, in Helsinki time."""
    if moment is None:
        return ""
    local = moment.astimezone(TZ)
    today = now.astimezone(TZ).date()
    time = formats.time_format(local)  # 13.00 in Finnish and Swedish, 13:00 in English
    if local.date() == today:
        return _("today at %(time)s") % {"time": time} if say_today else time
    if local.date() == today + dt.timedelta(days=1):
        return _("tomorrow at %(time)s") % {"time": time}
    day = formats.date_format(local, "l j.n.")
    return _("on %(day)s at %(time)s") % {"day": day, "time": time}


def _aware(day: dt.date, time: dt.time) -> dt.datetime:
    # zoneinfo resolves a wall time in the spring-forward gap to the later offset; opening hours never
    # fall in the 03:00–04:00 gap in Finland, so no hour is lost or doubled in practice.
    return dt.datetime.combine(day, time, tzinfo=TZ)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[list[dt.datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    result = []
    for start, end in intervals:
        pieces = [(start, end)]
        for h_start, h_end in holes:
            next_pieces = []
            for s, e in pieces:
                if h_end <= s or h_start >= e:
                    next_pieces.append((s, e))
                    continue
                if s < h_start:
                    next_pieces.append((s, h_start))
                if h_end < e:
                    next_pieces.append((h_end, e))
            pieces = next_pieces
        result.extend(pieces)
    return result


def open_intervals(
    *,
    rules: Iterable,
    start_date: dt.date,
    end_date: dt.date,
    closed: set[dt.date] = frozenset(),
    exceptions: dict[dt.date, list[tuple[dt.time, dt.time] | None]] | None = None,
) -> list[Interval]:
    """Merged open intervals for the local dates [start_date, end_date].

    ``rules`` have weekday, start_time, end_time, valid_from, valid_until (WeeklyHours, Availability).
    A date in ``exceptions`` uses only its exception ranges (None = closed all day), even on a
    holiday; otherwise a date in ``closed`` has no hours.
    """
    exceptions = exceptions or {}
    by_weekday: dict[int, list] = defaultdict(list)
    for rule in rules:
        by_weekday[rule.weekday].append(rule)
    intervals: list[Interval] = []
    day = start_date
    while day <= end_date:
        if day in exceptions:
            ranges = [r for r in exceptions[day] if r is not None]
        elif day in closed:
            ranges = []
        else:
            ranges = [
                (r.start_time, r.end_time)
                for r in by_weekday.get(day.weekday(), ())
                if not (r.valid_from and day < r.valid_from) and not (r.valid_until and day > r.valid_until)
            ]
        intervals.extend((_aware(day, s), _aware(day, e)) for s, e in ranges)
        day += dt.timedelta(days=1)
    return _merge(intervals)


def status_at(intervals: list[Interval], *, now: dt.datetime) -> Status:
    """Open now or not, until when, and the next opening, from merged intervals."""
    for start, end in intervals:
        if start <= now < end:
            following = next((s for s, _e in intervals if s > end), None)
            return Status(is_open=True, until=end, next_opening=following)
        if start > now:
            return Status(is_open=False, until=None, next_opening=start)
    return Status(is_open=False, until=None, next_opening=None)


def _window(now: dt.datetime) -> tuple[dt.date, dt.date]:
    today = now.astimezone(TZ).date()
    return today, today + dt.timedelta(days=LOOKAHEAD_DAYS)


def channel_statuses(*, now: dt.datetime | None = None, channels=None) -> list[tuple[Channel, Status]]:
    """Every shown channel with its status. A fixed number of queries whatever the number of channels."""
    now = now or timezone.now()
    start_date, end_date = _window(now)
    if channels is None:
        channels = Channel.objects.filter(is_active=True)
    channels = list(
        channels.prefetch_related(
            Prefetch("weekly_hours", queryset=WeeklyHours.objects.order_by("weekday", "start_time")),
            Prefetch("exceptions", queryset=HoursException.objects.filter(date__range=(start_date, end_date))),
        )
    )
    closed = booking_selectors.closed_dates(start_date, end_date)
    result = []
    for channel in channels:
        override = extensions.status_override(channel.kind, now=now)  # hours/extensions.py
        if override is not None:
            result.append((channel, override))
            continue
        if channel.always_open:
            result.append((channel, Status(is_open=True, until=None, next_opening=None, always_open=True)))
            continue
        exceptions: dict[dt.date, list] = defaultdict(list)
        for exc in channel.exceptions.all():
            exceptions[exc.date].append(None if exc.is_closed else (exc.start_time, exc.end_time))
        intervals = open_intervals(
            rules=channel.weekly_hours.all(),
            start_date=start_date,
            end_date=end_date,
            closed=closed if channel.closed_on_holidays else set(),
            exceptions=exceptions,
        )
        result.append((channel, status_at(intervals, now=now)))
    return result


def channel_intervals(*, channel: Channel, start_date: dt.date, end_date: dt.date) -> list[Interval]:
    """One channel's merged opening intervals on the local dates [start_date, end_date] (its
    weekly hours, holidays and exceptions; not the extensions' override). The drop-in chat plans
    its duty shifts on these."""
    closed = booking_selectors.closed_dates(start_date, end_date) if channel.closed_on_holidays else set()
    exceptions: dict[dt.date, list] = defaultdict(list)
    for exc in channel.exceptions.filter(date__range=(start_date, end_date)):
        exceptions[exc.date].append(None if exc.is_closed else (exc.start_time, exc.end_time))
    return open_intervals(
        rules=channel.weekly_hours.all(), start_date=start_date, end_date=end_date, closed=closed, exceptions=exceptions
    )


def channel_status(*, channel: Channel, now: dt.datetime | None = None) -> Status:
    return channel_statuses(now=now, channels=Channel.objects.filter(pk=channel.pk))[0][1]


@dataclass(frozen=True)
class ServiceStatus:
    service: Service
    status: Status  # when workers of the service are on duty
    next_free: booking_selectors.Slot | None


def service_statuses(*, now: dt.datetime | None = None, services=None) -> list[ServiceStatus]:
    """Each active appointment-chat service: on duty now or not, and its next free time."""
    now = now or timezone.now()
    start_date, end_date = _window(now)
    if services is None:
        services = Service.objects.filter(is_active=True)
    services = list(services)
    closed = booking_selectors.closed_dates(start_date, end_date)
    rules_by_service: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for rule in Availability.objects.filter(
        service__in=services, worker__is_active=True, worker__services=F("service")
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start_date)):
        rules_by_service[rule.service_id][rule.worker_id].append(rule)
    worker_ids = {w for per_worker in rules_by_service.values() for w in per_worker}
    time_off: dict[int, list[Interval]] = defaultdict(list)
    window_start, window_end = _aware(start_date, dt.time.min), _aware(end_date + dt.timedelta(days=1), dt.time.min)
    for w_id, s, e in AvailabilityException.objects.filter(
        worker_id__in=worker_ids, start__lt=window_end, end__gt=window_start
    ).values_list("worker_id", "start", "end"):
        time_off[w_id].append((s, e))

    result = []
    for service in services:
        on_duty: list[Interval] = []
        for w_id, rules in rules_by_service[service.pk].items():
            worker_hours = open_intervals(rules=rules, start_date=start_date, end_date=end_date, closed=closed)
            on_duty.extend(_subtract(worker_hours, time_off[w_id]))
        status = status_at(_merge(on_duty), now=now)
        result.append(ServiceStatus(service=service, status=status, next_free=next_free_slot(service=service, now=now)))
    return result


def next_free_slot(*, service: Service, now: dt.datetime | None = None) -> booking_selectors.Slot | None:
    """The first free appointment within the service's horizon, looking one week at a time."""
    now = now or timezone.now()
    day = now.astimezone(TZ).date()
    last = day + dt.timedelta(days=service.horizon_days)
    while day <= last:
        slots = booking_selectors.free_slots(service=service, start_date=day, end_date=day + dt.timedelta(days=6), now=now)
        if slots:
            return slots[0]
        day += dt.timedelta(days=7)
    return None


def public_status(*, now: dt.datetime | None = None, base_url: str = "") -> dict:
    """The public status document (docs/api.md, "Status"), in the active language."""
    now = now or timezone.now()

    def iso(value: dt.datetime | None) -> str | None:
        return value.astimezone(TZ).isoformat() if value else None

    channels = []
    for channel, status in channel_statuses(now=now):
        entry = {
            "slug": channel.slug,
            "kind": channel.kind,
            "name": channel.label,
            "url": channel.url or None,
            "open": status.is_open,
            "always_open": status.always_open,
            "until": iso(status.until),
            "next_opening": iso(status.next_opening),
            "text": status.text(now=now),
        }
        # Fields the channel's own app adds (the drop-in chat's queue): only added, never replacing.
        for key, value in extensions.channel_fields(channel.kind, now=now).items():
            entry.setdefault(key, value)
        channels.append(entry)
    services = []
    for item in service_statuses(now=now):
        service, status, slot = item.service, item.status, item.next_free
        services.append(
            {
                "slug": service.slug,
                "kind": "appointment_chat",
                "name": service.title,
                "audience": service.audience,
                "audience_label": audience_label(service.audience),
                "url": base_url + reverse("booking:week", args=[service.slug]),
                "open": status.is_open,
                "until": iso(status.until),
                "next_opening": iso(status.next_opening),
                "next_free": iso(slot.start) if slot else None,
                "text": (
                    _("Next free time %(when)s") % {"when": when(slot.start, now=now, say_today=True)}
                    if slot
                    else _("No free times at the moment")
                ),
            }
        )
    return {"generated_at": iso(now), "timezone": settings.TIME_ZONE, "channels": channels, "services": services}


def audience_label(value: str) -> str:
    """The translated label of a known audience; a free-text audience is shown as it is."""
    return str(dict(Service.Audience.choices).get(value, value))
