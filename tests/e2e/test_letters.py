"""The letter service in real Chromium against a live daphne, with axe-core on every page: a parent
writes a letter at any hour and gets a code; a worker takes it, answers and records the statistics;
the parent reads the answer with the code, prints it, writes once more and closes the thread. A
volunteer's answer waits for a professional's approval before the parent sees it. Pages fit a phone.
"""

import re

import pytest

from letters.models import Letter, Thread
from staff.models import User
from stats.models import ContactRecord
from tests.e2e.test_accessibility import assert_accessible, tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]
CODE = re.compile(r"^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$")
PHONE = {"viewport": {"width": 360, "height": 740}}


def write_a_letter(page, site, text, *, nickname="Yövuoro"):
    page.goto(f"{site}/letters/")
    page.fill("textarea[name=text]", text)
    page.fill("input[name=nickname]", nickname)
    page.check("input[name=audience][value=child]")
    page.check("input[name=privacy]")
    page.locator("main form.letter-form button[type=submit]").click()
    page.wait_for_selector("[data-testid=letter-code]")
    code = page.locator("[data-testid=letter-code]").inner_text().strip()
    assert CODE.match(code), code
    return code


def read_with_code(page, site, code):
    """Open the letter with the code (or, when this browser already opened it, just the page)."""
    page.goto(f"{site}/letters/read/")
    if page.locator("#code").count():
        page.fill("#code", code.lower().replace("-", " "))
        page.locator("main form button[type=submit]").click()
    page.wait_for_selector("[data-testid=letter-status]")
    return page.locator("[data-testid=letter-status]").get_attribute("data-status")


def test_parent_writes_worker_answers_parent_reads_prints_follows_up_and_closes(live_server_url, new_context, login_worker, make_worker):
    from stats.models import Topic
    from stats.topic_tree import seed

    seed(Topic)  # an earlier transactional test may have flushed the migration's topics
    site = live_server_url
    worker = make_worker("Tuija")

    # 1. The parent finds the letter service on the landing page and writes, on a phone.
    parent = new_context(**PHONE).new_page()
    parent.goto(f"{site}/")
    parent.locator("section.letter-entry a[href='/letters/']").click()
    parent.wait_for_url("**/letters/")
    assert_accessible(parent, "write a letter")
    promise = parent.locator("[data-testid=answer-promise]").inner_text()
    assert "7" in promise  # the promise is said before sending
    parent.locator("main form.letter-form button[type=submit]").click()  # nothing written, no consent
    parent.wait_for_selector(".field-error")
    assert_accessible(parent, "write a letter, with errors")
    code = write_a_letter(parent, site, "Hei. Kolmevuotias herää joka yö, ja olen aivan lopussa.")
    assert_accessible(parent, "the code, shown once")
    assert parent.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert read_with_code(parent, site, code) == "waiting"
    assert_accessible(parent, "letter waiting for an answer")

    # 2. The worker takes the letter from the inbox, answers it and records the statistics.
    staff = login_worker(new_context(), site, worker)
    staff.goto(f"{site}/staff/")
    staff.locator("nav.staff-nav a[href='/staff/letters/']").click()
    staff.wait_for_selector("table.letter-table")
    assert_accessible(staff, "letter inbox")
    staff.locator("table.letter-table button[type=submit]").first.click()
    staff.wait_for_selector("textarea[name=text]")
    assert_accessible(staff, "a taken letter with the answer form")
    staff.fill("textarea[name=text]", "Hei Yövuoro, kiitos kirjeestäsi. Valvominen on todella raskasta.")
    staff.locator("button[name=action][value=save]").click()
    staff.wait_for_selector(".notice.success")
    staff.locator("button[name=action][value=send]").click()
    staff.wait_for_url("**/record/")
    assert_accessible(staff, "statistics record of a letter")
    staff.locator("input[name=child_topics]").first.check()
    staff.select_option("select[name=contacted_by]", "mother")
    staff.locator("main form button[type=submit]").click()
    staff.wait_for_url("**/staff/letters/?view=mine")
    assert ContactRecord.objects.filter(channel="letter", source_key=f"letter:{Thread.objects.get().pk}").exists()

    # 3. The parent reads the answer with the code, sees the delete date, prints, writes again.
    assert read_with_code(parent, site, code) == "answered"
    assert "Valvominen on todella raskasta." in parent.locator(".from-helpline").inner_text()
    assert parent.locator("[data-testid=delete-date]").is_visible()
    assert_accessible(parent, "the answer")
    parent.locator("a[href='/letters/read/print/']").click()
    parent.wait_for_selector("[data-print]")
    assert_accessible(parent, "printable answer")
    parent.emulate_media(media="print")
    assert parent.locator("header.site-header").is_hidden() and parent.locator("[data-print]").is_hidden()
    assert parent.locator(".from-helpline").is_visible()
    parent.emulate_media(media="screen")
    parent.goto(f"{site}/letters/read/")
    parent.fill("textarea[name=text]", "Kiitos! Kokeilimme neuvoa, mutta vielä kysyisin päiväunista.")
    parent.locator("section.letter-reply button[type=submit]").click()
    parent.wait_for_selector(".notice.success")
    assert parent.locator("[data-testid=letter-status]").get_attribute("data-status") == "waiting"
    assert parent.locator("section.letter-reply textarea").count() == 0  # one follow-up only

    # 4. The same worker answers the follow-up; the parent closes the thread.
    staff.goto(f"{site}/staff/letters/?view=mine")
    staff.locator("table.letter-table a").first.click()
    staff.fill("textarea[name=text]", "Päiväunista: ...")
    staff.locator("button[name=action][value=send]").click()
    staff.wait_for_url("**/record/")
    assert read_with_code(parent, site, code) == "answered"
    parent.locator("section.letter-close button[type=submit]").click()
    parent.wait_for_selector(".notice.success")
    assert parent.locator("[data-testid=letter-status]").get_attribute("data-status") == "closed"
    assert_accessible(parent, "closed thread")
    assert Thread.objects.get().status == Thread.Status.CLOSED


