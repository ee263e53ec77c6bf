"""The letter service's rules (letters/services.py), whichever edge calls them."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from booking import codes
from booking.actors import Actor
from booking.ratelimit import RateLimited
from letters import services
from letters.models import Letter, Thread
from staff.models import AuditEntry, User
from stats.models import Channel, ContactRecord, Topic
from tests.conftest import staff_actor

from .conftest import PARENT

pytestmark = pytest.mark.django_db


# --- writing ------------------------------------------------------------------------------------------
def test_a_new_letter_waits_with_a_promise_and_only_the_hash_of_its_code(settings):
    settings.LETTER_ANSWER_DAYS = 7
    now = timezone.now()
    new = services.letter_create(actor=PARENT, text="Hei\n\nlapsi ei nuku.", nickname="  Väsynyt   äiti ", now=now)
    thread = Thread.objects.get()
    assert codes.normalize(new.code) and len(new.code) == 14
    assert thread.code_hash == codes.hash_code(new.code) and new.code not in thread.code_hash
    assert thread.status == Thread.Status.WAITING and thread.taken_by is None
    assert thread.answer_by == now + dt.timedelta(days=7)
    assert thread.delete_after is None
    assert thread.nickname == "Väsynyt äiti"
    assert [(l.author, l.text, l.state) for l in thread.letters.all()] == [("parent", "Hei\n\nlapsi ei nuku.", "sent")]


@pytest.mark.parametrize("text, code", [("", "empty"), ("   \n\t ", "empty"), ("\x00\x07\x1b", "empty"), ("x" * 5001, "too_long")])
def test_empty_or_over_long_letters_are_refused(text, code):
    with pytest.raises(services.LetterError) as exc:
        services.letter_create(actor=PARENT, text=text)
    assert exc.value.code == code and exc.value.field == "text"
    assert not Thread.objects.exists()


def test_control_characters_are_stripped_as_in_chat_messages():
    services.letter_create(actor=PARENT, text="Hei\x00 \x1b[31mpunainen\u202e\r\nrivi\ud800")
    assert Letter.objects.get().text == "Hei [31mpunainen\nrivi?"


def test_a_letter_of_exactly_the_limit_is_accepted(settings):
    settings.LETTER_MAX_CHARS = 50
    services.letter_create(actor=PARENT, text="ä" * 50)
    with pytest.raises(services.LetterError):
        services.letter_create(actor=PARENT, text="ä" * 51)


def test_audience_topic_and_email_are_checked():
    main = Topic.objects.filter(parent__isnull=True).first()
    sub = Topic.objects.filter(parent__isnull=False).first()
    new = services.letter_create(actor=PARENT, text="x", audience="child", topic=str(main.pk), notify_email="a@example.org")
    assert (new.thread.audience, new.thread.topic, new.thread.notify_email) == ("child", main, "a@example.org")
    for field, value in [("audience", "martians"), ("topic", sub.pk), ("topic", "abc"), ("topic", 10**30), ("notify_email", "not an address")]:
        with pytest.raises(services.LetterError) as exc:
            services.letter_create(actor=PARENT, text="x", **{field: value})
        assert exc.value.field == field


def test_new_letters_per_client_are_limited_and_a_refused_letter_costs_nothing(settings):
    settings.LETTERS_PER_CLIENT_PER_HOUR = 2
    with pytest.raises(services.LetterError):
        services.letter_create(actor=PARENT, text="")  # refused before the allowance is taken
    services.letter_create(actor=PARENT, text="one")
    services.letter_create(actor=PARENT, text="two")
    with pytest.raises(RateLimited) as exc:
        services.letter_create(actor=PARENT, text="three")
    assert exc.value.what == "letters" and exc.value.retry_after > 0
    services.letter_create(actor=Actor.parent("another-client"), text="another parent writes")
    assert Thread.objects.count() == 3


# --- the code ---------------------------------------------------------------------------------------------
def test_the_code_finds_its_thread_in_any_spelling(write_letter):
    thread, code = write_letter()
    assert services.find_by_code(actor=PARENT, code=code.lower().replace("-", " ")) == thread


def test_wrong_letter_codes_count_against_the_same_limit_as_every_other_code(settings, write_letter, service, worker):
    """A client that guessed booking codes cannot go on guessing letter codes (one limit per client)."""
    from booking import services as booking_services

    settings.CODE_ATTEMPTS_LIMIT = 4
    settings.CODE_ATTEMPTS_SLOWDOWN_AFTER = 100
    thread, code = write_letter()
    client = Actor.parent("guesser")
    for _ in range(2):
        with pytest.raises(booking_services.BookingError):
            booking_services.find_by_code(actor=client, code="AAAA-AAAA-AAAA")
    for _ in range(2):
        with pytest.raises(services.LetterError):
            services.find_by_code(actor=client, code="BBBB-BBBB-BBBB")
    with pytest.raises(RateLimited):
        services.find_by_code(actor=client, code=code)  # even the right code: the client is over the limit
    cache.clear()
    assert services.find_by_code(actor=client, code=code) == thread


# --- parents: reading, writing again, closing ------------------------------------------------------------
def test_the_parent_writes_once_more_after_the_answer_and_it_goes_back_to_the_same_person(answered, letter_worker, settings):
    thread, code = answered
    assert services.reply_refusal(thread) is None
    services.parent_reply(actor=PARENT, thread=thread, text="Kiitos, vielä kysyisin...")
    thread.refresh_from_db()
    assert thread.status == Thread.Status.WAITING and thread.taken_by == letter_worker
    assert thread.delete_after is None and thread.answer_by > timezone.now() + dt.timedelta(days=settings.LETTER_ANSWER_DAYS - 1)
    assert services.reply_refusal(thread) == "no_more_letters"
    with pytest.raises(services.LetterError) as exc:
        services.parent_reply(actor=PARENT, thread=thread, text="kolmas")
    assert exc.value.code == "no_more_letters"


def test_a_setting_allows_more_follow_ups(answered, letter_worker, settings):
    settings.LETTER_FOLLOW_UPS = 2
    thread, _ = answered
    actor = staff_actor(letter_worker)
    services.parent_reply(actor=PARENT, thread=thread, text="toinen")
    services.answer_send(actor=actor, thread=thread, text="vastaus 2")
    services.parent_reply(actor=PARENT, thread=thread, text="kolmas")
    assert Letter.objects.filter(thread=thread, author="parent").count() == 3


def test_no_letter_before_the_answer(write_letter):
    thread, _ = write_letter()
    with pytest.raises(services.LetterError) as exc:
        services.parent_reply(actor=PARENT, thread=thread, text="lisäys")
    assert exc.value.code == "not_answered"


def test_closing_sets_the_delete_date_and_stops_everything(write_letter, letter_worker, settings):
    settings.LETTER_KEEP_DAYS = 30
    thread, code = write_letter(notify_email="a@example.org")
    actor = staff_actor(letter_worker)
    services.take(actor=actor, thread=thread)
    services.draft_save(actor=actor, thread=thread, text="luonnos")
    now = timezone.now()
    services.parent_close(actor=PARENT, thread=thread, now=now)
    thread.refresh_from_db()
    assert thread.status == Thread.Status.CLOSED and thread.delete_after == now + dt.timedelta(days=30)
    assert thread.notify_email == "" and not Letter.objects.filter(author="helpline").exists()
    assert services.find_by_code(actor=PARENT, code=code) == thread  # still readable until deleted
    for call in (lambda: services.parent_reply(actor=PARENT, thread=thread, text="x"),
                 lambda: services.answer_send(actor=actor, thread=thread, text="x")):
        with pytest.raises(services.LetterError):
            call()
    services.parent_close(actor=PARENT, thread=thread)  # again: nothing changes
    thread.refresh_from_db()
    assert thread.delete_after == now + dt.timedelta(days=30)


# --- staff: taking and answering --------------------------------------------------------------------------
def test_a_letter_is_taken_by_one_person(write_letter, letter_worker, volunteer):
    thread, _ = write_letter()
    services.take(actor=staff_actor(letter_worker), thread=thread)
    with pytest.raises(services.LetterError) as exc:
        services.take(actor=staff_actor(volunteer), thread=thread)
    assert exc.value.code == "taken"
    assert Thread.objects.get().taken_by == letter_worker


def test_only_the_taker_writes_the_answer(write_letter, letter_worker, make_worker):
    thread, _ = write_letter()
    services.take(actor=staff_actor(letter_worker), thread=thread)
    other = staff_actor(make_worker("Sanna"))
    for call in (services.draft_save, services.answer_send):
        with pytest.raises(services.LetterError) as exc:
            call(actor=other, thread=thread, text="minä vastaan")
        assert exc.value.code == "not_yours"


def test_a_workers_answer_goes_straight_out(write_letter, letter_worker, settings):
    thread, code = write_letter()
    actor = staff_actor(letter_worker)
    services.take(actor=actor, thread=thread)
    services.draft_save(actor=actor, thread=thread, text="luonnos")
    assert [l.author for l in services.parent_letters(thread)] == ["parent"]
    letter = services.answer_send(actor=actor, thread=thread)
    thread.refresh_from_db()
    assert letter.state == Letter.State.SENT and letter.text == "luonnos"
    assert thread.status == Thread.Status.ANSWERED
    assert thread.delete_after == thread.answered_at + dt.timedelta(days=settings.LETTER_KEEP_DAYS)
    assert [l.text for l in services.parent_letters(thread)][-1] == "luonnos"


def test_a_volunteers_answer_waits_for_a_professional(write_letter, volunteer, letter_worker):
    thread, _ = write_letter()
    actor = staff_actor(volunteer)
    services.take(actor=actor, thread=thread)
    letter = services.answer_send(actor=actor, thread=thread, text="Vapaaehtoisen vastaus")
    thread.refresh_from_db()
    assert letter.state == Letter.State.REVIEW
    assert thread.status == Thread.Status.WAITING and services.public_status(thread) == "waiting"
    assert "Vapaaehtoisen vastaus" not in [l.text for l in services.parent_letters(thread)]
    assert list(services.review_queue()) == [letter]
    with pytest.raises(services.LetterError) as exc:
        services.draft_save(actor=actor, thread=thread, text="muutan vielä")
    assert exc.value.code == "in_review"

    services.answer_approve(actor=staff_actor(letter_worker), letter=letter)
    thread.refresh_from_db()
    letter.refresh_from_db()
    assert thread.status == Thread.Status.ANSWERED
    assert (letter.state, letter.approved_by, letter.written_by) == (Letter.State.SENT, letter_worker, volunteer)
    assert "Vapaaehtoisen vastaus" in [l.text for l in services.parent_letters(thread)]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LETTER_APPROVE)
    assert (entry.actor, entry.target_worker) == (letter_worker, volunteer)
    assert "Vapaaehtoisen" not in entry.summary


def test_a_volunteer_may_not_approve_and_nobody_approves_their_own(write_letter, volunteer, make_worker, letter_worker, settings):
    settings.LETTER_REVIEW_WORKERS = True
    thread, _ = write_letter()
    services.take(actor=staff_actor(volunteer), thread=thread)
    letter = services.answer_send(actor=staff_actor(volunteer), thread=thread, text="vastaus")
    other_volunteer = make_worker("Ville", role=User.Role.VOLUNTEER)
    for who in (volunteer, other_volunteer):
        with pytest.raises(services.LetterError):
            services.answer_approve(actor=staff_actor(who), letter=letter)
    with pytest.raises(services.LetterError):
        services.answer_approve(actor=staff_actor(letter_worker, mfa=False), letter=letter)
    second, _ = write_letter()
    services.take(actor=staff_actor(letter_worker), thread=second)
    own = services.answer_send(actor=staff_actor(letter_worker), thread=second, text="oma")
    assert own.state == Letter.State.REVIEW  # the setting asks review of workers' answers too
    with pytest.raises(services.LetterError) as exc:
        services.answer_approve(actor=staff_actor(letter_worker), letter=own)
    assert exc.value.code == "own_answer"
    assert Letter.objects.filter(state=Letter.State.SENT, author="helpline").count() == 0


def test_a_returned_answer_is_a_draft_again_with_the_note(write_letter, volunteer, coordinator):
    thread, _ = write_letter()
    services.take(actor=staff_actor(volunteer), thread=thread)
    letter = services.answer_send(actor=staff_actor(volunteer), thread=thread, text="vastaus")
    services.answer_return(actor=staff_actor(coordinator), letter=letter, note="Lisää kriisipuhelimen numero.")
    letter.refresh_from_db()
    assert (letter.state, letter.review_note) == (Letter.State.DRAFT, "Lisää kriisipuhelimen numero.")
    services.answer_send(actor=staff_actor(volunteer), thread=thread, text="vastaus + 09 2525 0111")
    letter.refresh_from_db()
    assert (letter.state, letter.review_note) == (Letter.State.REVIEW, "")


def test_a_colleague_does_not_read_anothers_draft(write_letter, letter_worker, make_worker, coordinator, volunteer):
    thread, _ = write_letter()
    services.take(actor=staff_actor(letter_worker), thread=thread)
    draft = services.draft_save(actor=staff_actor(letter_worker), thread=thread, text="luonnos")
    colleague = staff_actor(make_worker("Sanna"))
    assert not services.can_read(colleague, thread) and not services.can_read_draft(colleague, draft)
    assert services.can_read_draft(staff_actor(letter_worker), draft)
    assert services.can_read_draft(staff_actor(coordinator), draft)
    assert not services.can_read(staff_actor(volunteer), thread)


def test_the_coordinator_assigns_and_reassigns_with_the_draft(write_letter, letter_worker, make_worker, coordinator):
    thread, _ = write_letter()
    sanna = make_worker("Sanna")
    with pytest.raises(services.LetterError):
        services.assign(actor=staff_actor(letter_worker), thread=thread, to=sanna)
    services.assign(actor=staff_actor(coordinator), thread=thread, to=letter_worker)
    services.draft_save(actor=staff_actor(letter_worker), thread=thread, text="puolivalmis")
    services.assign(actor=staff_actor(coordinator), thread=thread, to=sanna)
    thread.refresh_from_db()
    assert thread.taken_by == sanna
    assert services.open_answer(thread).written_by == sanna
    services.answer_send(actor=staff_actor(sanna), thread=thread)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LETTER_ASSIGN).count() == 2
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.LETTER_ASSIGN).first()
    assert entry.actor == coordinator and entry.target_worker == sanna and "Tuija → Sanna" in entry.summary


def test_only_people_who_answer_letters_can_be_given_one(write_letter, coordinator, make_worker):
    thread, _ = write_letter()
    gone = make_worker("Poissa", is_active=False)
    with pytest.raises(services.LetterError):
        services.assign(actor=staff_actor(coordinator), thread=thread, to=gone)


def test_release_gives_the_letter_back_without_the_draft(write_letter, letter_worker, volunteer):
    thread, _ = write_letter()
    services.take(actor=staff_actor(letter_worker), thread=thread)
    services.draft_save(actor=staff_actor(letter_worker), thread=thread, text="luonnos")
    with pytest.raises(services.LetterError):
        services.release(actor=staff_actor(volunteer), thread=thread)
    services.release(actor=staff_actor(letter_worker), thread=thread)
    thread.refresh_from_db()
    assert thread.taken_by is None and not Letter.objects.filter(author="helpline").exists()
    services.take(actor=staff_actor(volunteer), thread=thread)


def test_flagging_closes_the_code_and_gives_no_answer(write_letter, letter_worker, volunteer, coordinator, settings):
    thread, code = write_letter(notify_email="a@example.org")
    services.take(actor=staff_actor(volunteer), thread=thread)
    services.draft_save(actor=staff_actor(volunteer), thread=thread, text="luonnos")
    with pytest.raises(services.LetterError):
        services.flag(actor=staff_actor(volunteer), thread=thread)  # a volunteer asks a professional
    with pytest.raises(services.LetterError):
        services.flag(actor=staff_actor(letter_worker), thread=thread)  # not the worker's letter
    now = timezone.now()
    services.flag(actor=staff_actor(coordinator), thread=thread, now=now)
    thread.refresh_from_db()
    assert thread.status == Thread.Status.FLAGGED and thread.delete_after == now + dt.timedelta(days=settings.LETTER_KEEP_DAYS)
    assert thread.notify_email == "" and not Letter.objects.filter(author="helpline").exists()
    with pytest.raises(services.LetterError) as exc:
        services.find_by_code(actor=PARENT, code=code)
    assert exc.value.code == "invalid_code"
    with pytest.raises(services.LetterError):
        services.answer_send(actor=staff_actor(volunteer), thread=thread, text="x")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LETTER_FLAG)
    assert entry.actor == coordinator and entry.target_worker == volunteer and f"letter {thread.pk}" in entry.summary


def test_the_worker_who_took_a_letter_may_flag_it(write_letter, letter_worker):
    thread, code = write_letter()
    services.take(actor=staff_actor(letter_worker), thread=thread)
    services.flag(actor=staff_actor(letter_worker), thread=thread)
    assert services.thread_by_code(code) is None


def test_a_session_without_the_second_factor_handles_no_letters(write_letter, letter_worker):
    thread, _ = write_letter()
    with pytest.raises(services.LetterError):
        services.take(actor=staff_actor(letter_worker, mfa=False), thread=thread)
    with pytest.raises(services.LetterError):
        services.take(actor=PARENT, thread=thread)


# --- statistics ----------------------------------------------------------------------------------------------
def test_the_answerer_records_the_statistics_once_and_they_outlive_the_thread(answered, letter_worker, make_worker):
    thread, _ = answered
    topic = Topic.objects.filter(parent__isnull=False).first()
    with pytest.raises(services.LetterError):
        services.record_save(actor=staff_actor(make_worker("Sanna")), thread=thread, topics=[topic])
    services.record_save(actor=staff_actor(letter_worker), thread=thread, topics=[topic], contacted_by="mother")
    services.record_save(actor=staff_actor(letter_worker), thread=thread, topics=[topic], contacted_by="father")
    record = ContactRecord.objects.get()
    assert (record.channel, record.source_key, record.contacted_by) == (Channel.LETTER, f"letter:{thread.pk}", "father")
    assert record.month == timezone.localtime(thread.created_at).date().replace(day=1)
    assert list(record.topics.all()) == [topic]
    assert services.records_missing(staff_actor(letter_worker)) == []
    thread.delete()
    assert ContactRecord.objects.filter(source_key__startswith="letter:").count() == 1


def test_no_statistics_before_the_answer(write_letter, volunteer):
    thread, _ = write_letter()
    services.take(actor=staff_actor(volunteer), thread=thread)
    services.answer_send(actor=staff_actor(volunteer), thread=thread, text="odottaa hyväksyntää")
    with pytest.raises(services.LetterError) as exc:
        services.record_save(actor=staff_actor(volunteer), thread=thread, topics=[])
    assert exc.value.code == "not_recordable"


def test_the_inbox_is_oldest_promise_first_with_overdue_marked(write_letter, letter_worker, coordinator, volunteer):
    now = timezone.now()
    old = services.letter_create(actor=Actor.system(), text="vanha", now=now - dt.timedelta(days=9)).thread
    new, _ = write_letter()
    mid = services.letter_create(actor=Actor.system(), text="keski", now=now - dt.timedelta(days=2)).thread
    listed = list(services.inbox(actor=staff_actor(volunteer), view="open"))
    assert listed == [old, mid, new]
    assert [t.is_overdue for t in listed] == [True, False, False]
    services.take(actor=staff_actor(letter_worker), thread=mid)
    assert list(services.inbox(actor=staff_actor(letter_worker), view="mine")) == [mid]
    assert mid not in services.inbox(actor=staff_actor(volunteer), view="open")
    with pytest.raises(services.LetterError):
        services.inbox(actor=staff_actor(volunteer), view="all")
    assert list(services.inbox(actor=staff_actor(coordinator), view="all")) == [old, mid, new]
