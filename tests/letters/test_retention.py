"""The letter service's scheduled jobs: the thread and everything in it deleted LETTER_KEEP_DAYS
after the answer, the closing or the flag (statistics survive); the one notice, after which the
address is gone. As plain calls with the clock moved on (time-machine), and on a REAL Celery worker
taking the tasks from Redis (CI sets REDIS_URL)."""

import datetime as dt
import time

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from letters import services, tasks
from letters.models import Letter, Thread
from stats.models import ContactRecord, Topic
from tests.conftest import staff_actor, wait_for

from .conftest import PARENT


def _answered_and_recorded(write_letter, worker, **extra):
    from stats.topic_tree import seed

    seed(Topic)  # a transactional test before this one may have flushed the migration's topics
    thread, code = write_letter(**extra)
    actor = staff_actor(worker)
    services.take(actor=actor, thread=thread)
    services.answer_send(actor=actor, thread=thread, text="Vastaus, joka poistetaan aikanaan.")
    services.record_save(actor=actor, thread=thread, topics=[Topic.objects.filter(parent__isnull=False).first()])
    thread.refresh_from_db()
    return thread, code


@pytest.mark.django_db
def test_the_purge_deletes_what_is_due_when_the_clock_has_moved_on(write_letter, letter_worker, coordinator, settings):
    settings.LETTER_KEEP_DAYS = 30
    answered, answered_code = _answered_and_recorded(write_letter, letter_worker)
    closed, _ = write_letter(text="suljettu")
    services.parent_close(actor=PARENT, thread=closed)
    flagged, _ = write_letter(text="asiaton")
    services.flag(actor=staff_actor(coordinator), thread=flagged)
    waiting, waiting_code = write_letter(text="odottaa yhä")

    with time_machine.travel(timezone.now() + dt.timedelta(days=29, hours=23)):
        assert services.purge_due() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(days=30, minutes=1)):
        assert services.purge_due() == 3
        assert services.purge_due() == 0  # idempotent
    assert list(Thread.objects.all()) == [waiting]
    assert not Letter.objects.exclude(thread=waiting).exists()
    assert services.thread_by_code(answered_code) is None and services.thread_by_code(waiting_code) == waiting
    record = ContactRecord.objects.get()  # statistics survive
    assert record.source_key == f"letter:{answered.pk}" and record.topics.count() == 1


@pytest.mark.django_db
def test_a_follow_up_postpones_the_deletion_until_the_next_answer(write_letter, letter_worker, settings):
    settings.LETTER_KEEP_DAYS = 30
    thread, code = _answered_and_recorded(write_letter, letter_worker)
    with time_machine.travel(timezone.now() + dt.timedelta(days=29)):
        services.parent_reply(actor=PARENT, thread=thread, text="Vielä yksi kysymys.")
    with time_machine.travel(timezone.now() + dt.timedelta(days=45)):
        assert services.purge_due() == 0  # a waiting letter is never deleted
        services.answer_send(actor=staff_actor(letter_worker), thread=thread, text="Toinen vastaus.")
        thread.refresh_from_db()
        assert thread.delete_after == thread.answered_at + dt.timedelta(days=30)
    with time_machine.travel(timezone.now() + dt.timedelta(days=76)):
        assert services.purge_due() == 1
    assert not Thread.objects.exists()


@pytest.mark.django_db
def test_the_notice_is_sent_once_after_the_answer_and_the_address_is_deleted(write_letter, letter_worker, volunteer):
    thread, code = write_letter(notify_email="vanhempi@example.org", language="sv")
    assert services.send_due_notices() == 0  # no answer yet: nothing is sent
    services.take(actor=staff_actor(volunteer), thread=thread)
    letter = services.answer_send(actor=staff_actor(volunteer), thread=thread, text="SVARSTEXT-77")
    assert services.send_due_notices() == 0  # waiting for approval is not an answer yet
    services.answer_approve(actor=staff_actor(letter_worker), letter=letter)
    assert services.send_due_notices() == 1
    assert services.send_due_notices() == 0
    thread.refresh_from_db()
    assert thread.notify_email == "" and thread.notice_sent_at is not None
    [sent] = mail.outbox
    assert sent.to == ["vanhempi@example.org"]
    assert "/letters/read/" in sent.body and code not in sent.body and "SVARSTEXT-77" not in sent.body
    assert "svar" in sent.subject.lower()  # in the language the parent wrote in (Swedish)


