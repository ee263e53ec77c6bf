"""The parent's pages, asserted on what the parent sees."""

import pytest
from bs4 import BeautifulSoup

from booking import selectors
from booking.models import Booking
from tests.conftest import local

pytestmark = pytest.mark.django_db
NOW = local(2026, 11, 16, 8, 0)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def test_week_view_lists_free_times_in_finnish_by_default(client, service, worker):
    page = soup(client.get("/book/vanhempainpuhelin/?week=2026-11-23"))
    assert page.html["lang"] == "fi"
    times = [t.get_text() for t in page.select(".slot time")]
    assert times[:3] == ["10.00", "11.00", "12.00"]  # the Finnish clock
    assert page.select_one("select#worker option[value='%s']" % worker.public_id).get_text() == "Tuija"


def test_booking_through_the_pages_shows_the_code_once_with_ics_and_cancel(client, service, worker):
    start = "2026-11-23T10:00:00+02:00"
    form = soup(client.get(f"/book/vanhempainpuhelin/confirm/?start={start.replace('+', '%2B')}"))
    assert form.select_one("input[name=nickname]") is not None
    response = client.post(
        "/book/vanhempainpuhelin/confirm/", {"start": start, "worker": "", "nickname": "Kaisa", "topic": "", "privacy": "on"}, follow=True
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = soup(response)
    code = page.select_one("[data-testid=booking-code]").get_text().strip()
    assert selectors.booking_by_code(code) == Booking.objects.get()
    ics_link = page.select_one("a[href$='.ics']")["href"]
    ics = client.get(ics_link)
    body = ics.content.decode()
    assert ics["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in body and "DTSTART" in body
    assert code not in body and code.replace("-", "") not in body and "Kaisa" not in body
    assert page.find("a", href="/booking/") is not None  # how to cancel


def test_booking_needs_the_privacy_notice_accepted(client, service, worker):
    response = client.post(
        "/book/vanhempainpuhelin/confirm/", {"start": "2026-11-23T10:00:00+02:00", "nickname": "Kaisa"}
    )
    assert response.status_code == 200
    assert soup(response).select(".field-error")
    assert not Booking.objects.exists()


def test_taken_time_shows_a_gentle_message_and_the_nearest_times(client, service, worker):
    data = {"start": "2026-11-23T10:00:00+02:00", "worker": worker.public_id, "nickname": "A", "privacy": "on"}
    client.post("/book/vanhempainpuhelin/confirm/", data)
    response = client.post("/book/vanhempainpuhelin/confirm/", {**data, "nickname": "B"})
    assert response.status_code == 409
    page = soup(response)
    assert page.select_one("[role=alert]") is not None
    assert [a.get_text().strip()[-5:] for a in page.select("[role=alert] .slot")][0] == "11.00"
    assert Booking.objects.count() == 1


def test_cancel_with_the_code(client, service, worker):
    response = client.post(
        "/book/vanhempainpuhelin/confirm/", {"start": "2026-11-23T10:00:00+02:00", "nickname": "A", "privacy": "on"}, follow=True
    )
    code = soup(response).select_one("[data-testid=booking-code]").get_text().strip()
    looked = soup(client.post("/booking/", {"code": code}))
    assert "Tuija" in looked.get_text()
    client.post("/booking/", {"code": code, "action": "cancel"})  # asks first (tests/booking/test_parent_pages.py)
    assert Booking.objects.get().status == Booking.Status.BOOKED
    client.post("/booking/", {"code": code, "action": "cancel_confirmed"})
    assert Booking.objects.get().status == Booking.Status.CANCELLED


def test_join_page_explains_an_early_code_and_refuses_a_wrong_one(client, service, worker):
    response = client.post(
        "/book/vanhempainpuhelin/confirm/", {"start": "2026-11-23T10:00:00+02:00", "nickname": "A", "privacy": "on"}, follow=True
    )
    code = soup(response).select_one("[data-testid=booking-code]").get_text().strip()
    early = client.post("/join/", {"code": code})
    assert early.status_code == 400 and "9.50" in soup(early).select_one("[role=alert]").get_text()
    wrong = client.post("/join/", {"code": "ABCD-EFGH-JKMN"})
    assert wrong.status_code == 400 and soup(wrong).select_one("[role=alert]")
    assert "chat_booking" not in client.session


def test_join_with_a_valid_code_opens_the_chat_page(client, service, worker, time_machine):
    response = client.post(
        "/book/vanhempainpuhelin/confirm/", {"start": "2026-11-23T10:00:00+02:00", "nickname": "A", "privacy": "on"}, follow=True
    )
    code = soup(response).select_one("[data-testid=booking-code]").get_text().strip()
    time_machine.move_to(local(2026, 11, 23, 9, 55), tick=False)
    joined = client.post("/join/", {"code": code})
    assert joined.status_code == 302 and joined["Location"] == "/chat/"
    chat = soup(client.get("/chat/"))
    assert chat.select_one("#chat")["data-role"] == "parent"
    assert code not in str(chat)


def test_join_is_rate_limited(client, settings):
    settings.CODE_ATTEMPTS_LIMIT = 3
    for _ in range(3):
        assert client.post("/join/", {"code": "ABCD-EFGH-JKMN"}).status_code == 400
    assert client.post("/join/", {"code": "ABCD-EFGH-JKMN"}).status_code == 429


def test_english_is_available(client, service, worker):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = soup(client.get("/book/vanhempainpuhelin/?week=2026-11-23"))
    assert page.html["lang"] == "en"


def test_security_headers(client, service):
    response = client.get("/book/vanhempainpuhelin/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    # same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` on form POSTs and
    # Django's CSRF check refuses every form (seen in the e2e run). Other sites still get no referrer.
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_week_view_opens_the_first_week_with_free_times(client, service, worker, time_machine):
    time_machine.move_to(local(2026, 11, 21, 12), tick=False)  # a Saturday: nothing left this week
    page = soup(client.get("/book/vanhempainpuhelin/"))
    first_day = page.select_one(".day time")
    assert first_day["datetime"].startswith("2026-11-23T10:00")


def test_finnish_even_when_the_browser_prefers_english(client, service, worker):
    page = soup(client.get("/book/vanhempainpuhelin/?week=2026-11-23", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert page.html["lang"] == "fi"
    assert "Valitse sinulle sopiva aika" in page.get_text()


def test_service_name_in_the_chosen_language_with_finnish_as_fallback(client, service, worker):
    service.name_sv = "Föräldratelefonens chatt"
    service.save()
    client.cookies["django_language"] = "sv"
    assert soup(client.get("/book/vanhempainpuhelin/?week=2026-11-23")).h1.get_text() == "Föräldratelefonens chatt"
    client.cookies["django_language"] = "en"  # no English name: the Finnish one
    assert soup(client.get("/book/vanhempainpuhelin/?week=2026-11-23")).h1.get_text() == service.name


def test_confirmation_links_to_the_join_page(client, service, worker):
    response = client.post("/book/vanhempainpuhelin/confirm/", {"start": "2026-11-23T10:00:00+02:00", "nickname": "A", "privacy": "on"}, follow=True)
    assert soup(response).select_one("main ol a[href$='/join/']") is not None


def test_the_booking_page_stops_one_client_booking_time_after_time(client, service, worker, add_availability, settings):
    settings.BOOKINGS_PER_CLIENT_PER_HOUR = 1
    add_availability(worker, service, 0, "08:00", "16:00")
    first = client.post("/book/vanhempainpuhelin/confirm/", {"start": "2026-11-23T10:00:00+02:00", "nickname": "A", "privacy": "on"}, follow=True)
    assert first.status_code == 200 and soup(first).select_one("[data-testid=booking-code]")
    second = client.post("/book/vanhempainpuhelin/confirm/", {"start": "2026-11-23T11:00:00+02:00", "nickname": "A", "privacy": "on"}, follow=True)
    assert second.status_code == 429 and "tunnin kuluttua" in second.content.decode()
    assert Booking.objects.count() == 1
