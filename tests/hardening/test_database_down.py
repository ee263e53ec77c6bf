"""PostgreSQL (or any database) briefly unavailable: pages and the API answer with a clear, friendly
503 and no stack trace, and work again by themselves as soon as the database is back."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


def _database_down():
    return mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
        side_effect=OperationalError('connection to server at "db" failed: Connection refused'),
    )


@pytest.fixture
def browser(settings):
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_a_page_says_try_again_while_the_database_is_down_and_works_after(browser, service, worker):
    with _database_down():
        down = browser.get("/")
    assert down.status_code == 503
    body = down.content.decode()
    assert "Traceback" not in body and "OperationalError" not in body and "Connection refused" not in body
    assert down["Retry-After"] == "10"
    assert "<h1>" in body

    assert browser.get("/", follow=True).status_code == 200


def test_the_api_answers_503_json_while_the_database_is_down_and_works_after(browser, service, worker):
    url = f"/api/v1/services/{service.slug}/slots/"
    with _database_down():
        down = browser.get(url)
    assert down.status_code == 503
    assert down.json() == {"error": {"code": "unavailable", "message": mock.ANY}}
    assert "Connection refused" not in down.content.decode()

    up = browser.get(url)
    assert up.status_code == 200 and "slots" in up.json()


def test_other_server_errors_are_a_plain_500_without_details(browser, service):
    with mock.patch("booking.api.selectors.free_slots", side_effect=ZeroDivisionError("secret detail")):
        answer = browser.get(f"/api/v1/services/{service.slug}/slots/")
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "server_error"
    assert "secret detail" not in answer.content.decode()
