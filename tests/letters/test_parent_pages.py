"""The parent's letter pages: write (the promise said before sending), the code shown once, read
with the code, write again, close, print, the privacy notice; in Finnish, Swedish and English."""


import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.utils import timezone

from letters import services
from letters.models import Letter, Thread
from tests.conftest import staff_actor

pytestmark = pytest.mark.django_db


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def write(client, text="Hei. Lapsi ei nuku, ja olen väsynyt.", **extra):
    data = {"text": text, "privacy": "on", **extra}
    return client.post("/letters/", data)


def code_from(response) -> str:
    return page(response).select_one("[data-testid=letter-code]").get_text(strip=True)


def open_with_code(client, code):
    response = client.post("/letters/read/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/letters/read/"
    return client.get("/letters/read/")


def test_the_write_page_says_the_promise_before_sending_and_links_the_privacy_notice(settings):
    settings.LETTER_ANSWER_DAYS = 5
    response = Client().get("/letters/")
    html = page(response)
    promise = html.select_one("[data-testid=answer-promise]").get_text(" ", strip=True)
    due = timezone.localtime() + timezone.timedelta(days=5)
    assert "5" in promise and f"{due.day}.{due.month}.{due.year}" in promise
    form = html.select_one("main form.letter-form")
    assert form.select_one("[data-testid=answer-promise]") is not None  # inside the form, before the button
    assert html.select_one("a[href='/letters/privacy/']") is not None
    assert form.select_one("textarea[name=text]")["maxlength"] == "5000"
    assert form.select_one("input[name=privacy]") is not None
    assert Client().get("/letters/privacy/").status_code == 200


def test_write_then_the_code_once_then_read(letter_worker):
    parent = Client()
    response = write(parent, nickname="Väsynyt", audience="child", notify_email="a@example.org")
    assert response.status_code == 302 and response["Location"] == "/letters/sent/"
    sent = parent.get("/letters/sent/")
    code = code_from(sent)
    assert "no-store" in sent["Cache-Control"]
    thread = Thread.objects.get()
    assert (thread.nickname, thread.audience, thread.notify_email, thread.language) == ("Väsynyt", "child", "a@example.org", "fi")
    assert code not in str(Thread.objects.values().get()) and not Letter.objects.filter(text__contains=code).exists()
    # A reload shows the same page; "I have saved the code" deletes the cookie: then it is gone.
    assert code_from(parent.get("/letters/sent/")) == code
    done = parent.post("/letters/sent/done/")
    assert done["Location"] == "/letters/read/"
    gone = parent.get("/letters/sent/")
    assert code not in gone.content.decode() and gone.status_code == 200
    # Another browser never sees it.
    assert code not in Client().get("/letters/sent/").content.decode()

    reader = Client()
    shown = open_with_code(reader, code)
    html = page(shown)
    assert html.select_one("[data-testid=letter-status]")["data-status"] == "waiting"
    assert "Lapsi ei nuku" in shown.content.decode()
    assert html.select_one("textarea[name=text]") is None  # no follow-up before the answer
    assert code not in shown.content.decode()  # the code is never put back in a page


def test_the_answer_the_delete_date_a_follow_up_and_closing(letter_worker, settings):
    parent = Client()
    write(parent)
    code = code_from(parent.get("/letters/sent/"))
    thread = Thread.objects.get()
    services.take(actor=staff_actor(letter_worker), thread=thread)
    services.answer_send(actor=staff_actor(letter_worker), thread=thread, text="Kiitos, että kirjoitit meille.")
    thread.refresh_from_db()
    shown = open_with_code(parent, code)
    html = page(shown)
    assert html.select_one("[data-testid=letter-status]")["data-status"] == "answered"
    assert "Kiitos, että kirjoitit meille." in html.select_one(".from-helpline").get_text()
    assert "Tuija" in html.select_one(".from-helpline").get_text()
    deleted = timezone.localtime(thread.delete_after)
    assert f"{deleted.day}.{deleted.month}.{deleted.year}" in html.select_one("[data-testid=delete-date]").get_text()
    printed = parent.get("/letters/read/print/")
    assert printed.status_code == 200 and "Kiitos, että kirjoitit meille." in printed.content.decode()
    assert page(printed).select_one("[data-print]") is not None

    replied = parent.post("/letters/read/", {"action": "reply", "text": "Vielä kysyisin yhtä asiaa."})
    assert replied.status_code == 302
    after = parent.get("/letters/read/")
    assert page(after).select_one("[data-testid=letter-status]")["data-status"] == "waiting"
    assert Letter.objects.filter(author="parent").count() == 2
    refused = parent.post("/letters/read/", {"action": "reply", "text": "Ja vielä."})
    assert refused.status_code == 409 and Letter.objects.filter(author="parent").count() == 2

    closed = parent.post("/letters/read/", {"action": "close"})
    assert closed.status_code == 302
    after = parent.get("/letters/read/")
    assert page(after).select_one("[data-testid=letter-status]")["data-status"] == "closed"
    assert Thread.objects.get().status == Thread.Status.CLOSED


def test_a_parent_never_sees_an_unapproved_answer_on_the_page(write_letter, volunteer, letter_worker):
    thread, code = write_letter()
    parent = Client()
    services.take(actor=staff_actor(volunteer), thread=thread)
    services.draft_save(actor=staff_actor(volunteer), thread=thread, text="VAPAAEHTOISEN-LUONNOS")
    assert "VAPAAEHTOISEN-LUONNOS" not in open_with_code(parent, code).content.decode()
    letter = services.answer_send(actor=staff_actor(volunteer), thread=thread)
    for path in ("/letters/read/", "/letters/read/print/"):
        body = parent.get(path).content.decode()
        assert "VAPAAEHTOISEN-LUONNOS" not in body
    assert page(parent.get("/letters/read/")).select_one("[data-testid=letter-status]")["data-status"] == "waiting"
    services.answer_approve(actor=staff_actor(letter_worker), letter=letter)
    assert "VAPAAEHTOISEN-LUONNOS" in parent.get("/letters/read/").content.decode()


def test_a_wrong_code_is_refused_and_counted(write_letter, settings):
    settings.CODE_ATTEMPTS_LIMIT = 2
    settings.CODE_ATTEMPTS_SLOWDOWN_AFTER = 100
    _, code = write_letter()
    parent = Client()
    wrong = parent.post("/letters/read/", {"code": "AAAA-AAAA-AAAA"})
    assert wrong.status_code == 400 and page(wrong).select_one("#code-error")
    assert page(wrong).select_one("#code")["aria-invalid"] == "true"
    parent.post("/letters/read/", {"code": "AAAA-AAAA-AAAB"})
    limited = parent.post("/letters/read/", {"code": code})
    assert limited.status_code == 429
    assert parent.get("/letters/read/print/").status_code == 302  # nothing opened


def test_a_flagged_letter_disappears_from_an_open_page(write_letter, coordinator):
    thread, code = write_letter()
    parent = Client()
    open_with_code(parent, code)
    services.flag(actor=staff_actor(coordinator), thread=thread)
    response = parent.get("/letters/read/")
    assert "Lapsi ei nuku" not in response.content.decode() and page(response).select_one("#code")
    assert parent.post("/letters/read/", {"action": "reply", "text": "x"}).status_code == 400


def test_hiding_the_letter_on_this_device(write_letter):
    _, code = write_letter()
    parent = Client()
    open_with_code(parent, code)
    parent.post("/letters/read/", {"action": "forget"})
    assert "Lapsi ei nuku" not in parent.get("/letters/read/").content.decode()


@pytest.mark.parametrize(
    "data, field",
    [({"text": ""}, "text"), ({"text": "x" * 5001}, "text"), ({"text": "x", "privacy": ""}, "privacy"),
     ({"text": "x", "notify_email": "x@"}, "notify_email"), ({"text": "x", "audience": "cat"}, "audience"),
     ({"text": "x", "topic": "99999"}, "topic"), ({"text": "x", "nickname": "n" * 41}, "nickname")],
)
def test_mistakes_in_the_form_are_shown_at_their_field(data, field):
    response = Client().post("/letters/", {"privacy": "on", **data})
    assert response.status_code == 400
    html = page(response)
    assert html.select(".has-error .field-error"), response.content.decode()[:2000]
    assert not Thread.objects.exists()
    if field == "text":
        # nothing typed is lost (browsers drop the newline Django puts after <textarea>)
        assert html.select_one("textarea[name=text]").get_text().removeprefix("\n") == data["text"]


def test_too_many_letters_from_one_client(settings):
    settings.LETTERS_PER_CLIENT_PER_HOUR = 1
    parent = Client()
    assert write(parent).status_code == 302
    response = write(parent, text="toinen")
    assert response.status_code == 429 and Thread.objects.count() == 1


def test_the_landing_page_has_the_letter_service(settings):
    html = page(Client().get("/"))
    entry = html.select_one("section.letter-entry")
    assert entry.select_one("a[href='/letters/']") and entry.select_one("a[href='/letters/read/']")


@pytest.mark.parametrize(
    "language, words",
    [("fi", ["Kirjoita kirje", "Lähetä kirje"]), ("sv", ["Skriv ett brev", "Skicka brevet"]), ("en", ["Write a letter", "Send the letter"])],
)
def test_pages_in_finnish_swedish_and_english(language, words, answered):
    thread, code = answered
    client = Client()
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    text = Client.get(client, "/letters/").content.decode()
    for word in words:
        assert word in text, (language, word)
    html = page(client.get("/letters/"))
    assert html.html["lang"] == language
    open_with_code(client, code)
    for path in ("/letters/read/", "/letters/read/print/", "/letters/privacy/"):
        body = client.get(path).content.decode()
        untranslated = [s for s in ("Your letter has been answered", "Print or save the answer", "Privacy of the letter service") if s in body]
        assert language == "en" or not untranslated, (language, path, untranslated)


def test_the_quick_exit_deletes_the_just_written_letters_code_and_the_open_letter(write_letter):
    parent = Client()
    write(parent)
    code = code_from(parent.get("/letters/sent/"))
    open_with_code(parent, code)
    response = parent.post("/quick-exit/", HTTP_SEC_FETCH_SITE="same-origin")
    assert response.status_code == 204
    cookie = response.cookies["letter_sent"]
    assert cookie.value == "" and cookie["path"] == "/letters/sent/" and cookie["max-age"] == 0
    assert code not in parent.get("/letters/sent/").content.decode()
    assert "Lapsi ei nuku" not in parent.get("/letters/read/").content.decode()  # the session is gone too
