"""The drop-in chat's rules (dropin/services.py), with the clock pinned where opening hours matter."""

import datetime as dt

import pytest
import time_machine

from booking import codes
from booking.actors import Actor
from booking.ratelimit import RateLimited
from chatrooms import services as chat_services
from chatrooms.models import ChatSession, Message
from dropin import retention, services
from dropin.models import Contact, DutyMember, HandOverNote, SideMessage
from dropin.services import DropinError
from staff.models import AuditEntry
from stats.models import ContactRecord, Feedback, Topic
from tests.conftest import PARENT, local
from tests.dropin.conftest import MONDAY_CLOSES, actor, enter

pytestmark = pytest.mark.django_db


# --- entering, opening hours -------------------------------------------------------------------------
def test_a_parent_enters_with_an_optional_nickname_and_gets_a_code_stored_only_as_a_hash(at_monday_11):
    (contact, code), = enter(nickname="Väsynyt", topic="Uni  ja\tväsymys", audience="child")
    assert codes.normalize(code) and contact.code_hash == codes.hash_code(code) and code not in contact.code_hash
    assert contact.state == Contact.State.WAITING and contact.topic == "Uni ja väsymys" and contact.audience == "child"
    assert contact.session.channel == ChatSession.Channel.DROPIN and contact.session.booking is None
    assert contact.session.opened_at is None  # nobody can write before someone takes the parent
    (anonymous, _), = enter(client="other")
    from django.utils import translation

    with translation.override("fi"):
        assert anonymous.nickname == "" and anonymous.display_name == f"Vanhempi {anonymous.pk}"


@pytest.mark.parametrize(
    "moment, code",
    [
        (local(2026, 11, 23, 9, 59), "closed"),  # Monday before opening
        (local(2026, 11, 25, 11), "closed"),  # Wednesday: no drop-in chat
        (local(2026, 11, 23, 12, 45), "last_entry"),  # 15 minutes before closing
        (local(2026, 11, 23, 12, 59), "last_entry"),
        (local(2026, 11, 23, 13, 0), "closed"),
    ],
)
def test_no_entry_when_closed_or_in_the_last_minutes(chat_channel, moment, code):
    with time_machine.travel(moment, tick=False):
        with pytest.raises(DropinError) as refused:
            enter()
        assert refused.value.code == code
        assert not Contact.objects.exists()


def test_entry_until_the_last_entry_time_and_the_setting_moves_it(chat_channel, settings):
    with time_machine.travel(local(2026, 11, 23, 12, 44) + dt.timedelta(seconds=59), tick=False):
        enter()
    settings.DROPIN_LAST_ENTRY_MINUTES = 30
    with time_machine.travel(local(2026, 11, 23, 12, 40), tick=False):
        with pytest.raises(DropinError):
            enter(client="late")


def test_the_demo_setting_opens_it_around_the_clock_everywhere(always_open):
    with time_machine.travel(local(2026, 11, 25, 3), tick=False):  # Wednesday night
        state = services.opening()
        assert state.is_open and state.accepting and state.closes is None
        enter()
        from hours import selectors

        assert selectors.public_status()["channels"][1]["open"] is True  # the status says so too


def test_entries_are_limited_per_client_and_a_refused_one_costs_nothing(at_monday_11, settings):
    settings.DROPIN_ENTRIES_PER_CLIENT_PER_HOUR = 2
    parent = Actor.parent("one-client")
    services.contact_enter(actor=parent)
    services.contact_enter(actor=parent)
    with pytest.raises(RateLimited):
        services.contact_enter(actor=parent)
    assert Contact.objects.count() == 2
    services.contact_enter(actor=Actor.parent("another-client"))  # a limit per client


def test_staff_do_not_enter_the_queue_and_bad_fields_are_refused(at_monday_11, volunteer):
    with pytest.raises(DropinError) as refused:
        services.contact_enter(actor=actor(volunteer()))
    assert refused.value.code == "staff_entry"
    for fields, code in (({"nickname": "x" * 41}, "invalid_nickname"), ({"topic": "y" * 201}, "invalid_topic"),
                         ({"audience": "everyone"}, "invalid_audience"), ({"nickname": 5}, "invalid_nickname")):
        with pytest.raises(DropinError) as refused:
            enter(**fields)
        assert refused.value.code == code
    assert not Contact.objects.exists()


