"""Quick exit: on every parent-facing page, a static script, and a beacon that forgets the session."""

import pytest
from bs4 import BeautifulSoup

from tests.conftest import staff_login, SYSTEM

pytestmark = pytest.mark.django_db


def quick_exit(response):
    return BeautifulSoup(response.content, "html.parser").find(id="quick-exit")


@pytest.mark.parametrize("path", ["/", "/join/", "/booking/", "/privacy/"])
def test_parent_pages_have_a_quick_exit_to_the_neutral_site(client, settings, path):
    settings.QUICK_EXIT_URL = "https://yle.fi/saa"
    button = quick_exit(client.get(path))
    assert button is not None
    assert button["href"] == "https://yle.fi/saa"
    assert button["data-beacon"] == "/quick-exit/"


def test_booking_calendar_has_a_quick_exit(client, worker, service):
    assert quick_exit(client.get(f"/book/{service.slug}/")) is not None


def test_the_parents_chat_room_has_a_quick_exit(client, worker, service):
    from booking import services

    new = services.booking_create(actor=SYSTEM, service=service, start=_first_free(service), worker=None, nickname="Äiti", topic="")
    session = client.session
    session["chat_booking"] = new.booking.pk
    session.save()
    response = client.get("/chat/")
    assert response.status_code == 200
    assert quick_exit(response) is not None


def _first_free(service):
    import datetime as dt

    from django.utils import timezone

    from booking import selectors

    today = timezone.localdate()
    return selectors.free_slots(service=service, start_date=today, end_date=today + dt.timedelta(days=14))[0].start


def test_staff_pages_have_no_quick_exit(client, worker):
    staff_login(client, worker)
    assert quick_exit(client.get("/staff/")) is None


def test_quick_exit_script_is_a_static_file_not_inline(client):
    soup = BeautifulSoup(client.get("/").content, "html.parser")
    scripts = soup.find_all("script")
    assert any(s.get("src", "").endswith("js/quickexit.js") for s in scripts)
    assert all(s.get("src") for s in scripts)


def test_the_beacon_forgets_the_session(client):
    session = client.session
    session["chat_booking"] = 42
    session.save()
    response = client.post("/quick-exit/")
    assert response.status_code == 204
    assert "chat_booking" not in client.session


def test_the_beacon_refuses_cross_site_requests(client):
    session = client.session
    session["chat_booking"] = 42
    session.save()
    response = client.post("/quick-exit/", HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    assert client.session["chat_booking"] == 42


def test_the_beacon_only_takes_post(client):
    assert client.get("/quick-exit/").status_code == 405


def test_the_beacon_deletes_our_cookies_and_asks_the_browser_to_drop_cache_and_storage(client, settings):
    client.get("/")  # a visit sets the CSRF cookie
    client.post("/i18n/setlang/", {"language": "sv"})
    assert settings.CSRF_COOKIE_NAME in client.cookies and settings.LANGUAGE_COOKIE_NAME in client.cookies
    response = client.post("/quick-exit/")
    assert response.status_code == 204
    for name in (settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME):
        assert response.cookies[name].value == "" and response.cookies[name]["max-age"] == 0
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_no_cookie_of_ours_outlives_the_browser_window(client):
    """A parent may share the device: nothing we set may stay after the browser is closed."""
    client.get("/")
    client.post("/i18n/setlang/", {"language": "sv"})
    session = client.session
    session["chat_booking"] = 1
    session.save()
    client.get("/book/vanhempainpuhelin/")
    assert {"csrftoken", "sessionid", "django_language"} <= set(client.cookies)
    for morsel in client.cookies.values():
        assert not morsel["expires"] and not morsel["max-age"], (morsel.key, morsel.OutputString())
