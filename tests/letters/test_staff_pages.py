"""The staff's letter pages under /staff/letters/: every step a worker, a volunteer and the
coordinator take, and the refusals by role."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.utils import timezone

from letters import services
from letters.models import Letter, Thread
from staff.models import AuditEntry, User
from stats.models import ContactRecord, Topic
from tests.conftest import staff_actor, staff_login

pytestmark = pytest.mark.django_db


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def signed_in(user, *, mfa=True) -> Client:
    return staff_login(Client(), user, mfa=mfa)


def act(client, thread, action, **data):
    return client.post(f"/staff/letters/{thread.pk}/", {"action": action, **data})


def test_a_worker_takes_drafts_sends_and_records(write_letter, letter_worker):
    services.letter_create(actor=services.Actor.system(), text="vanha kirje", now=timezone.now() - timezone.timedelta(days=8)).thread
    thread, _ = write_letter(nickname="Äiti-K")
    worker = signed_in(letter_worker)
    inbox = page(worker.get("/staff/letters/"))
    rows = inbox.select("table.letter-table tbody tr")
    assert len(rows) == 2 and "is-overdue" in rows[0]["class"] and "Äiti-K" in rows[1].get_text()  # oldest first
    assert rows[0].select_one(".badge.overdue")

    assert act(worker, thread, "take").status_code == 302
    assert Thread.objects.get(pk=thread.pk).taken_by == letter_worker
    opened = page(worker.get(f"/staff/letters/{thread.pk}/"))
    assert "Lapsi ei nuku" in opened.get_text()
    assert opened.select_one("textarea[name=text]") is not None

    act(worker, thread, "save", text="Hei Äiti-K, ")
    assert Letter.objects.get(thread=thread, author="helpline").state == Letter.State.DRAFT
    assert "Hei Äiti-K" in page(worker.get(f"/staff/letters/{thread.pk}/")).select_one("textarea[name=text]").get_text()
    sent = act(worker, thread, "send", text="Hei Äiti-K, kiitos kirjeestä.")
    assert sent.status_code == 302 and sent["Location"] == f"/staff/letters/{thread.pk}/record/"
    assert Thread.objects.get(pk=thread.pk).status == Thread.Status.ANSWERED

    mine = page(worker.get("/staff/letters/?view=mine"))
    assert mine.select_one(f"a[href='/staff/letters/{thread.pk}/record/']")  # statistics to record
    topic = Topic.objects.filter(parent__isnull=False, about="adult").first()
    recorded = worker.post(f"/staff/letters/{thread.pk}/record/", {"adult_topics": [topic.pk], "contacted_by": "mother"})
    assert recorded.status_code == 302
    record = ContactRecord.objects.get(source_key=f"letter:{thread.pk}")
    assert record.channel == "letter" and list(record.topics.all()) == [topic]
    assert not page(worker.get("/staff/letters/?view=mine")).select_one(f"a[href='/staff/letters/{thread.pk}/record/']")


def test_a_volunteer_sends_for_approval_and_a_professional_approves(write_letter, volunteer, letter_worker):
    thread, code = write_letter()
    v = signed_in(volunteer)
    act(v, thread, "take")
    assert page(v.get(f"/staff/letters/{thread.pk}/")).select_one("button[name=action][value=send]").get_text(strip=True) == "Lähetä hyväksyttäväksi"
    act(v, thread, "send", text="Vapaaehtoisen vastaus.")
    assert Letter.objects.get(author="helpline").state == Letter.State.REVIEW
    assert services.find_by_code(actor=services.Actor.parent("x"), code=code).status == Thread.Status.WAITING

    w = signed_in(letter_worker)
    queue = page(w.get("/staff/letters/?view=review"))
    assert queue.select_one(f"a[href='/staff/letters/{thread.pk}/']")
    review = page(w.get(f"/staff/letters/{thread.pk}/"))
    assert "Vapaaehtoisen vastaus." in review.select_one(".letter-review").get_text()
    assert review.select_one("input[name=action][value=approve]")
    approved = act(w, thread, "approve")
    assert approved.status_code == 302 and approved["Location"] == "/staff/letters/?view=review"
    assert Letter.objects.get(author="helpline").state == Letter.State.SENT
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LETTER_APPROVE, actor=letter_worker).exists()


def test_a_reviewer_returns_an_answer_with_a_note(write_letter, volunteer, coordinator):
    thread, _ = write_letter()
    services.take(actor=staff_actor(volunteer), thread=thread)
    services.answer_send(actor=staff_actor(volunteer), thread=thread, text="vastaus")
    act(signed_in(coordinator), thread, "return", note="Lisää numero 112.")
    letter = Letter.objects.get(author="helpline")
    assert (letter.state, letter.review_note) == (Letter.State.DRAFT, "Lisää numero 112.")
    shown = page(signed_in(volunteer).get(f"/staff/letters/{thread.pk}/"))
    assert "Lisää numero 112." in shown.get_text() and shown.select_one("textarea[name=text]").get_text().strip() == "vastaus"


def test_role_refusals(write_letter, volunteer, letter_worker, make_worker):
    """A volunteer cannot approve; a colleague cannot read another's draft or write in a letter someone
    took; a password-only session gets no letter page."""
    thread, _ = write_letter()
    services.take(actor=staff_actor(volunteer), thread=thread)
    services.answer_send(actor=staff_actor(volunteer), thread=thread, text="TARKISTETTAVA")
    other_volunteer = signed_in(make_worker("Ville", role=User.Role.VOLUNTEER))
    assert other_volunteer.get(f"/staff/letters/{thread.pk}/").status_code == 403
    assert act(other_volunteer, thread, "approve").status_code == 403
    assert act(signed_in(volunteer), thread, "approve").status_code in (302, 403)
    assert Letter.objects.get(author="helpline").state == Letter.State.REVIEW
    assert other_volunteer.get("/staff/letters/?view=review").status_code == 200  # falls back to the inbox
    assert "TARKISTETTAVA" not in other_volunteer.get("/staff/letters/?view=review").content.decode()

    second, _ = write_letter(text="toinen kirje")
    services.take(actor=staff_actor(letter_worker), thread=second)
    services.draft_save(actor=staff_actor(letter_worker), thread=second, text="TUIJAN-LUONNOS")
    colleague = signed_in(make_worker("Sanna"))
    response = colleague.get(f"/staff/letters/{second.pk}/")
    assert response.status_code == 403 and "TUIJAN-LUONNOS" not in response.content.decode()
    assert act(colleague, second, "send", text="kaappaan").status_code == 403
    assert act(colleague, second, "flag", confirm="yes").status_code == 403
    assert act(colleague, second, "assign", to=colleague.session.get("_auth_user_id")).status_code == 403
    assert Letter.objects.get(thread=second, author="helpline").text == "TUIJAN-LUONNOS"

    password_only = signed_in(letter_worker, mfa=False)
    assert password_only.get("/staff/letters/").status_code == 302
    assert Client().get("/staff/letters/").status_code == 302


def test_taking_a_letter_someone_just_took_says_so(write_letter, letter_worker, volunteer):
    thread, _ = write_letter()
    services.take(actor=staff_actor(volunteer), thread=thread)
    worker = signed_in(letter_worker)
    response = act(worker, thread, "take")
    assert response.status_code == 302 and response["Location"] == "/staff/letters/"
    assert Thread.objects.get().taken_by == volunteer


def test_the_coordinator_sees_every_letter_and_assigns(write_letter, coordinator, letter_worker, make_worker):
    thread, _ = write_letter()
    services.take(actor=staff_actor(letter_worker), thread=thread)
    services.draft_save(actor=staff_actor(letter_worker), thread=thread, text="keskeneräinen")
    sanna = make_worker("Sanna")
    c = signed_in(coordinator)
    listed = page(c.get("/staff/letters/?view=all"))
    assert "Tuija" in listed.select_one("table.letter-table tbody").get_text()
    shown = page(c.get(f"/staff/letters/{thread.pk}/"))
    assert "keskeneräinen" in shown.get_text()  # the coordinator may read a draft
    assert act(c, thread, "assign", to=sanna.pk).status_code == 302
    thread.refresh_from_db()
    assert thread.taken_by == sanna
    assert AuditEntry.objects.get(action=AuditEntry.Action.LETTER_ASSIGN).target_worker == sanna
    assert "keskeneräinen" in signed_in(sanna).get(f"/staff/letters/{thread.pk}/").content.decode()


def test_release_and_flag_from_the_page(write_letter, letter_worker):
    thread, code = write_letter()
    w = signed_in(letter_worker)
    act(w, thread, "take")
    assert act(w, thread, "release")["Location"] == "/staff/letters/"
    assert Thread.objects.get().taken_by is None
    act(w, thread, "take")
    unconfirmed = act(w, thread, "flag")
    assert unconfirmed.status_code == 302 and Thread.objects.get().status == Thread.Status.WAITING
    act(w, thread, "flag", confirm="yes")
    assert Thread.objects.get().status == Thread.Status.FLAGGED
    assert services.thread_by_code(code) is None
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LETTER_FLAG, actor=letter_worker).exists()


def test_saved_replies_are_offered_while_answering(write_letter, letter_worker):
    from chatrooms.models import SavedReply

    SavedReply.objects.create(owner=None, title="Kriisipuhelin", text="09 2525 0111")
    thread, _ = write_letter()
    w = signed_in(letter_worker)
    act(w, thread, "take")
    button = page(w.get(f"/staff/letters/{thread.pk}/")).select_one("[data-insert]")
    assert button["data-insert"] == "09 2525 0111"


def test_an_empty_answer_is_a_field_error(write_letter, letter_worker):
    thread, _ = write_letter()
    w = signed_in(letter_worker)
    act(w, thread, "take")
    response = act(w, thread, "send", text="  \x00 ")
    assert response.status_code == 400 and page(response).select_one(".field-error")
    assert Thread.objects.get().status == Thread.Status.WAITING


def test_the_staff_navigation_links_the_inbox(letter_worker):
    html = page(signed_in(letter_worker).get("/staff/letters/"))
    assert html.select_one("nav.staff-nav a[href='/staff/letters/']")


@pytest.mark.parametrize("language, heading, take", [("fi", "Kirjeet", "Ota"), ("sv", "Brev", "Ta"), ("en", "Letters", "Take")])
def test_the_inbox_in_finnish_swedish_and_english(write_letter, letter_worker, language, heading, take):
    write_letter()
    client = signed_in(letter_worker)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    html = page(client.get("/staff/letters/"))
    assert html.select_one("main h1").get_text(strip=True) == heading
    assert html.select_one("table.letter-table button").get_text(" ", strip=True).startswith(take)


def test_the_inbox_takes_the_same_number_of_queries_for_3_or_30_letters(write_letter, letter_worker, coordinator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n):
        Thread.objects.all().delete()
        for i in range(n):
            thread, _ = write_letter(text=f"kirje {i}")
            if i % 2:
                services.take(actor=staff_actor(letter_worker), thread=thread)
                services.draft_save(actor=staff_actor(letter_worker), thread=thread, text="luonnos")
        counts = []
        for who, view in [(letter_worker, "open"), (letter_worker, "mine"), (coordinator, "all")]:
            client = signed_in(who)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(f"/staff/letters/?view={view}").status_code == 200
            counts.append(len(ctx.captured_queries))
        return counts

    assert queries(3) == queries(30)
