"""Many people booking the same time at once on PostgreSQL: exactly one wins, the rest are told the
time was just taken. Runs real threads, each with its own database connection."""

import datetime as dt
import threading

import pytest
from django.db import connection

from booking import services
from booking.models import Booking
from tests.conftest import TZ, SYSTEM
from tests.dates import open_day

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def next_monday(hour, plus_days=0):
    """``hour`` on the Monday (+ ``plus_days``) of the first week from next on when that day is open."""
    today = dt.datetime.now(TZ).date()
    day = today + dt.timedelta(days=7 - today.weekday() + plus_days)
    day = open_day(day, weekdays=(day.weekday(),), step=7)  # not Easter Monday, not Boxing Day...
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def _race(fn, n=THREADS):
    barrier = threading.Barrier(n)
    results = []
    lock = threading.Lock()

    def run(i):
        try:
            barrier.wait()
            outcome = ("ok", fn(i))
        except services.BookingError as exc:
            outcome = ("refused", exc.code)
        except Exception as exc:  # noqa: BLE001 - any other error is a failure of the test
            outcome = ("crash", repr(exc))
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_bookings_of_one_slot_give_exactly_one_booking(service, worker):
    start = next_monday(10)

    results = _race(lambda i: services.booking_create(actor=SYSTEM, service=service, worker=worker, start=start, nickname=f"p{i}"))

    assert sorted(r[0] for r in results) == ["ok"] + ["refused"] * (THREADS - 1)
    assert {r[1] for r in results if r[0] == "refused"} == {"slot_taken"}
    assert Booking.objects.filter(worker=worker, start=start).count() == 1


def test_concurrent_any_worker_bookings_fill_each_worker_once(service, worker, make_worker, add_availability):
    other = make_worker("Sanna")
    for weekday in range(5):
        add_availability(other, service, weekday)
    start = next_monday(11)

    results = _race(lambda i: services.booking_create(actor=SYSTEM, service=service, start=start, nickname=f"p{i}"), n=8)

    assert sorted(r[0] for r in results) == ["ok", "ok"] + ["refused"] * 6
    assert {r[1] for r in results if r[0] == "refused"} == {"slot_taken"}
    assert sorted(Booking.objects.filter(start=start).values_list("worker_id", flat=True)) == sorted([worker.pk, other.pk])


def test_concurrent_api_requests_for_one_slot_give_one_201_and_clean_409s(service, worker):
    from django.test import Client

    start = next_monday(10, plus_days=1)
    body = {"service": service.slug, "worker": worker.public_id, "start": start.isoformat(), "nickname": "x"}

    def post(i):
        # Twelve parents, each from their own address (one client's own allowance is tested below).
        return Client(REMOTE_ADDR=f"10.0.0.{i + 1}").post("/api/v1/bookings/", body, content_type="application/json").status_code

    barrier = threading.Barrier(12)
    statuses = []

    def run(i):
        barrier.wait()
        try:
            statuses.append(post(i))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 11
    assert Booking.objects.filter(worker=worker, start=start + dt.timedelta(0)).count() == 1


def test_one_client_racing_itself_gets_at_most_its_allowance(service, worker, add_availability, settings):
    """The booking allowance is one atomic consume: twelve requests of one client at the same moment,
    for twelve different times, book at most BOOKINGS_PER_CLIENT_PER_HOUR; the rest get 429."""
    from django.test import Client

    add_availability(worker, service, 1, "08:00", "20:00")
    settings.BOOKINGS_PER_CLIENT_PER_HOUR = 3
    day = next_monday(8, plus_days=1)
    starts = [day + dt.timedelta(hours=h) for h in range(12)]
    barrier = threading.Barrier(12)
    statuses = []

    def run(i):
        barrier.wait()
        try:
            body = {"service": service.slug, "worker": worker.public_id, "start": starts[i].isoformat(), "nickname": "x"}
            statuses.append(Client().post("/api/v1/bookings/", body, content_type="application/json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(201) <= 3 and set(statuses) <= {201, 409, 429}, statuses
    assert Booking.objects.filter(worker=worker).count() == statuses.count(201)