# --- taking ----------------------------------------------------------------------------------------
def test_take_next_takes_in_arrival_order_and_opens_the_chat(at_monday_11, volunteer, on_duty):
    helper = volunteer()
    on_duty([(helper, 2)])
    (first, _), (second, _), (third, _) = enter(3)
    assert [services.position(contact=c) for c in (first, second, third)] == [1, 2, 3]
    taken = services.take_next(actor=actor(helper))
    assert taken.pk == first.pk and taken.taken_by == helper and taken.state == Contact.State.TAKEN
    assert ChatSession.objects.get(pk=first.session_id).opened_at is not None
    second.refresh_from_db()
    assert services.position(contact=second) == 1
    assert services.take_next(actor=actor(helper)).pk == second.pk
    with pytest.raises(DropinError) as refused:
        services.take_next(actor=actor(helper))  # capacity 2
    assert refused.value.code == "at_capacity"
    assert Contact.objects.get(pk=third.pk).state == Contact.State.WAITING


def test_who_may_take(at_monday_11, volunteer, on_duty, make_worker):
    enter(2)
    planned, absent, stranger = volunteer("Planned"), volunteer("Absent"), volunteer("Stranger")
    on_duty([(planned, 1)])
    on_duty([(absent, 1)], present=False)
    for who, code in ((absent, "not_present"), (stranger, "not_on_shift")):
        with pytest.raises(DropinError) as refused:
            services.take_next(actor=actor(who))
        assert refused.value.code == code
    # A volunteer not on the list cannot mark themselves present; a professional joins by doing so.
    with pytest.raises(DropinError) as refused:
        services.presence_set(actor=actor(stranger), present=True)
    assert refused.value.code == "not_on_shift"
    worker = make_worker("Tuija")
    services.presence_set(actor=actor(worker), present=True)
    assert services.take_next(actor=actor(worker)).taken_by == worker
    # A password-only session (no second factor) takes nobody.
    with pytest.raises(DropinError) as refused:
        services.take_next(actor=Actor.staff(planned, mfa=False))
    assert refused.value.code == "forbidden"
    with pytest.raises(DropinError):
        services.take_next(actor=PARENT)


def test_no_shift_no_take_and_an_empty_queue_says_so(at_monday_11, volunteer, on_duty):
    helper = volunteer()
    with pytest.raises(DropinError) as refused:
        services.take_next(actor=actor(helper))
    assert refused.value.code == "no_shift"
    on_duty([(helper, 1)])
    with pytest.raises(DropinError) as refused:
        services.take_next(actor=actor(helper))
    assert refused.value.code == "queue_empty"


def test_leaving_the_queue_and_ending_a_chat(at_monday_11, volunteer, on_duty):
    helper = volunteer()
    on_duty([(helper, 1)])
    (leaver, leaver_code), (chatter, _code) = enter(2)
    services.parent_leave(contact=leaver)
    leaver.refresh_from_db()
    assert leaver.state == Contact.State.LEFT and leaver.session.ended_at is not None
    with pytest.raises(DropinError) as refused:
        services.contact_for_code(actor=PARENT, code=leaver_code)
    assert refused.value.code == "ended"
    taken = services.take_next(actor=actor(helper))
    assert taken.pk == chatter.pk
    with pytest.raises(DropinError):  # another volunteer cannot end it
        services.contact_end(contact=taken, by="worker", actor=actor(volunteer("Other")))
    services.contact_end(contact=taken, by="worker", actor=actor(helper))
    taken.refresh_from_db()
    assert taken.state == Contact.State.ENDED and taken.ended_at and taken.session.ended_by == "worker"
    with pytest.raises(chat_services.ChatError):
        chat_services.message_post(session=taken.session, role=Message.Role.PARENT, text="still there?")


