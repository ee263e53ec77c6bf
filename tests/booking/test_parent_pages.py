"""What parents stumbled on (issue 13, items 1-5 and 8), asserted on the pages they see.

The flows are walked the way a browser would: a button is pressed by posting its own form (hidden
fields and the button's name/value), so the tests follow the page, not an internal protocol.
"""

import datetime as dt
import json
import re

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.utils import translation

from booking import selectors, services
from booking.models import Booking
from tests.conftest import PARENT, local

pytestmark = pytest.mark.django_db
NOW = local(2026, 11, 16, 8, 0)  # a Monday morning


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def book(service, start, worker=None, nickname="Kaisa"):
    new = services.booking_create(actor=PARENT, service=service, start=start, worker=worker, nickname=nickname)
    return new.booking, new.code


def button(page, text):
    """The button (or submit input) whose visible text matches ``text``."""
    found = page.find(lambda tag: tag.name == "button" and re.search(text, tag.get_text(" ", strip=True)))
    assert found is not None, f"no button {text!r} on the page: {page.select_one('main').get_text(' ', strip=True)[:600]}"
    return found


def press(client, the_button, url="/booking/"):
    """Press a button as a browser does: its form's fields plus the button's own name and value."""
    form = the_button.find_parent("form")
    assert form is not None and form.get("method", "get").lower() == "post"
    data = {}
    for field in form.select("input[name]"):
        if field.get("type") in ("checkbox", "radio") and not field.has_attr("checked"):
            continue
        data[field["name"]] = field.get("value", "")
    if the_button.get("name"):
        data[the_button["name"]] = the_button.get("value", "")
    return client.post(form.get("action") or url, data)


def look_up(client, code):
    return client.post("/booking/", {"code": code})


def assert_code_in_no_url(page, code):
    """The code stays in POSTed forms: never in a link, a form's action or a GET form."""
    plain = code.replace("-", "")
    for tag in page.select("a[href], form[action], link[href], script[src], img[src]"):
        url = tag.get("href") or tag.get("action") or tag.get("src")
        assert code not in url and plain not in url.replace("-", ""), url
    for form in page.select("form"):
        if form.get("method", "get").lower() != "post":
            assert not form.select("input[name=code]"), form


# --- 1. Finnish time on every time a parent reads, and the .ics in Europe/Helsinki --------------------------
def test_week_view_says_the_times_are_finnish_time_and_marks_them_for_the_browser(client, service, worker):
    page = soup(client.get("/book/vanhempainpuhelin/?week=2026-11-23"))
    assert "Suomen aikaa" in page.select_one("main").get_text()
    times = page.select(".slot time[data-local-time]")
    assert times and times[0]["datetime"] == "2026-11-23T10:00:00+02:00"
    # The parent's own time is added in the browser, by a script the CSP allows (no inline code).
    assert page.select_one("script[src$='js/localtime.js']") is not None


@pytest.mark.parametrize("language, words", [("fi", "Suomen aikaa"), ("sv", "finsk tid"), ("en", "Finnish time")])
def test_confirm_done_and_look_up_say_finnish_time_in_each_language(client, service, worker, language, words):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    start = "2026-11-23T10:00:00+02:00"
    confirm = soup(client.get("/book/vanhempainpuhelin/confirm/", {"start": start}))
    assert words in confirm.select_one(".summary").get_text()
    done = client.post("/book/vanhempainpuhelin/confirm/", {"start": start, "nickname": "Kaisa", "privacy": "on"}, follow=True)
    done_page = soup(done)
    assert words in done_page.select_one(".summary").get_text()
    assert done_page.select_one(".summary time[data-local-time]")["datetime"] == start
    code = done_page.select_one("[data-testid=booking-code]").get_text().strip()
    looked = soup(look_up(client, code))
    assert words in looked.select_one(".summary").get_text()
    assert looked.select_one(".summary time[data-local-time]")["datetime"] == start


def _vevent_lines(body: str) -> list[str]:
    event = body.split("BEGIN:VEVENT", 1)[1]
    return [line for line in event.replace("\r\n ", "").split("\r\n") if line.startswith(("DTSTART", "DTEND"))]


def test_parent_ics_is_in_helsinki_time_with_its_vtimezone(client, service, worker):
    booking, _code = book(service, local(2026, 11, 23, 10))
    body = client.get(f"/booking/calendar/{booking.calendar_token}/ajanvaraus.ics").content.decode()
    assert _vevent_lines(body) == ["DTSTART;TZID=Europe/Helsinki:20261123T100000", "DTEND;TZID=Europe/Helsinki:20261123T104500"]
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/Helsinki" in body
    assert body.index("BEGIN:VTIMEZONE") < body.index("BEGIN:VEVENT")


