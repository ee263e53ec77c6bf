"""The staff pages meet WCAG 2.1 AA too (axe-core in Chromium): calendars, availability, saved
replies, the team calendar, statistics and the report."""

import datetime as dt

import pytest
from django.utils import timezone

from booking.models import Booking
from staff.models import User
from tests.e2e.test_accessibility import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def test_staff_pages_have_no_accessibility_violations(live_server_url, new_context, login_worker, service, worker, make_worker):
    site = live_server_url
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1)
    held = Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), status=Booking.Status.COMPLETED, code_hash="a11y"
    )
    page = login_worker(new_context(), site, worker)
    for path, name in [
        ("/staff/calendar/", "worker week calendar"),
        (f"/staff/calendar/?view=day&date={timezone.localdate():%Y-%m-%d}", "worker day calendar"),
        ("/staff/availability/", "availability"),
        ("/staff/saved-replies/", "saved replies"),
        ("/staff/calendar-feed/", "calendar link"),
        ("/staff/stats/", "statistics to record"),
        (f"/staff/stats/{held.pk}/", "statistics record form"),
    ]:
        page.goto(site + path)
        assert_accessible(page, name)

    coordinator = make_worker("Koordinaattori", role=User.Role.COORDINATOR)
    page = login_worker(new_context(), site, coordinator)
    ahead = Booking.objects.create(
        service=service, worker=worker, start=start + dt.timedelta(days=3), end=start + dt.timedelta(days=3, minutes=45), code_hash="a11y-ahead"
    )
    for path, name in [
        ("/staff/team/?view=week", "team calendar"),
        ("/staff/reports/", "report"),
        (f"/staff/booking/{ahead.pk}/", "move, hand over or cancel"),
        (f"/staff/team/hand-over/{worker.pk}/{timezone.localtime(ahead.start):%Y-%m-%d}/", "hand over the day"),
    ]:
        page.goto(site + path)
        assert_accessible(page, name)


def test_staff_pages_fit_a_phone_screen(live_server_url, new_context, login_worker, service, worker, make_worker):
    """Workers check their day on a phone: no page may be wider than the screen (a wide table
    scrolls inside its own box, which the keyboard can reach)."""
    site = live_server_url
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=1)
    Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), nickname="Pitkä nimimerkki", code_hash="phone"
    )
    phone = {"viewport": {"width": 360, "height": 740}}
    page = login_worker(new_context(**phone), site, worker)
    for path in ["/staff/", "/staff/calendar/", "/staff/availability/", "/staff/saved-replies/", "/staff/stats/"]:
        page.goto(site + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide on a 360px screen"
    page.goto(site + "/staff/")
    assert_accessible(page, "dashboard on a phone")

    coordinator = make_worker("Koordinaattori", role=User.Role.COORDINATOR)
    page = login_worker(new_context(**phone), site, coordinator)
    for path in ["/staff/team/?view=week", "/staff/reports/"]:
        page.goto(site + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide on a 360px screen"
