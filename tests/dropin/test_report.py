"""The statistics report shows the channels side by side and together: appointment chats, drop-in
chats and letters (the report is channel-generic: a channel of stats.models.Channel appears with no
more work)."""

import csv
import datetime as dt
import io

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from booking import codes
from booking.models import Booking
from stats import selectors, services as stats_services
from stats.models import Topic
from tests.conftest import staff_actor, staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_channels(service, worker, make_worker):
    volunteer = make_worker("Vapaa", role="volunteer")
    school = Topic.objects.get(name_fi="Lintsaaminen")
    tired = Topic.objects.filter(about=Topic.About.ADULT, parent__isnull=False).first()
    now = timezone.now()
    start = now - dt.timedelta(days=2)
    booking = Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), nickname="x",
        code_hash=codes.hash_code(codes.generate()), status=Booking.Status.COMPLETED,
    )
    stats_services.record_save(actor=staff_actor(worker), booking=booking, topics=[school], contacted_by="mother")
    for i in range(2):
        stats_services.channel_record_save(
            actor=staff_actor(volunteer), channel="dropin_chat", source_key=f"dropin:{i}", when=now, topics=[school, tired],
            contacted_by="father",
        )
    stats_services.channel_record_save(
        actor=staff_actor(worker), channel="letter", source_key="letter:1", when=now, topics=[tired], contacted_by="other"
    )
    stats_services.feedback_save(channel="dropin_chat", helpful="yes", recommend="yes")
    return school, tired


def test_report_counts_each_channel_and_the_total(three_channels):
    school, tired = three_channels
    today = timezone.localdate()
    rep = selectors.report(start=today - dt.timedelta(days=30), end=today)
    contacts = {c["value"]: c["contacts"] for c in rep.channels}
    assert contacts == {"appointment_chat": 1, "dropin_chat": 2, "letter": 1} and rep.contacts_total == 4
    child = {r.label: r for r in rep.topics["child"]["rows"]}
    school_row = next(sub for row in child.values() for sub in row.children if sub.label == school.name)
    assert school_row.by_channel == [1, 2, 0] and school_row.count == 3
    who = {r.label: r.by_channel for r in rep.contacted_by}
    assert who["Äiti"] == [1, 0, 0] and who["Isä"] == [0, 2, 0] and who["Muu aikuinen"] == [0, 0, 1]
    assert [r.by_channel for r in rep.feedback_helpful][0] == [0, 1, 0]


def test_report_page_and_csv_show_the_channels_side_by_side(client, three_channels, make_worker):
    staff_login(client, make_worker("K", role="coordinator"))
    client.cookies["django_language"] = "en"
    today = timezone.localdate()
    query = f"start={today - dt.timedelta(days=30)}&end={today}"
    page = BeautifulSoup(client.get(f"/staff/reports/?{query}").content, "html.parser")
    assert page.select_one("[data-kpi=contacts-dropin_chat]").get_text() == "2"
    assert page.select_one("[data-kpi=contacts-letter]").get_text() == "1"
    assert page.select_one("[data-kpi=contacts-total]").get_text() == "4"
    heads = [th.get_text(strip=True) for th in page.select("table[data-topics=child] thead th")]
    assert heads == ["Topic", "Appointment chat", "Drop-in chat", "Letter service", "Total", "%"]
    response = client.get(f"/staff/reports/tilastot.csv?{query}")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert ["Contacts by channel", "Drop-in chat", "", "Total", "2"] in rows
    assert ["Contacts by channel", "Total", "", "Total", "4"] in rows
    assert ["Who contacted – Drop-in chat", "Father", "", "Total", "2"] in rows
    assert ["Who contacted", "Father", "", "Total", "2"] in rows  # the total table, where it always was
