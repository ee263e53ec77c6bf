"""Anonymous contact statistics: the record after a session, feedback, reports and CSV."""

import csv
import datetime as dt
import io
from collections import Counter

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from booking.models import Booking
from chatrooms.models import ChatSession, Message
from demo.history import create_history
from staff.models import User
from stats import selectors, services
from stats.models import ContactRecord, Feedback, Topic
from tests.conftest import staff_actor, staff_login

pytestmark = pytest.mark.django_db


def held_booking(service, worker, *, days_ago=3, status=Booking.Status.COMPLETED, follow_up_of=None, n=[0]):
    n[0] += 1
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=days_ago)
    return Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), status=status,
        nickname="Nimimerkki-Q", topic="salainen-aihe-xyz", code_hash=f"h{n[0]}", follow_up_of=follow_up_of,
    )


def test_categories_are_seeded_from_the_source():
    mains = Topic.objects.filter(parent__isnull=True)
    assert list(mains.filter(about="child").values_list("name_fi", flat=True)) == [
        "Kehitysvaiheet", "Koulu ja varhaiskasvatus", "Arjen haasteet", "Ihmissuhteet", "Psyykkinen terveys"]
    assert list(mains.filter(about="adult").values_list("name_fi", flat=True)) == [
        "Vanhemmuuden pohdinta", "Ihmissuhteet", "Arjen haasteet ja rajojen asettaminen", "Psyykkinen terveys"]
    assert Topic.objects.filter(parent__name_fi="Kehitysvaiheet", name_fi="Syöminen ja nukkuminen").exists()
    assert Topic.objects.filter(parent__isnull=False).count() >= 30


def test_worker_records_statistics_for_their_own_session(client, service, worker):
    booking = held_booking(service, worker)
    staff_login(client, worker)
    sub = Topic.objects.get(name_fi="Syöminen ja nukkuminen")
    adult = Topic.objects.get(name_fi="Vanhempien ero")
    missing = client.get("/staff/stats/")
    assert f"/staff/stats/{booking.pk}/" in missing.content.decode()
    response = client.post(
        f"/staff/stats/{booking.pk}/",
        {"child_topics": [sub.pk], "adult_topics": [adult.pk], "child_age_group": "3-6", "contacted_by": "mother",
         "professional_help_discussed": "on"},
    )
    assert response.status_code == 302
    record = ContactRecord.objects.get(booking=booking)
    assert set(record.topics.all()) == {sub, adult}
    assert record.professional_help_discussed and not record.guided_to_services
    assert selectors.sessions_missing_record(worker=worker) == []


def test_a_topic_is_never_counted_twice(service, worker):
    booking = held_booking(service, worker)
    sub = Topic.objects.get(name_fi="Syöminen ja nukkuminen")
    sibling = Topic.objects.get(name_fi="Rajojen asettaminen", parent__name_fi="Kehitysvaiheet")
    services.record_save(actor=staff_actor(worker), booking=booking, topics=[sub, sub, sibling])
    assert ContactRecord.objects.get().topics.count() == 2
    today = timezone.localdate()
    rep = selectors.report(start=today - dt.timedelta(days=30), end=today)
    development = next(r for r in rep.topics["child"]["rows"] if r.label == "Kehitysvaiheet")
    assert development.count == 1  # two sub-topics of one category: the category counts once
    assert {c.label: c.count for c in development.children}["Syöminen ja nukkuminen"] == 1


def test_worker_cannot_record_another_workers_session(client, service, worker, make_worker):
    booking = held_booking(service, worker)
    other = make_worker("Sanna")
    staff_login(client, other)
    assert client.get(f"/staff/stats/{booking.pk}/").status_code == 404
    assert client.post(f"/staff/stats/{booking.pk}/", {"contacted_by": "father"}).status_code == 404
    assert not ContactRecord.objects.exists()


