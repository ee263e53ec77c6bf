"""A worker adds availability in the browser, and a parent sees the new times at once."""

import datetime as dt

import pytest
from django.utils import timezone

from booking.models import Availability
from tests.dates import open_day

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def test_worker_adds_a_weekly_time_and_the_parent_sees_it(live_server_url, new_context, login_worker, service, make_worker):
    site = live_server_url
    worker = make_worker("Sanna")
    service.workers.add(worker)
    day = open_day(timezone.localdate() + dt.timedelta(days=8))  # next week, well within the horizon
    monday = day - dt.timedelta(days=day.weekday())

    parent = new_context().new_page()
    parent.goto(f"{site}/book/{service.slug}/?week={monday:%Y-%m-%d}")
    assert parent.locator("a.slot").count() == 0

    staff = login_worker(new_context(), site, worker)
    staff.goto(f"{site}/staff/availability/")
    staff.select_option("#id_a-service", str(service.pk))
    staff.select_option("#id_a-weekday", str(day.weekday()))
    staff.fill("#id_a-start_time", "14:00")
    staff.fill("#id_a-end_time", "16:00")
    staff.locator("form:has(#id_a-service) button[type=submit]").click()
    staff.locator(".notice.success").wait_for()
    assert Availability.objects.filter(worker=worker, weekday=day.weekday()).exists()

    parent.reload()
    times = parent.locator("a.slot time").all_inner_texts()
    assert times == ["14.00", "15.00"]

    # The worker blocks one of them from the calendar, and the parent no longer sees it.
    staff.goto(f"{site}/staff/calendar/?view=day&date={day:%Y-%m-%d}")
    staff.locator(".cal-free", has_text="14.00").locator("button").click()
    staff.locator(".notice.success").wait_for()
    parent.reload()
    assert parent.locator("a.slot time").all_inner_texts() == ["15.00"]
