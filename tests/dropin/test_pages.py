"""The drop-in chat's pages: the parent's (start, chat, rejoin, feedback, the landing page, the public
status) and the staff's (desk, duty room, shifts), with the role refusals."""

import datetime as dt

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.test import Client

from booking import codes
from booking.models import Booking
from chatrooms import services as chat_services
from chatrooms.models import Message
from dropin import services
from dropin.models import Contact, DutyShift
from staff.models import AuditEntry
from stats.models import ContactRecord, Feedback, Topic
from tests.conftest import local, staff_login
from tests.dropin.conftest import actor, enter

pytestmark = pytest.mark.django_db


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


# --- the parent ---------------------------------------------------------------------------------------
def test_start_a_chat_shows_the_code_once_in_the_browser_only(always_open, client):
    page = client.get("/dropin/")
    assert page.status_code == 200 and soup(page).select_one("form input[name=nickname]")
    refused = client.post("/dropin/", {"nickname": "Äiti"})  # the privacy notice not accepted
    assert refused.status_code == 400 and not Contact.objects.exists()
    response = client.post("/dropin/", {"nickname": "Äiti", "topic": "Uni", "audience": "child", "privacy": "on"})
    assert response.status_code == 302 and response["Location"] == "/dropin/chat/"
    contact = Contact.objects.get()
    assert client.session["dropin_contact"] == contact.pk
    chat = client.get("/dropin/chat/")
    shown = soup(chat).select_one("[data-testid=dropin-code]").get_text(strip=True)
    assert contact.code_hash == codes.hash_code(shown)
    root = soup(chat).select_one("#chat")
    assert root["data-channel"] == "dropin" and root["data-ws-path"] == "/ws/dropin/"
    assert soup(chat).select_one(".footer-status") is None  # issue 13, item 6
    assert shown not in str(client.session.items())  # the code is in the browser's cookie, not the session


def test_closed_and_last_entry_pages_offer_the_alternatives(chat_channel, client, service, worker):
    with time_machine.travel(local(2026, 11, 25, 11), tick=False):  # Wednesday: closed
        page = soup(client.get("/dropin/", HTTP_COOKIE="django_language=en"))
        text = page.get_text(" ", strip=True)
        assert "closed right now" in text
        assert "opens again tomorrow at 17:00" in text  # the next opening (Thu 17–20)
        assert page.select_one("a[href='/letters/']")
        assert page.select_one("a[href^='/book/']")  # the appointment chat's next free time
        assert page.select_one("form input[name=nickname]") is None
        refused = client.post("/dropin/", {"privacy": "on"}, HTTP_COOKIE="django_language=en")
        assert refused.status_code == 409 and not Contact.objects.exists()
    with time_machine.travel(local(2026, 11, 23, 12, 50), tick=False):  # Monday, 10 minutes before closing
        text = soup(client.get("/dropin/", HTTP_COOKIE="django_language=en")).get_text(" ", strip=True)
        assert "no new chats are started" in text


def test_the_landing_page_and_the_status_show_the_drop_in_chat(chat_channel, client):
    with time_machine.travel(local(2026, 11, 23, 11), tick=False):
        home = soup(client.get("/", HTTP_COOKIE="django_language=en"))
        entry = home.select_one(".dropin-entry")
        assert entry.select_one("a[href='/dropin/']") and "No queue" in entry.get_text()
        cache.clear()
        enter(3)
        status = client.get("/api/v1/status/?lang=en").json()
        chat = next(c for c in status["channels"] if c["kind"] == "chat")
        assert chat["open"] is True and chat["accepting"] is True and chat["queue"] == "long"
        assert chat["queue_text"] == "A long wait" and chat["start_url"].endswith("/dropin/")
        assert chat["last_entry"].startswith("2026-11-23T12:45")
        phone = next(c for c in status["channels"] if c["kind"] == "phone")
        assert set(phone) == {"slug", "kind", "name", "url", "open", "always_open", "until", "next_opening", "text"}
        widget = soup(client.get("/widget/status/?lang=en"))
        assert "A long wait" in widget.get_text()
    with time_machine.travel(local(2026, 11, 23, 12, 50), tick=False):
        cache.clear()
        chat = next(c for c in client.get("/api/v1/status/").json()["channels"] if c["kind"] == "chat")
        assert chat["open"] is True and chat["accepting"] is False
    with time_machine.travel(local(2026, 11, 25, 11), tick=False):
        cache.clear()
        chat = next(c for c in client.get("/api/v1/status/").json()["channels"] if c["kind"] == "chat")
        assert chat["open"] is False and chat["queue"] is None and chat["accepting"] is False
        home = soup(client.get("/", HTTP_COOKIE="django_language=en"))
        assert home.select_one(".dropin-entry a[href='/letters/']")


