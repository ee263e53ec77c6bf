"""A volunteer's staff menu offers what a volunteer may use: the drop-in desk, letters, saved
replies; no calendar, no appointments (those pages refuse them anyway)."""

import pytest
from bs4 import BeautifulSoup

from staff.models import User
from tests.conftest import staff_login

pytestmark = pytest.mark.django_db


def menu(client, url):
    page = BeautifulSoup(client.get(url).content, "html.parser")
    return {a["href"] for a in page.select("nav.staff-nav a")}


def test_a_volunteer_sees_no_calendar_links_and_a_worker_does(client, make_worker):
    volunteer = make_worker("Veera", role=User.Role.VOLUNTEER)
    staff_login(client, volunteer)
    links = menu(client, "/staff/saved-replies/")
    assert "/staff/dropin/" in " ".join(links) or any("dropin" in h for h in links)
    assert not {"/staff/calendar/", "/staff/availability/", "/staff/calendar-feed/"} & links
    for url in ("/staff/calendar/", "/staff/availability/"):
        assert client.get(url).status_code == 403
    worker = make_worker("Tuija")
    staff_login(client, worker)
    assert {"/staff/calendar/", "/staff/availability/"} <= menu(client, "/staff/saved-replies/")
