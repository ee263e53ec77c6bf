"""A letter is taken by exactly one person, and an answer approved once, whatever the number of
people pressing the button at the same moment: real threads, each with its own connection, on
PostgreSQL (CI sets DATABASE_URL)."""

import threading

import pytest
from django.db import connection
from django.test import Client

from letters import services
from letters.models import Letter, Thread
from staff.models import AuditEntry, User
from tests.conftest import staff_actor, staff_login

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PEOPLE = 12


def race(fn, n):
    barrier = threading.Barrier(n)
    results, lock = [], threading.Lock()

    def run(i):
        try:
            barrier.wait()
            outcome = ("ok", fn(i))
        except services.LetterError as exc:
            outcome = ("refused", exc.code)
        except Exception as exc:  # noqa: BLE001 - anything else fails the test
            outcome = ("crash", repr(exc))
        finally:
            connection.close()
        with lock:
            results.append((i, *outcome))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_twelve_people_take_one_letter_at_once_and_one_gets_it(write_letter, make_worker):
    thread, _ = write_letter()
    people = [make_worker(f"P{i}", role=User.Role.VOLUNTEER if i % 2 else User.Role.WORKER) for i in range(PEOPLE)]

    results = race(lambda i: services.take(actor=staff_actor(people[i]), thread=Thread.objects.get(pk=thread.pk)).taken_by_id, PEOPLE)

    assert sorted(r[1] for r in results) == ["ok"] + ["refused"] * (PEOPLE - 1), results
    assert {r[2] for r in results if r[1] == "refused"} == {"taken"}
    winner = next(i for i, outcome, _ in results if outcome == "ok")
    assert Thread.objects.get(pk=thread.pk).taken_by_id == people[winner].pk


def test_many_takes_through_the_staff_page_give_one_taker(write_letter, make_worker):
    thread, _ = write_letter()
    people = [make_worker(f"S{i}") for i in range(8)]
    clients = [staff_login(Client(), person) for person in people]

    def press(i):
        response = clients[i].post(f"/staff/letters/{thread.pk}/", {"action": "take"})
        return response["Location"]

    results = race(press, len(people))

    assert all(r[1] == "ok" for r in results), results
    taker = Thread.objects.get(pk=thread.pk).taken_by_id
    winners = [i for i, _, location in results if location == f"/staff/letters/{thread.pk}/"]
    assert len(winners) == 1 and people[winners[0]].pk == taker
    assert sum(1 for r in results if r[2] == "/staff/letters/") == len(people) - 1


def test_two_reviewers_approve_at_once_and_the_answer_is_sent_once(write_letter, make_worker):
    thread, _ = write_letter()
    volunteer = make_worker("Veera", role=User.Role.VOLUNTEER)
    services.take(actor=staff_actor(volunteer), thread=thread)
    letter = services.answer_send(actor=staff_actor(volunteer), thread=thread, text="vastaus")
    reviewers = [make_worker(f"R{i}", role=User.Role.COORDINATOR if i % 2 else User.Role.WORKER) for i in range(6)]

    results = race(lambda i: services.answer_approve(actor=staff_actor(reviewers[i]), letter=Letter.objects.get(pk=letter.pk)).pk, 6)

    assert sorted(r[1] for r in results) == ["ok"] + ["refused"] * 5, results
    assert {r[2] for r in results if r[1] == "refused"} == {"not_in_review"}
    assert Letter.objects.filter(thread=thread, author="helpline", state="sent").count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LETTER_APPROVE).count() == 1


def test_a_follow_up_and_a_close_at_once_leave_one_consistent_state(answered):
    thread, code = answered

    def act(i):
        if i == 0:
            return services.parent_reply(actor=services.Actor.parent("a"), thread=thread, text="jatko").pk
        return services.parent_close(actor=services.Actor.parent("b"), thread=thread).status

    results = race(act, 2)
    assert not [r for r in results if r[1] == "crash"], results
    thread.refresh_from_db()
    follow_up = Letter.objects.filter(thread=thread, author="parent").count() == 2
    # Either the follow-up came first (then the close closed it) or the close did (then no follow-up).
    assert thread.status == Thread.Status.CLOSED and thread.delete_after is not None
    assert follow_up == any(r[0] == 0 and r[1] == "ok" for r in results)
