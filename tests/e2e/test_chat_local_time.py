"""Issue 13 #1 on the chat page: the booked time and the follow-up times say Finnish time, and a parent
whose device is in another time zone sees their own time too."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from booking import codes
from booking.models import Booking

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_follow_up_times_in_the_chat_carry_the_parents_own_time(live_server_url, new_context, service, worker):
    code = codes.generate()
    start = (timezone.now() + dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
    Booking.objects.create(service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45),
                           nickname="Äiti", code_hash=codes.hash_code(code))
    context = new_context(timezone_id="America/New_York")
    page = context.new_page()
    page.goto(f"{live_server_url}/join/")
    page.fill("input[name=code]", code)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/chat/$"))
    meta = page.locator(".chat-meta")
    assert "Suomen aikaa" in meta.inner_text()
    page.wait_for_function("document.querySelector('.chat-meta').innerText.includes('sinun aikaasi')")
    # Joined: the waiting room is shown. The follow-up button appears once the chat is open; here it
    # is shown by hand and pressed after the join, as a parent would press it.
    page.wait_for_selector("#waiting", state="visible")
    page.evaluate("document.getElementById('followup-open') && (document.getElementById('followup-open').hidden = false)")
    page.locator("#followup-open").click()
    page.wait_for_selector("#followup-slots time[data-local-time]")
    first = page.locator("#followup-slots time").first
    page.wait_for_function("document.querySelector('#followup-slots li').innerText.includes('(')")
    assert "(" in first.locator("xpath=..").inner_text()
    assert page.locator("#followup .tz-note").inner_text().startswith("Kaikki ajat")
