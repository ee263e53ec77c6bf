"""Issue 10, "One way in": each hole seen at one edge, tested at the edges that reach the rule.

These tests drive the pages, the JSON API and the chat socket as a parent, a worker or an attacker
would, and set their world up with the ORM only, so they ran unchanged against the main branch
before the fix (where each of them failed) and run against the services now. The finding numbers
are those of docs/security.md, "Issue 10: one way in".
"""

import asyncio
import base64
import datetime as dt
import json
import threading

import pytest
from bs4 import BeautifulSoup
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.utils import timezone

from booking import codes
from booking.models import Booking
from chatrooms.models import ChatSession, Message
from staff.models import User
from tests.conftest import local, mfa_session, staff_login
from tests.dates import open_day

ORIGIN = (b"origin", b"http://localhost")
API = "/api/v1"


# --- helpers ------------------------------------------------------------------------------------------
# (The world is set up with the ORM only, so that this file also ran against the main branch before
# the fix; staff sign in as allauth leaves a session after password and TOTP: tests.conftest.)


def booking_now(service, worker, *, minutes_from_now=5, nickname="Väsynyt", topic="aihe"):
    code = codes.generate()
    start = (timezone.now() + dt.timedelta(minutes=minutes_from_now)).replace(microsecond=0)
    booking = Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45),
        nickname=nickname, topic=topic, code_hash=codes.hash_code(code),
    )
    return booking, code


def post_json(client, url, body, **extra):
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


async def socket(cookie: bytes | None = None, client=("127.0.0.1", 40000)):
    headers = [ORIGIN, (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    from config.asgi import application

    comm = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    comm.scope["client"] = client
    connected, _ = await comm.connect()
    assert connected
    return comm


async def until(comm, wanted, limit=12):
    seen = []
    for _ in range(limit):
        frame = await comm.receive_json_from(timeout=5)
        seen.append(frame)
        if frame["type"] in ((wanted,) if isinstance(wanted, str) else wanted):
            return frame
    raise AssertionError(f"no {wanted} frame in {seen}")


async def join_parent(code):
    comm = await socket()
    await comm.send_json_to({"type": "join", "code": code})
    await until(comm, "joined")
    return comm


async def join_worker(user, booking_id):
    store = await database_sync_to_async(mfa_session)(user)
    comm = await socket(f"sessionid={store.session_key}".encode())
    await comm.send_json_to({"type": "join", "booking": booking_id})
    await until(comm, "joined")
    return comm


def free_follow_up_times(n, days=7):
    """Starts on ``n`` different open weekdays from ``days`` ahead, when the fixture worker (weekdays
    10–13) is free: no weekend, no public holiday or closed day (booking.selectors.closed_dates)."""
    day, starts = timezone.localdate() + dt.timedelta(days=days), []
    while len(starts) < n:
        day = open_day(day, weekdays=range(5))
        starts.append(dt.datetime.combine(day, dt.time(11), tzinfo=timezone.get_current_timezone()))
        day += dt.timedelta(days=1)
    return starts


def a_free_follow_up_time(worker, service, booking, days=7):
    """A start the worker is free at."""
    return free_follow_up_times(1, days)[0]


# --- finding 2: follow-ups from the chat go through the same rules as every booking ------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
async def test_no_follow_up_from_a_flagged_chat_through_the_socket(service, worker):
    booking, code = await database_sync_to_async(booking_now)(service, worker)
    parent = await join_parent(code)
    staff = await join_worker(worker, booking.pk)
    await until(parent, "opened")
    await staff.send_json_to({"type": "end", "flag": True})
    await until(parent, "ended")
    start = await database_sync_to_async(a_free_follow_up_time)(worker, service, booking)
    await parent.send_json_to({"type": "followup_book", "start": start.isoformat()})
    refused = await until(parent, ("error", "followup_booked"))
    assert refused["type"] == "error" and refused["code"] == "follow_up_not_allowed"
    assert not await database_sync_to_async(Booking.objects.filter(follow_up_of=booking).exists)()
    await parent.disconnect()
    await staff.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
async def test_follow_ups_from_the_chat_count_against_the_booking_limit_and_the_pending_cap(service, worker, settings):
    settings.BOOKINGS_PER_CLIENT_PER_HOUR = 3
    settings.FOLLOW_UPS_OPEN_PER_BOOKING = 2
    booking, code = await database_sync_to_async(booking_now)(service, worker)
    parent = await join_parent(code)
    answers = []
    # Seven different free times: every refusal is then the limits', never a time already taken.
    for start in await database_sync_to_async(free_follow_up_times)(7):
        await parent.send_json_to({"type": "followup_book", "start": start.isoformat()})
        answers.append(await until(parent, ("error", "followup_booked")))
    booked = [a for a in answers if a["type"] == "followup_booked"]
    assert len(booked) == 2, answers
    assert {a.get("code") for a in answers if a["type"] == "error"} == {"too_many_follow_ups"}
    assert await database_sync_to_async(Booking.objects.filter(follow_up_of=booking).count)() == 2
    await parent.disconnect()


@pytest.mark.django_db
def test_the_api_refuses_a_follow_up_of_a_flagged_contact(client, service, worker, time_machine):
    time_machine.move_to(local(2026, 11, 16, 8, 0), tick=False)
    code = codes.generate()
    start = local(2026, 11, 16, 10)
    previous = Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), nickname="A",
        code_hash=codes.hash_code(code),
    )
    ChatSession.objects.create(booking=previous, opened_at=timezone.now(), ended_at=timezone.now(), ended_by="worker", flagged=True)
    Booking.objects.filter(pk=previous.pk).update(status=Booking.Status.COMPLETED)
    if hasattr(Booking, "flagged"):
        Booking.objects.filter(pk=previous.pk).update(flagged=True)
    response = post_json(client, f"{API}/bookings/", {
        "service": service.slug, "start": "2026-11-23T10:00:00+02:00", "nickname": "A", "follow_up_of": code,
    })
    assert response.status_code == 400 and "follow_up_of" in response.json()["error"]["fields"]
    assert not Booking.objects.filter(follow_up_of=previous).exists()