def test_a_volunteers_answer_is_approved_before_the_parent_sees_it(live_server_url, new_context, login_worker, make_worker):
    site = live_server_url
    volunteer = make_worker("Veera", role=User.Role.VOLUNTEER)
    coordinator = make_worker("Koordinaattori", role=User.Role.COORDINATOR)

    parent = new_context().new_page()
    code = write_a_letter(parent, site, "Murrosikäinen ei puhu minulle enää mitään.", nickname="Huolestunut")

    helper = login_worker(new_context(), site, volunteer)
    helper.goto(f"{site}/staff/letters/")
    helper.locator("table.letter-table button[type=submit]").first.click()
    helper.wait_for_selector("textarea[name=text]")
    helper.fill("textarea[name=text]", "VAPAAEHTOISEN VASTAUS: kiitos, että kirjoitit.")
    helper.locator("button[name=action][value=send]").click()  # "Send for approval"
    helper.wait_for_selector(".letter-review")
    assert_accessible(helper, "answer waiting for approval (volunteer)")

    assert read_with_code(parent, site, code) == "waiting"
    assert "VAPAAEHTOISEN VASTAUS" not in parent.content()

    lead = login_worker(new_context(), site, coordinator)
    lead.goto(f"{site}/staff/letters/?view=review")
    assert_accessible(lead, "review queue")
    lead.locator("table.letter-table a").first.click()
    lead.wait_for_selector("form:has(input[value=approve]) button")
    assert_accessible(lead, "review of an answer")
    lead.locator("form:has(input[value=approve]) button").click()
    lead.wait_for_url("**/staff/letters/?view=review")
    assert Letter.objects.get(author="helpline").state == Letter.State.SENT

    assert read_with_code(parent, site, code) == "answered"
    assert "VAPAAEHTOISEN VASTAUS" in parent.locator(".from-helpline").inner_text()
    lead.goto(f"{site}/staff/letters/?view=all")
    assert_accessible(lead, "all waiting letters (coordinator)")


def test_a_letter_can_be_written_with_the_keyboard_only(live_server_url, new_context):
    site = live_server_url
    page = new_context().new_page()
    page.goto(f"{site}/letters/")
    tab_to(page, "textarea[name=text]")
    page.keyboard.type("Näppäimistöllä kirjoitettu kirje.")
    tab_to(page, "input[name=privacy]")
    page.keyboard.press("Space")
    tab_to(page, "main form.letter-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=letter-code]")
    assert Letter.objects.get().text == "Näppäimistöllä kirjoitettu kirje."


def test_the_letter_pages_fit_a_phone_in_every_language(live_server_url, new_context):
    site = live_server_url
    page = new_context(**PHONE).new_page()
    for language in ("fi", "sv", "en"):
        page.goto(f"{site}/letters/")
        page.locator(f"form.lang-form button[value={language}]").click()
        page.wait_for_selector(f"html[lang={language}]")
        for path in ("/letters/", "/letters/read/", "/letters/privacy/"):
            page.goto(site + path)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 360, f"{path} in {language} is {width}px wide on a 360px screen"
        assert_accessible(page, f"write a letter ({language})")
