"""Issue 13, items 6 and 7, on the chat page the drop-in chat now shares with the appointment chat
(regression tests, written before the fix and failing on the old main):

- 6: the footer said "Chat: closed, opens 17.00" inside a running appointment chat (it meant the
  drop-in chat). The join, waiting and chat pages leave the channel line out.
- 7: after the parent booked a follow-up and the chat ended (or the page was reloaded), "Book a
  follow-up" appeared again; the worker's header still said the parent was here after they had left.
"""

import datetime as dt

import pytest
from django.utils import timezone

from booking import codes
from booking.models import Availability, Booking

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


@pytest.fixture
def chat_now(service, worker):
    """A booking whose chat can open now, and weekly hours for a follow-up."""
    service.min_notice_minutes = 0
    service.save()
    for weekday in range(7):
        Availability.objects.get_or_create(
            worker=worker, service=service, weekday=weekday, start_time=dt.time(6), end_time=dt.time(22)
        )
    code = codes.generate()
    start = (timezone.now() + dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    booking = Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), nickname="Väsynyt",
        code_hash=codes.hash_code(code),
    )
    return booking, code


def _parent_joins(context, site, code):
    page = context.new_page()
    page.goto(f"{site}/join/")
    page.fill("#code", code)
    page.locator("main form button[type=submit]").click()
    page.locator("#waiting").wait_for(state="visible")
    return page


def test_chat_pages_do_not_show_another_channels_hours(live_server_url, new_context, login_worker, chat_now):
    booking, code = chat_now
    join = new_context().new_page()
    join.goto(f"{live_server_url}/join/")
    assert join.locator(".footer-status").count() == 0, "the join page names no channel's opening hours"
    parent = _parent_joins(new_context(), live_server_url, code)
    # The waiting room: no "Chat: closed" line for the drop-in chat.
    assert parent.locator(".footer-status").count() == 0
    staff = login_worker(new_context(), live_server_url, booking.worker)
    staff.goto(f"{live_server_url}/staff/chat/{booking.pk}/")
    parent.locator("#composer").wait_for(state="visible")
    assert parent.locator(".footer-status").count() == 0
    assert "Chat:" not in parent.locator("footer").inner_text()


def test_follow_up_offer_stays_away_once_booked_and_presence_follows_the_parent(
    live_server_url, new_context, login_worker, chat_now
):
    booking, code = chat_now
    site = live_server_url
    parent_context = new_context()
    parent = _parent_joins(parent_context, site, code)
    staff = login_worker(new_context(), site, booking.worker)
    staff.goto(f"{site}/staff/chat/{booking.pk}/")
    parent.locator("#composer").wait_for(state="visible")
    staff.locator("#presence", has_text="Väsynyt").wait_for()

    parent.locator("#followup-open").click()
    parent.locator("#followup-slots button").first.click()
    parent.locator("#followup-done").wait_for(state="visible")
    assert Booking.objects.filter(follow_up_of=booking).count() == 1

    # A reload while the chat goes on does not offer it again.
    parent.reload()
    parent.locator("#composer").wait_for(state="visible")
    parent.wait_for_timeout(500)
    assert parent.locator("#followup-open").is_hidden()

    # The parent ends the conversation (and so leaves it).
    parent.once("dialog", lambda dialog: dialog.accept())
    parent.locator("#end").click()
    parent.locator("#ended").wait_for(state="visible")
    staff.locator("#ended").wait_for(state="visible")
    assert parent.locator("#followup-open").is_hidden(), "the follow-up is booked: no second offer"
    # The worker's header no longer says the parent is here.
    staff.locator("#presence", has_text="poistunut").wait_for(timeout=5000)

    # And when the parent closes the page, it still says so.
    parent.locator("#ended form button[type=submit]").click()
    parent.wait_for_url(f"{site}/")
    staff.wait_for_timeout(1000)
    assert "poistunut" in staff.locator("#presence").inner_text()
