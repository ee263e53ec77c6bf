"""Sign-in, two-factor authentication and what each role may see."""

import datetime as dt

import pytest
from django.utils import timezone

from booking.models import Booking
from staff.models import AuditEntry, User
from tests.conftest import PASSWORD, staff_login, totp_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(make_worker):
    return make_worker("Koordinaattori", role=User.Role.COORDINATOR)


@pytest.fixture
def admin_user(make_worker):
    return make_worker("Ylläpito", role=User.Role.ADMIN)


def booking_of(worker, service, hours=24):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours)
    return Booking.objects.create(service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), nickname="Nimi-Z", topic="aihe-Z", code_hash=f"r{hours}{worker.pk}")


def test_login_asks_for_the_totp_code_and_then_lets_the_worker_in(client, worker):
    response = client.post("/accounts/login/", {"login": worker.email, "password": PASSWORD})
    assert response.status_code == 302 and "/accounts/2fa/authenticate/" in response["Location"]
    assert client.get("/staff/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    ok = client.post("/accounts/2fa/authenticate/", {"code": totp_now(worker.totp_secret)})
    assert ok.status_code == 302
    assert client.get("/staff/").status_code == 200


@pytest.mark.django_db(transaction=True)  # allauth announces the new device on commit, inside the request
def test_staff_without_two_factor_must_set_it_up_first(client, make_worker):
    user = make_worker("Uusi", mfa=False)
    assert client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302
    response = client.get("/staff/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/staff/availability/").status_code == 302
    # allauth asks for the password once more before setting up TOTP, then shows the QR code.
    reauth = client.get("/accounts/2fa/totp/activate/")
    assert "/accounts/reauthenticate/" in reauth["Location"]
    again = client.post(reauth["Location"], {"password": PASSWORD})
    assert again.status_code == 302
    setup = client.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 200
    secret = setup.context["form"].secret
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_now(secret)})
    assert done.status_code == 302
    assert client.get("/staff/").status_code == 200


def test_open_signup_is_off(client):
    response = client.post("/accounts/signup/", {"email": "someone@example.com", "password1": "x-Long-pass-123", "password2": "x-Long-pass-123"})
    assert not User.objects.filter(email="someone@example.com").exists()
    assert response.status_code in (200, 302, 403)


def test_login_attempts_are_rate_limited(client, worker):
    for _ in range(10):
        client.post("/accounts/login/", {"login": worker.email, "password": "wrong"})
    # Now even the right password is refused for a while, so guessing cannot go on.
    response = client.post("/accounts/login/", {"login": worker.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert response.context is None or response.context["form"].errors
    assert "account_authentication_methods" not in client.session


def test_worker_sees_only_their_own_appointments(client, service, worker, make_worker):
    other = make_worker("Sanna")
    mine = booking_of(worker, service)
    theirs = booking_of(other, service, hours=30)
    staff_login(client, worker)
    page = client.get("/staff/").content.decode()
    assert f'data-booking="{mine.pk}"' in page and f'data-booking="{theirs.pk}"' not in page
    assert client.get(f"/staff/chat/{theirs.pk}/").status_code == 404
    assert client.get(f"/staff/calendar/{other.pk}/").status_code == 403
    assert client.get(f"/staff/availability/{other.pk}/").status_code == 403


@pytest.mark.parametrize("url", ["/staff/team/", "/staff/reports/", "/staff/booking/{booking}/"])
def test_worker_is_refused_coordinator_pages(client, service, worker, url):
    booking = booking_of(worker, service)
    staff_login(client, worker)
    assert client.get(url.format(booking=booking.pk)).status_code == 403


def test_worker_and_coordinator_are_refused_the_admin(client, worker, coordinator):
    for user in (worker, coordinator):
        staff_login(client, user)
        response = client.get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_reaches_the_admin_and_audit_log(client, admin_user):
    staff_login(client, admin_user)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/staff/auditentry/").status_code == 200
    assert client.get("/admin/booking/service/").status_code == 200


def test_coordinator_sees_all_calendars_but_never_chat_content(client, service, worker, make_worker, coordinator):
    other = make_worker("Sanna")
    booking_of(worker, service)
    booking_of(other, service, hours=26)
    staff_login(client, coordinator)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    page = client.get(f"/staff/team/?view=week&date={tomorrow}").content.decode()
    assert "Tuija" in page and "Sanna" in page
    assert "aihe-Z" not in page  # the parent's topic is for the worker only
    assert client.get(f"/staff/calendar/{worker.pk}/").status_code == 200
    assert client.get(f"/staff/availability/{worker.pk}/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_coordinator_cannot_join_a_workers_chat(service, worker, coordinator):
    from booking.actors import Actor
    from chatrooms import services
    from chatrooms.services import ChatError

    booking = booking_of(worker, service)
    with pytest.raises(ChatError) as exc:
        services.worker_booking(actor=Actor.staff(coordinator, mfa=True), booking_id=booking.pk)
    assert exc.value.code == "forbidden"


def test_role_change_in_admin_is_audited_and_syncs_admin_access(client, admin_user, worker):
    staff_login(client, admin_user)
    response = client.post(
        f"/admin/staff/user/{worker.pk}/change/",
        {"email": worker.email, "pseudonym": worker.pseudonym, "first_name": "", "last_name": "", "role": "coordinator", "is_active": "on",
         "availabilities-TOTAL_FORMS": "5", "availabilities-INITIAL_FORMS": "5", "availabilities-MIN_NUM_FORMS": "0", "availabilities-MAX_NUM_FORMS": "1000",
         **{f"availabilities-{i}-{k}": v for i, a in enumerate(worker.availabilities.all()) for k, v in
            {"id": a.pk, "worker": worker.pk, "service": a.service_id, "weekday": a.weekday, "start_time": "10:00", "end_time": "13:00"}.items()}},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    worker.refresh_from_db()
    assert worker.role == "coordinator" and not worker.is_staff
    entry = AuditEntry.objects.get(action="role")
    assert entry.actor == admin_user and entry.target_worker == worker


def test_password_reset_by_email(client, worker):
    from django.core import mail

    response = client.post("/accounts/password/reset/", {"email": worker.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [worker.email]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_login_rate_limit_keeps_no_address_in_the_cache(client, worker, settings):
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "iptest"}}
    client.post("/accounts/login/", {"login": worker.email, "password": "wrong"}, REMOTE_ADDR="203.0.113.77")
    keys = " ".join(str(k) for k in cache._cache.keys())
    assert keys and "203.0.113.77" not in keys


def test_refusals_are_friendly_pages_in_finnish(client, worker):
    staff_login(client, worker)
    response = client.get("/staff/team/")
    assert response.status_code == 403 and "Ei pääsyä" in response.content.decode()
    missing = client.get("/book/no-such-service/")
    assert missing.status_code == 404 and "Sivua ei löytynyt" in missing.content.decode()
