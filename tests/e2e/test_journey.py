"""The whole appointment chat in real Chromium against a live daphne: a parent books, gets a code,
waits, chats with the worker, reloads without losing anything, books a follow-up with the same
worker, and the worker ends the conversation."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from booking.models import Availability, Booking

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]
CODE = re.compile(r"^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$")


@pytest.fixture
def soon_service(service, make_worker, add_availability):
    """A worker whose first free time starts in about six minutes, so the code opens the chat now."""
    worker = make_worker("Tuija")
    start = timezone.localtime(timezone.now() + dt.timedelta(minutes=6)).replace(second=0, microsecond=0)
    room = (dt.datetime.combine(start.date(), dt.time(23, 59), tzinfo=start.tzinfo) - start).total_seconds() // 60
    service.slot_minutes = 20 if room >= 60 else 5
    service.buffer_minutes = 0
    service.min_notice_minutes = 0
    service.save()
    end = (start + dt.timedelta(minutes=min(room, 180))).time()
    add_availability(worker, service, start.weekday(), start.time().isoformat("minutes"), end.isoformat("minutes"))
    for weekday in range(5):  # and ordinary weekly hours, for the follow-up
        if weekday != start.weekday():
            Availability.objects.create(worker=worker, service=service, weekday=weekday, start_time=dt.time(10), end_time=dt.time(13))
    return service, worker


def test_book_join_chat_reload_follow_up_and_end(live_server_url, new_context, login_worker, soon_service):
    service, worker = soon_service
    site = live_server_url

    # 1. The parent books without an account.
    parent = new_context(viewport={"width": 390, "height": 800}).new_page()
    parent.goto(f"{site}/book/{service.slug}/")
    parent.locator("a.slot").first.click()
    parent.fill("input[name=nickname]", "Väsynyt isä")
    parent.fill("textarea[name=topic]", "Uniongelmat")
    parent.check("input[name=privacy]")
    parent.locator("main form.form button[type=submit]").click()
    code = parent.locator("[data-testid=booking-code]").inner_text().strip()
    assert CODE.match(code)
    booking = Booking.objects.get()
    assert booking.nickname == "Väsynyt isä" and booking.worker == worker
    assert parent.locator("a[href$='.ics']").count() == 1

    # 2. The parent joins with the code and waits.
    parent.goto(f"{site}/join/")
    parent.fill("#code", code.lower().replace("-", " "))
    parent.locator("main form button[type=submit]").click()
    parent.wait_for_url("**/chat/")
    parent.locator("#waiting").wait_for(state="visible")
    # A calm waiting room: nothing to type into and no empty message box until the worker opens.
    assert parent.locator("#composer").is_hidden() and parent.locator("#log").is_hidden()
    assert parent.locator("#end").is_hidden()

    # 3. The worker signs in (password + TOTP), sees the appointment and opens the chat.
    staff = login_worker(new_context(), site, worker)
    staff.goto(f"{site}/staff/")
    staff.locator(f"a[href='/staff/chat/{booking.pk}/']").click()
    staff.locator("#composer").wait_for(state="visible")

    # The waiting room opens by itself.
    parent.locator("#composer").wait_for(state="visible")
    parent.locator("#waiting").wait_for(state="hidden")

    # 4. Both write; both see.
    parent.fill("#text", "Hei, lapsi ei nuku.")
    parent.press("#text", "Enter")
    staff.locator(".msg.theirs", has_text="Hei, lapsi ei nuku.").wait_for()
    staff.fill("#text", "Hei, kerro lisää.")
    staff.press("#text", "Enter")
    parent.locator(".msg.theirs", has_text="Hei, kerro lisää.").wait_for()

    # 5. A reload loses nothing.
    parent.reload()
    parent.locator(".msg.mine", has_text="Hei, lapsi ei nuku.").wait_for()
    parent.locator(".msg.theirs", has_text="Hei, kerro lisää.").wait_for()
    assert parent.locator(".msg").count() == 2
    staff.fill("#text", "Oletko vielä siellä?")
    staff.press("#text", "Enter")
    parent.locator(".msg.theirs", has_text="Oletko vielä siellä?").wait_for()

    # 6. The parent books a follow-up with the same worker, in the chat.
    parent.locator("#followup-open").click()
    parent.locator("#followup-slots button").first.click()
    parent.locator("#followup-done").wait_for(state="visible")
    new_code = parent.locator("[data-testid=followup-code]").inner_text().strip()
    assert CODE.match(new_code) and new_code != code
    assert parent.locator("#followup-ics").get_attribute("href").endswith(".ics")
    staff.locator(".msg.system").wait_for()
    follow = Booking.objects.get(follow_up_of=booking)
    assert follow.worker == worker

    # 7. Ending asks first (it is for good): the parent taps "end" by mistake and says no.
    asked = []
    parent.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    parent.locator("#end").click()
    assert asked and "koodisi" in asked[0]
    parent.fill("#text", "Vielä yksi asia.")
    parent.press("#text", "Enter")
    staff.locator(".msg.theirs", has_text="Vielä yksi asia.").wait_for()
    # The worker ends the conversation; both see it ended, and the code is dead.
    staff.once("dialog", lambda dialog: dialog.accept())
    staff.locator("#end").click()
    parent.locator("#ended").wait_for(state="visible")
    staff.locator("#ended").wait_for(state="visible")
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.COMPLETED
    retry = new_context().new_page()
    retry.goto(f"{site}/join/")
    retry.fill("#code", code)
    retry.locator("main form button[type=submit]").click()
    assert retry.locator("[role=alert]").is_visible()