# --- rejoin ----------------------------------------------------------------------------------------
def test_rejoin_with_the_code_in_the_queue_and_in_the_chat_within_the_grace(at_monday_11, volunteer, on_duty, settings):
    helper = volunteer()
    on_duty([(helper, 1)])
    (contact, code), (second, second_code) = enter(2)
    services.parent_disconnected(contact_id=contact.pk)
    at_monday_11.shift(dt.timedelta(minutes=9))
    again = services.contact_for_code(actor=PARENT, code=code.lower().replace("-", " "))
    assert again.pk == contact.pk and services.position(contact=again) == 1  # the same place
    services.take_next(actor=actor(helper))
    services.parent_disconnected(contact_id=contact.pk)
    assert services.contact_for_code(actor=PARENT, code=code).state == Contact.State.TAKEN  # the same chat
    # Gone longer than the grace: the place is given up.
    services.parent_disconnected(contact_id=second.pk)
    at_monday_11.shift(dt.timedelta(minutes=settings.DROPIN_REJOIN_GRACE_MINUTES, seconds=1))
    with pytest.raises(DropinError) as refused:
        services.contact_for_code(actor=PARENT, code=second_code)
    assert refused.value.code == "ended"
    result = services.drop_absent()
    assert result == {"left": 1, "ended": 1}  # and the chat of the parent who never came back ends
    assert Contact.objects.get(pk=second.pk).state == Contact.State.LEFT


def test_wrong_codes_share_the_one_code_limit_of_every_channel(at_monday_11, settings):
    settings.CODE_ATTEMPTS_LIMIT = 3
    settings.CODE_ATTEMPTS_SLOWDOWN_AFTER = 100
    (_contact, code), = enter()
    parent = Actor.parent("guesser")
    for _ in range(3):
        with pytest.raises(DropinError):
            services.contact_for_code(actor=parent, code=codes.generate())
    with pytest.raises(RateLimited):
        services.contact_for_code(actor=parent, code=code)  # even the right one now
    from chatrooms.services import ChatError, parent_booking_for_code

    with pytest.raises(ChatError) as refused:  # and the appointment chat's join counts the same
        parent_booking_for_code(actor=parent, code=codes.generate())
    assert refused.value.code == "rate_limited"


# --- closing ---------------------------------------------------------------------------------------
def test_at_closing_the_waiting_are_told_and_running_chats_go_on(chat_channel, volunteer, on_duty):
    with time_machine.travel(local(2026, 11, 23, 12, 30), tick=False) as clock:
        helper = volunteer()
        on_duty([(helper, 1)])
        (chatting, _), (waiting, _) = enter(2)
        services.take_next(actor=actor(helper))
        assert services.close_queue() == []  # still open: nothing happens
        clock.move_to(MONDAY_CLOSES)
        assert services.close_queue() == [waiting.pk]
        waiting.refresh_from_db()
        assert waiting.state == Contact.State.CLOSED and waiting.session.ended_by == "system"
        chatting.refresh_from_db()
        assert chatting.state == Contact.State.TAKEN and chatting.session.ended_at is None
        chat_services.message_post(session=chatting.session, role=Message.Role.WORKER, text="Jatketaan rauhassa.")
        assert services.close_queue() == []  # idempotent
        alt = services.alternatives()
        assert alt["next_opening"] == local(2026, 11, 24, 10) and alt["letters_url"] == "/letters/"


