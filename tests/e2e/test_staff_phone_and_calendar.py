"""What workers and coordinators stumbled on (issue 13, items 9, 10, 12-14), in Chromium.

- at 390 px the dashboard and the team calendar are no wider than the screen, and the status, the
  "Open chat" button, every worker and their links are on the screen (not off to the right);
- a slot blocked from the calendar shows as blocked and is unblocked from the calendar;
- the move page has a word for each action, offers the free times as a list, and after the move
  the coordinator is back on the day they were working on;
- axe is clean on each of these pages.
"""

import datetime as dt

import pytest
from django.utils import timezone

from booking.models import AvailabilityException, Booking
from staff.models import User
from django.test import Client

from tests.conftest import staff_login
from tests.e2e.test_accessibility import assert_accessible
from tests.dates import open_day

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

PHONE = {"viewport": {"width": 390, "height": 844}}


def signed_in(new_context, site, user, **options):
    """A browser context signed in as ``user`` (the session made server-side, as after TOTP)."""
    client = staff_login(Client(), user)
    context = new_context(**options)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}])
    return context


def assert_fits_the_screen(page, name):
    widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"{name} is {widths['scroll']}px wide on a {widths['inner']}px screen"


def assert_on_screen(page, locator, name):
    """Visible and wholly inside the screen's width, without scrolling anything sideways."""
    assert locator.count() > 0, f"{name}: not on the page"
    inner = page.evaluate("() => window.innerWidth")
    for i in range(locator.count()):
        item = locator.nth(i)
        assert item.is_visible(), f"{name} #{i} is not visible"
        box = item.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= inner + 0.5, f"{name} #{i} is off the screen: {box} (screen {inner}px)"


def _booking(service, worker, start, **extra):
    return Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=service.slot_minutes),
        code_hash=f"e2e-{worker.pk}-{start:%Y%m%d%H%M}", **extra,
    )


def _later_day():
    # next week, inside the booking horizon, and not a public holiday (no times are given on one)
    return open_day(timezone.localdate() + dt.timedelta(days=8))


def _at(day, hour):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_the_dashboard_on_a_phone_shows_status_and_open_chat_on_the_screen(live_server_url, new_context, service, worker):
    site = live_server_url
    soon = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=5)
    _booking(service, worker, soon, nickname="Pitkä nimimerkki tässä")
    _booking(service, worker, soon + dt.timedelta(days=2), nickname="Toinen vanhempi")
    page = signed_in(new_context, site, worker, **PHONE).new_page()
    page.goto(f"{site}/staff/")
    assert_fits_the_screen(page, "the dashboard")
    assert_on_screen(page, page.locator("[data-booking] .status"), "the status")
    assert_on_screen(page, page.get_by_role("link", name="Avaa chat"), "the Open chat button")
    assert_on_screen(page, page.locator("[data-booking]", has_text="Toinen vanhempi"), "an upcoming appointment")
    assert_accessible(page, "dashboard at 390 px")


def test_the_team_calendar_on_a_phone_is_a_day_list_per_worker(live_server_url, new_context, service, worker, make_worker, add_availability):
    site = live_server_url
    day = _later_day()
    colleagues = [make_worker("Sanna"), make_worker("Mikko")]
    for colleague in colleagues:
        add_availability(colleague, service, day.weekday(), "10:00", "13:00")
    add_availability(worker, service, day.weekday(), "10:00", "13:00")
    for i, w in enumerate([worker, *colleagues]):
        _booking(service, w, _at(day, 10 + i), nickname=f"N{i}")
    coordinator = make_worker("Koordinaattori", role=User.Role.COORDINATOR)
    page = signed_in(new_context, site, coordinator, **PHONE).new_page()
    for view in ("day", "week"):
        page.goto(f"{site}/staff/team/?view={view}&date={day:%Y-%m-%d}")
        assert_fits_the_screen(page, f"the team calendar ({view})")
        for name in ("Mikko", "Sanna", "Tuija"):
            assert_on_screen(page, page.get_by_role("heading", name=name), f"{name}'s heading ({view})")
        assert_on_screen(page, page.get_by_role("link", name="Siirrä, anna toiselle tai peru"), f"the change links ({view})")
        assert_on_screen(page, page.get_by_role("link", name="Anna päivän ajat toisille"), f"the hand-over-day links ({view})")
        assert_accessible(page, f"team calendar ({view}) at 390 px")