@pytest.mark.django_db
def test_a_notice_that_fails_to_send_is_sent_on_the_next_run(answered, write_letter, letter_worker, monkeypatch):
    thread, _ = write_letter(notify_email="a@example.org")
    services.take(actor=staff_actor(letter_worker), thread=thread)
    services.answer_send(actor=staff_actor(letter_worker), thread=thread, text="vastaus")

    def broken(*args, **kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(services, "send_mail", broken)
    with pytest.raises(ConnectionError):
        services.send_due_notices()
    thread.refresh_from_db()
    assert thread.notify_email == "a@example.org" and thread.notice_sent_at is None
    monkeypatch.undo()
    assert services.send_due_notices() == 1
    assert Thread.objects.get(pk=thread.pk).notify_email == ""


@pytest.mark.django_db
def test_no_notice_for_a_closed_letter_and_its_address_goes(write_letter):
    thread, _ = write_letter(notify_email="a@example.org")
    Thread.objects.filter(pk=thread.pk).update(status=Thread.Status.CLOSED)  # e.g. closed by an older version
    assert services.send_due_notices() == 0
    assert Thread.objects.get().notify_email == "" and not mail.outbox


@pytest.mark.django_db
def test_the_tasks_are_scheduled(settings):
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"letters.tasks.purge_letters", "letters.tasks.send_letter_notices"} <= schedule
    assert tasks.purge_letters() == 0 and tasks.send_letter_notices() == 0  # the task bodies run as plain calls


# --- on a real Celery worker -------------------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_the_purge_on_a_real_worker_with_the_clock_moved_on(celery_worker, write_letter, letter_worker, settings):
    settings.LETTER_KEEP_DAYS = 30
    due, due_code = _answered_and_recorded(write_letter, letter_worker)
    young, _ = write_letter(text="tuore")
    services.take(actor=staff_actor(letter_worker), thread=young)
    # The young one was answered later: it is not due when the old one is.
    with time_machine.travel(timezone.now() + dt.timedelta(days=10), tick=True):
        services.answer_send(actor=staff_actor(letter_worker), thread=young, text="myöhempi vastaus")
    waiting, _ = write_letter(text="odottaa")

    # 30 days and a minute on: the worker's clock moves with the test's (time-machine patches the process).
    with time_machine.travel(timezone.now() + dt.timedelta(days=30, minutes=1), tick=True):
        tasks.purge_letters.delay()
        assert wait_for(lambda: not Thread.objects.filter(pk=due.pk).exists())
    assert set(Thread.objects.values_list("pk", flat=True)) == {young.pk, waiting.pk}
    assert not Letter.objects.filter(thread_id=due.pk).exists()
    assert services.thread_by_code(due_code) is None
    assert ContactRecord.objects.filter(source_key=f"letter:{due.pk}").exists()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_the_notice_on_a_real_worker_is_sent_once_and_the_address_is_gone(celery_worker, write_letter, letter_worker):
    thread, code = write_letter(notify_email="ilmoitus@example.org")
    services.take(actor=staff_actor(letter_worker), thread=thread)
    services.answer_send(actor=staff_actor(letter_worker), thread=thread, text="vastaus")
    tasks.send_letter_notices.delay()
    tasks.send_letter_notices.delay()  # an overlapping second run sends nothing more
    assert wait_for(lambda: Thread.objects.get(pk=thread.pk).notify_email == "")
    time.sleep(1)
    sent = [m for m in mail.outbox if m.to == ["ilmoitus@example.org"]]
    assert len(sent) == 1 and code not in sent[0].body