# --- finding 3: guessing codes over many sockets at once --------------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
async def test_concurrent_wrong_codes_over_many_sockets_are_checked_at_most_the_limit(service, worker, settings, monkeypatch):
    from booking import selectors

    checked = []
    real = selectors.booking_by_code

    def counting(code):
        checked.append(code)
        return real(code)

    monkeypatch.setattr(selectors, "booking_by_code", counting)
    n = 60
    comms = [await socket() for _ in range(n)]
    await asyncio.gather(*(c.send_json_to({"type": "join", "code": "2345-6789-ABCD"}) for c in comms))
    answers = await asyncio.gather(*(until(c, "error") for c in comms))
    assert all(a["code"] in ("invalid_code", "rate_limited") for a in answers)
    assert len(checked) <= settings.CODE_ATTEMPTS_LIMIT, f"{len(checked)} of {n} wrong codes were looked up"
    for c in comms:
        await c.disconnect()


@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_codes_over_http_are_checked_at_most_the_limit(settings):
    """Threads posting wrong codes to the API at the same moment, from one client address."""
    results = []
    barrier = threading.Barrier(24)

    def guess():
        from django.test import Client

        c = Client()
        barrier.wait()
        try:
            results.append(post_json(c, f"{API}/bookings/lookup", {"code": "2345-6789-ABCD"}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 24 and set(results) <= {404, 429}, results
    assert results.count(404) <= settings.CODE_ATTEMPTS_LIMIT, results


# --- finding 4: reloading the confirmation page does not book again -----------------------------------
@pytest.mark.django_db
def test_reloading_the_confirmation_books_nothing_more(client, service, worker, make_worker, add_availability, time_machine):
    time_machine.move_to(local(2026, 11, 16, 8, 0), tick=False)
    other = make_worker("Sanna")
    add_availability(other, service, 0)
    form_page = BeautifulSoup(client.get(f"/book/{service.slug}/confirm/?start=2026-11-23T10%3A00%3A00%2B02%3A00").content, "html.parser")
    data = {i["name"]: i.get("value", "") for i in form_page.select("form.form input") if i.get("name")}
    data.update(nickname="Kaisa", privacy="on")
    first = client.post(f"/book/{service.slug}/confirm/", data, follow=True)
    code = BeautifulSoup(first.content, "html.parser").select_one("[data-testid=booking-code]").get_text().strip()
    assert Booking.objects.count() == 1
    # The browser's reload: the same form posted again, as a reload of a page answered to a POST does.
    again = client.post(f"/book/{service.slug}/confirm/", data, follow=True)
    assert Booking.objects.count() == 1, "a reload booked a second time"
    page = BeautifulSoup(again.content, "html.parser")
    assert page.select_one("[data-testid=booking-code]").get_text().strip() == code
    assert not page.select("[role=alert]"), "a reload must not say the time was just taken"
    # And a reload of the confirmation page itself (after the redirect) shows it again, booking nothing.
    assert first.redirect_chain, "the booking form must be answered with a redirect (post/redirect/get)"
    reload = client.get(first.redirect_chain[-1][0])
    assert reload.status_code == 200 and code in reload.content.decode()
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_the_api_with_an_idempotency_key_books_once(client, service, worker, make_worker, add_availability, time_machine):
    time_machine.move_to(local(2026, 11, 16, 8, 0), tick=False)
    add_availability(make_worker("Sanna"), service, 0)
    body = {"service": service.slug, "start": "2026-11-23T10:00:00+02:00", "nickname": "Kaisa"}
    key = "4f0c6a8e-2d7b-4b8e-9a51-0c3f3d0c1e77"
    first = post_json(client, f"{API}/bookings/", body, HTTP_IDEMPOTENCY_KEY=key)
    second = post_json(client, f"{API}/bookings/", body, HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201
    assert second.status_code == 200 and second.json()["code"] == first.json()["code"]
    assert Booking.objects.count() == 1


# --- finding 5: a booking cancelled after its chat opened ---------------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
async def test_cancelling_ends_an_open_chat_and_the_purge_then_deletes_it(service, worker, make_worker, settings):
    coordinator = await database_sync_to_async(make_worker)("Koordinaattori", role=User.Role.COORDINATOR)
    booking, code = await database_sync_to_async(booking_now)(service, worker)
    parent = await join_parent(code)
    staff = await join_worker(worker, booking.pk)
    await until(parent, "opened")
    await parent.send_json_to({"type": "message", "text": "ennen", "client_id": "a"})
    await until(parent, "ack")

    def cancel_as_coordinator():
        from django.test import Client

        c = staff_login(Client(), coordinator)
        return c.post(f"/staff/booking/{booking.pk}/", {"action": "cancel", "c-message": "Peruttu"})

    await database_sync_to_async(cancel_as_coordinator)()
    assert (await database_sync_to_async(Booking.objects.get)(pk=booking.pk)).status == Booking.Status.CANCELLED
    await until(parent, "ended")
    await parent.send_json_to({"type": "message", "text": "jälkeen", "client_id": "b"})
    refused = await until(parent, ("error", "ack"))
    assert refused["type"] == "error" and refused["code"] == "ended"
    assert not await database_sync_to_async(Message.objects.filter(text="jälkeen").exists)()
    await parent.disconnect()
    await staff.disconnect()

    def purge_later():
        from chatrooms import retention

        return retention.purge_due(now=timezone.now() + dt.timedelta(minutes=settings.PURGE_AFTER_MINUTES + 1))

    await database_sync_to_async(purge_later)()
    gone = await database_sync_to_async(Booking.objects.get)(pk=booking.pk)
    assert gone.nickname == "" and gone.topic == ""
    assert not await database_sync_to_async(Message.objects.filter(session__booking=booking).exists)()

    def look_up():
        from django.test import Client

        return post_json(Client(), f"{API}/bookings/lookup", {"code": code}).status_code

    assert await database_sync_to_async(look_up)() == 404, "a dead code stays dead"


@pytest.mark.django_db
def test_a_booking_whose_time_is_over_is_purged_whatever_its_status(service, worker):
    from chatrooms import retention

    booking, code = booking_now(service, worker, minutes_from_now=-120)
    session = ChatSession.objects.create(booking=booking, opened_at=booking.start, parent_joined_at=booking.start)
    Message.objects.create(session=session, role="parent", text="jäi")
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED, cancelled_at=timezone.now())
    retention.purge_due(now=timezone.now() + dt.timedelta(minutes=settings.PURGE_AFTER_MINUTES + 1))
    assert not Message.objects.filter(session=session).exists()
    assert Booking.objects.get(pk=booking.pk).nickname == ""


# --- finding 7: a worker is never shown without a pseudonym ---------------------------------------------
@pytest.mark.django_db
def test_a_worker_without_a_pseudonym_is_never_shown_by_their_email(client, service, make_worker, add_availability, time_machine):
    time_machine.move_to(local(2026, 11, 16, 8, 0), tick=False)
    unnamed = make_worker("x")
    User.objects.filter(pk=unnamed.pk).update(pseudonym="", email="matti.meikalainen@mll.fi")
    unnamed.refresh_from_db()
    add_availability(unnamed, service, 0)
    local_part = "matti.meikalainen"
    assert local_part not in unnamed.display_name
    for url in (f"{API}/services/", f"{API}/services/{service.slug}/slots/?from=2026-11-23&to=2026-11-23",
                f"/book/{service.slug}/?week=2026-11-23"):
        assert local_part not in client.get(url).content.decode(), url


# --- finding 10: no foreign page can make browsers book -------------------------------------------------
@pytest.mark.django_db
def test_the_api_refuses_plain_text_and_foreign_origins(client, service, worker, time_machine):
    time_machine.move_to(local(2026, 11, 16, 8, 0), tick=False)
    body = json.dumps({"service": service.slug, "start": "2026-11-23T10:00:00+02:00", "nickname": "X"})
    plain = client.post(f"{API}/bookings/", data=body, content_type="text/plain")
    assert plain.status_code == 415 and plain.json()["error"]["code"] == "unsupported_media_type"
    foreign = client.post(f"{API}/bookings/", data=body, content_type="application/json", HTTP_ORIGIN="https://evil.example")
    assert foreign.status_code == 403
    assert not Booking.objects.exists()
    same = client.post(f"{API}/bookings/", data=body, content_type="application/json", HTTP_ORIGIN="http://testserver")
    assert same.status_code == 201


# --- finding 13: redirects, calendar links, JSON errors ------------------------------------------------
@pytest.mark.django_db
def test_block_slot_never_redirects_off_site(client, service, worker, time_machine):
    time_machine.move_to(local(2026, 11, 16, 8, 0), tick=False)
    staff_login(client, worker)
    response = client.post("/staff/availability/", {
        "form": "block_slot", "start": "2026-11-23T10:00:00+02:00", "service": service.pk, "next": "https://evil.example/x",
    })
    assert response.status_code == 302
    assert not response["Location"].startswith(("http://", "https://", "//")), response["Location"]


@pytest.mark.django_db
def test_calendar_links_carry_no_booking_id_and_die_with_the_booking(client, service, worker, time_machine):
    time_machine.move_to(local(2026, 11, 16, 8, 0), tick=False)
    page = client.post(f"/book/{service.slug}/confirm/", {"start": "2026-11-23T11:00:00+02:00", "nickname": "L", "privacy": "on"}, follow=True)
    soup = BeautifulSoup(page.content, "html.parser")
    code = soup.select_one("[data-testid=booking-code]").get_text().strip()
    link = soup.select_one("a[href$='.ics']")["href"]
    booking = Booking.objects.get()
    first = link.split("/")[-2].split(":")[0]
    try:
        decoded = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)).decode()
    except ValueError:
        decoded = ""
    assert decoded.strip('"') != str(booking.pk), "the link carries the booking id in plain base64"
    assert client.get(link).status_code == 200
    client.post("/booking/", {"code": code, "action": "cancel_confirmed"})  # the page asks first ("cancel")
    assert Booking.objects.get().status == Booking.Status.CANCELLED
    assert client.get(link).status_code == 404, "a cancelled booking's calendar link keeps working"