# --- capacity, hand-over, support, side channel, reading ------------------------------------------------
def test_hand_over_respects_the_receivers_capacity_and_is_audited(at_monday_11, volunteer, on_duty, coordinator):
    first, second = volunteer("Eka"), volunteer("Toka")
    on_duty([(first, 2), (second, 1)])
    (a, _), (b, _) = enter(2)
    services.take_next(actor=actor(first))
    services.take_next(actor=actor(first))
    with pytest.raises(DropinError):  # only the coordinator hands over
        services.hand_over(actor=actor(first), contact=Contact.objects.get(pk=a.pk), to_user=second)
    services.hand_over(actor=actor(coordinator), contact=Contact.objects.get(pk=a.pk), to_user=second, note="Puhuu unesta.")
    assert Contact.objects.get(pk=a.pk).taken_by == second
    assert HandOverNote.objects.get(contact=a).note == "Puhuu unesta."
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DROPIN_HAND_OVER)
    assert entry.actor == coordinator and "Puhuu" not in entry.summary  # never what anybody wrote
    with pytest.raises(DropinError) as refused:  # second is at capacity (1)
        services.hand_over(actor=actor(coordinator), contact=Contact.objects.get(pk=b.pk), to_user=second)
    assert refused.value.code == "target_unavailable"
    # The coordinator takes one over themselves.
    services.hand_over(actor=actor(coordinator), contact=Contact.objects.get(pk=b.pk), to_user=coordinator)
    assert Contact.objects.get(pk=b.pk).taken_by == coordinator
    assert DutyMember.objects.get(user=coordinator).present_since is not None


def test_the_coordinator_reads_a_chat_only_on_a_support_request_and_every_read_is_audited(at_monday_11, volunteer, on_duty, coordinator):
    helper, other = volunteer("Eka"), volunteer("Toka")
    on_duty([(helper, 1), (other, 1)])
    enter(1)
    contact = services.take_next(actor=actor(helper))
    chat_services.message_post(session=contact.session, role=Message.Role.PARENT, text="Lapsi ei nuku.")
    with pytest.raises(DropinError) as refused:
        services.chat_read(actor=actor(coordinator), contact=contact)
    assert refused.value.code == "no_support_request"
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DROPIN_READ).exists()
    with pytest.raises(DropinError):  # only the one who has the chat asks for support
        services.support_set(actor=actor(other), contact=contact, on=True)
    services.support_set(actor=actor(helper), contact=contact, on=True)
    contact.refresh_from_db()
    with pytest.raises(DropinError):  # a volunteer never reads another's chat
        services.chat_read(actor=actor(other), contact=contact)
    messages = services.chat_read(actor=actor(coordinator), contact=contact)
    assert [m.text for m in messages] == ["Lapsi ei nuku."]
    services.chat_read(actor=actor(coordinator), contact=contact)
    reads = AuditEntry.objects.filter(action=AuditEntry.Action.DROPIN_READ)
    assert reads.count() == 2 and all("Lapsi" not in e.summary for e in reads)
    services.support_set(actor=actor(helper), contact=contact, on=False)
    contact.refresh_from_db()
    with pytest.raises(DropinError):
        services.chat_read(actor=actor(coordinator), contact=contact)


def test_a_read_without_an_audit_entry_does_not_happen(at_monday_11, volunteer, on_duty, coordinator, monkeypatch):
    helper = volunteer()
    on_duty([(helper, 1)])
    enter(1)
    contact = services.take_next(actor=actor(helper))
    services.support_set(actor=actor(helper), contact=contact, on=True)
    contact.refresh_from_db()

    def broken(**kwargs):
        raise RuntimeError("audit log down")

    monkeypatch.setattr("staff.audit.log", broken)
    with pytest.raises(RuntimeError):
        services.chat_read(actor=actor(coordinator), contact=contact)


def test_the_side_channel_is_between_the_one_on_duty_and_the_coordinator(at_monday_11, volunteer, on_duty, coordinator):
    helper, other = volunteer("Eka"), volunteer("Toka")
    on_duty([(helper, 1), (other, 1)])
    enter(1)
    contact = services.take_next(actor=actor(helper))
    services.side_post(actor=actor(helper), contact=contact, text="Mitä vastaan tähän?")
    services.side_post(actor=actor(coordinator), contact=contact, text="Kysy, mikä auttaisi juuri nyt.")
    assert [(m.role, m.text) for m in services.side_messages(actor=actor(helper), contact=contact)] == [
        ("helper", "Mitä vastaan tähän?"), ("coordinator", "Kysy, mikä auttaisi juuri nyt."),
    ]
    for refused_actor in (actor(other), PARENT):
        with pytest.raises(DropinError):
            services.side_post(actor=refused_actor, contact=contact, text="x")
        with pytest.raises(DropinError):
            services.side_messages(actor=refused_actor, contact=contact)
    # Nothing of it is in the chat the parent reads.
    assert not Message.objects.filter(session=contact.session).exists()


