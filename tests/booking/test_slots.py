"""Free-slot computation: weekly availability − closed days − time off − bookings, in Helsinki time."""

import datetime as dt

import pytest

from booking import selectors
from booking.models import AvailabilityException, Booking, ClosedDay
from tests.conftest import local

pytestmark = pytest.mark.django_db

# A Monday well in the future relative to the pinned "now" used below.
NOW = local(2026, 11, 16, 8, 0)  # Monday 16 Nov 2026, 08:00 Helsinki


def starts(slots):
    return [s.start.astimezone(selectors.TZ).strftime("%a %H:%M") for s in slots]


def test_weekly_availability_gives_slots_on_the_local_grid(service, worker):
    slots = selectors.free_slots(service=service, start_date=dt.date(2026, 11, 23), end_date=dt.date(2026, 11, 23), now=NOW)
    # 10–13 with 45 min slots and 15 min buffer: 10:00, 11:00, 12:00.
    assert starts(slots) == ["Mon 10:00", "Mon 11:00", "Mon 12:00"]
    assert all(s.end - s.start == dt.timedelta(minutes=45) for s in slots)
    assert slots[0].as_json()["start"] == "2026-11-23T10:00:00+02:00"
    assert slots[0].as_json()["worker"] == {"id": worker.public_id, "pseudonym": "Tuija"}


def test_bookings_and_their_buffer_are_not_free(service, worker):
    Booking.objects.create(
        service=service, worker=worker, start=local(2026, 11, 23, 11), end=local(2026, 11, 23, 11, 45), code_hash="x"
    )
    slots = selectors.free_slots(service=service, start_date=dt.date(2026, 11, 23), end_date=dt.date(2026, 11, 23), now=NOW)
    assert starts(slots) == ["Mon 10:00", "Mon 12:00"]


def test_cancelled_booking_frees_the_slot_again(service, worker):
    Booking.objects.create(
        service=service, worker=worker, start=local(2026, 11, 23, 11), end=local(2026, 11, 23, 11, 45),
        code_hash="x", status=Booking.Status.CANCELLED,
    )
    slots = selectors.free_slots(service=service, start_date=dt.date(2026, 11, 23), end_date=dt.date(2026, 11, 23), now=NOW)
    assert "Mon 11:00" in starts(slots)


def test_time_off_removes_overlapping_slots(service, worker):
    AvailabilityException.objects.create(worker=worker, start=local(2026, 11, 23, 10, 30), end=local(2026, 11, 23, 11, 10))
    slots = selectors.free_slots(service=service, start_date=dt.date(2026, 11, 23), end_date=dt.date(2026, 11, 23), now=NOW)
    assert starts(slots) == ["Mon 12:00"]


def test_public_holidays_and_closed_days_have_no_slots(service, worker):
    # Independence Day, Sun 6 Dec 2026 is a Sunday; use Christmas Eve Thu 24 Dec 2026 and an added closed day.
    ClosedDay.objects.create(date=dt.date(2026, 11, 24), name="Training day")
    days = selectors.free_slots(service=service, start_date=dt.date(2026, 11, 23), end_date=dt.date(2026, 12, 25), now=NOW)
    dates = {s.start.astimezone(selectors.TZ).date() for s in days}
    assert dt.date(2026, 11, 23) in dates
    assert dt.date(2026, 11, 24) not in dates  # closed day added by an admin
    assert dt.date(2026, 12, 24) not in dates  # jouluaatto
    assert dt.date(2026, 12, 25) not in dates  # joulupäivä


def test_minimum_notice_and_horizon(service, worker):
    service.min_notice_minutes = 120
    service.horizon_days = 7
    service.save()
    now = local(2026, 11, 23, 9, 30)
    slots = selectors.free_slots(service=service, start_date=dt.date(2026, 11, 23), end_date=dt.date(2026, 12, 31), now=now)
    assert slots[0].start == local(2026, 11, 23, 12)  # 10:00 and 11:00 are within 2 h notice
    assert max(s.start for s in slots) <= now + dt.timedelta(days=7)


