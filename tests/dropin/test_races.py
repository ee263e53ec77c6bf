"""Queue races on PostgreSQL: 50 people on duty pressing "take the next parent" at once. No parent
is taken twice, nobody goes over their capacity, and nobody waits while someone could take them."""

import random
import threading
from collections import Counter

import pytest
from django.db import connection

from dropin import services
from dropin.models import Contact
from dropin.services import DropinError
from tests.dropin.conftest import actor, enter

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def race(callables):
    """Run every callable in its own thread, all released at once; returns their results."""
    barrier = threading.Barrier(len(callables))
    results = [None] * len(callables)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(callables)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def take_until_refused(user):
    def fn():
        taken, refusals = [], []
        while True:
            try:
                taken.append(services.take_next(actor=actor(user)).pk)
            except DropinError as exc:
                refusals.append(exc.code)
                return taken, refusals

    return fn


@pytest.mark.parametrize("parents", [60, 150])
def test_fifty_takers_at_once_never_take_a_parent_twice_or_go_over_capacity(always_open, volunteer, on_duty, parents):
    rng = random.Random(parents)
    people = [(volunteer(f"V{i}"), rng.randint(1, 3)) for i in range(50)]
    on_duty(people)
    capacity = {user.pk: cap for user, cap in people}
    seats = sum(capacity.values())
    enter(parents)

    results = race([take_until_refused(user) for user, _cap in people])

    got = [pk for taken, _refusals in results for pk in taken]
    assert len(got) == len(set(got)), "a parent was handed to two people"
    assert len(got) == min(parents, seats)  # nobody waits while someone could take them
    per_taker = Counter(Contact.objects.filter(state=Contact.State.TAKEN).values_list("taken_by_id", flat=True))
    assert all(per_taker[uid] <= capacity[uid] for uid in per_taker), "someone went over capacity"
    assert sum(per_taker.values()) == len(got)
    # What each taker was told matches the database.
    for (user, _cap), (taken, _refusals) in zip(people, results):
        assert sorted(taken) == sorted(Contact.objects.filter(taken_by=user).values_list("pk", flat=True))
    assert Contact.objects.filter(state=Contact.State.WAITING).count() == max(0, parents - seats)
    # The first in the queue were taken first.
    assert set(got) == set(Contact.objects.order_by("pk").values_list("pk", flat=True)[: len(got)])


def test_one_person_pressing_fifty_times_at_once_stays_within_capacity(always_open, volunteer, on_duty):
    helper = volunteer()
    on_duty([(helper, 2)])
    enter(10)
    results = race([lambda: _take_once(helper) for _ in range(50)])
    assert sorted(r for r in results if r != "refused").__len__() == 2
    assert Contact.objects.filter(taken_by=helper, state=Contact.State.TAKEN).count() == 2


def _take_once(user):
    try:
        return services.take_next(actor=actor(user)).pk
    except DropinError:
        return "refused"


def test_a_hand_over_and_takes_to_the_same_person_at_once_stay_within_capacity(always_open, volunteer, on_duty, coordinator):
    first, receiver = volunteer("Eka"), volunteer("Vastaanottaja")
    on_duty([(first, 3), (receiver, 1)])
    enter(6)
    handed = [services.take_next(actor=actor(first)) for _ in range(3)]
    from django.contrib.auth import get_user_model

    def hand(contact):
        def fn():
            try:
                services.hand_over(actor=actor(coordinator), contact=Contact.objects.get(pk=contact.pk),
                                   to_user=get_user_model().objects.get(pk=receiver.pk))
                return "handed"
            except DropinError:
                return "refused"

        return fn

    race([hand(c) for c in handed] + [lambda: _take_once(receiver) for _ in range(5)])
    assert Contact.objects.filter(taken_by=receiver, state=Contact.State.TAKEN).count() == 1
