"""The drop-in chat in real Chromium against a live daphne (DROPIN_ALWAYS_OPEN=1, as under `make
run`, so the test runs at any hour): a parent queues, a volunteer marks themselves present and takes
them, they chat in the volunteer's desk panel, the volunteer asks the coordinator on the side (the
parent never sees it), the coordinator answers, the volunteer ends and records the statistics, the
parent gives feedback. axe-core on every new page; the parent's pages in fi, sv and en."""

import os
import signal
import socket
import subprocess
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client

from dropin.models import Contact, DutyMember, DutyShift, SideMessage
from stats.models import ContactRecord, Feedback, Topic
from tests.conftest import staff_login
from tests.dropin.conftest import coordinator, ensure_chat_channel, volunteer  # noqa: F401 (fixtures)
from tests.e2e.conftest import ROOT, _test_database_url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
_axe = Axe()


def assert_accessible(page, name):
    violations = _axe.run(page, options=AXE_OPTIONS).response["violations"]
    summary = [f"{name}: {v['id']} ({v['impact']}) {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in violations]
    assert not violations, "\n".join(summary)


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    """A daphne of our own on the test database, with the drop-in chat open around the clock."""
    from tests.hardening.live import free_port

    port = free_port()
    env = dict(os.environ, DATABASE_URL=_test_database_url(), DJANGO_SETTINGS_MODULE="config.settings", DB_POOL="0",
               DROPIN_ALWAYS_OPEN="1", DROPIN_ENTRIES_PER_CLIENT_PER_HOUR="1000")
    for name in ("CI_REQUIRE_SERVICES", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    log = open(ROOT / "var" / "e2e-dropin-daphne.log", "w")
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "config.serve", "-b", "127.0.0.1", "-p", str(port), "--access-log", "/dev/null", "config.asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"daphne did not start: see {log.name}") from None
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


@pytest.fixture
def duty(settings, volunteer, coordinator):
    """Today's shift (the demo's "every day is an opening") with a volunteer on it, not yet present."""
    from django.utils import timezone

    from dropin import services

    settings.DROPIN_ALWAYS_OPEN = True
    ensure_chat_channel()
    start, end = services.openings(start_date=timezone.localdate(), end_date=timezone.localdate())[0]
    shift = DutyShift.objects.create(starts_at=start, ends_at=end, date=timezone.localdate(), coordinator=coordinator)
    helper = volunteer("Aino")
    DutyMember.objects.create(shift=shift, user=helper, capacity=2)
    return helper, coordinator


def signed_in(new_context, site, user):
    client = staff_login(Client(), user)
    context = new_context()
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}])
    return context


