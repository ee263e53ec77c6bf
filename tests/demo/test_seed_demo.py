"""`manage.py seed_demo` (the demo app): demo data for a fresh install, idempotent, and never in production."""

import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from booking.models import Booking, Service
from staff.models import User

pytestmark = pytest.mark.django_db


def seed():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("site_url", ["https://ajanvaraus.example.fi", "https://ajanvaraus.mll.fi/"])
def test_seed_demo_refuses_a_production_installation(settings, site_url):
    """The demo's staff share a published password and TOTP secret: never on a public site."""
    settings.SITE_URL = site_url
    with pytest.raises(CommandError, match="production"):
        seed()
    assert not User.objects.exists() and not Service.objects.exists()


@pytest.mark.parametrize("site_url", ["http://127.0.0.1:8000", "https://localhost:8443", "http://demo.example.fi"])
def test_seed_demo_runs_on_a_local_or_plain_http_installation(settings, site_url):
    settings.SITE_URL = site_url
    assert "Demo data ready." in seed()
    assert User.objects.filter(email="admin@demo.mll.fi").exists()


def test_seed_demo_creates_the_parents_and_the_young_peoples_services():
    seed()
    seed()  # idempotent
    audiences = dict(Service.objects.values_list("slug", "audience"))
    assert audiences["vanhempainpuhelin"] == "parents"
    assert audiences["nuoret"] == Service.Audience.YOUNG_PEOPLE
    assert Service.objects.get(slug="nuoret").workers.exists()


def test_seed_demo_runs_again_after_the_purge_job_has_run():
    """`make run` a second time: the scheduled purge has run over the demo history in between."""
    from chatrooms import retention

    seed()
    booked = Booking.objects.count()
    retention.purge_due(now=timezone.now() + dt.timedelta(days=1))
    seed()
    assert Booking.objects.count() == booked


def test_seed_demo_prints_a_code_that_opens_a_chat_with_tuija_now(client):
    """`make run` should let a newcomer try the chat at once, without waiting for a bookable time."""
    code = re.search(r"enter the code (\S+)", seed()).group(1)
    joined = client.post("/join/", {"code": code})
    assert joined.status_code == 302 and joined["Location"] == "/chat/"
    # A second run replaces the unused demo booking: the old code is dead, the new one works.
    new_code = re.search(r"enter the code (\S+)", seed()).group(1)
    assert new_code != code
    assert Booking.objects.filter(nickname="Demo", status=Booking.Status.BOOKED).count() == 1
    other = client.__class__()
    assert other.post("/join/", {"code": code}).status_code == 400
    assert other.post("/join/", {"code": new_code}).status_code == 302


def test_seed_demo_books_the_next_free_worker_when_the_last_demo_chat_is_still_going():
    from chatrooms.models import ChatSession

    seed()
    first = Booking.objects.get(nickname="Demo", status=Booking.Status.BOOKED)
    ChatSession.objects.create(booking=first)  # somebody joined it: it must stay
    out = seed()
    assert Booking.objects.filter(pk=first.pk).exists()
    second = Booking.objects.exclude(pk=first.pk).get(nickname="Demo", status=Booking.Status.BOOKED)
    assert second.worker != first.worker
    assert re.search(r"enter the code \S+", out) and second.worker.email in out


def test_seed_demo_fills_the_coming_days_once_with_a_follow_up_among_them():
    seed()
    ahead = Booking.objects.filter(start__gt=timezone.now() + dt.timedelta(hours=1), status=Booking.Status.BOOKED)
    assert ahead.count() == 3
    follow_up = ahead.get(follow_up_of__isnull=False)
    assert follow_up.worker == follow_up.follow_up_of.worker and follow_up.worker.pseudonym == "Tuija"
    seed()
    assert ahead.count() == 3  # not again while they are still ahead


def test_the_demo_logins_make_run_prints_are_the_ones_seed_demo_creates():
    """The Makefile's `run` target prints the logins; they must exist with the printed password."""
    from pathlib import Path

    from demo.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

    seed()
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert f"password {DEMO_PASSWORD}" in makefile and DEMO_TOTP_SECRET in makefile
    for email in ("tuija@demo.mll.fi", "koordinaattori@demo.mll.fi", "admin@demo.mll.fi"):
        assert email in makefile
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD)


def test_the_demo_lives_in_its_own_app_above_the_others():
    from django.apps import apps
    from django.core.management import get_commands

    assert get_commands()["seed_demo"] == "demo"
    assert apps.is_installed("demo")