def test_rejoin_page(always_open, client, settings):
    (contact, code), = enter(1)
    wrong = client.post("/dropin/rejoin/", {"code": "ABCD-EFGH-JKMN"})
    assert wrong.status_code == 400 and soup(wrong).select_one("#code")["value"] == "ABCD-EFGH-JKMN"
    right = client.post("/dropin/rejoin/", {"code": code})
    assert right.status_code == 302 and client.session["dropin_contact"] == contact.pk
    settings.CODE_ATTEMPTS_LIMIT = 2
    settings.CODE_ATTEMPTS_SLOWDOWN_AFTER = 100
    other = Client()
    for _ in range(2):
        other.post("/dropin/rejoin/", {"code": codes.generate()})
    assert other.post("/dropin/rejoin/", {"code": code}).status_code == 429


def test_feedback_after_a_chat(always_open, client, volunteer, on_duty):
    helper = volunteer()
    on_duty([(helper, 1)])
    client.post("/dropin/", {"privacy": "on"})
    contact = Contact.objects.get()
    assert "unavailable" in client.get("/dropin/feedback/").context
    services.take_next(actor=actor(helper))
    services.contact_end(contact=Contact.objects.get(pk=contact.pk), by="parent")
    page = client.get("/dropin/chat/")
    assert soup(page).select_one("#chat")["data-final"] == "ended"  # the page says it ended, no socket
    response = client.post("/dropin/feedback/", {"helpful": "yes", "recommend": "yes"})
    assert response.status_code == 200 and Feedback.objects.get().channel == "dropin_chat"
    client.post("/dropin/feedback/", {"helpful": "no", "recommend": "no"})
    assert Feedback.objects.count() == 1  # once


def test_quick_exit_forgets_the_code_cookie(always_open, client):
    client.post("/dropin/", {"privacy": "on"})
    assert client.cookies["dropin_code"].value
    response = client.post("/quick-exit/")
    assert response.cookies["dropin_code"].value == "" and response.cookies["dropin_code"]["path"] == "/dropin/"
    assert client.get("/dropin/chat/").status_code == 302  # the session is gone too


# --- staff ---------------------------------------------------------------------------------------------
def test_a_volunteer_lands_on_the_desk_and_has_no_calendars_appointments_or_statistics(always_open, client, volunteer, on_duty, worker, service):
    helper = volunteer()
    on_duty([(helper, 1)])
    staff_login(client, helper)
    assert client.get("/staff/")["Location"] == "/staff/dropin/"
    desk = client.get("/staff/dropin/")
    assert desk.status_code == 200 and soup(desk).select_one("form[action='/staff/dropin/present/']")
    nav = soup(desk).select_one("nav.staff-nav").get_text(" ")
    assert "Calendar" not in nav and "Kalenteri" not in nav
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).replace(microsecond=0)
    booking = Booking.objects.create(service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45),
                                     nickname="x", code_hash=codes.hash_code(codes.generate()))
    for url in (f"/staff/calendar/{worker.pk}/", "/staff/calendar/", "/staff/availability/", f"/staff/availability/{worker.pk}/",
                "/staff/team/", f"/staff/booking/{booking.pk}/", "/staff/reports/", "/staff/reports/tilastot.csv",
                f"/staff/chat/{booking.pk}/", f"/staff/stats/{booking.pk}/", "/staff/dropin/room/", "/staff/dropin/shifts/"):
        assert client.get(url).status_code in (403, 404), url