def test_max_appointments_per_worker_per_day(service, worker):
    service.max_per_worker_per_day = 1
    service.save()
    Booking.objects.create(
        service=service, worker=worker, start=local(2026, 11, 23, 10), end=local(2026, 11, 23, 10, 45), code_hash="x"
    )
    slots = selectors.free_slots(service=service, start_date=dt.date(2026, 11, 23), end_date=dt.date(2026, 11, 24), now=NOW)
    assert [s.start.date() for s in slots] == [dt.date(2026, 11, 24)] * 3


def test_worker_filter_and_any_worker(service, worker, make_worker, add_availability):
    other = make_worker("Sanna")
    add_availability(other, service, 0, "10:00", "11:00")
    day = dt.date(2026, 11, 23)
    both = selectors.free_slots(service=service, start_date=day, end_date=day, now=NOW)
    assert sorted({s.worker_pseudonym for s in both}) == ["Sanna", "Tuija"]
    only = selectors.free_slots(service=service, start_date=day, end_date=day, worker=other, now=NOW)
    assert [s.worker_pseudonym for s in only] == ["Sanna"]


def test_worker_not_serving_the_service_is_not_offered(service, worker):
    service.workers.remove(worker)
    assert selectors.free_slots(service=service, start_date=dt.date(2026, 11, 23), end_date=dt.date(2026, 11, 27), now=NOW) == []


@pytest.mark.parametrize(
    "day, expected_offset",
    [
        (dt.date(2026, 3, 27), "+02:00"),  # Friday before the spring change (Sun 29 Mar 2026)
        (dt.date(2026, 3, 30), "+03:00"),  # Monday after it
        (dt.date(2026, 10, 23), "+03:00"),  # Friday before the autumn change (Sun 25 Oct 2026)
        (dt.date(2026, 10, 26), "+02:00"),  # Monday after it
    ],
)
def test_slots_keep_local_wall_clock_across_dst(service, worker, day, expected_offset):
    service.horizon_days = 400
    service.save()
    now = local(2026, 3, 1, 8)
    slots = selectors.free_slots(service=service, start_date=day, end_date=day, now=now)
    assert [s.as_json()["start"][11:] for s in slots] == [f"{h}:00:00{expected_offset}" for h in ("10", "11", "12")]


def test_night_availability_over_the_spring_gap_skips_the_missing_hour(service, make_worker, add_availability):
    """On 29 Mar 2026 clocks jump 03:00 → 04:00 in Helsinki: no slot may start in the missing hour."""
    w = make_worker("Yövuoro")
    service.slot_minutes, service.buffer_minutes, service.horizon_days = 30, 0, 400
    service.save()
    add_availability(w, service, 6, "02:00", "05:00")  # Sunday night
    day = dt.date(2026, 3, 29)
    slots = selectors.free_slots(service=service, start_date=day, end_date=day, now=local(2026, 3, 1, 8))
    walls = [s.start.astimezone(selectors.TZ).strftime("%H:%M") for s in slots]
    assert walls == ["02:00", "02:30", "04:00", "04:30"]
    # Each is a real 30-minute interval in UTC.
    assert all(s.end - s.start == dt.timedelta(minutes=30) for s in slots)


def test_night_availability_over_the_autumn_repeat(service, make_worker, add_availability):
    """On 25 Oct 2026 03:00–04:00 happens twice; slots stay on the wall-clock grid, never overlapping."""
    w = make_worker("Yövuoro")
    service.slot_minutes, service.buffer_minutes, service.horizon_days = 60, 0, 400
    service.save()
    add_availability(w, service, 6, "02:00", "05:00")
    day = dt.date(2026, 10, 25)
    slots = selectors.free_slots(service=service, start_date=day, end_date=day, now=local(2026, 10, 1, 8))
    walls = [s.start.astimezone(selectors.TZ).strftime("%H:%M") for s in slots]
    assert walls == ["02:00", "03:00", "04:00"]
    for a, b in zip(slots, slots[1:]):
        assert a.end <= b.start


def test_slot_search_makes_a_fixed_number_of_queries(service, make_worker, add_availability, django_assert_max_num_queries):
    for i in range(12):
        w = make_worker(f"W{i}")
        for weekday in range(5):
            add_availability(w, service, weekday)
    with django_assert_max_num_queries(5):
        slots = selectors.free_slots(service=service, start_date=dt.date(2026, 11, 23), end_date=dt.date(2027, 1, 17), now=NOW)
    assert len(slots) > 500