@pytest.mark.django_db
@pytest.mark.parametrize("method, url", [("get", f"{API}/no-such-thing/"), ("get", f"{API}/bookings/"), ("put", f"{API}/bookings/lookup")])
def test_api_errors_are_json(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code in (404, 405)
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"]


# --- finding 8: odd dates and odd frames -----------------------------------------------------------------
ODD_INSTANTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59+00:00", "2026-11-23T10:00:00"]


@pytest.mark.django_db
@pytest.mark.parametrize("start", ODD_INSTANTS)
def test_odd_times_on_the_parent_edges_get_a_clear_answer(client, service, worker, start):
    api = post_json(client, f"{API}/bookings/", {"service": service.slug, "start": start, "nickname": "X"})
    assert api.status_code == 400 and "start" in api.json()["error"]["fields"]
    page = client.get(f"/book/{service.slug}/confirm/", {"start": start})
    assert page.status_code < 500
    for week in ("0001-01-01", "9999-12-31", "2026-02-30"):
        assert client.get(f"/book/{service.slug}/", {"week": week}).status_code < 500
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_odd_dates_on_staff_pages_get_a_clear_answer(client, service, worker, make_worker):
    coordinator = make_worker("Koordinaattori", role=User.Role.COORDINATOR)
    staff_login(client, coordinator)
    for url in ("/staff/calendar/?week=0001-01-01", "/staff/calendar/?view=day&date=9999-12-31", "/staff/team/?date=9999-12-31",
                "/staff/team/?view=week&date=0001-01-01", f"/staff/team/hand-over/{worker.pk}/9999-12-31/",
                "/staff/reports/?start=0001-01-01&end=9999-12-31", "/staff/reports/tilastot.csv?start=0001-01-01&end=9999-12-31"):
        assert client.get(url).status_code < 500, url
    assert client.post("/staff/saved-replies/", {"delete": "abc"}).status_code < 500
    staff_login(client, worker)
    naive = client.post("/staff/availability/", {"form": "block_slot", "start": "2026-11-23T10:00:00", "service": service.pk})
    assert naive.status_code < 500


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
async def test_odd_frames_get_error_frames_never_a_closed_socket(service, worker):
    booking, code = await database_sync_to_async(booking_now)(service, worker)
    parent = await join_parent(code)
    staff = await join_worker(worker, booking.pk)
    await until(parent, "opened")
    await parent.send_to(text_data='{"type": "followup_book", "start": "9999-12-31T23:59:59-14:00"}')
    assert (await until(parent, "error"))["type"] == "error"
    await parent.send_to(text_data='{"type": "message", "text": "hei", "client_id": "\\ud800"}')
    answer = await until(parent, ("ack", "error"))
    assert answer["type"] in ("ack", "error")
    await parent.send_to(text_data='{"type": "ping"}')
    assert (await until(parent, "pong"))["type"] == "pong", "the socket must stay open"
    await parent.disconnect()
    await staff.disconnect()


# --- the admin is an edge too ----------------------------------------------------------------------
@pytest.mark.django_db
def test_the_admin_cancels_through_the_service_and_cannot_edit_a_booking(client, service, worker, make_worker):
    admin_user = make_worker("Ylläpito", role=User.Role.ADMIN)
    booking, code = booking_now(service, worker, minutes_from_now=-5)
    session = ChatSession.objects.create(booking=booking, opened_at=timezone.now(), parent_joined_at=timezone.now())
    staff_login(client, admin_user)
    edit = client.post(f"/admin/booking/booking/{booking.pk}/change/", {"status": "completed"})
    assert edit.status_code in (302, 403) and Booking.objects.get(pk=booking.pk).status == Booking.Status.BOOKED
    client.post("/admin/booking/booking/", {"action": "cancel_bookings", "_selected_action": [booking.pk]})
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
    session.refresh_from_db()
    assert session.ended_at is not None, "the admin's cancel must end the chat like every other cancel"
    from staff.models import AuditEntry

    assert AuditEntry.objects.filter(action="cancel", actor=admin_user).exists()