def test_a_chat_panel_is_only_for_the_one_who_has_it(always_open, client, volunteer, on_duty, coordinator):
    helper, other = volunteer("Eka"), volunteer("Toka")
    on_duty([(helper, 1), (other, 1)])
    enter(1)
    contact = services.take_next(actor=actor(helper))
    mine = staff_login(Client(), helper).get(f"/staff/dropin/chat/{contact.pk}/?embedded=1")
    assert mine.status_code == 200 and soup(mine).select_one("#chat")["data-join-field"] == "contact"
    assert mine["X-Frame-Options"] == "SAMEORIGIN" and "frame-ancestors 'self'" in mine["Content-Security-Policy"]
    assert staff_login(Client(), other).get(f"/staff/dropin/chat/{contact.pk}/").status_code == 404
    assert staff_login(Client(), coordinator).get(f"/staff/dropin/chat/{contact.pk}/").status_code == 404
    assert staff_login(Client(), helper, mfa=False).get(f"/staff/dropin/chat/{contact.pk}/").status_code == 302


def test_desk_take_side_support_and_record_through_the_pages(always_open, client, volunteer, on_duty):
    helper = volunteer()
    on_duty([(helper, 1)], present=False)
    staff_login(client, helper)
    client.post("/staff/dropin/present/", {"present": "1"})
    (contact, _code), = enter(1)
    client.post("/staff/dropin/take/")
    contact.refresh_from_db()
    assert contact.taken_by == helper
    state = client.get("/staff/dropin/state/").json()
    assert state["chats"] == [contact.pk]
    panel = soup(client.get(f"/staff/dropin/panel/{contact.pk}/"))
    assert panel.select_one(f"iframe[src='/staff/dropin/chat/{contact.pk}/?embedded=1']")
    client.post(f"/staff/dropin/side/{contact.pk}/", {"text": "Apua?"})
    client.post(f"/staff/dropin/support/{contact.pk}/", {"on": "1"})
    contact.refresh_from_db()
    assert contact.support_requested_at is not None and contact.side_messages.get().text == "Apua?"
    services.contact_end(contact=contact, by="parent")
    desk = soup(client.get("/staff/dropin/"))
    assert desk.select_one(f"a[href='/staff/dropin/record/{contact.pk}/']")
    topic = Topic.objects.filter(parent__isnull=False, about=Topic.About.CHILD, is_active=True).first()
    response = client.post(f"/staff/dropin/record/{contact.pk}/", {"child_topics": [topic.pk], "child_age_group": "7-12"})
    assert response.status_code == 302, response.context["form"].errors
    assert ContactRecord.objects.get(source_key=f"dropin:{contact.pk}").channel == "dropin_chat"


def test_the_duty_room_reads_only_on_a_support_request_and_hands_over(always_open, client, volunteer, on_duty, coordinator):
    helper, other = volunteer("Eka"), volunteer("Toka")
    on_duty([(helper, 1), (other, 1)])
    enter(1)
    contact = services.take_next(actor=actor(helper))
    chat_services.message_post(session=contact.session, role=Message.Role.PARENT, text="Luottamuksellinen")
    staff_login(client, coordinator)
    room = soup(client.get("/staff/dropin/room/"))
    assert "Luottamuksellinen" not in room.get_text() and not room.select_one(f"a[href='/staff/dropin/room/read/{contact.pk}/']")
    refused = client.get(f"/staff/dropin/room/read/{contact.pk}/")
    assert refused.status_code == 403 and "Luottamuksellinen" not in refused.content.decode()
    services.support_set(actor=actor(helper), contact=contact, on=True)
    room = soup(client.get("/staff/dropin/room/live/"))
    assert room.select_one(f"a[href='/staff/dropin/room/read/{contact.pk}/']")
    read = client.get(f"/staff/dropin/room/read/{contact.pk}/")
    assert read.status_code == 200 and "Luottamuksellinen" in read.content.decode()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DROPIN_READ, actor=coordinator).count() == 1
    response = client.post(f"/staff/dropin/room/hand-over/{contact.pk}/", {"to_user": other.pk, "note": "Jatka tästä"})
    assert response.status_code == 302
    assert Contact.objects.get(pk=contact.pk).taken_by == other
    assert Contact.objects.get(pk=contact.pk).support_requested_at is None  # the request was the previous person's
    # Volunteers never reach the room.
    assert staff_login(Client(), helper).get(f"/staff/dropin/room/read/{contact.pk}/").status_code == 403


