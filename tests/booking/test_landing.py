"""The landing page: every service with its audience and next free time, and the channels' status."""

import pytest
import time_machine
from bs4 import BeautifulSoup

from booking.models import Service
from tests.conftest import local

pytestmark = pytest.mark.django_db


def page(client):
    response = client.get("/", {}, HTTP_COOKIE="django_language=en")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def test_landing_page_shows_a_single_service_instead_of_redirecting(client, worker, service):
    response = client.get("/")
    assert response.status_code == 200
    assert service.name in response.content.decode()


def test_landing_page_lists_each_service_with_audience_and_next_free_time(client, worker, service, add_availability):
    young = Service.objects.create(
        slug="nuoret", name="Nuorten ajanvarauschat", audience=Service.Audience.YOUNG_PEOPLE, theme=Service.Theme.VIOLET,
        ordering=10,
    )
    add_availability(worker, young, 5, "12:00", "14:00")  # Saturdays
    service.audience = Service.Audience.PARENTS
    service.save()
    with time_machine.travel(local(2026, 11, 23, 8), tick=False):  # Monday morning
        soup = page(client)
    cards = soup.select(".service-card")
    assert [c.h2.get_text(strip=True) for c in cards] == [service.name, young.name]
    parents, youth = cards
    assert "For: Parents" in parents.get_text()
    assert "For: Young people" in youth.get_text()
    assert "theme-violet" in youth["class"]
    assert parents.select_one(".next-free time")["datetime"] == "2026-11-23T10:00:00+02:00"
    assert youth.select_one(".next-free time")["datetime"] == "2026-11-28T12:00:00+02:00"
    assert youth.find("a", href="/book/nuoret/") is not None


def test_landing_page_says_when_a_service_has_no_free_times(client, service):
    soup = page(client)
    assert "No free times at the moment." in soup.select_one(".service-card").get_text()


def test_landing_page_shows_whether_the_phone_and_chat_are_open_now(client):
    with time_machine.travel(local(2026, 11, 25, 11), tick=False):  # Wednesday: phone open, chat closed
        soup = page(client)
    items = {i.select_one(".status-name").get_text(strip=True): i for i in soup.select(".channel-status .status-item")}
    assert "Open now, until 13:00" in items["Phone"].get_text()
    assert "Closed now. Opens tomorrow at 17:00" in items["Drop-in chat"].get_text()
    assert "Open around the clock" in items["Letter service"].get_text()


def test_language_switch_names_each_language_in_itself(client):
    soup = page(client)
    names = [b.get_text(strip=True) for b in soup.select(".lang-form button")]
    assert names == ["Suomi", "Svenska", "English"]
