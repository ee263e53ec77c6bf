"""Booking, follow-up and cancellation rules, and the one-time codes."""

import datetime as dt
import math
import threading

import pytest
from django.db import IntegrityError, connection, transaction

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


# --- issue 10, "one way in": the rules at the service, whichever edge calls it -----------------------
from booking import ratelimit  # noqa: E402
from booking.actors import Actor  # noqa: E402


def test_follow_up_rules_live_in_the_service(service, worker, settings):
    settings.FOLLOW_UPS_OPEN_PER_BOOKING = 2
    first = services.booking_create(actor=SYSTEM, service=service, start=SLOT, worker=worker, nickname="A").booking
    for day in (24, 25):
        services.followup_create(actor=PARENT, previous=first, start=local(2026, 11, day, 10))
    with pytest.raises(services.BookingError) as capped:
        services.followup_create(actor=PARENT, previous=first, start=local(2026, 11, 26, 10))
    assert capped.value.code == "too_many_follow_ups"
    Booking.objects.filter(pk=first.pk).update(flagged=True)
    first.refresh_from_db()
    Booking.objects.filter(follow_up_of=first).update(status=Booking.Status.CANCELLED)
    with pytest.raises(services.BookingError) as flagged:
        services.followup_create(actor=PARENT, previous=first, start=local(2026, 11, 27, 10))
    assert flagged.value.code == "follow_up_not_allowed"


def test_a_follow_up_uses_the_parents_booking_allowance(service, worker, settings):
    settings.BOOKINGS_PER_CLIENT_PER_HOUR = 1
    settings.FOLLOW_UPS_OPEN_PER_BOOKING = 5
    first = services.booking_create(actor=SYSTEM, service=service, start=SLOT, worker=worker, nickname="A").booking
    services.followup_create(actor=PARENT, previous=first, start=local(2026, 11, 24, 10))
    with pytest.raises(ratelimit.RateLimited):
        services.followup_create(actor=PARENT, previous=first, start=local(2026, 11, 25, 10))
    assert Booking.objects.filter(follow_up_of=first).count() == 1


def test_a_held_chat_allows_a_follow_up_only_until_its_code_window_closes(service, worker, time_machine):
    first = services.booking_create(actor=SYSTEM, service=service, start=SLOT, worker=worker, nickname="A").booking
    Booking.objects.filter(pk=first.pk).update(status=Booking.Status.COMPLETED)
    first.refresh_from_db()
    time_machine.move_to(first.end + dt.timedelta(minutes=5), tick=False)
    assert services.followup_create(actor=PARENT, previous=first, start=local(2026, 11, 30, 10)).booking.follow_up_of == first
    time_machine.move_to(first.end + dt.timedelta(hours=2), tick=False)
    with pytest.raises(services.BookingError) as late:
        services.followup_create(actor=PARENT, previous=first, start=local(2026, 12, 1, 10))
    assert late.value.code == "follow_up_not_allowed"


def test_staff_cannot_book_for_parents_and_parents_cannot_hand_over(service, worker, make_worker):
    from tests.conftest import staff_actor

    with pytest.raises(services.BookingError) as refused:
        services.booking_create(actor=staff_actor(worker), service=service, start=SLOT, nickname="A")
    assert refused.value.code == "forbidden"
    booking = services.booking_create(actor=SYSTEM, service=service, start=SLOT, worker=worker, nickname="A").booking
    with pytest.raises(services.BookingError):
        services.booking_hand_over(actor=PARENT, booking=booking, worker=make_worker("Sanna"))
    with pytest.raises(services.BookingError):  # a worker without the second factor in this session
        services.booking_cancel(actor=staff_actor(worker, mfa=False), booking=booking)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.BOOKED


def test_the_same_idempotency_key_books_once_and_returns_the_same_code(service, worker, make_worker, add_availability):
    add_availability(make_worker("Sanna"), service, 0)
    key = "a-random-key-of-the-form-0123456789"
    first = services.booking_create(actor=PARENT, service=service, start=SLOT, nickname="A", idempotency_key=key)
    again = services.booking_create(actor=PARENT, service=service, start=SLOT, nickname="A", idempotency_key=key)
    assert again.replayed and again.booking == first.booking and again.code == first.code
    assert Booking.objects.count() == 1
    with pytest.raises(services.BookingError) as reused:
        services.booking_create(actor=PARENT, service=service, start=local(2026, 11, 23, 11), nickname="A", idempotency_key=key)
    assert reused.value.code == "idempotency_key_reused"


def test_the_sealed_code_opens_only_with_the_clients_key(service, worker):
    key = "the-clients-own-key-0123456789"
    new = services.booking_create(actor=PARENT, service=service, start=SLOT, nickname="A", idempotency_key=key)
    stored = Booking.objects.get(pk=new.booking.pk)
    assert new.code not in stored.code_sealed and key not in stored.idempotency_hash
    assert codes.unseal(stored.code_sealed, key) == new.code
    assert codes.unseal(stored.code_sealed, key + "x") == ""
    services.forget_idempotency(now=NOW + dt.timedelta(hours=25))
    assert Booking.objects.filter(pk=stored.pk, idempotency_hash="", code_sealed="").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_code_checks_pass_the_limit_at_most_limit_times(settings):
    """The atomic consume: threads checking wrong codes for one client at the same moment."""
    calls = []
    barrier = threading.Barrier(30)

    def attempt():
        barrier.wait()
        try:
            ratelimit.check_code("one-client", lambda: calls.append(1))
        except ratelimit.RateLimited:
            pass

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(calls) <= settings.CODE_ATTEMPTS_LIMIT


def test_cancel_ends_the_chat_in_the_same_transaction(service, worker):
    from chatrooms.models import ChatSession

    booking = services.booking_create(actor=SYSTEM, service=service, start=SLOT, worker=worker, nickname="A").booking
    session = ChatSession.objects.create(booking=booking, opened_at=NOW)
    services.booking_cancel(actor=PARENT, booking=booking)
    session.refresh_from_db()
    assert session.ended_at is not None and session.ended_by == "system"


def test_a_parent_reschedules_keeping_the_code_under_the_same_limits(service, worker, settings, make_worker):
    from staff.models import User
    from tests.conftest import staff_actor

    settings.BOOKINGS_PER_CLIENT_PER_HOUR = 2
    new = services.booking_create(actor=PARENT, service=service, start=SLOT, worker=worker, nickname="A")
    moved = services.booking_move(actor=PARENT, booking=new.booking, start=local(2026, 11, 24, 11))
    assert moved.start == local(2026, 11, 24, 11) and selectors.booking_by_code(new.code) == moved
    with pytest.raises(ratelimit.RateLimited):
        services.booking_move(actor=PARENT, booking=moved, start=local(2026, 11, 25, 11))
    with pytest.raises(services.BookingError) as taken:
        services.booking_move(actor=staff_actor(make_worker("K", role=User.Role.COORDINATOR)), booking=moved, start=local(2026, 11, 24, 11))
    assert taken.value.code == "same_time"
    with pytest.raises(services.BookingError) as system:
        services.booking_move(actor=Actor.system(), booking=moved, start=local(2026, 11, 26, 11))
    assert system.value.code == "forbidden"
