"""The statistics pages in Chromium (issue 13 #15, #16): the staff layout on all three, the report's
date fields showing their dates in Finnish, the month table whole at 1280 px, and axe clean."""

import datetime as dt

import pytest
from django.utils import timezone

from booking.models import Booking
from staff.models import User
from tests.e2e.test_accessibility import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def test_statistics_pages_in_the_staff_layout_with_iso_dates_and_a_whole_month_table(
    live_server_url, new_context, login_worker, service, make_worker
):
    site = live_server_url
    coordinator = make_worker("Koordinaattori", role=User.Role.COORDINATOR)
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=2)
    held = Booking.objects.create(
        service=service, worker=coordinator, start=start, end=start + dt.timedelta(minutes=45),
        status=Booking.Status.COMPLETED, code_hash="stats-e2e",
    )
    page = login_worker(new_context(viewport={"width": 1280, "height": 800}), site, coordinator)

    for path, name in [("/staff/stats/", "statistics to record"), (f"/staff/stats/{held.pk}/", "statistics record form"),
                       ("/staff/reports/", "report")]:
        page.goto(site + path)
        assert page.locator("nav.staff-nav").is_visible(), f"{name}: no staff menu"
        assert page.locator("nav.staff-nav a[href='/staff/']").is_visible()
        assert page.locator(".site-header .who").inner_text() == "Koordinaattori", f"{name}: no name"
        assert page.locator(".site-header form[action='/accounts/logout/'] button").is_visible(), f"{name}: no sign-out"
        assert_accessible(page, name)

    # Finnish page, a year of months: the date fields show the chosen dates, the month table is whole.
    first, last = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    page.goto(f"{site}/staff/reports/?start={first}&end={last}")
    assert page.locator("html").get_attribute("lang") == "fi"
    assert page.input_value("input[name=start]") == "2025-01-01"
    assert page.input_value("input[name=end]") == "2025-12-31"
    months = page.locator(".stats-months .table-scroll")
    assert months.locator("tbody tr").count() == 12
    fits = months.evaluate("(box) => ({scroll: box.scrollWidth, client: box.clientWidth})")
    assert fits["scroll"] <= fits["client"], f"the month table is clipped at 1280 px: {fits}"
    table = months.locator("table").bounding_box()
    box = months.bounding_box()
    assert table["x"] + table["width"] <= box["x"] + box["width"] + 0.5
    assert_accessible(page, "report for a year")

    # The default period is shown the same way.
    page.goto(f"{site}/staff/reports/")
    assert page.input_value("input[name=start]") == f"{timezone.localdate().replace(month=1, day=1):%Y-%m-%d}"

    # An odd date: the form says so (400), the page is still the staff page and accessible.
    response = page.goto(f"{site}/staff/reports/?start=9999-12-31&end=9999-12-31")
    assert response.status == 400
    assert page.locator(".report-filter .field-error").first.is_visible()
    assert page.locator("nav.staff-nav").is_visible()
    assert_accessible(page, "report with a date error")