def test_session_not_yet_ended_cannot_be_recorded(service, worker):
    booking = held_booking(service, worker, status=Booking.Status.BOOKED)
    with pytest.raises(services.StatsError):
        services.record_save(actor=staff_actor(worker), booking=booking, topics=[])


def test_reports_are_for_coordinators_and_admins_only(client, service, worker, make_worker):
    staff_login(client, worker)
    assert client.get("/staff/reports/").status_code == 403
    assert client.get("/staff/reports/tilastot.csv").status_code == 403
    coordinator = make_worker("Koordinaattori", role=User.Role.COORDINATOR)
    staff_login(client, coordinator)
    assert client.get("/staff/reports/").status_code == 200


def test_statistics_survive_the_purge_of_chat_content(client, service, worker, make_worker):
    booking = held_booking(service, worker)
    session = ChatSession.objects.create(booking=booking, opened_at=booking.start, ended_at=booking.end)
    Message.objects.create(session=session, role="parent", text="hyvin henkilökohtaista")
    services.record_save(actor=staff_actor(worker), booking=booking, topics=[Topic.objects.get(name_fi="Lintsaaminen")], contacted_by="father")
    today = timezone.localdate()
    before = selectors.report(start=today - dt.timedelta(days=30), end=today)
    # What the purge does: delete the messages and the free text, clear the nickname.
    Message.objects.all().delete()
    Booking.objects.filter(pk=booking.pk).update(nickname="", topic="")
    session.delete()
    after = selectors.report(start=today - dt.timedelta(days=30), end=today)
    assert after.totals == before.totals
    assert [r.count for r in after.contacted_by] == [r.count for r in before.contacted_by]
    school = next(r for r in after.topics["child"]["rows"] if r.label == "Koulu ja varhaiskasvatus")
    assert school.count == 1
    # Nothing anyone wrote is in the report.
    staff_login(client, make_worker("K", role=User.Role.COORDINATOR))
    page = client.get("/staff/reports/").content.decode()
    assert "henkilökohtaista" not in page and "Nimimerkki-Q" not in page


def test_csv_has_aggregates_only(client, service, worker, make_worker):
    for i in range(3):
        b = held_booking(service, worker, days_ago=2 + i)
        services.record_save(actor=staff_actor(worker), booking=b, topics=[Topic.objects.get(name_fi="Lintsaaminen")], contacted_by="mother")
    staff_login(client, make_worker("K", role=User.Role.COORDINATOR))
    today = timezone.localdate()
    response = client.get(f"/staff/reports/tilastot.csv?start={today - dt.timedelta(days=30)}&end={today}")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Osio", "Luokka", "Alaluokka", "Kuukausi", "Määrä"]  # the page's language: Finnish first
    held_total = [r for r in rows if r[:2] == ["Ajat", "Käyty"] and r[3] == "Yhteensä"]
    assert held_total == [["Ajat", "Käyty", "", "Yhteensä", "3"]]
    lintsaaminen = [r for r in rows if r[2] == "Lintsaaminen"]
    assert lintsaaminen[0][-1] == "3"
    text = response.content.decode("utf-8-sig")
    assert "Nimimerkki-Q" not in text and "salainen-aihe-xyz" not in text and str(worker.email) not in text


def test_parent_gives_feedback_once_and_it_is_not_linked_to_the_booking(client, service, worker):
    booking = held_booking(service, worker)
    session = client.session
    session["chat_booking"] = booking.pk
    session.save()
    response = client.post("/feedback/", {"helpful": "yes", "recommend": "maybe"})
    assert response.status_code == 200
    client.post("/feedback/", {"helpful": "no", "recommend": "no"})
    assert Feedback.objects.count() == 1
    fb = Feedback.objects.get()
    assert (fb.helpful, fb.recommend, fb.month.day) == ("yes", "maybe", 1)
    assert {f.name for f in Feedback._meta.get_fields()} == {"id", "channel", "service", "month", "helpful", "recommend"}