def test_capacity_is_one_to_three(at_monday_11, volunteer, on_duty, coordinator):
    helper = volunteer()
    shift = on_duty([(helper, 1)])
    member = DutyMember.objects.get(shift=shift, user=helper)
    for bad in (0, 4, "x", None):
        with pytest.raises(DropinError) as refused:
            services.member_capacity_set(actor=actor(coordinator), member=member, capacity=bad)
        assert refused.value.code == "invalid_capacity"
    with pytest.raises(DropinError):
        services.member_capacity_set(actor=actor(helper), member=member, capacity=3)
    services.member_capacity_set(actor=actor(coordinator), member=member, capacity=3)
    assert DutyMember.objects.get(pk=member.pk).capacity == 3


def test_planning_a_shift_for_a_real_opening_only(at_monday_11, volunteer, coordinator):
    helper = volunteer()
    start, end = local(2026, 11, 26, 17), local(2026, 11, 26, 20)  # Thursday 17–20
    shift = services.shift_plan(actor=actor(coordinator), starts_at=start, ends_at=end, coordinator=coordinator, members={helper: 2})
    assert shift.members.get().capacity == 2 and shift.coordinator == coordinator
    services.shift_plan(actor=actor(coordinator), starts_at=start, ends_at=end, coordinator=coordinator, members={})
    assert not shift.members.exists()
    with pytest.raises(DropinError) as refused:
        services.shift_plan(actor=actor(coordinator), starts_at=local(2026, 11, 25, 10), ends_at=local(2026, 11, 25, 13))
    assert refused.value.code == "not_opening"
    with pytest.raises(DropinError):
        services.shift_plan(actor=actor(helper), starts_at=start, ends_at=end)


# --- the wait ----------------------------------------------------------------------------------------
def test_the_estimate_is_honest(at_monday_11, volunteer, on_duty):
    from django.core.cache import cache

    helper = volunteer()
    on_duty([(helper, 2)])
    assert services.per_place_seconds()[0] is None  # no recent chats: we cannot estimate
    assert services.estimate_minutes(3, None) is None
    # Five recent chats of 20 minutes each, two seats: about 10 minutes per place.
    for _ in range(5):
        (c, _code), = enter(client="past")
        Contact.objects.filter(pk=c.pk).update(
            state=Contact.State.ENDED, taken_at=local(2026, 11, 23, 10), ended_at=local(2026, 11, 23, 10, 20)
        )
    cache.clear()
    per_place, seats = services.per_place_seconds()
    assert seats == 2 and per_place == 600
    assert services.estimate_minutes(1, per_place) == 10 and services.estimate_minutes(3, per_place) == 30
    assert services.queue_band() == "none"
    enter(1)
    cache.clear()
    assert services.queue_band() == "short"
    enter(2, client="more")
    cache.clear()
    assert services.queue_band() == "long"  # 3 waiting × 10 min > 15 min


# --- after the chat ----------------------------------------------------------------------------------
def test_statistics_by_the_one_who_had_the_chat_once_with_the_channel_marked(at_monday_11, volunteer, on_duty):
    helper, other = volunteer("Eka"), volunteer("Toka")
    on_duty([(helper, 1)])
    enter(1)
    contact = services.take_next(actor=actor(helper))
    with pytest.raises(DropinError) as refused:
        services.record_save(actor=actor(helper), contact=contact, topics=[])
    assert refused.value.code == "not_recordable"
    services.contact_end(contact=contact, by="parent")
    contact.refresh_from_db()
    with pytest.raises(DropinError):
        services.record_save(actor=actor(other), contact=contact, topics=[])
    topic = Topic.objects.filter(parent__isnull=False).first()
    services.record_save(actor=actor(helper), contact=contact, topics=[topic], child_age_group="0-2")
    services.record_save(actor=actor(helper), contact=contact, topics=[topic], child_age_group="3-6")
    record = ContactRecord.objects.get()
    assert record.channel == "dropin_chat" and record.source_key == f"dropin:{contact.pk}" and record.child_age_group == "3-6"
    assert record.month == dt.date(2026, 11, 1) and record.booking is None
    assert services.records_missing(actor=actor(helper)) == []
    services.feedback_save(contact=contact, helpful="yes", recommend="maybe")
    assert Feedback.objects.get().channel == "dropin_chat"


