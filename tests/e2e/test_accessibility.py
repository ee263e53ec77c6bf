"""Accessibility (WCAG 2.1 AA, checked with axe-core in Chromium), keyboard-only use, and the quick exit.

Uses the live-server fixtures of tests/e2e/conftest.py: ``live_server_url`` (daphne serving the test
database), ``browser`` (Playwright Chromium) and ``new_context`` (a fresh browser context).
"""

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from django.utils import timezone

from booking import codes
from booking.models import Booking
from tests.conftest import staff_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
_axe = Axe()


def assert_accessible(page, name):
    violations = _axe.run(page, options=AXE_OPTIONS).response["violations"]
    summary = [
        f"{name}: {v['id']} ({v['impact']}) {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in violations
    ]
    assert not violations, "\n".join(summary)


def tab_to(page, selector, *, limit=80):
    """Press Tab until the focused element matches ``selector``: proves it is reachable by keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def _next_monday():
    today = timezone.localdate()
    return today + dt.timedelta(days=7 - today.weekday())


@pytest.fixture
def site(live_server_url):
    """The live server's base URL, without a trailing slash."""
    return live_server_url.rstrip("/")


@pytest.fixture
def soon_booking(worker, service):
    """A booking that starts in five minutes, so that its code opens the waiting room now."""
    code = codes.generate()
    start = (timezone.now() + dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    booking = Booking.objects.create(
        service=service,
        worker=worker,
        start=start,
        end=start + dt.timedelta(minutes=45),
        nickname="Testi",
        topic="Uni",
        code_hash=codes.hash_code(code),
    )
    return booking, code


def staff_context(new_context, site, user):
    """A browser context signed in as ``user`` (session made server-side, so MFA flows do not matter)."""
    client = Client()
    staff_login(client, user)
    context = new_context()
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}])
    return context


def book_first_free_time(page, site, service):
    page.goto(f"{site}/book/{service.slug}/?week={_next_monday():%Y-%m-%d}")
    page.locator("a.slot").first.click()
    page.wait_for_selector("#id_nickname")


def join_with_code(page, site, code):
    page.goto(f"{site}/join/")
    page.fill("#code", code)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/chat/")


def test_booking_pages_have_no_accessibility_violations(site, new_context, worker, service):
    page = new_context().new_page()
    week = f"/book/{service.slug}/?week={_next_monday():%Y-%m-%d}"
    for path in ["/", week, "/booking/", "/privacy/", "/join/", "/widget/status/", "/accounts/login/"]:
        page.goto(site + path)
        assert_accessible(page, path)
    book_first_free_time(page, site, service)
    assert_accessible(page, "confirmation form")
    page.locator("main form button[type=submit]").click()  # no nickname, no consent: errors shown
    page.wait_for_selector(".field-error")
    assert_accessible(page, "confirmation form with errors")
    page.fill("#id_nickname", "Axe")
    page.check("#id_privacy")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("[data-testid=booking-code]")
    assert_accessible(page, "booking confirmed")


def test_join_waiting_room_chat_and_dashboard_have_no_accessibility_violations(
    site, new_context, worker, soon_booking
):
    booking, code = soon_booking
    parent = new_context().new_page()
    parent.goto(f"{site}/join/")
    parent.fill("#code", "AAAA-AAAA-AAAA")
    parent.locator("main form button[type=submit]").click()
    parent.wait_for_selector("#code-error")
    assert_accessible(parent, "join with a wrong code")
    join_with_code(parent, site, code)
    parent.wait_for_selector("#waiting:not([hidden])")
    assert_accessible(parent, "waiting room")

    staff = staff_context(new_context, site, worker).new_page()
    staff.goto(f"{site}/staff/")
    assert_accessible(staff, "worker dashboard")
    staff.goto(f"{site}/staff/chat/{booking.pk}/")
    staff.wait_for_selector("#composer:not([hidden])")
    staff.fill("#text", "Hei, tervetuloa.")
    staff.keyboard.press("Enter")
    parent.wait_for_selector(".msg.theirs")
    assert_accessible(parent, "chat (parent)")
    assert_accessible(staff, "chat (worker)")


def test_booking_works_with_the_keyboard_only(site, new_context, worker, service):
    page = new_context().new_page()
    page.goto(f"{site}/book/{service.slug}/?week={_next_monday():%Y-%m-%d}")
    tab_to(page, "a.slot")
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_nickname")
    tab_to(page, "#id_nickname")
    page.keyboard.type("Näppäimistö")
    tab_to(page, "#id_privacy")
    page.keyboard.press("Space")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=booking-code]")
    assert Booking.objects.get(nickname="Näppäimistö").status == Booking.Status.BOOKED


