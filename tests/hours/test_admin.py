"""Admins edit the opening hours in the Django admin."""

import datetime as dt

import pytest

from hours.models import Channel, WeeklyHours
from staff.models import User
from tests.conftest import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_worker):
    admin = make_worker("Admin", role=User.Role.ADMIN)  # with two-factor set up, as every staff account
    staff_login(client, admin)
    return client


def test_admin_sees_each_channel_with_its_weekly_hours(admin_client):
    phone = Channel.objects.get(slug="vanhempainpuhelin")
    response = admin_client.get(f"/admin/hours/channel/{phone.pk}/change/")
    assert response.status_code == 200
    assert WeeklyHours.objects.filter(channel=phone).count() == 7
    assert b"weekly_hours-TOTAL_FORMS" in response.content
    assert b"exceptions-TOTAL_FORMS" in response.content


def test_admin_adds_an_exception_closing_a_day(admin_client):
    chat = Channel.objects.get(slug="vanhempainchat")
    response = admin_client.post(
        "/admin/hours/hoursexception/add/",
        {"channel": chat.pk, "date": "2026-12-31", "start_time": "", "end_time": "", "note": "Uudenvuodenaatto"},
    )
    assert response.status_code == 302
    assert chat.exceptions.get().date == dt.date(2026, 12, 31)
