"""The public JSON API (docs/api.md)."""

import json

import pytest

from booking.models import Booking
from tests.conftest import local

pytestmark = pytest.mark.django_db
NOW = local(2026, 11, 16, 8, 0)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def post(client, url, body):
    return client.post(url, data=json.dumps(body) if not isinstance(body, str) else body, content_type="application/json")


def test_services_list(client, service, worker):
    data = client.get("/api/v1/services/").json()
    assert data["services"][0]["slug"] == "vanhempainpuhelin"
    assert data["services"][0]["workers"] == [{"id": worker.public_id, "pseudonym": "Tuija"}]
    assert "email" not in json.dumps(data)


def test_slots_have_iso_times_with_offset_and_the_worker(client, service, worker):
    data = client.get("/api/v1/services/vanhempainpuhelin/slots/?from=2026-11-23&to=2026-11-23").json()
    assert data["slots"][0] == {
        "start": "2026-11-23T10:00:00+02:00",
        "end": "2026-11-23T10:45:00+02:00",
        "worker": {"id": worker.public_id, "pseudonym": "Tuija"},
    }
    assert len(data["slots"]) == 3


@pytest.mark.parametrize(
    "query, field",
    [("from=23.11.2026", "from"), ("from=2026-11-23&to=2026-11-01", "to"), ("from=2026-01-01&to=2026-12-31", "to"), ("worker=nobody", "worker")],
)
def test_slots_bad_query_gets_field_errors(client, service, worker, query, field):
    response = client.get(f"/api/v1/services/vanhempainpuhelin/slots/?{query}")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_booking_created_then_looked_up_and_cancelled_with_the_code(client, service, worker):
    response = post(client, "/api/v1/bookings/", {"service": "vanhempainpuhelin", "start": "2026-11-23T10:00:00+02:00", "nickname": "Mummo"})
    assert response.status_code == 201
    body = response.json()
    assert body["worker"]["pseudonym"] == "Tuija" and body["status"] == "booked"
    code = body["code"]
    looked = post(client, "/api/v1/bookings/lookup", {"code": code}).json()
    assert looked["start"] == "2026-11-23T10:00:00+02:00" and looked["nickname"] == "Mummo"
    cancelled = post(client, "/api/v1/bookings/cancel", {"code": code})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert post(client, "/api/v1/bookings/cancel", {"code": code}).status_code == 409


def test_taken_slot_is_409_with_alternatives(client, service, worker):
    body = {"service": "vanhempainpuhelin", "start": "2026-11-23T10:00:00+02:00", "nickname": "A", "worker": worker.public_id}
    assert post(client, "/api/v1/bookings/", body).status_code == 201
    response = post(client, "/api/v1/bookings/", {**body, "nickname": "B"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "slot_taken"
    assert error["alternatives"][0]["start"] == "2026-11-23T11:00:00+02:00"
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"start": "2026-11-23T10:00:00+02:00", "nickname": "A"}, "service"),
        ({"service": "vanhempainpuhelin", "nickname": "A"}, "start"),
        ({"service": "vanhempainpuhelin", "start": "2026-11-23T10:00:00", "nickname": "A"}, "start"),
        ({"service": "vanhempainpuhelin", "start": "2026-11-23T10:00:00+02:00"}, "nickname"),
        ({"service": "vanhempainpuhelin", "start": "2026-11-23T10:00:00+02:00", "nickname": 5}, "nickname"),
        ({"service": "vanhempainpuhelin", "start": "2026-11-23T15:00:00+02:00", "nickname": "A"}, "start"),
        ({"service": "vanhempainpuhelin", "start": "2026-11-23T10:00:00+02:00", "nickname": "A", "follow_up_of": "AAAA-BBBB-CCCC"}, "follow_up_of"),
    ],
)
def test_bad_booking_gets_400_with_field_errors_and_stores_nothing(client, service, worker, body, field):
    response = post(client, "/api/v1/bookings/", body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Booking.objects.exists()


@pytest.mark.parametrize("raw", ["not json", "[1,2]", "", '{"code": 12}'])
def test_malformed_bodies_get_400(client, raw):
    assert post(client, "/api/v1/bookings/lookup", raw).status_code == 400


def test_follow_up_through_the_api_requires_the_same_worker(client, service, worker, make_worker, add_availability):
    other = make_worker("Sanna")
    add_availability(other, service, 0)
    first = post(client, "/api/v1/bookings/", {"service": "vanhempainpuhelin", "start": "2026-11-23T10:00:00+02:00", "nickname": "A", "worker": worker.public_id}).json()
    wrong = post(client, "/api/v1/bookings/", {"service": "vanhempainpuhelin", "start": "2026-11-30T10:00:00+02:00", "nickname": "A", "worker": other.public_id, "follow_up_of": first["code"]})
    assert wrong.status_code == 400 and "worker" in wrong.json()["error"]["fields"]
    ok = post(client, "/api/v1/bookings/", {"service": "vanhempainpuhelin", "start": "2026-11-30T10:00:00+02:00", "nickname": "A", "follow_up_of": first["code"]})
    assert ok.status_code == 201 and ok.json()["follow_up"] is True
    assert ok.json()["worker"]["id"] == worker.public_id


def test_code_guessing_is_refused_after_the_limit(client, service, worker, settings):
    settings.CODE_ATTEMPTS_LIMIT = 3
    real = post(client, "/api/v1/bookings/", {"service": "vanhempainpuhelin", "start": "2026-11-23T10:00:00+02:00", "nickname": "A"}).json()["code"]
    for _ in range(3):
        assert post(client, "/api/v1/bookings/lookup", {"code": "AAAA-AAAA-AAAA"}).status_code == 404
    # Now even the right code is refused from this client, so guessing cannot go on.
    assert post(client, "/api/v1/bookings/lookup", {"code": real}).status_code == 429


def test_the_code_never_appears_in_a_url_or_is_cached(client, service, worker):
    response = post(client, "/api/v1/bookings/", {"service": "vanhempainpuhelin", "start": "2026-11-23T10:00:00+02:00", "nickname": "A"})
    assert response["Cache-Control"] == "no-store"
    assert client.get("/api/v1/bookings/lookup").status_code == 405


def test_one_client_cannot_book_out_the_week(client, service, worker, make_worker, add_availability, settings):
    settings.BOOKINGS_PER_CLIENT_PER_HOUR = 3
    for weekday in range(5):
        add_availability(worker, service, weekday, "08:00", "16:00")
    starts = [f"2026-11-2{d}T{h}:00:00+02:00" for d in (3, 4) for h in (10, 11)]
    made = [post(client, "/api/v1/bookings/", {"service": "vanhempainpuhelin", "start": s, "nickname": "Botti"}) for s in starts]
    assert [r.status_code for r in made] == [201, 201, 201, 429]
    refused = made[-1]
    assert refused.json()["error"]["code"] == "rate_limited" and int(refused["Retry-After"]) > 0
    assert Booking.objects.count() == 3
    # Another parent (another address) books as usual.
    other = post(client.__class__(REMOTE_ADDR="10.9.8.7"), "/api/v1/bookings/", {"service": "vanhempainpuhelin", "start": starts[-1], "nickname": "Äiti"})
    assert other.status_code == 201
