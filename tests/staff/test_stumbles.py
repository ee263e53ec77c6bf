"""What workers and coordinators stumbled on (issue 13, items 9, 10, 12-14), at the page level.

- the calendar says which service each free time belongs to, and blocks that service's slot;
- a blocked slot shows as "Blocked" in the page's language (not the words stored when it was
  blocked) and can be unblocked from the calendar;
- times are written the Finnish way (10.00), also for time off;
- move, hand over and cancel each have their own word, in every language;
- moving offers the worker's free times; a time that is no slot is refused at the field with the
  right message; after the change the coordinator is back on the day being worked on;
- the team calendar has a day list per worker (for phones).
"""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.conf import settings

from booking import selectors, services
from booking.models import AvailabilityException, Booking, Service
from staff.models import User
from tests.conftest import SYSTEM, local, staff_login

pytestmark = pytest.mark.django_db
NOW = local(2026, 11, 16, 8, 0)  # a Monday morning


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def soup(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def speak(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language


def form_data(form):
    """What the browser would send for ``form`` (inputs and the first option of each select)."""
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    for select in form.select("select[name]"):
        chosen = select.select_one("option[selected]") or select.select_one("option")
        data[select["name"]] = chosen.get("value", "") if chosen else ""
    for area in form.select("textarea[name]"):
        data[area["name"]] = area.get_text()
    return data


@pytest.fixture
def youth(db):
    return Service.objects.create(
        slug="nuoret", name="Nuorten chat", name_sv="Ungdomschatten", name_en="Youth chat",
        slot_minutes=30, buffer_minutes=0, min_notice_minutes=60, horizon_days=60,
    )


@pytest.fixture
def coordinator(make_worker):
    return make_worker("Koordinaattori", role=User.Role.COORDINATOR)


# --- item 10: the worker's calendar ------------------------------------------------------------------
def test_each_free_time_in_the_calendar_names_its_service_and_blocks_that_service(client, service, worker, youth, add_availability):
    add_availability(worker, youth, 5, "14:00", "15:00")  # Saturdays: the youth chat
    staff_login(client, worker)
    page = soup(client.get("/staff/calendar/?week=2026-11-23"))
    days = page.select(".day")
    tuesday, saturday = days[1], days[5]
    tuesday_free = tuesday.select(".cal-free")
    assert len(tuesday_free) == 3
    assert all(service.title in li.get_text(" ") for li in tuesday_free)
    saturday_free = saturday.select(".cal-free")
    assert [li.get_text(" ") for li in saturday_free] and all("Nuorten chat" in li.get_text(" ") for li in saturday_free)
    assert {li.select_one("input[name=service]")["value"] for li in saturday_free} == {str(youth.pk)}
    assert {li.select_one("input[name=service]")["value"] for li in tuesday_free} == {str(service.pk)}

    # Blocking a Saturday time blocks a slot of the youth chat (30 minutes), not 45 of the other.
    form = saturday_free[0].find("form")
    assert client.post(form["action"], form_data(form)).status_code == 302
    blocked = AvailabilityException.objects.get()
    assert blocked.end - blocked.start == dt.timedelta(minutes=30)


def test_a_blocked_slot_is_blocked_in_the_pages_language_and_is_unblocked_from_the_calendar(client, service, worker):
    staff_login(client, worker)
    client.post(
        "/staff/availability/",
        {"form": "block_slot", "start": "2026-11-24T10:00:00+02:00", "service": service.pk, "next": "/staff/calendar/?view=day&date=2026-11-24"},
    )
    assert AvailabilityException.objects.count() == 1
    for language, word, foreign in [("sv", "Blockerad", "Estetty"), ("en", "Blocked", "Estetty"), ("fi", "Estetty", "Blocked")]:
        speak(client, language)
        page = soup(client.get("/staff/calendar/?view=day&date=2026-11-24"))
        item = page.select_one(".cal-blocked")
        assert item is not None, f"{language}: no blocked slot in the calendar"
        text = item.get_text(" ")
        assert word in text and foreign not in page.select_one("main").get_text(" "), text
        assert "Time off" not in text and "Poissaolo" not in text and "Frånvaro" not in text
    assert "10.00–10.45" in text

    unblock = item.find("form")
    assert unblock is not None and unblock.find("button").get_text(" ", strip=True) == "Poista esto 10.00"
    response = client.post(unblock["action"], form_data(unblock))
    assert response.status_code == 302 and response["Location"] == "/staff/calendar/?view=day&date=2026-11-24"
    assert not AvailabilityException.objects.exists()
    day = selectors.free_slots(service=service, start_date=dt.date(2026, 11, 24), end_date=dt.date(2026, 11, 24))
    assert [s.start for s in day] == [local(2026, 11, 24, 10), local(2026, 11, 24, 11), local(2026, 11, 24, 12)]


def test_time_off_is_written_with_the_languages_clock(client, worker):
    AvailabilityException.objects.create(worker=worker, start=local(2026, 11, 25, 8), end=local(2026, 11, 25, 16), reason="koulutus")
    staff_login(client, worker)
    calendar = soup(client.get("/staff/calendar/?view=day&date=2026-11-25"))
    off = calendar.select_one(".cal-off").get_text(" ")
    assert "8.00–16.00" in off and "08:00" not in off, off
    availability = soup(client.get("/staff/availability/")).select_one("main").get_text(" ")
    assert "8.00" in availability and "16.00" in availability and "08:00" not in availability
    speak(client, "en")
    off = soup(client.get("/staff/calendar/?view=day&date=2026-11-25")).select_one(".cal-off").get_text(" ")
    assert "08:00–16:00" in off, off


def test_a_label_stored_by_an_old_block_is_shown_in_the_pages_language(client, worker):
    """Before blocked slots had a kind of their own, the label was stored in the blocker's language."""
    from importlib import import_module

    from django.apps import apps

    AvailabilityException.objects.create(worker=worker, start=local(2026, 11, 24, 10), end=local(2026, 11, 24, 10, 45), reason="Estetty aika")
    AvailabilityException.objects.create(worker=worker, start=local(2026, 11, 25, 8), end=local(2026, 11, 25, 16), reason="koulutus")
    migration = import_module("booking.migrations.0007_availabilityexception_kind")
    migration.mark_blocked_slots(apps, None)
    assert list(AvailabilityException.objects.order_by("start").values_list("kind", "reason")) == [("blocked", ""), ("time_off", "koulutus")]
    staff_login(client, worker)
    speak(client, "sv")
    page = soup(client.get("/staff/calendar/?week=2026-11-23"))
    assert "Estetty" not in page.get_text(" ") and "Blockerad" in page.select_one(".cal-blocked").get_text(" ")


# --- item 12: a word for each action ------------------------------------------------------------------
@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_move_hand_over_and_cancel_each_have_their_own_word(language, client, service, worker, make_worker, add_availability, coordinator):
    booking = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=worker, nickname="N").booking
    add_availability(make_worker("Sanna"), service, 0, "10:00", "13:00")
    staff_login(client, coordinator)
    speak(client, language)
    page = soup(client.get(f"/staff/booking/{booking.pk}/"))
    words = [b.get_text(" ", strip=True) for b in page.select("main form button[type=submit]")]
    assert len(words) == 3 and len(set(words)) == 3, words
    day = soup(client.get(f"/staff/team/hand-over/{worker.pk}/2026-11-23/"))
    (hand_over_day,) = [b.get_text(" ", strip=True) for b in day.select("main form button[type=submit]")]
    assert hand_over_day not in words[:1], (hand_over_day, words)  # not the word for moving
    if language != "en":  # translated, not the English source
        english = {"Move", "Hand over", "Cancel the appointment", "Move to this time", "Hand over to this worker", "Hand over the appointments"}
        assert not english & set(words + [hand_over_day]), words


# --- item 13: moving offers free times ----------------------------------------------------------------
def test_the_move_page_offers_the_workers_free_times_by_day(client, service, worker, coordinator):
    booking = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=worker, nickname="N").booking
    services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 24, 10), worker=worker, nickname="B")
    staff_login(client, coordinator)
    page = soup(client.get(f"/staff/booking/{booking.pk}/"))
    select = page.select_one("select[name='m-start']")
    assert select is not None, "the new time is typed, not chosen"
    values = [o["value"] for o in select.select("option") if o.get("value")]
    assert "2026-11-23T10:00:00+02:00" in values and "2026-11-24T11:00:00+02:00" in values
    assert "2026-11-23T11:00:00+02:00" not in values  # its own time
    assert "2026-11-24T10:00:00+02:00" not in values  # taken by B
    groups = {g["label"]: [o.get_text() for o in g.select("option")] for g in select.select("optgroup")}
    assert groups["maanantai 23.11."] == ["10.00", "12.00"]  # by day, in the page's language and clock
    assert groups["tiistai 24.11."] == ["11.00", "12.00"]
    label = page.find("label", attrs={"for": select["id"]})
    assert label is not None


