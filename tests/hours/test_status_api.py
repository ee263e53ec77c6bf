"""The public status JSON (docs/api.md, "Status"): shape, caching, CORS and no cookies."""

import pytest
import time_machine

from tests.conftest import local

pytestmark = pytest.mark.django_db

URL = "/api/v1/status/"


@pytest.fixture
def monday_morning():
    with time_machine.travel(local(2026, 11, 23, 11, 15), tick=False):
        yield


def test_status_lists_channels_and_services_with_open_until_and_next(client, worker, service, monday_morning):
    body = client.get(URL, {"lang": "en"}).json()
    channels = {c["slug"]: c for c in body["channels"]}
    phone = channels["vanhempainpuhelin"]
    assert phone["kind"] == "phone"
    assert phone["open"] is True
    assert phone["until"] == "2026-11-23T13:00:00+02:00"
    assert phone["next_opening"] == "2026-11-23T17:00:00+02:00"
    assert phone["text"] == "Open until 13:00"
    assert channels["vanhempainchat"]["open"] is True
    assert channels["nettikirje"]["always_open"] is True
    (svc,) = body["services"]
    assert svc["slug"] == service.slug
    assert svc["kind"] == "appointment_chat"
    # 12:00 is within the hour's notice at 11:15: the next free time is Tuesday morning.
    assert svc["next_free"] == "2026-11-24T10:00:00+02:00"
    assert svc["open"] is True  # a worker is on duty now
    assert svc["url"].endswith(f"/book/{service.slug}/")
    assert body["timezone"] == "Europe/Helsinki"


def test_status_is_cacheable_for_a_minute(client, monday_morning):
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"


def test_status_allows_the_embedding_sites_by_cors(client, settings, monday_morning):
    settings.EMBED_ORIGINS = ["https://www.mll.fi"]
    response = client.get(URL, HTTP_ORIGIN="https://www.mll.fi")
    assert response["Access-Control-Allow-Origin"] == "https://www.mll.fi"
    assert "Origin" in response["Vary"]


def test_status_gives_no_cors_grant_to_other_sites(client, settings, monday_morning):
    settings.EMBED_ORIGINS = ["https://www.mll.fi"]
    response = client.get(URL, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


def test_status_allows_everyone_when_embed_origins_is_a_star(client, settings, monday_morning):
    settings.EMBED_ORIGINS = ["*"]
    assert client.get(URL, HTTP_ORIGIN="https://any.example")["Access-Control-Allow-Origin"] == "*"


def test_status_answers_a_cors_preflight(client, settings):
    settings.EMBED_ORIGINS = ["https://www.mll.fi"]
    response = client.options(URL, HTTP_ORIGIN="https://www.mll.fi")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "https://www.mll.fi"


def test_status_sets_no_cookie_even_for_a_visitor_with_a_session(client, monday_morning):
    client.get("/join/")  # a parent page sets the CSRF cookie
    session = client.session  # and the test client sends a session cookie from now on
    session["chat_booking"] = 1
    session.save()
    assert "sessionid" in client.cookies and "csrftoken" in client.cookies
    response = client.get(URL)
    assert not response.cookies
    assert b"Set-Cookie" not in response.serialize_headers()


def test_status_speaks_swedish_when_asked(client, monday_morning):
    response = client.get(URL, {"lang": "sv"})
    assert response["Content-Language"] == "sv"


def test_status_refuses_writes(client):
    assert client.post(URL).status_code == 405
