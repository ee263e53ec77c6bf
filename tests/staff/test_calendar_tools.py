"""The worker's calendar tools: availability edits that meet bookings, time off, the feed, moving."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar

from booking import selectors, services
from booking.models import Availability, AvailabilityException, Booking
from staff.models import AuditEntry, User
from tests.conftest import local, staff_login, SYSTEM, staff_actor

pytestmark = pytest.mark.django_db
NOW = local(2026, 11, 16, 8, 0)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def monday_booking(service, worker):
    return services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=worker, nickname="Äiti-K", topic="aihe-K").booking


def test_worker_adds_availability_and_parents_see_the_new_times(client, service, worker):
    staff_login(client, worker)
    response = client.post(
        "/staff/availability/",
        {"form": "availability", "a-service": service.pk, "a-weekday": 5, "a-start_time": "09:00", "a-end_time": "11:00"},
    )
    assert response.status_code == 302
    saturday = selectors.free_slots(service=service, start_date=dt.date(2026, 11, 28), end_date=dt.date(2026, 11, 28))
    assert [s.start for s in saturday] == [local(2026, 11, 28, 9), local(2026, 11, 28, 10)]
    assert AuditEntry.objects.filter(action="availability", actor=worker).exists()


def test_removing_availability_with_a_booking_asks_first_and_changes_nothing(client, worker, monday_booking):
    staff_login(client, worker)
    rule = Availability.objects.get(worker=worker, weekday=0)
    response = client.post("/staff/availability/", {"form": "delete_rule", "rule": rule.pk})
    assert response.status_code == 409
    page = BeautifulSoup(response.content, "html.parser")
    assert "11.00" in page.select_one(".conflicts").get_text()
    assert Availability.objects.filter(pk=rule.pk).exists()
    assert Booking.objects.get(pk=monday_booking.pk).status == "booked"


def test_worker_keeps_the_booking_when_removing_availability(client, worker, monday_booking):
    staff_login(client, worker)
    rule = Availability.objects.get(worker=worker, weekday=0)
    client.post("/staff/availability/", {"form": "delete_rule", "rule": rule.pk, "decision": "keep"})
    assert not Availability.objects.filter(pk=rule.pk).exists()
    assert Booking.objects.get(pk=monday_booking.pk).status == "booked"


def test_worker_cancels_the_booking_with_a_message_the_parent_sees(client, worker, monday_booking):
    staff_login(client, worker)
    rule = Availability.objects.get(worker=worker, weekday=0)
    client.post(
        "/staff/availability/",
        {"form": "delete_rule", "rule": rule.pk, "decision": "cancel", "message": "Olen sairaana, varaathan uuden ajan."},
    )
    booking = Booking.objects.get(pk=monday_booking.pk)
    assert booking.status == "cancelled" and booking.cancelled_by_staff
    assert booking.cancel_message == "Olen sairaana, varaathan uuden ajan."


def test_time_off_over_a_booking_is_a_conflict_too(client, worker, monday_booking):
    staff_login(client, worker)
    data = {"form": "time_off", "t-start": "2026-11-23T00:00", "t-end": "2026-11-24T00:00", "t-reason": "loma"}
    assert client.post("/staff/availability/", data).status_code == 409
    assert not AvailabilityException.objects.exists()
    client.post("/staff/availability/", {**data, "decision": "keep"})
    assert AvailabilityException.objects.count() == 1
    assert selectors.free_slots(service=monday_booking.service, start_date=dt.date(2026, 11, 23), end_date=dt.date(2026, 11, 23)) == []


def test_blocking_a_single_slot(client, service, worker):
    staff_login(client, worker)
    client.post("/staff/availability/", {"form": "block_slot", "start": "2026-11-24T10:00:00+02:00", "service": service.pk})
    day = selectors.free_slots(service=service, start_date=dt.date(2026, 11, 24), end_date=dt.date(2026, 11, 24))
    assert [s.start for s in day] == [local(2026, 11, 24, 11), local(2026, 11, 24, 12)]


def test_calendar_shows_appointments_free_times_and_follow_ups(client, service, worker, monday_booking):
    services.followup_create(actor=SYSTEM, previous=monday_booking, start=local(2026, 11, 24, 10))
    staff_login(client, worker)
    page = BeautifulSoup(client.get("/staff/calendar/?week=2026-11-23").content, "html.parser")
    text = page.get_text(" ")
    assert "11.00–11.45" in text and "Äiti-K" in text
    assert page.select(".cal-booking .badge")  # the follow-up is marked
    assert page.select(".cal-free")
    day = BeautifulSoup(client.get("/staff/calendar/?view=day&date=2026-11-24").content, "html.parser")
    assert len(day.select(".day")) == 1


def test_feed_has_the_times_and_nothing_about_the_parent(client, service, worker, monday_booking):
    services.followup_create(actor=SYSTEM, previous=monday_booking, start=local(2026, 11, 24, 10))
    response = client.get(f"/staff/feed/{worker.feed_token}/ajanvaraukset.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = [c for c in cal.walk("VEVENT")]
    assert sorted(e.decoded("dtstart") for e in events) == [local(2026, 11, 23, 11), local(2026, 11, 24, 10)]
    body = response.content.decode()
    assert "Äiti-K" not in body and "aihe-K" not in body


def test_feed_link_can_be_renewed_and_the_old_one_dies(client, worker):
    old = worker.feed_token
    staff_login(client, worker)
    client.post("/staff/calendar-feed/renew/")
    worker.refresh_from_db()
    assert worker.feed_token != old
    assert client.get(f"/staff/feed/{old}/ajanvaraukset.ics").status_code == 404
    assert client.get(f"/staff/feed/{worker.feed_token}/ajanvaraukset.ics").status_code == 200


def test_coordinator_moves_an_appointment_and_the_parent_sees_it(client, service, worker, make_worker):
    new = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=worker, nickname="N")
    coordinator = make_worker("K", role=User.Role.COORDINATOR)
    staff_login(client, coordinator)
    response = client.post(
        f"/staff/booking/{new.booking.pk}/", {"action": "move", "m-start": "2026-11-24T12:00", "m-message": "Aika siirtyi."}
    )
    assert response.status_code == 302
    looked = client.post("/api/v1/bookings/lookup", {"code": new.code}, content_type="application/json").json()
    assert looked["start"] == "2026-11-24T12:00:00+02:00" and looked["message"] == "Aika siirtyi."
    assert AuditEntry.objects.filter(action="move").exists()


def test_coordinator_cannot_move_onto_a_taken_time(client, service, worker, make_worker):
    a = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=worker, nickname="A").booking
    services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 12), worker=worker, nickname="B")
    staff_login(client, make_worker("K", role=User.Role.COORDINATOR))
    client.post(f"/staff/booking/{a.pk}/", {"action": "move", "m-start": "2026-11-23T12:00"})
    assert Booking.objects.get(pk=a.pk).start == local(2026, 11, 23, 11)


def test_coordinator_edits_another_workers_availability(client, service, worker, make_worker):
    staff_login(client, make_worker("K", role=User.Role.COORDINATOR))
    client.post(
        f"/staff/availability/{worker.pk}/",
        {"form": "availability", "a-service": service.pk, "a-weekday": 6, "a-start_time": "12:00", "a-end_time": "13:00"},
    )
    assert Availability.objects.filter(worker=worker, weekday=6).exists()


def test_saved_replies_own_and_shared(client, worker, make_worker):
    staff_login(client, worker)
    client.post("/staff/saved-replies/", {"title": "Oma", "text": "Oma vastaus", "shared": "on"})
    from chatrooms.models import SavedReply

    mine = SavedReply.objects.get(title="Oma")
    assert mine.owner == worker  # a worker cannot make a shared reply
    other = make_worker("Sanna")
    staff_login(client, other)
    assert client.post("/staff/saved-replies/", {"delete": mine.pk}).status_code == 403


def test_dashboard_shows_a_parent_already_waiting(client, service, worker, time_machine):
    from chatrooms import services as chat

    booking = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 16, 11), worker=worker, nickname="N", now=local(2026, 11, 16, 8)).booking
    time_machine.move_to(local(2026, 11, 16, 10, 55), tick=False)
    chat.session_join(booking=booking, role="parent")
    staff_login(client, worker)
    page = BeautifulSoup(client.get("/staff/").content, "html.parser")
    row = page.select_one(f"tr[data-booking='{booking.pk}']")
    assert "is-waiting" in row["class"] and "Vanhempi odottaa" in row.get_text()


def test_worker_sees_in_the_chat_that_it_is_a_follow_up_and_when_they_last_talked(client, service, worker, monday_booking, time_machine):
    follow = services.followup_create(actor=SYSTEM, previous=monday_booking, start=local(2026, 11, 30, 10)).booking
    time_machine.move_to(local(2026, 11, 30, 9, 52), tick=False)
    staff_login(client, worker)
    page = BeautifulSoup(client.get(f"/staff/chat/{follow.pk}/").content, "html.parser")
    assert page.select_one(".chat-title .badge") is not None
    assert "23.11.2026" in page.get_text()


def test_a_worker_cannot_open_a_chat_days_early_by_a_stray_click(client, service, worker, time_machine):
    """Opening a chat opens it for the parent, and ending it ends the appointment for good: neither
    may happen before the parent's own door opens (10 minutes before the start)."""
    from chatrooms import services as chat

    booking = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 30, 10), worker=worker, nickname="N", now=local(2026, 11, 16, 8)).booking
    time_machine.move_to(local(2026, 11, 23, 12), tick=False)
    staff_login(client, worker)
    dashboard = BeautifulSoup(client.get("/staff/").content, "html.parser")
    row = dashboard.select_one(f"tr[data-booking='{booking.pk}']")
    assert row.select_one(f"a[href='/staff/chat/{booking.pk}/']") is None and "9.50" in row.get_text()
    response = client.get(f"/staff/chat/{booking.pk}/", follow=True)
    assert response.redirect_chain[-1][0] == "/staff/" and "9.50" in response.content.decode()
    with pytest.raises(chat.ChatError) as exc:
        chat.worker_booking(actor=staff_actor(worker), booking_id=booking.pk)
    assert exc.value.code == "too_early"
    assert not booking.__class__.objects.filter(pk=booking.pk, chat__isnull=False).exists()

    time_machine.move_to(local(2026, 11, 30, 9, 50), tick=False)  # the door opens for both
    staff_login(client, worker)
    assert chat.worker_booking(actor=staff_actor(worker), booking_id=booking.pk) == booking
    page = BeautifulSoup(client.get("/staff/").content, "html.parser")
    assert page.select_one(f"a[href='/staff/chat/{booking.pk}/']") is not None
    assert client.get(f"/staff/chat/{booking.pk}/").status_code == 200