def test_a_slot_blocked_from_the_calendar_is_unblocked_from_the_calendar(live_server_url, new_context, service, make_worker, add_availability):
    site = live_server_url
    day = _later_day()
    sanna = make_worker("Sanna")
    add_availability(sanna, service, day.weekday(), "14:00", "16:00")
    page = signed_in(new_context, site, sanna, **PHONE).new_page()
    page.goto(f"{site}/staff/calendar/?view=day&date={day:%Y-%m-%d}")
    first = page.locator(".cal-free", has_text="14.00")
    assert service.title in first.inner_text()
    first.get_by_role("button", name="Estä").click()
    page.locator(".notice.success").wait_for()
    assert page.url.endswith(f"/staff/calendar/?view=day&date={day:%Y-%m-%d}")
    blocked = page.locator(".cal-blocked")
    assert "Estetty" in blocked.inner_text() and "14.00–14.45" in blocked.inner_text()
    assert page.locator(".cal-free", has_text="14.00").count() == 0
    assert_fits_the_screen(page, "the calendar with a blocked slot")
    assert_accessible(page, "calendar with a blocked slot")

    blocked.get_by_role("button", name="Poista esto").click()
    page.locator(".notice.success").wait_for()
    assert page.locator(".cal-blocked").count() == 0
    assert page.locator(".cal-free", has_text="14.00").count() == 1
    assert not AvailabilityException.objects.exists()


def test_the_coordinator_moves_an_appointment_to_a_listed_free_time_and_is_back_on_the_day(
    live_server_url, new_context, service, worker, make_worker, add_availability
):
    site = live_server_url
    day = _later_day()
    add_availability(worker, service, day.weekday(), "10:00", "13:00")
    sanna = make_worker("Sanna")
    add_availability(sanna, service, day.weekday(), "10:00", "13:00")
    booking = _booking(service, worker, _at(day, 11), nickname="Siirrettävä")
    coordinator = make_worker("Koordinaattori", role=User.Role.COORDINATOR)
    page = signed_in(new_context, site, coordinator, **PHONE).new_page()
    team_day = f"/staff/team/?view=day&date={day:%Y-%m-%d}"
    page.goto(site + team_day)
    page.locator(".team-list section", has_text="Tuija").get_by_role("link", name="Siirrä, anna toiselle tai peru").click()
    page.wait_for_url(f"**/staff/booking/{booking.pk}/**")

    buttons = page.locator("main form button[type=submit]").all_inner_texts()
    assert len(buttons) == 3 and len(set(buttons)) == 3, buttons
    assert_fits_the_screen(page, "the move page")
    assert_accessible(page, "move, hand over or cancel at 390 px")

    new_time = _at(day, 12)
    choice = page.get_by_label("Uusi aika")
    offered = choice.locator("option").all_inner_texts()
    assert "12.00" in offered and "10.00" in offered
    choice.select_option(new_time.isoformat())
    page.get_by_role("button", name="Siirrä tähän aikaan").click()
    page.wait_for_url(f"**{team_day}")
    page.locator(".notice.success").wait_for()
    booking.refresh_from_db()
    assert booking.start == new_time and booking.worker == worker

    # The hand-over-day page has its own word too, and is accessible.
    page.goto(f"{site}/staff/team/hand-over/{worker.pk}/{day:%Y-%m-%d}/")
    (word,) = page.locator("main form button[type=submit]").all_inner_texts()
    assert word not in buttons[:1]
    assert_accessible(page, "hand over the day at 390 px")
