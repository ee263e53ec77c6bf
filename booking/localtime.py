"""Local time, in one place: the service lives in Europe/Helsinki; times are stored in UTC.

- ``local_datetime(day, time)``: the instant of a Helsinki wall-clock time, or None for a time that
  does not exist (the missing hour at the spring switch is skipped, never shifted).
- ``day_bounds(day)``: the first instant of a local day and of the next (23, 24 or 25 hours apart).
- ``parse_date`` / ``parse_instant``: the only way a date or a time from outside (a query string, a
  form, a JSON body, a socket frame) becomes a value. Each accepts only what the calendar can hold
  and the service can use, and raises ``TimeInputError`` with a clear message otherwise: year 1,
  year 9999, an offset of ±14:00 at the ends of the range or a time without an offset never reach
  arithmetic that would overflow.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TZ = ZoneInfo(settings.TIME_ZONE)

# What any date from outside may be, before a narrower rule (a service's horizon) applies. Wide
# enough for every real use (statistics back to the service's start, calendars years ahead).
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


class TimeInputError(ValueError):
    """A date or time from outside that cannot be used. ``message`` is for people."""

    MESSAGES = {
        "invalid_date": _("Give the date as YYYY-MM-DD."),
        "invalid_time": _("Give the time as ISO 8601 with an offset."),
        "no_offset": _("Give the time as ISO 8601 with an offset."),
        "out_of_range": _("This date is outside the calendar the service keeps."),
        "beyond_horizon": _("This time is outside the booking period."),
    }

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self.MESSAGES.get(self.code, self.code))


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    return timezone.now().astimezone(TZ).date()


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


def local_datetime(day: dt.date, time: dt.time) -> dt.datetime | None:
    """The aware instant of a wall-clock time in Helsinki; None if that time does not exist (DST gap)."""
    naive = dt.datetime.combine(day, time)
    aware = naive.replace(tzinfo=TZ)
    # A time in the spring-forward gap does not survive a round trip through UTC.
    if aware.astimezone(dt.UTC).astimezone(TZ).replace(tzinfo=None) != naive:
        return None
    return aware


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of a local day (midnight always exists in Helsinki)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=TZ)


def day_bounds(day: dt.date, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of ``days`` local days from ``day``: aware instants, DST-correct."""
    return day_start(day), day_start(day + dt.timedelta(days=days))


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_start(moment: dt.datetime) -> dt.date:
    return local_date(moment).replace(day=1)


def _in_range(day: dt.date, earliest: dt.date | None, latest: dt.date | None) -> dt.date:
    if day < (earliest or EARLIEST_DATE) or day > (latest or LATEST_DATE):
        raise TimeInputError("out_of_range")
    return day


def parse_date(value, *, earliest: dt.date | None = None, latest: dt.date | None = None) -> dt.date:
    """A YYYY-MM-DD date from outside, within [earliest, latest] (default: the service's calendar)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _in_range(value, earliest, latest)
    if not isinstance(value, str) or len(value) > 32:
        raise TimeInputError("invalid_date")
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise TimeInputError("invalid_date") from None
    return _in_range(day, earliest, latest)


def parse_date_or(value, default: dt.date, **bounds) -> dt.date:
    """For navigation (``?week=``): a missing value is the default; a bad one still raises."""
    if value in (None, ""):
        return default
    return parse_date(value, **bounds)


def parse_instant(value, *, require_offset: bool = True) -> dt.datetime:
    """An ISO 8601 time from outside as an aware UTC datetime.

    Refuses a time without an offset (when ``require_offset``; a naive one is otherwise read as
    Helsinki time), and any time whose local or UTC date falls outside the service's calendar, so
    that no later arithmetic (a slot's end, a day's bounds) can overflow.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        if not isinstance(value, str) or len(value) > 64:
            raise TimeInputError("invalid_time")
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise TimeInputError("invalid_time") from None
    if parsed.tzinfo is None:
        if require_offset:
            raise TimeInputError("no_offset")
        if not EARLIEST_DATE <= parsed.date() <= LATEST_DATE:
            raise TimeInputError("out_of_range")
        parsed = parsed.replace(tzinfo=TZ)
        # A naive wall time in the spring gap does not exist: refuse rather than guess.
        if local_datetime(parsed.date(), parsed.time().replace(tzinfo=None)) is None:
            raise TimeInputError("invalid_time")
    if not EARLIEST_DATE <= parsed.date() <= LATEST_DATE:
        raise TimeInputError("out_of_range")
    try:
        instant = parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise TimeInputError("out_of_range") from None
    if not EARLIEST_DATE <= instant.date() <= LATEST_DATE:
        raise TimeInputError("out_of_range")
    return instant