def test_feedback_needs_a_finished_chat(client):
    response = client.post("/feedback/", {"helpful": "yes", "recommend": "yes"})
    assert response.status_code == 200 and not Feedback.objects.exists()


def test_report_matches_the_demo_history_counted_independently(client, service, worker, make_worker, add_availability):
    other = make_worker("Mikko")
    add_availability(other, service, 3, "17:00", "20:00")
    made = create_history(service=service, days=365)
    assert made > 50
    assert create_history(service=service, days=365) == 0  # idempotent
    today = timezone.localdate()
    start = today - dt.timedelta(days=400)
    rep = selectors.report(start=start, end=today)

    # Recount straight from the rows, in plain Python.
    bookings = list(Booking.objects.all())
    statuses = Counter(b.status for b in bookings)
    assert rep.totals["booked"] == len(bookings) == made
    assert rep.totals["held"] == statuses["completed"]
    assert rep.totals["cancelled"] == statuses["cancelled"]
    assert rep.totals["no_show"] == statuses["no_show"]
    assert rep.totals["follow_ups"] == sum(1 for b in bookings if b.follow_up_of_id)
    monthly = Counter(timezone.localtime(b.start).strftime("%Y-%m") for b in bookings if b.status == "completed")
    assert {m["month"].strftime("%Y-%m"): m["held"] for m in rep.by_month if m["held"]} == dict(monthly)

    held_records = [r for r in ContactRecord.objects.prefetch_related("topics__parent") if r.outcome == "held"]
    who = Counter(r.contacted_by for r in held_records)
    assert [row.count for row in rep.contacted_by] == [who["mother"], who["father"], who["other"]]
    per_main = Counter()
    for r in held_records:
        for main in {t.parent_id for t in r.topics.all()}:
            per_main[main] += 1
    child_rows = {row.label: row.count for row in rep.topics["child"]["rows"]}
    for row in Topic.objects.filter(about="child", parent__isnull=True):
        assert child_rows[row.name] == per_main.get(row.pk, 0)
    feedback = Counter(Feedback.objects.values_list("helpful", flat=True))
    assert [row.count for row in rep.feedback_helpful] == [feedback["yes"], feedback["partly"], feedback["no"]]

    staff_login(client, make_worker("K", role=User.Role.COORDINATOR))
    page = BeautifulSoup(client.get(f"/staff/reports/?start={start}&end={today}").content, "html.parser")
    assert page.select_one("[data-kpi=held]").get_text() == str(statuses["completed"])
    assert page.select_one("svg.chart") is not None and not page.select("script:not([src])")


def test_csv_for_sharing_shows_small_counts_only_as_under_five(client, service, worker, make_worker):
    for i in range(6):
        b = held_booking(service, worker, days_ago=2 + i)
        topics = [Topic.objects.get(name_fi="Lintsaaminen")] + ([Topic.objects.get(name_fi="Läksyt ja opiskelu")] if i < 2 else [])
        services.record_save(actor=staff_actor(worker), booking=b, topics=topics, contacted_by="mother" if i else "father")
    staff_login(client, make_worker("K", role=User.Role.COORDINATOR))
    today = timezone.localdate()
    query = f"start={today - dt.timedelta(days=30)}&end={today}"

    def rows(extra=""):
        response = client.get(f"/staff/reports/tilastot.csv?{query}{extra}")
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))

    def value(table, subcategory):
        return [r[-1] for r in table if r[2] == subcategory][0]

    exact, shared = rows(), rows("&hide_small=on")
    assert value(exact, "Lintsaaminen") == "6" and value(shared, "Lintsaaminen") == "6"
    assert value(exact, "Läksyt ja opiskelu") == "2" and value(shared, "Läksyt ja opiskelu") == "<5"
    assert value(shared, "Oppimisvaikeudet") == "0"  # a zero gives nobody away
    father = [r for r in shared if r[0] == "Yhteydenottaja" and r[-1] == "<5"]
    assert len(father) == 1
    assert not [r for r in exact if r[-1] == "<5"]