def test_the_purge_deletes_what_people_wrote(at_monday_11, volunteer, on_duty, coordinator, settings):
    from chatrooms import retention as chat_retention

    helper = volunteer()
    on_duty([(helper, 1)])
    (contact, code), = enter(nickname="Äiti", topic="Riidat")
    contact = services.take_next(actor=actor(helper))
    chat_services.message_post(session=contact.session, role=Message.Role.PARENT, text="Salaisuus")
    services.side_post(actor=actor(helper), contact=contact, text="Sivukanava")
    services.contact_end(contact=contact, by="worker", actor=actor(helper))
    assert retention.purge_due()["contacts"] == 0  # not yet
    at_monday_11.shift(dt.timedelta(minutes=settings.PURGE_AFTER_MINUTES + 1))
    assert retention.purge_due()["contacts"] == 1
    chat_retention.purge_due()
    contact.refresh_from_db()
    assert (contact.nickname, contact.topic) == ("", "") and contact.code_hash.startswith("purged-")
    assert not Message.objects.filter(session=contact.session).exists()
    assert not SideMessage.objects.exists()
    assert contact.taken_at and contact.ended_at  # what the estimates need stays
    with pytest.raises(DropinError):
        services.contact_for_code(actor=PARENT, code=code)
    assert retention.purge_due()["contacts"] == 0  # idempotent


def test_the_coordinator_taking_over_is_on_duty_from_then_on(at_monday_11, volunteer, on_duty, coordinator):
    helper = volunteer()
    shift = on_duty([(helper, 1)])
    DutyMember.objects.create(shift=shift, user=coordinator, capacity=1)  # on the list, not present
    enter(1)
    contact = services.take_next(actor=actor(helper))
    services.hand_over(actor=actor(coordinator), contact=contact, to_user=coordinator)
    assert Contact.objects.get(pk=contact.pk).taken_by == coordinator
    assert DutyMember.objects.get(user=coordinator).present_since is not None


def test_the_scheduled_tick_closes_drops_and_purges(chat_channel, volunteer, on_duty, settings):
    from django.conf import settings as conf

    from dropin import tasks

    assert conf.CELERY_BEAT_SCHEDULE["dropin-tick"]["task"] == "dropin.tasks.tick"
    with time_machine.travel(local(2026, 11, 23, 12, 40), tick=False) as clock:
        (waiting, _), = enter(1)
        clock.move_to(local(2026, 11, 23, 13, 1))
        assert tasks.tick() == {"closed": 1, "left": 0, "ended": 0, "contacts": 0}
        clock.move_to(local(2026, 11, 23, 14, 2))
        assert tasks.tick()["contacts"] == 1
        assert Contact.objects.get(pk=waiting.pk).code_hash.startswith("purged-")


def test_end_and_flag_is_the_helpers_and_audited(at_monday_11, volunteer, on_duty):
    helper = volunteer()
    on_duty([(helper, 1)])
    enter(1)
    contact = services.take_next(actor=actor(helper))
    with pytest.raises(DropinError):
        services.contact_end(contact=contact, by="parent", flag=True)
    services.contact_end(contact=contact, by="worker", actor=actor(helper), flag=True)
    contact.refresh_from_db()
    assert contact.flagged and contact.session.flagged and contact.state == Contact.State.ENDED
    entry = AuditEntry.objects.get(action=AuditEntry.Action.FLAG)
    assert entry.actor == helper and entry.target_worker == helper