def test_chat_works_with_the_keyboard_and_announces_new_messages(site, new_context, worker, soon_booking):
    booking, code = soon_booking
    parent = new_context().new_page()
    join_with_code(parent, site, code)
    log = parent.locator("#log")
    assert log.get_attribute("aria-live") == "polite"  # screen readers read out each new message
    assert "additions" in log.get_attribute("aria-relevant")

    staff = staff_context(new_context, site, worker).new_page()
    staff.goto(f"{site}/staff/chat/{booking.pk}/")
    parent.wait_for_selector("#composer:not([hidden])")
    tab_to(parent, "#text")
    parent.keyboard.type("Hei, tässä äiti.")
    parent.keyboard.press("Enter")
    staff.wait_for_selector(".msg.theirs >> text=Hei, tässä äiti.")
    # The parent's own message is confirmed in place (stored, with its time), not added a second time.
    parent.wait_for_selector("#log .msg.mine[data-id]:not(.pending)")
    assert parent.locator("#log .msg.mine").count() == 1
    tab_to(staff, "#text")
    staff.keyboard.type("Hei! Kerro lisää.")
    staff.keyboard.press("Enter")
    parent.wait_for_selector("#log .msg.theirs >> text=Hei! Kerro lisää.")


def test_escape_twice_leaves_for_a_neutral_site_and_back_does_not_return(
    site, new_context, worker, soon_booking
):
    _booking, code = soon_booking
    context = new_context()
    context.route("https://yle.fi/**", lambda route: route.fulfill(body="<p>Sää</p>", content_type="text/html"))
    page = context.new_page()
    join_with_code(page, site, code)
    page.evaluate("() => { sessionStorage.setItem('draft', 'x'); localStorage.setItem('draft', 'x'); }")
    page.locator("body").press("Escape")
    page.locator("body").press("Escape")
    page.wait_for_url("https://yle.fi/**")
    page.go_back()
    # The chat page was replaced in the history: Back lands on the page before it, not in the chat.
    assert page.url.startswith(site)
    assert not page.url.endswith("/chat/")
    page.goto(f"{site}/privacy/")
    assert page.evaluate("() => [sessionStorage.getItem('draft'), localStorage.getItem('draft')]") == [None, None]
    page.goto(f"{site}/chat/")  # the server forgot which chat this browser had joined
    assert page.url.endswith("/join/")


def test_quick_exit_button_is_reachable_first_by_keyboard(site, new_context):
    context = new_context()
    context.route("https://yle.fi/**", lambda route: route.fulfill(body="<p>Sää</p>", content_type="text/html"))
    page = context.new_page()
    page.goto(f"{site}/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "quick-exit"
    page.keyboard.press("Enter")
    page.wait_for_url("https://yle.fi/**")


def test_language_switch_to_swedish_works_in_the_browser(site, new_context, service):
    # A real browser's form POST: with Referrer-Policy no-referrer, Chromium sent Origin: null and
    # Django refused the language switch (and every other form) as CSRF.
    page = new_context().new_page()
    page.goto(f"{site}/")
    page.locator("button[name=language][value=sv]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator("button[name=language][value=sv]").get_attribute("aria-current") == "true"


@pytest.mark.parametrize("width", [320, 390])
def test_the_quick_exit_never_covers_the_header_on_a_phone(site, new_context, service, width):
    """The quick exit floats over the page; on a narrow phone it must not hide the service's name."""
    for language in ("fi", "sv", "en"):
        context = new_context(viewport={"width": width, "height": 700})
        context.add_cookies([{"name": "django_language", "value": language, "url": site}])
        page = context.new_page()
        page.goto(f"{site}/")
        brand = page.locator(".brand").bounding_box()
        button = page.locator("#quick-exit").bounding_box()
        nav = page.locator(".header-nav").bounding_box()
        assert brand["x"] + brand["width"] <= button["x"], (language, brand, button)
        # The language switch below the brand is not covered either.
        assert nav["y"] >= button["y"] + button["height"] or nav["x"] + nav["width"] <= button["x"], (language, nav, button)
        assert button["x"] + button["width"] <= width


def test_parent_pages_fit_the_narrowest_phone_in_every_language(site, new_context, service, worker):
    """Nothing on the parent pages may be wider than a 320px screen (no sideways scrolling)."""
    for language in ("fi", "sv", "en"):
        context = new_context(viewport={"width": 320, "height": 700})
        context.add_cookies([{"name": "django_language", "value": language, "url": site}])
        page = context.new_page()
        for path in ["/", f"/book/{service.slug}/", "/join/", "/booking/", "/privacy/", "/widget/status/"]:
            page.goto(f"{site}{path}")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            wide = page.evaluate(
                "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 321 || e.scrollWidth > e.clientWidth + 1)"
                ".slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.trim().slice(0, 40))"
            )
            assert width <= 320, f"{path} in {language} is {width}px wide on a 320px screen: {wide}"
