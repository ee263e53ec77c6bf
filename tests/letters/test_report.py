"""The statistics report covers letters: a letter's record appears in the letter channel's column,
after the thread itself is gone."""

import pytest
from django.test import Client
from django.utils import timezone

from letters import services
from stats import selectors
from stats.models import Topic
from tests.conftest import staff_actor, staff_login

pytestmark = pytest.mark.django_db


def test_an_answered_letters_record_is_in_the_report_by_channel(answered, letter_worker, coordinator):
    thread, _ = answered
    topic = Topic.objects.filter(parent__isnull=False, about="child").first()
    services.record_save(actor=staff_actor(letter_worker), thread=thread, topics=[topic], contacted_by="mother")
    thread.delete()  # the purge: the statistics stay
    today = timezone.localdate()
    report = selectors.report(start=today.replace(month=1, day=1), end=today)
    letters = next(c for c in report.channels if c["value"] == "letter")
    assert letters["contacts"] == 1
    page = staff_login(Client(), coordinator).get("/staff/reports/")
    assert page.status_code == 200 and str(letters["label"]) in page.content.decode()
