"""A message the live delivery missed shows up by itself within seconds, in real Chromium.

The channel layer may drop a broadcast (overload, a Redis hiccup), and messages from two servers
can arrive out of order. Messages are numbered per chat (``seq``), so the page notices the hole
when a later message arrives and asks the server for what it is missing — well before the 30 s
safety sync.
"""

import datetime as dt

import pytest
from django.utils import timezone

from chatrooms.models import ChatSession, Message
from tests.e2e.test_accessibility import join_with_code, site, soon_booking, staff_context  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def test_a_message_the_broadcast_missed_is_filled_in_when_the_next_one_arrives(site, new_context, worker, soon_booking):  # noqa: F811
    booking, code = soon_booking
    parent = new_context().new_page()
    join_with_code(parent, site, code)
    staff = staff_context(new_context, site, worker).new_page()
    staff.goto(f"{site}/staff/chat/{booking.pk}/")
    parent.wait_for_selector("#composer:not([hidden])")
    staff.fill("#text", "Ensimmäinen.")
    staff.press("#text", "Enter")
    parent.wait_for_selector("#log .msg.theirs >> text=Ensimmäinen.")

    # Stored, but never broadcast: what a dropped delivery looks like to the parent's page.
    session = ChatSession.objects.get(booking=booking)
    Message.objects.create(session=session, role="worker", text="Tämä katosi matkalla.")
    started = timezone.now()
    staff.fill("#text", "Kolmas.")
    staff.press("#text", "Enter")
    parent.wait_for_selector("#log .msg.theirs >> text=Kolmas.")
    parent.wait_for_selector("#log .msg.theirs >> text=Tämä katosi matkalla.", timeout=10000)
    assert (timezone.now() - started).total_seconds() < 10  # the gap, not the 30 s sync, fetched it
    texts = parent.locator("#log .msg.theirs").all_inner_texts()
    assert [t.split("\n")[-1] for t in texts] == ["Ensimmäinen.", "Tämä katosi matkalla.", "Kolmas."]


def test_the_waiting_room_says_kindly_when_the_worker_is_late(site, new_context, worker, soon_booking):  # noqa: F811
    booking, code = soon_booking
    parent = new_context().new_page()
    join_with_code(parent, site, code)
    parent.locator("#waiting").wait_for(state="visible")
    assert parent.locator("#waiting-late").is_hidden()  # before the start: nothing to worry about
    # The start passes and the worker has not come (the booking is moved back in time to get there).
    booking.start -= dt.timedelta(minutes=9)
    booking.end -= dt.timedelta(minutes=9)
    booking.save(update_fields=["start", "end"])
    parent.reload()
    parent.locator("#waiting-late").wait_for(state="visible", timeout=10000)
    assert "Tuija" in parent.locator("#waiting-late").inner_text()
    assert parent.locator("#waiting-late").get_attribute("role") == "status"  # read out once, politely
