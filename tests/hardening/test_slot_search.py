"""The free-time search stays right and cheap: busy times, buffers and time off are honoured after the
bisect/epoch rewrite, and the number of SQL queries does not grow with workers or weeks."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking import codes
from booking.models import AvailabilityException, Booking
from booking.selectors import free_slots
from tests.conftest import local

NOW = local(2026, 3, 1, 8)  # a Sunday


def _book(service, worker, start):
    return Booking.objects.create(service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45),
                                  nickname="x", code_hash=codes.hash_code(codes.generate()))


def _starts(service, day, **kw):
    return [s.start for s in free_slots(service=service, start_date=day, end_date=day, now=NOW, **kw)]


def test_a_booking_hides_its_slot_and_the_buffer_but_not_the_neighbours(service, worker):
    day = dt.date(2026, 3, 2)
    assert _starts(service, day) == [local(2026, 3, 2, 10), local(2026, 3, 2, 11), local(2026, 3, 2, 12)]
    _book(service, worker, local(2026, 3, 2, 11))
    assert _starts(service, day) == [local(2026, 3, 2, 10), local(2026, 3, 2, 12)]


def test_an_off_grid_booking_with_the_buffer_blocks_both_slots_it_touches(service, worker):
    _book(service, worker, local(2026, 3, 2, 10, 30))  # 10:30–11:15, busy 10:15–11:30 with the buffer
    assert _starts(service, dt.date(2026, 3, 2)) == [local(2026, 3, 2, 12)]


def test_time_off_removes_the_slots_it_covers(service, worker):
    AvailabilityException.objects.create(worker=worker, start=local(2026, 3, 2, 9), end=local(2026, 3, 2, 11, 1))
    assert _starts(service, dt.date(2026, 3, 2)) == [local(2026, 3, 2, 12)]


def test_overlapping_busy_times_merge_without_losing_any(service, worker):
    AvailabilityException.objects.create(worker=worker, start=local(2026, 3, 2, 9), end=local(2026, 3, 2, 10, 30))
    AvailabilityException.objects.create(worker=worker, start=local(2026, 3, 2, 10), end=local(2026, 3, 2, 10, 15))
    _book(service, worker, local(2026, 3, 2, 12))
    assert _starts(service, dt.date(2026, 3, 2)) == [local(2026, 3, 2, 11)]


def test_a_cancelled_booking_frees_its_time(service, worker):
    b = _book(service, worker, local(2026, 3, 2, 11))
    b.status = Booking.Status.CANCELLED
    b.save()
    assert local(2026, 3, 2, 11) in _starts(service, dt.date(2026, 3, 2))


def test_query_count_does_not_grow_with_workers_or_weeks(service, make_worker, add_availability):
    def queries(n_weeks):
        with CaptureQueriesContext(connection) as ctx:
            free_slots(service=service, start_date=dt.date(2026, 3, 2), end_date=dt.date(2026, 3, 2) + dt.timedelta(weeks=n_weeks), now=NOW)
        return len(ctx.captured_queries)

    w = make_worker()
    for d in range(5):
        add_availability(w, service, d)
    _book(service, w, local(2026, 3, 3, 10))
    small = queries(1)
    for _ in range(10):
        extra = make_worker()
        for d in range(5):
            add_availability(extra, service, d)
        _book(service, extra, local(2026, 3, 4, 11))
    assert queries(8) == small <= 10