def test_parent_ics_reads_back_as_the_booked_instant_also_in_summer(client, service, worker):
    from icalendar import Calendar

    booking, _code = book(service, local(2026, 11, 23, 10))
    Booking.objects.filter(pk=booking.pk).update(start=local(2027, 6, 14, 10), end=local(2027, 6, 14, 10, 45))  # EEST, +03:00
    cal = Calendar.from_ical(client.get(f"/booking/calendar/{booking.calendar_token}/ajanvaraus.ics").content)
    event = cal.walk("VEVENT")[0]
    assert event.decoded("dtstart") == local(2027, 6, 14, 10)
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(hours=3)
    assert [tz.tz_name for tz in cal.timezones] == ["Europe/Helsinki"]


def test_staff_feed_is_in_helsinki_time_with_its_vtimezone(client, service, worker):
    book(service, local(2026, 11, 23, 10))
    body = client.get(f"/staff/feed/{worker.feed_token}/ajanvaraukset.ics").content.decode()
    assert _vevent_lines(body) == ["DTSTART;TZID=Europe/Helsinki:20261123T100000", "DTEND;TZID=Europe/Helsinki:20261123T104500"]
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/Helsinki" in body


# --- 2. Change the time by code, the same worker, the code kept ------------------------------------------
def test_parent_changes_the_time_with_the_same_worker_and_keeps_the_code(english, service, worker, make_worker, add_availability):
    other = make_worker("Sanna")
    add_availability(other, service, 0, "14:00", "16:00")  # Monday afternoons: never offered for this booking
    booking, code = book(service, local(2026, 11, 23, 10), worker=worker)
    looked = soup(look_up(english, code))
    times = press(english, button(looked, "Change the time"))
    assert times.status_code == 200
    page = soup(times)
    assert_code_in_no_url(page, code)
    choices = [b["value"] for b in page.select("button[name=start]")]
    # The same worker's free times (not the booked one, not Sanna's afternoon), as buttons like the week view.
    assert "2026-11-23T11:00:00+02:00" in choices
    assert "2026-11-23T10:00:00+02:00" not in choices
    assert "2026-11-23T14:00:00+02:00" not in choices
    chosen = soup(press(english, page.select_one("button[name=start][value='2026-11-24T12:00:00+02:00']")))
    # A confirm step: nothing has moved yet, and the page says from what to what.
    assert Booking.objects.get().start == local(2026, 11, 23, 10)
    text = chosen.select_one("main").get_text(" ", strip=True)
    assert "23.11.2026" in text and "24.11.2026" in text
    assert_code_in_no_url(chosen, code)
    done = press(english, button(chosen, "Yes, change the time"))
    assert done.status_code == 200
    booking.refresh_from_db()
    assert booking.start == local(2026, 11, 24, 12) and booking.worker == worker
    assert selectors.booking_by_code(code) == booking  # the code is kept
    done_page = soup(done)
    assert "24.11.2026" in done_page.select_one(".summary").get_text()
    assert done_page.select_one("[role=status]") is not None
    assert_code_in_no_url(done_page, code)


def test_changing_the_time_can_show_a_later_week(english, service, worker):
    _booking, code = book(service, local(2026, 11, 23, 10), worker=worker)
    times = soup(press(english, button(soup(look_up(english, code)), "Change the time")))
    later = soup(press(english, button(times, "Next week")))
    assert "2026-11-30T10:00:00+02:00" in [b["value"] for b in later.select("button[name=start]")]
    assert_code_in_no_url(later, code)


def test_a_time_taken_meanwhile_is_refused_gently_with_nearest_times_and_nothing_moves(english, service, worker):
    booking, code = book(service, local(2026, 11, 23, 10), worker=worker)
    times = soup(press(english, button(soup(look_up(english, code)), "Change the time")))
    chosen = soup(press(english, times.select_one("button[name=start][value='2026-11-23T11:00:00+02:00']")))
    book(service, local(2026, 11, 23, 11), worker=worker, nickname="Toinen")  # someone else was quicker
    response = press(english, button(chosen, "Yes, change the time"))
    assert response.status_code == 409
    page = soup(response)
    assert "just taken" in page.select_one("[role=alert]").get_text()
    assert [b["value"] for b in page.select("[role=alert] button[name=start]")][:1] == ["2026-11-23T12:00:00+02:00"]
    booking.refresh_from_db()
    assert booking.start == local(2026, 11, 23, 10)


