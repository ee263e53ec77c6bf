"""The landing page: every service with its audience and next free time, and the channels' status."""

import datetime as dt

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.utils import timezone

from booking.models import Booking, Service
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
    assert "Closed now. Opens tomorrow at 17:00" in items["Chat"].get_text()
    assert "Open around the clock" in items["Letter service"].get_text()


def test_seed_demo_creates_the_parents_and_the_young_peoples_services(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # idempotent
    audiences = dict(Service.objects.values_list("slug", "audience"))
    assert audiences["vanhempainpuhelin"] == "parents"
    assert audiences["nuoret"] == Service.Audience.YOUNG_PEOPLE
    assert Service.objects.get(slug="nuoret").workers.exists()


def test_language_switch_names_each_language_in_itself(client):
    soup = page(client)
    names = [b.get_text(strip=True) for b in soup.select(".lang-form button")]
    assert names == ["Suomi", "Svenska", "English"]


def test_seed_demo_runs_again_after_the_purge_job_has_run():
    """`make run` a second time: the scheduled purge has run over the demo history in between."""
    from chatrooms import retention

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    booked = Booking.objects.count()
    retention.purge_due(now=timezone.now() + dt.timedelta(days=1))
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert Booking.objects.count() == booked


def test_seed_demo_prints_a_code_that_opens_a_chat_with_tuija_now(client):
    """`make run` should let a newcomer try the chat at once, without waiting for a bookable time."""
    import io
    import re

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    code = re.search(r"enter the code (\S+)", out.getvalue()).group(1)
    joined = client.post("/join/", {"code": code})
    assert joined.status_code == 302 and joined["Location"] == "/chat/"
    # A second run replaces the unused demo booking: the old code is dead, the new one works.
    again = io.StringIO()
    call_command("seed_demo", stdout=again)
    new_code = re.search(r"enter the code (\S+)", again.getvalue()).group(1)
    assert new_code != code
    assert Booking.objects.filter(nickname="Demo", status=Booking.Status.BOOKED).count() == 1
    other = client.__class__()
    assert other.post("/join/", {"code": code}).status_code == 400
    assert other.post("/join/", {"code": new_code}).status_code == 302


def test_seed_demo_books_the_next_free_worker_when_the_last_demo_chat_is_still_going():
    import io
    import re

    from chatrooms.models import ChatSession

    call_command("seed_demo", stdout=io.StringIO())
    first = Booking.objects.get(nickname="Demo", status=Booking.Status.BOOKED)
    ChatSession.objects.create(booking=first)  # somebody joined it: it must stay
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert Booking.objects.filter(pk=first.pk).exists()
    second = Booking.objects.exclude(pk=first.pk).get(nickname="Demo", status=Booking.Status.BOOKED)
    assert second.worker != first.worker
    assert re.search(r"enter the code \S+", out.getvalue()) and second.worker.email in out.getvalue()


def test_seed_demo_fills_the_coming_days_once_with_a_follow_up_among_them():
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    ahead = Booking.objects.filter(start__gt=timezone.now() + dt.timedelta(hours=1), status=Booking.Status.BOOKED)
    assert ahead.count() == 3
    follow_up = ahead.get(follow_up_of__isnull=False)
    assert follow_up.worker == follow_up.follow_up_of.worker and follow_up.worker.pseudonym == "Tuija"
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert ahead.count() == 3  # not again while they are still ahead
