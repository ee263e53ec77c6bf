"""What parents stumbled on (issue 13, items 1-5 and 8), walked in real Chromium against daphne.

Finnish time with the browser in New York, changing the time keeps the code, cancel asks first,
the code box keeps a mistyped code, the copy button, one entry per nearest free time, the favicon;
axe-core on every page these journeys touch.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from booking import selectors
from booking.models import Booking
from tests.e2e.test_accessibility import _next_monday, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
HELSINKI = ZoneInfo("Europe/Helsinki")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def site(live_server_url):
    return live_server_url.rstrip("/")


def in_english(context, site):
    context.add_cookies([{"name": "django_language", "value": "en", "url": site}])
    return context


def finnish_clock(instant: dt.datetime) -> str:
    return f"{instant.hour}.{instant.minute:02d}"


def book_first_time(page, site, service, nickname="Selain"):
    """Books the first free time of next week through the pages; returns (code, start)."""
    page.goto(f"{site}/book/{service.slug}/?week={_next_monday():%Y-%m-%d}")
    slot = page.locator("a.slot").first
    start = dt.datetime.fromisoformat(slot.locator("time").get_attribute("datetime"))
    slot.click()
    page.fill("#id_nickname", nickname)
    page.check("#id_privacy")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("[data-testid=booking-code]")
    return page.locator("[data-testid=booking-code]").inner_text().strip(), start


def look_up(page, site, code):
    page.goto(f"{site}/booking/")
    page.fill("#code", code)
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(".summary")


def test_times_say_finnish_time_and_add_the_parents_own_time_in_another_zone(site, new_context, worker, service):
    page = new_context(timezone_id="America/New_York").new_page()
    page.goto(f"{site}/book/{service.slug}/?week={_next_monday():%Y-%m-%d}")
    assert "Suomen aikaa" in page.locator("main").inner_text()
    first = page.locator("a.slot").first
    start = dt.datetime.fromisoformat(first.locator("time").get_attribute("datetime"))
    first.locator(".local-time").wait_for()
    assert finnish_clock(start.astimezone(NEW_YORK)) in first.locator(".local-time").inner_text()
    assert first.locator("time").inner_text() == finnish_clock(start.astimezone(HELSINKI))  # the Finnish time stays first
    note = page.locator("[data-local-time-note]")
    assert note.is_visible() and "America/New York" in note.inner_text()  # the zone, readably
    assert_accessible(page, "week view in New York")

    code, start = book_first_time(page, site, service)
    summary = page.locator(".summary")
    assert "Suomen aikaa" in summary.inner_text()
    summary.locator(".local-time").wait_for()
    assert finnish_clock(start.astimezone(NEW_YORK)) in summary.locator(".local-time").inner_text()
    assert_accessible(page, "confirmation in New York")
    look_up(page, site, code)
    page.locator(".summary .local-time").wait_for()
    assert finnish_clock(start.astimezone(NEW_YORK)) in page.locator(".summary .local-time").inner_text()


def test_no_second_time_is_added_when_the_browser_is_on_finnish_time(site, new_context, worker, service):
    page = new_context(timezone_id="Europe/Helsinki").new_page()
    page.goto(f"{site}/book/{service.slug}/?week={_next_monday():%Y-%m-%d}")
    page.wait_for_load_state("load")
    assert page.locator(".local-time").count() == 0
    assert page.locator("[data-local-time-note]").is_hidden()


def test_changing_the_time_keeps_the_code(site, new_context, worker, service):
    page = in_english(new_context(), site).new_page()
    code, start = book_first_time(page, site, service)
    look_up(page, site, code)
    assert_accessible(page, "look-up with a booking")
    page.get_by_role("button", name="Change the time").click()
    page.wait_for_selector("button[name=start]")
    assert_accessible(page, "change the time: free times")
    later = page.locator("button[name=start]").nth(1)
    new_start = dt.datetime.fromisoformat(later.get_attribute("value"))
    later.click()
    page.get_by_role("button", name="Yes, change the time").wait_for()
    assert_accessible(page, "change the time: confirm")
    assert Booking.objects.get().start == start  # nothing moves before the parent confirms
    page.get_by_role("button", name="Yes, change the time").click()
    page.wait_for_selector("[role=status]")
    assert_accessible(page, "change the time: done")
    booking = Booking.objects.get()
    assert booking.start == new_start and selectors.booking_by_code(code) == booking
    assert code not in page.url and code.replace("-", "") not in page.url
    look_up(page, site, code)  # the same code finds the new time
    assert f"{new_start.astimezone(HELSINKI):%H:%M}" in page.locator(".summary").inner_text()


def test_cancel_asks_first_then_offers_a_new_time(site, new_context, worker, service):
    page = in_english(new_context(), site).new_page()
    code, _start = book_first_time(page, site, service)
    look_up(page, site, code)
    page.get_by_role("button", name="Cancel this booking").click()
    page.get_by_role("button", name="Yes, cancel the booking").wait_for()
    assert_accessible(page, "cancel: are you sure")
    assert Booking.objects.get().status == Booking.Status.BOOKED
    page.get_by_role("button", name="Yes, cancel the booking").click()
    page.wait_for_selector("[role=status]")
    assert_accessible(page, "cancel: done")
    assert Booking.objects.get().status == Booking.Status.CANCELLED
    page.get_by_role("link", name="Book a new time").click()
    page.wait_for_url(f"**/book/{service.slug}/")
    assert page.locator("a.slot").count() > 0


@pytest.mark.parametrize("path", ["/booking/", "/join/"])
def test_a_mistyped_code_stays_in_the_box(site, new_context, worker, service, path):
    page = new_context().new_page()
    page.goto(site + path)
    page.fill("#code", "7KQM-XR4T-9HW")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("[role=alert]")
    assert page.input_value("#code") == "7KQM-XR4T-9HW"
    assert_accessible(page, f"{path} with a wrong code")


def test_the_copy_button_copies_the_code(site, new_context, worker, service):
    context = in_english(new_context(permissions=["clipboard-read", "clipboard-write"]), site)
    page = context.new_page()
    code, _start = book_first_time(page, site, service)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert page.locator("[data-testid=booking-code] .code-group").count() == 3
    page.get_by_role("button", name="Copy the code").click()
    page.get_by_text("Copied").first.wait_for()
    assert page.evaluate("() => navigator.clipboard.readText()") == code


def test_without_the_clipboard_the_copy_button_selects_the_code(site, new_context, worker, service):
    context = in_english(new_context(), site)
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined}); document.execCommand = () => false;")
    page = context.new_page()
    code, _start = book_first_time(page, site, service)
    page.get_by_role("button", name="Copy the code").click()
    assert page.evaluate("() => window.getSelection().toString()").replace("\n", "") == code


def test_nearest_free_times_list_each_time_once(site, new_context, worker, service, make_worker, add_availability):
    other = make_worker("Sanna")
    for weekday in range(5):
        add_availability(other, service, weekday)
    start = timezone.make_aware(dt.datetime.combine(_next_monday(), dt.time(10)), HELSINKI)
    from booking import services
    from tests.conftest import PARENT

    for w in (worker, other):
        services.booking_create(actor=PARENT, service=service, start=start, worker=w, nickname="Varattu")
    page = new_context().new_page()
    page.goto(f"{site}/book/{service.slug}/confirm/?start={start.isoformat().replace('+', '%2B')}")
    page.fill("#id_nickname", "Kolmas")
    page.check("#id_privacy")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("[role=alert] .slot")
    shown = page.locator("[role=alert] .slot").all_inner_texts()
    assert shown and len(shown) == len(set(shown)), shown
    assert_accessible(page, "taken time with the nearest times")


def test_the_favicon_answers(site, new_context, service):
    page = new_context().new_page()
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(f"{site}/")
    for href in page.eval_on_selector_all("link[rel~=icon]", "links => links.map(l => l.href)"):
        assert page.request.get(href).status == 200, href
    assert page.request.get(f"{site}/favicon.ico").status == 200
    assert page.request.get(f"{site}/robots.txt").status == 200
    assert not missing


def _too_wide(page):
    return page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 321)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.trim().slice(0, 40))"
    )


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_the_new_steps_fit_the_narrowest_phone(site, new_context, worker, service, language):
    """The code with its copy button, the free times to change to and both confirm steps at 320 px."""
    context = new_context(viewport={"width": 320, "height": 700}, timezone_id="America/New_York")
    context.add_cookies([{"name": "django_language", "value": language, "url": site}])
    page = context.new_page()
    code, _start = book_first_time(page, site, service)
    page.locator(".summary .local-time").wait_for()
    assert not _too_wide(page), ("done", _too_wide(page))
    look_up(page, site, code)
    page.locator("button[name=action][value=times]").click()
    page.locator("button[name=start] .local-time").first.wait_for()
    assert not _too_wide(page), ("times", _too_wide(page))
    page.locator("button[name=start]").first.click()
    page.locator("button[name=action][value=move]").wait_for()
    assert not _too_wide(page), ("confirm move", _too_wide(page))
    look_up(page, site, code)
    page.locator("button[name=action][value=cancel]").click()
    page.locator("button[name=action][value=cancel_confirmed]").wait_for()
    assert not _too_wide(page), ("confirm cancel", _too_wide(page))