def test_coordinator_hands_an_appointment_to_a_free_colleague_when_its_worker_falls_ill(
    client, service, worker, make_worker, add_availability, time_machine
):
    new = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=worker, nickname="N")
    sanna, mikko = make_worker("Sanna"), make_worker("Mikko")
    for colleague in (sanna, mikko):
        add_availability(colleague, service, 0, "10:00", "13:00")
    services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=mikko, nickname="M")  # Mikko is busy then
    # The morning of the appointment, inside the service's minimum notice: exactly when it is needed.
    time_machine.move_to(local(2026, 11, 23, 10, 30), tick=False)
    coordinator = make_worker("K", role=User.Role.COORDINATOR)
    staff_login(client, coordinator)
    page = BeautifulSoup(client.get(f"/staff/booking/{new.booking.pk}/").content, "html.parser")
    offered = [o.get_text() for o in page.select("select[name='h-worker'] option")]
    assert offered == ["Sanna"]  # not Tuija herself, not Mikko who is busy
    refused = client.post(f"/staff/booking/{new.booking.pk}/", {"action": "hand_over", "h-worker": mikko.pk})
    assert refused.status_code == 200 and Booking.objects.get(pk=new.booking.pk).worker == worker
    response = client.post(
        f"/staff/booking/{new.booking.pk}/", {"action": "hand_over", "h-worker": sanna.pk, "h-message": "Sanna ottaa sinut vastaan."}
    )
    assert response.status_code == 302
    looked = client.post("/api/v1/bookings/lookup", {"code": new.code}, content_type="application/json").json()
    assert looked["worker"]["pseudonym"] == "Sanna" and looked["message"] == "Sanna ottaa sinut vastaan."
    assert looked["start"] == "2026-11-23T11:00:00+02:00"
    assert AuditEntry.objects.filter(action="hand_over", target_worker=worker).exists()