def test_the_coordinator_plans_a_shift(chat_channel, client, volunteer, coordinator):
    helper = volunteer()
    staff_login(client, coordinator)
    with time_machine.travel(local(2026, 11, 23, 8), tick=False):
        page = soup(client.get("/staff/dropin/shifts/"))
        links = [a["href"] for a in page.select("a[href^='/staff/dropin/shifts/']")]
        monday = int(local(2026, 11, 23, 10).timestamp())
        assert f"/staff/dropin/shifts/{monday}/" in links
        response = client.post(f"/staff/dropin/shifts/{monday}/", {"coordinator": coordinator.pk, f"on-{helper.pk}": "1", f"capacity-{helper.pk}": "2"})
        assert response.status_code == 302
        shift = DutyShift.objects.get()
        assert shift.starts_at == local(2026, 11, 23, 10) and shift.members.get().capacity == 2
        bad = client.post(f"/staff/dropin/shifts/{monday}/", {f"on-{helper.pk}": "1", f"capacity-{helper.pk}": "9"})
        assert bad.status_code == 400 and shift.members.get().capacity == 2
        assert client.get(f"/staff/dropin/shifts/{monday + 60}/").status_code == 404  # not an opening
        assert client.get("/staff/dropin/shifts/99999999999999/").status_code == 404


# --- the JSON API ----------------------------------------------------------------------------------------
def test_the_api_enters_looks_up_and_leaves(always_open, client):
    post = lambda path, body: client.post(path, body, content_type="application/json")  # noqa: E731
    entered = post("/api/v1/dropin/", {"nickname": "Äiti", "audience": "adult"})
    assert entered.status_code == 201 and entered["Cache-Control"] == "no-store"
    body = entered.json()
    assert body["status"] == "waiting" and body["position"] == 1 and body["socket"] == "/ws/dropin/" and codes.normalize(body["code"])
    second = post("/api/v1/dropin/", {}).json()
    assert post("/api/v1/dropin/lookup", {"code": second["code"]}).json()["position"] == 2
    left = post("/api/v1/dropin/leave", {"code": body["code"]})
    assert left.status_code == 200 and left.json()["status"] == "ended"
    assert post("/api/v1/dropin/lookup", {"code": second["code"]}).json()["position"] == 1
    assert post("/api/v1/dropin/lookup", {"code": body["code"]}).status_code == 409  # the code died with it
    assert post("/api/v1/dropin/lookup", {"code": "ABCD-EFGH-JKMN"}).status_code == 404
    bad = post("/api/v1/dropin/", {"nickname": 5, "topic": "x"})
    assert bad.status_code == 400 and "nickname" in bad.json()["error"]["fields"]
    assert post("/api/v1/dropin/", {"audience": "nobody"}).json()["error"]["fields"] == {"audience": [mock_any()]}
    assert client.get("/api/v1/dropin/").status_code == 405
    assert client.post("/api/v1/dropin/", "x=1", content_type="application/x-www-form-urlencoded").status_code == 415


def test_the_api_says_when_closed(chat_channel, client):
    with time_machine.travel(local(2026, 11, 25, 11), tick=False):
        refused = client.post("/api/v1/dropin/", {}, content_type="application/json")
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "closed"


class mock_any:  # noqa: N801
    def __eq__(self, other):
        return True