def test_a_parent_queues_a_volunteer_takes_them_asks_the_coordinator_ends_and_records(site, new_context, duty):
    helper, coordinator = duty
    parent = new_context(viewport={"width": 390, "height": 800}).new_page()
    parent.goto(f"{site}/")
    parent.locator(".dropin-entry a[href='/dropin/']").click()
    assert_accessible(parent, "drop-in start")
    parent.locator("main form button[type=submit]").click()  # the privacy notice first
    parent.wait_for_selector(".field-error")
    assert_accessible(parent, "drop-in start with errors")
    parent.fill("#id_nickname", "Väsynyt")
    parent.fill("#id_topic", "Vauva ei nuku")
    parent.select_option("#id_audience", "child")
    parent.check("#id_privacy")
    parent.locator("main form button[type=submit]").click()
    parent.wait_for_url("**/dropin/chat/")
    parent.locator("#waiting").wait_for(state="visible")
    parent.locator("#queue-position", has_text="seuraava").wait_for()  # "Olet seuraavana." — first in the queue
    code = parent.locator("[data-testid=dropin-code]").inner_text().strip()
    assert Contact.objects.get().code_hash
    assert_accessible(parent, "in the queue")

    # The volunteer signs in, is sent to the desk, marks themselves present and takes the parent.
    desk = signed_in(new_context, site, helper).new_page()
    desk.goto(f"{site}/staff/")
    desk.wait_for_url("**/staff/dropin/")
    assert_accessible(desk, "desk, not present")
    desk.locator("form[action='/staff/dropin/present/'] button").click()
    desk.locator("#take-next").wait_for()
    desk.locator("#desk-live", has_text="").wait_for()
    desk.locator("#take-next").click()
    frame = desk.frame_locator("iframe.desk-chat").first
    frame.locator("#composer").wait_for(state="visible")
    parent.locator("#composer").wait_for(state="visible")
    parent.locator("#waiting").wait_for(state="hidden")
    assert parent.locator("#helper-name").inner_text() == "Aino"

    parent.fill("#text", "Hei, vauva ei nuku ollenkaan.")
    parent.press("#text", "Enter")
    frame.locator(".msg.theirs", has_text="vauva ei nuku").wait_for()
    frame.locator("#text").fill("Hei, kiitos kun kirjoitit. Kerro lisää.")
    frame.locator("#text").press("Enter")
    parent.locator(".msg.theirs", has_text="Kerro lisää.").wait_for()
    assert_accessible(desk, "desk with a chat")
    assert_accessible(parent, "drop-in chat")

    # Ask the coordinator on the side; the coordinator answers from the duty room.
    room = signed_in(new_context, site, coordinator).new_page()
    room.goto(f"{site}/staff/dropin/room/")
    room.locator("#room-conn", has_text="").wait_for()
    desk.locator(".side-form textarea").fill("SIVU: miten vastaan väsymykseen?")
    desk.locator(".side-form button[type=submit]").click()
    room.locator(".side-log li", has_text="SIVU: miten").wait_for()
    assert_accessible(room, "duty room")
    room.locator(".room-side textarea").fill("SIVU: kysy, mikä on auttanut ennen.")
    room.locator(".room-side button[type=submit]").click()
    desk.locator(".side-log li", has_text="SIVU: kysy").wait_for()
    assert SideMessage.objects.count() == 2
    assert "SIVU" not in parent.content()  # the parent never sees the side channel
    # The volunteer asks for support: the coordinator may read the chat (audited).
    desk.locator(".support-form button").click()
    room.locator("a", has_text="Lue keskustelu").wait_for()
    room.locator("a", has_text="Lue keskustelu").click()
    room.locator(".transcript", has_text="vauva ei nuku").wait_for()
    assert_accessible(room, "reading a chat on a support request")
    room.goto(f"{site}/staff/dropin/room/hand-over/{Contact.objects.get().pk}/")
    assert_accessible(room, "hand over a chat")
    room.goto(f"{site}/staff/dropin/shifts/")
    assert_accessible(room, "duty shifts")
    room.locator("main table a").first.click()
    assert_accessible(room, "plan a shift")

    # The volunteer ends; the parent is thanked; the volunteer records the statistics.
    desk.once("dialog", lambda dialog: dialog.accept())
    frame.locator("#end").click()
    parent.locator("#ended").wait_for(state="visible")
    desk.locator("a[href^='/staff/dropin/record/']").first.wait_for()
    topic = Topic.objects.filter(about="child", parent__isnull=False, is_active=True).first()
    if topic is None:  # an earlier transactional test flushed the seeded topics
        main = Topic.objects.create(about="child", name_fi="Kehitysvaiheet", name_sv="Utvecklingsfaser", name_en="Development")
        topic = Topic.objects.create(about="child", parent=main, name_fi="Nukkuminen", name_sv="Sömn", name_en="Sleep")
    desk.locator("a[href^='/staff/dropin/record/']").first.click()
    assert_accessible(desk, "drop-in statistics record")
    desk.locator(f"input[name=child_topics][value='{topic.pk}']").check()
    desk.locator("main form button[type=submit]").click()
    desk.wait_for_url("**/staff/dropin/")
    assert ContactRecord.objects.get().channel == "dropin_chat"

    parent.locator("#ended a[href='/dropin/feedback/']").click()
    assert_accessible(parent, "drop-in feedback")
    parent.locator("input[name=helpful][value=yes]").check()
    parent.locator("input[name=recommend][value=yes]").check()
    parent.locator("main form button[type=submit]").first.click()
    parent.locator(".notice.success").wait_for()
    assert Feedback.objects.get().channel == "dropin_chat"

    # The code is dead now.
    again = new_context().new_page()
    again.goto(f"{site}/dropin/rejoin/")
    assert_accessible(again, "rejoin")
    again.fill("#code", code)
    again.locator("main form button[type=submit]").click()
    again.locator("[role=alert]").wait_for()


def test_rejoin_with_the_code_after_closing_the_tab(site, new_context, duty):
    first = new_context().new_page()
    first.goto(f"{site}/dropin/")
    first.check("#id_privacy")
    first.locator("main form button[type=submit]").click()
    first.wait_for_url("**/dropin/chat/")
    code = first.locator("[data-testid=dropin-code]").inner_text().strip()
    first.locator("#queue-position").wait_for()
    first.context.close()
    back = new_context().new_page()
    back.goto(f"{site}/dropin/")
    back.locator("a[href='/dropin/rejoin/']").click()
    back.fill("#code", code)
    back.locator("main form button[type=submit]").click()
    back.wait_for_url("**/dropin/chat/")
    back.locator("#waiting").wait_for(state="visible")
    back.locator("#queue-position", has_text="seuraava").wait_for()
    # Leave the queue (asks first).
    back.once("dialog", lambda dialog: dialog.accept())
    back.locator("#leave-queue").click()
    back.locator("#left").wait_for(state="visible")
    assert_accessible(back, "left the queue")
    assert Contact.objects.get().state == Contact.State.LEFT


@pytest.mark.parametrize("language, start, queue", [("sv", "Starta en chatt", "Du är näst"), ("en", "Start a chat", "You are next")])
def test_the_parents_pages_in_swedish_and_english(site, new_context, duty, language, start, queue):
    page = new_context(locale={"sv": "sv-SE", "en": "en-GB"}[language]).new_page()
    page.goto(f"{site}/dropin/")
    page.locator(f"form.lang-form button[value={language}]").click()
    page.locator("main form button[type=submit]", has_text=start).wait_for()
    page.check("#id_privacy")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/dropin/chat/")
    page.locator("#queue-position", has_text=queue).wait_for()
    assert_accessible(page, f"in the queue ({language})")
