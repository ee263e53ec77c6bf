"""Days that the tests can book on whatever the date they run: no public holiday, no closed day.

The booking pages give no time on a Finnish public holiday (booking.selectors.closed_dates), so a test
that counts days from today must step over them, or it fails on the days before Independence Day,
Christmas, Easter and the rest.
"""
import datetime as dt

from booking import selectors


def open_day(day: dt.date, *, weekdays=range(7), step: int = 1) -> dt.date:
    """The first of ``day``, ``day + step``, ``day + 2 * step``… that is open and one of ``weekdays``."""
    while day.weekday() not in weekdays or selectors.closed_dates(day, day):
        day += dt.timedelta(days=step)
    return day
