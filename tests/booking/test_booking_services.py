"""Booking, follow-up and cancellation rules, and the one-time codes."""

import datetime as dt
import math
import threading

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction

from booking import codes, selectors, services
from booking.models import Booking
from tests.conftest import local, SYSTEM, PARENT

NOW = local(2026, 11, 16, 8, 0)
SLOT = local(2026, 11, 23, 10, 0)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=True)


def test_code_has_enough_entropy_and_is_easy_to_read():
    code = codes.generate()
    assert codes.ENTROPY_BITS >= 50
    assert len(code) == 14 and code[4] == code[9] == "-"
    assert not set(code.replace("-", "")) & set("0O1IL")


def test_code_is_accepted_however_it_is_typed_and_only_its_hash_is_stored(service, worker):
    new = services.booking_create(actor=SYSTEM, service=service, start=SLOT, nickname="Väsynyt äiti")
    stored = Booking.objects.get(pk=new.booking.pk)
    assert new.code.replace("-", "") not in str(stored.__dict__)
    assert len(stored.code_hash) == 64
    typed = " " + new.code.lower().replace("-", " ") + " "
    assert selectors.booking_by_code(typed) == stored
    assert selectors.booking_by_code(new.code[:-1] + ("A" if new.code[-1] != "A" else "B")) is None


def test_any_worker_booking_picks_a_free_worker(service, worker, make_worker, add_availability):
    other = make_worker("Sanna")
    add_availability(other, service, 0)
    first = services.booking_create(actor=SYSTEM, service=service, start=SLOT, nickname="A")
    second = services.booking_create(actor=SYSTEM, service=service, start=SLOT, nickname="B")
    assert {first.booking.worker, second.booking.worker} == {worker, other}
    with pytest.raises(services.BookingError) as exc:
        services.booking_create(actor=SYSTEM, service=service, start=SLOT, nickname="C")
    assert exc.value.code == "slot_taken"
    assert exc.value.alternatives, "the refusal offers the nearest free times"
    assert Booking.objects.count() == 2


def test_time_outside_availability_is_not_available(service, worker):
    with pytest.raises(services.BookingError) as exc:
        services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 15), worker=worker, nickname="A")
    assert exc.value.code == "not_available"
    assert not Booking.objects.exists()


@pytest.mark.parametrize("nickname", ["", "   ", "x" * 41, "\x00\x01"])
def test_bad_nickname_is_refused_and_nothing_is_stored(service, worker, nickname):
    with pytest.raises(services.BookingError) as exc:
        services.booking_create(actor=SYSTEM, service=service, start=SLOT, nickname=nickname)
    assert exc.value.code == "invalid_nickname"
    assert not Booking.objects.exists()


def test_database_refuses_a_second_booking_of_the_same_worker_and_start(service, worker):
    Booking.objects.create(service=service, worker=worker, start=SLOT, end=SLOT + dt.timedelta(minutes=45), code_hash="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(service=service, worker=worker, start=SLOT, end=SLOT + dt.timedelta(minutes=45), code_hash="b")


def test_follow_up_is_with_the_same_worker_and_linked(service, worker, make_worker, add_availability):
    other = make_worker("Sanna")
    add_availability(other, service, 0)
    first = services.booking_create(actor=SYSTEM, service=service, start=SLOT, worker=worker, nickname="Isä")
    follow = services.followup_create(actor=SYSTEM, previous=first.booking, start=local(2026, 11, 30, 11))
    assert follow.booking.worker == worker
    assert follow.booking.follow_up_of == first.booking
    assert follow.booking.nickname == "Isä"
    assert follow.code != first.code
    with pytest.raises(services.BookingError) as exc:
        services.booking_create(actor=SYSTEM, 
            service=service, start=local(2026, 11, 30, 10), worker=other, nickname="Isä", follow_up_of=first.booking
        )
    assert exc.value.code == "follow_up_other_worker"


def test_parent_cancels_before_the_start_and_the_time_is_free_again(service, worker):
    new = services.booking_create(actor=SYSTEM, service=service, start=SLOT, worker=worker, nickname="A")
    services.booking_cancel(actor=PARENT, booking=new.booking)
    assert Booking.objects.get().status == Booking.Status.CANCELLED
    assert selectors.slot_is_free(service=service, worker=worker, start=SLOT)
    again = services.booking_create(actor=SYSTEM, service=service, start=SLOT, worker=worker, nickname="B")
    assert again.booking.status == Booking.Status.BOOKED
    with pytest.raises(services.BookingError):
        services.booking_cancel(actor=PARENT, booking=new.booking)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_slot_make_exactly_one_booking(service, worker):
    assert connection.vendor == "postgresql"
    threads_n = 16
    barrier = threading.Barrier(threads_n)
    results = []

    def attempt(i):
        try:
            barrier.wait()
            new = services.booking_create(actor=SYSTEM, service=service, start=SLOT, worker=worker, nickname=f"P{i}")
            results.append(("ok", new.booking.pk))
        except services.BookingError as exc:
            results.append((exc.code, None))
        except Exception as exc:  # anything else is a bug: record it
            results.append((repr(exc), None))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    outcomes = sorted(r[0] for r in results)
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("slot_taken") == threads_n - 1, outcomes
    assert Booking.objects.filter(worker=worker, start=SLOT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_on_the_embedded_database_make_one_booking(service, worker):
    """The same guarantee on the SQLite default (IMMEDIATE transactions), or on PostgreSQL in CI."""
    results = []
    barrier = threading.Barrier(6)

    def attempt(i):
        try:
            barrier.wait()
            services.booking_create(actor=SYSTEM, service=service, start=SLOT, worker=worker, nickname=f"P{i}")
            results.append("ok")
        except services.BookingError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["ok"] + ["slot_taken"] * 5
    assert Booking.objects.count() == 1


def test_brute_force_numbers():
    """At the enforced rate a guesser cannot hope to hit a live code."""
    space = len(codes.ALPHABET) ** codes.LENGTH
    assert math.log2(space) == pytest.approx(codes.ENTROPY_BITS)
    assert space > 2**58