def test_no_change_of_time_is_offered_once_the_chat_is_about_to_open(english, service, worker, time_machine):
    _booking, code = book(service, local(2026, 11, 23, 10), worker=worker)
    time_machine.move_to(local(2026, 11, 23, 9, 55), tick=False)
    page = soup(look_up(english, code))
    assert not page.find(lambda tag: tag.name == "button" and "Change the time" in tag.get_text())
    # A stale form posted anyway is refused by the service's rule, politely, and nothing changes.
    response = english.post("/booking/", {"code": code, "action": "move", "start": "2026-11-23T11:00:00+02:00"})
    assert response.status_code == 409
    assert "can no longer be moved" in soup(response).select_one("[role=alert]").get_text()
    assert Booking.objects.get().start == local(2026, 11, 23, 10)


def test_api_reschedule_keeps_the_code_and_answers_409_when_taken(client, service, worker):
    _booking, code = book(service, local(2026, 11, 23, 10), worker=worker)
    book(service, local(2026, 11, 23, 12), worker=worker, nickname="Toinen")
    post = lambda body: client.post("/api/v1/bookings/reschedule", json.dumps(body), content_type="application/json")  # noqa: E731
    moved = post({"code": code, "start": "2026-11-23T11:00:00+02:00"})
    assert moved.status_code == 200 and moved.json()["start"] == "2026-11-23T11:00:00+02:00"
    assert "code" not in moved.json()
    taken = post({"code": code, "start": "2026-11-23T12:00:00+02:00"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "slot_taken"
    assert selectors.booking_by_code(code).start == local(2026, 11, 23, 11)


def test_api_reschedule_refusals_follow_the_documented_contract(client, service, worker, time_machine):
    _booking, code = book(service, local(2026, 11, 23, 10), worker=worker)
    post = lambda body: client.post("/api/v1/bookings/reschedule", json.dumps(body), content_type="application/json")  # noqa: E731
    assert post({"code": "2222-3333-4444", "start": "2026-11-23T11:00:00+02:00"}).status_code == 404
    assert "code" in post({"start": "2026-11-23T11:00:00+02:00"}).json()["error"]["fields"]
    for start in ("2026-11-23T11:00:00", "2026-11-23T10:00:00+02:00", "2026-11-23T14:00:00+02:00"):  # no offset, same time, no slot
        response = post({"code": code, "start": start})
        assert response.status_code == 400 and "start" in response.json()["error"]["fields"], start
    time_machine.move_to(local(2026, 11, 23, 9, 55), tick=False)
    late = post({"code": code, "start": "2026-11-23T11:00:00+02:00"})
    assert late.status_code == 409 and late.json()["error"]["code"] == "too_late"
    assert selectors.booking_by_code(code).start == local(2026, 11, 23, 10)


# --- 3. Cancel asks first, then offers a new time -----------------------------------------------------------
def test_cancel_asks_first_and_then_offers_a_new_time(english, service, worker):
    booking, code = book(service, local(2026, 11, 23, 10), worker=worker)
    asked = press(english, button(soup(look_up(english, code)), "Cancel this booking"))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED  # one tap cancels nothing
    page = soup(asked)
    assert_code_in_no_url(page, code)
    # "No" goes back to the booking, still booked.
    kept = soup(press(english, button(page, "No, keep")))
    assert "Booked" in kept.select_one(".summary").get_text()
    assert Booking.objects.get().status == Booking.Status.BOOKED
    cancelled = soup(press(english, button(page, "Yes, cancel")))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert cancelled.select_one("[role=status]") is not None
    assert cancelled.find("a", href="/book/vanhempainpuhelin/", string=re.compile("Book a new time")) is not None


def test_a_stale_one_tap_cancel_form_only_asks(client, service, worker):
    """The old page's form (action=cancel) may still be open in a browser: it must not cancel."""
    _booking, code = book(service, local(2026, 11, 23, 10), worker=worker)
    client.post("/booking/", {"code": code, "action": "cancel"})
    assert Booking.objects.get().status == Booking.Status.BOOKED


# --- 4. The code box keeps what was typed; the confirmation's code in groups, with a copy button ------------
@pytest.mark.parametrize("url", ["/booking/", "/join/"])
def test_a_wrong_code_stays_in_the_box(client, service, worker, url):
    typed = "ABCD-EFGH-JKM"
    response = client.post(url, {"code": typed})
    assert response.status_code == 400
    box = soup(response).select_one("input#code")
    assert box["value"] == typed
    assert box.get("aria-invalid") == "true" and box.get("aria-describedby")


def test_the_code_is_shown_in_groups_with_a_copy_button(client, service, worker):
    response = client.post(
        "/book/vanhempainpuhelin/confirm/", {"start": "2026-11-23T10:00:00+02:00", "nickname": "A", "privacy": "on"}, follow=True
    )
    page = soup(response)
    shown = page.select_one("[data-testid=booking-code]")
    groups = [g.get_text() for g in shown.select(".code-group")]
    assert len(groups) == 3 and all(len(g) == 4 for g in groups)
    code = "-".join(groups)
    assert selectors.booking_by_code(code) == Booking.objects.get()
    copy = page.select_one("button[data-copy]")
    assert copy is not None and copy["data-copy"] == code  # what is copied: the code itself, as printed
    assert copy.get("type") == "button"
    assert page.select_one("script[src$='js/copy.js']") is not None


# --- 5. The nearest free times: one entry per time ---------------------------------------------------------
def test_taken_time_lists_each_nearest_time_once_when_two_workers_are_free(client, service, worker, make_worker, add_availability):
    other = make_worker("Sanna")
    for weekday in range(5):
        add_availability(other, service, weekday)
    start = local(2026, 11, 23, 10)
    book(service, start, worker=worker)
    book(service, start, worker=other, nickname="B")
    response = client.post(
        "/book/vanhempainpuhelin/confirm/", {"start": start.isoformat(), "worker": "", "nickname": "C", "privacy": "on"}
    )
    assert response.status_code == 409
    shown = [a.get_text(" ", strip=True) for a in soup(response).select("[role=alert] .slot")]
    assert shown and len(shown) == len(set(shown)), shown


# --- 8. Favicon, meta description, robots.txt ----------------------------------------------------------------
def test_every_page_links_a_favicon_that_answers_and_favicon_ico_answers_too(client, service):
    page = soup(client.get("/"))
    icons = page.select("link[rel~=icon]")
    assert icons
    for icon in icons:
        response = client.get(icon["href"])
        assert response.status_code == 200, icon["href"]
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200
    assert ico["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(ico.streaming_content if ico.streaming else [ico.content])[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_pages_have_a_translated_meta_description(client, service):
    descriptions = {}
    for language in ("fi", "sv", "en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for url in ("/", "/book/vanhempainpuhelin/", "/privacy/"):
            descriptions.setdefault(language, set()).add(soup(client.get(url)).select_one("meta[name=description]")["content"])
    assert all(len(found) == 1 and len(next(iter(found))) > 50 for found in descriptions.values()), descriptions
    assert len({next(iter(found)) for found in descriptions.values()}) == 3  # a description in each language


def test_robots_txt_keeps_private_pages_out_and_lets_the_public_ones_in(client, service):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    disallowed = [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("disallow:")]
    for private in ["/staff/", "/admin/", "/accounts/", "/chat/", "/join/", "/booking/", "/api/", "/dropin/chat/", "/letters/read/"]:
        assert private in disallowed
    assert "User-agent: *" in lines
    # The landing page, the service pages, the other channels' start pages and the privacy notice
    # stay open to search engines.
    for public in ["/", "/book/vanhempainpuhelin/", "/privacy/", "/dropin/", "/letters/"]:
        assert not any(public.startswith(rule) for rule in disallowed if "*" not in rule and rule), public


# --- Every new string in fi and sv -----------------------------------------------------------------------------
NEW_STRINGS = [
    "Finnish time",
    "All times are in Finnish time.",
    "Your device's clock is in another time zone ({zone}): your own time is in brackets.",
    "({time} your time)",
    "Book an anonymous chat with a worker of MLL's Parents' Helpline: choose a time that suits you. "
    "No account and no personal data are needed.",
    "Copy the code",
    "Copied",
    "The code is selected: copy it with your device’s copy command.",
    "Look up, change or cancel a booking",
    "Change the time",
    "Choose a new time",
    "These are %(name)s’s free times. Your code stays the same.",
    "Keep the current time",
    "Change to this time?",
    "Current time",
    "New time",
    "Your code stays the same.",
    "Yes, change the time",
    "Choose another time",
    "Your time is changed. Your code stays the same: use it to join the chat at the new time.",
    "Add the new time to my calendar (.ics)",
    "Cancel this booking?",
    "The time is then free for someone else, and your code no longer works.",
    "Yes, cancel the booking",
    "No, keep the booking",
    "Book a new time",
    "Please choose a time from the list.",
    "You have just made several bookings or changes. You can try again in an hour.",
    'With your code you can change the time or cancel on the <a href="%(manage_url)s">booking page</a>. '
    "A time you no longer need is then free for someone else.",
]


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_new_strings_are_translated(language):
    with translation.override(language):
        missing = [s for s in NEW_STRINGS if translation.gettext(s) == s]
    assert not missing