def test_an_appointment_whose_chat_is_open_is_not_handed_over(service, worker, make_worker, add_availability, time_machine):
    from chatrooms import services as chat
    from staff.models import User

    new = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=worker, nickname="N").booking
    sanna = make_worker("Sanna")
    add_availability(sanna, service, 0, "10:00", "13:00")
    time_machine.move_to(local(2026, 11, 23, 10, 55), tick=False)
    chat.session_join(booking=new, role="worker")
    coordinator = make_worker("Koordinaattori", role=User.Role.COORDINATOR)
    with pytest.raises(services.BookingError) as refused:
        services.booking_hand_over(actor=staff_actor(coordinator), booking=new, worker=sanna)
    assert refused.value.code == "too_late"
    assert Booking.objects.get(pk=new.pk).worker == worker


def test_coordinator_hands_over_a_sick_workers_whole_day_in_one_go(client, service, worker, make_worker, add_availability):
    first = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 10), worker=worker, nickname="A")
    second = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 12), worker=worker, nickname="B")
    kept = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=worker, nickname="C")
    sanna = make_worker("Sanna")
    add_availability(sanna, service, 0, "10:00", "13:00")
    staff_login(client, make_worker("K", role=User.Role.COORDINATOR))
    team = BeautifulSoup(client.get("/staff/team/?view=day&date=2026-11-23").content, "html.parser")
    link = team.find("a", href=f"/staff/team/hand-over/{worker.pk}/2026-11-23/")
    assert link is not None
    page = BeautifulSoup(client.get(link["href"]).content, "html.parser")
    assert len(page.select("select[name^='to-']")) == 3
    response = client.post(
        link["href"],
        {f"to-{first.booking.pk}": sanna.pk, f"to-{second.booking.pk}": sanna.pk, f"to-{kept.booking.pk}": "", "message": "Tuija sairastui."},
    )
    assert response.status_code == 302 and "date=2026-11-23" in response["Location"]
    assert {b.nickname: b.worker.pseudonym for b in Booking.objects.all()} == {"A": "Sanna", "B": "Sanna", "C": "Tuija"}
    looked = client.post("/api/v1/bookings/lookup", {"code": first.code}, content_type="application/json").json()
    assert looked["worker"]["pseudonym"] == "Sanna" and looked["message"] == "Tuija sairastui."
    assert AuditEntry.objects.filter(action="hand_over").count() == 2
    # A worker cannot use the page.
    staff_login(client, worker)
    assert client.get(link["href"]).status_code == 403