def test_a_time_that_is_no_free_slot_is_refused_at_the_field(client, service, worker, coordinator):
    booking = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=worker, nickname="N").booking
    services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 24, 10), worker=worker, nickname="B")
    staff_login(client, coordinator)
    for odd in ["2026-11-24T10:10", "2026-11-24T10:00:00+02:00", "2026-11-23T14:00", "2027-12-01T10:00"]:
        response = client.post(f"/staff/booking/{booking.pk}/", {"action": "move", "m-start": odd})
        page = soup(response)
        field = page.select_one("select[name='m-start']").find_parent(class_="field")
        errors = " ".join(e.get_text(" ") for e in field.select(".field-error"))
        assert "ei ole työntekijän vapaa aika" in errors, (odd, errors)
        assert "juuri varata" not in page.get_text(" ")
        assert Booking.objects.get(pk=booking.pk).start == local(2026, 11, 23, 11)


def test_after_a_move_the_coordinator_is_back_on_the_day_being_worked_on(client, service, worker, coordinator):
    booking = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=worker, nickname="N").booking
    staff_login(client, coordinator)
    team = soup(client.get("/staff/team/?view=day&date=2026-11-23"))
    link = team.select_one(f"a[href^='/staff/booking/{booking.pk}/']")
    page = soup(client.get(link["href"]))
    move = page.select_one("select[name='m-start']").find_parent("form")
    data = form_data(move) | {"m-start": "2026-11-25T12:00:00+02:00", "m-message": "Aika siirtyi."}
    response = client.post(move.get("action") or f"/staff/booking/{booking.pk}/", data)
    assert response.status_code == 302
    assert response["Location"] == "/staff/team/?view=day&date=2026-11-23"
    assert Booking.objects.get(pk=booking.pk).start == local(2026, 11, 25, 12)

    # Straight to the page (no calendar behind it): back to the team calendar on the appointment's day.
    response = client.post(f"/staff/booking/{booking.pk}/", {"action": "move", "m-start": "2026-11-26T10:00:00+02:00"})
    assert response.status_code == 302 and response["Location"] == "/staff/team/?view=day&date=2026-11-25"
    # Never to another site.
    response = client.post(
        f"/staff/booking/{booking.pk}/", {"action": "move", "m-start": "2026-11-26T11:00:00+02:00", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/staff/team/?view=day&date=2026-11-26"


def test_a_hand_over_lists_the_colleagues_free_then_and_returns_to_the_day(client, service, worker, make_worker, add_availability, coordinator):
    booking = services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=worker, nickname="N").booking
    sanna = make_worker("Sanna")
    add_availability(sanna, service, 0, "10:00", "13:00")
    staff_login(client, coordinator)
    page = soup(client.get(f"/staff/booking/{booking.pk}/?next=/staff/team/%3Fview%3Dday%26date%3D2026-11-23"))
    form = page.select_one("select[name='h-worker']").find_parent("form")
    assert [o.get_text(strip=True) for o in form.select("select[name='h-worker'] option")] == ["Sanna"]
    response = client.post(f"/staff/booking/{booking.pk}/", form_data(form))
    assert response.status_code == 302 and response["Location"] == "/staff/team/?view=day&date=2026-11-23"
    assert Booking.objects.get(pk=booking.pk).worker == sanna


# --- item 14: the team calendar as a day list per worker ----------------------------------------------
def test_the_team_calendar_has_a_day_list_per_worker(client, service, worker, make_worker, add_availability, coordinator):
    sanna = make_worker("Sanna")
    add_availability(sanna, service, 0, "10:00", "13:00")
    services.booking_create(actor=SYSTEM, service=service, start=local(2026, 11, 23, 11), worker=worker, nickname="N")
    staff_login(client, coordinator)
    page = soup(client.get("/staff/team/?view=week&date=2026-11-23"))
    lists = page.select(".team-list > section")
    assert [s.find(["h2", "h3"]).get_text(" ", strip=True).split()[0] for s in lists] == ["Sanna", "Tuija"]
    tuija = lists[1]
    days = tuija.select(".team-day")
    assert len(days) == 7
    monday = days[0].get_text(" ")
    assert "11.00" in monday and service.title in monday
    assert days[0].select_one("a[href^='/staff/booking/']") is not None


# --- the new words in every language -------------------------------------------------------------------
NEW_STRINGS = [
    "Blocked", "Unblock", "The time is free again.", "Move to this time", "Hand over to this worker",
    "Hand over the appointments", "Hand over to a colleague who is free at the same time", "Choose a time",
    "Back to the calendar", "This worker has no other free time to move to.",
    "This is not a free time of the worker. Please choose a time from the list.",
    "This colleague is no longer free at this time. Please choose another.",
]


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_the_new_staff_words_are_translated(language):
    from django.utils import translation

    with translation.override(language):
        untranslated = [s for s in NEW_STRINGS if translation.gettext(s) == s]
    assert not untranslated
