"""Two-factor once (issue 10, findings 1 and 9; issue 13 #11).

A staff session counts as signed in only when allauth recorded that *this session* passed the second
factor. A password alone (Django's admin form, a session without the mfa step) opens no staff page,
no admin, no staff socket and no worker chat; wrong passwords are limited on every path.
"""

import datetime as dt
from http.cookies import SimpleCookie

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from booking import codes
from booking.models import Booking
from config.asgi import application
from staff.models import User
from tests.conftest import PASSWORD, mfa_session, staff_login, totp_now

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/staff/", "/staff/team/", "/staff/reports/", "/staff/reports/tilastot.csv", "/staff/stats/", "/admin/"]
ORIGIN = (b"origin", b"http://localhost")


@pytest.fixture
def admin_user(make_worker):
    return make_worker("Ylläpito", role=User.Role.ADMIN)


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def sign_in_with_password(client, user, login_url="/accounts/login/"):
    """allauth's first step only: the password. Returns the response."""
    return client.post(login_url, {"login": user.email, "password": PASSWORD})


def sign_in_fully(client, user, login_url="/accounts/login/"):
    first = sign_in_with_password(client, user, login_url)
    assert first.status_code == 302 and "/accounts/2fa/authenticate/" in first["Location"], first
    second = client.post("/accounts/2fa/authenticate/", {"code": totp_now(user.totp_secret)})
    assert second.status_code == 302, second.content.decode()[:500]
    return second


# --- finding 1: the admin's own login form ------------------------------------------------------
def test_admin_login_form_with_password_alone_opens_nothing(client, admin_user):
    client.post("/admin/login/?next=/admin/", {"username": admin_user.email, "password": PASSWORD, "next": "/admin/"})
    assert not signed_in(client)
    for url in ("/admin/", "/staff/team/", "/staff/reports/tilastot.csv"):
        assert client.get(url).status_code != 200, url


def test_admin_login_goes_through_allauth_and_asks_for_the_code(client, admin_user):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    sign_in_fully(client, admin_user, login_url=response["Location"])
    assert client.get("/admin/").status_code == 200


def test_wrong_passwords_through_the_admin_path_are_limited_like_the_sign_in_page(client, admin_user):
    # Posting to Django's form checks no password at all any more ...
    for _ in range(15):
        client.post("/admin/login/", {"username": admin_user.email, "password": "wrong-password"})
    client.post("/admin/login/", {"username": admin_user.email, "password": PASSWORD})
    assert not signed_in(client) and client.get("/admin/").status_code != 200
    # ... and the form it leads to is allauth's, which refuses even the right password after 5 wrong.
    login_url = client.get("/admin/login/?next=/admin/")["Location"]
    for _ in range(6):
        client.post(login_url, {"login": admin_user.email, "password": "wrong-password"})
    refused = sign_in_with_password(client, admin_user, login_url)
    assert refused.status_code in (200, 429)
    assert "/accounts/2fa/authenticate/" not in refused.get("Location", "")
    assert not signed_in(client)


def test_the_admin_password_change_form_is_allauths(client, admin_user):
    staff_login(client, admin_user)
    response = client.get("/admin/password_change/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/change/"
    client.post("/admin/password_change/", {"old_password": PASSWORD, "new_password1": "x-New-pass-2026", "new_password2": "x-New-pass-2026"})
    admin_user.refresh_from_db()
    assert admin_user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "url, data",
    [
        ("/accounts/reauthenticate/", {"password": "wrong-password"}),
        ("/accounts/password/change/", {"oldpassword": "wrong-password", "password1": "x-New-pass-2026", "password2": "x-New-pass-2026"}),
    ],
)
def test_wrong_passwords_on_forms_for_signed_in_staff_are_limited(client, worker, url, data):
    staff_login(client, worker)
    answers = [client.post(url, data).status_code for _ in range(6)]
    assert answers[-1] == 429, answers


def test_admin_says_the_products_name(client, admin_user):
    staff_login(client, admin_user)
    page = client.get("/admin/").content.decode()
    assert "MLL Vanhempainpuhelin – ylläpito" in page
    assert "Django" not in page


# --- finding 1: the session, not the device ------------------------------------------------------
@pytest.mark.parametrize("url", STAFF_PAGES)
def test_password_only_session_gets_no_staff_page(client, admin_user, url):
    client.force_login(admin_user)  # a session whose mfa step is missing; the account has TOTP
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/") and "next=" in response["Location"]
    assert not signed_in(client)  # sent to sign in again, with the code this time


def test_password_only_session_is_signed_out_outside_staff_pages_too(client, worker):
    """Not left signed in under /accounts/, where it could swap the TOTP device with the password alone."""
    client.force_login(worker)
    response = client.get("/accounts/2fa/totp/deactivate/")
    assert not signed_in(client)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_password_only_session_of_an_account_without_totp_is_sent_to_set_it_up(client, make_worker):
    user = make_worker("Uusi", mfa=False)
    staff_login(client, user, mfa=False)
    response = client.get("/staff/reports/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"


def test_mfa_step_of_another_user_does_not_count(client, worker, make_worker):
    other = make_worker("Sanna")
    staff_login(client, worker)
    session = client.session
    from django.contrib.auth import HASH_SESSION_KEY

    session[SESSION_KEY] = str(other.pk)
    session[HASH_SESSION_KEY] = other.get_session_auth_hash()
    session.save()
    assert client.get("/staff/").status_code == 302


def test_full_sign_in_reaches_every_staff_page(client, admin_user):
    sign_in_fully(client, admin_user)
    for url in STAFF_PAGES:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db(transaction=True)  # allauth announces the new device on commit, inside the request
def test_first_totp_setup_lets_the_worker_in_without_signing_in_again(client, make_worker):
    user = make_worker("Uusi", mfa=False)
    assert sign_in_with_password(client, user).status_code == 302
    assert client.get("/staff/")["Location"] == "/accounts/2fa/totp/activate/"
    reauth = client.get("/accounts/2fa/totp/activate/")["Location"]
    assert client.post(reauth, {"password": PASSWORD}).status_code == 302
    secret = client.get("/accounts/2fa/totp/activate/").context["form"].secret
    assert client.post("/accounts/2fa/totp/activate/", {"code": totp_now(secret)}).status_code == 302
    assert client.get("/staff/").status_code == 200
    assert signed_in(client)


# --- issue 13 #11: a code used twice ----------------------------------------------------------
def test_a_totp_code_used_twice_says_it_works_once(client, worker):
    code = totp_now(worker.totp_secret)
    assert sign_in_with_password(client, worker).status_code == 302
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    client.post("/accounts/logout/")
    assert not signed_in(client)
    assert sign_in_with_password(client, worker).status_code == 302
    again = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert again.status_code == 200
    errors = " ".join(again.context["form"].errors["code"])
    assert "kerran" in errors and "seuraava" in errors, errors  # works once; wait for the next one
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000" if code != "000000" else "111111"})
    assert "kerran" not in " ".join(wrong.context["form"].errors["code"])  # a plain wrong code is just wrong


# --- finding 9 and the chat: both sockets ---------------------------------------------------------
def open_booking(service, worker):
    start = timezone.now() + dt.timedelta(minutes=2)
    return Booking.objects.create(service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45),
                                  nickname="Väsynyt", code_hash=codes.hash_code(codes.generate()))


async def connect(path, session_key):
    headers = [ORIGIN, (b"host", b"localhost"), (b"cookie", f"sessionid={session_key}".encode())]
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await comm.connect()
    return comm, connected


async def worker_join_answer(session_key, booking_id) -> dict:
    comm, connected = await connect("/ws/chat/", session_key)
    assert connected
    await comm.send_json_to({"type": "join", "booking": booking_id})
    for _ in range(5):
        frame = await comm.receive_json_from(timeout=5)
        if frame["type"] in ("joined", "error"):
            await comm.disconnect()
            return frame
    raise AssertionError("no answer to the join")


def test_the_chat_service_refuses_a_worker_whose_session_did_not_pass_the_second_factor(service, worker):
    from booking.actors import Actor
    from chatrooms import services as chat
    from chatrooms.services import ChatError

    booking = open_booking(service, worker)
    with pytest.raises(ChatError) as refused:
        chat.worker_booking(actor=Actor.staff(worker, mfa=False), booking_id=booking.pk)
    assert refused.value.code == "forbidden"
    assert chat.worker_booking(actor=Actor.staff(worker, mfa=True), booking_id=booking.pk) == booking


def real_login_session_key(user) -> str:
    client = Client()
    sign_in_fully(client, user)
    return client.cookies["sessionid"].value


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(30)
async def test_staff_socket_refuses_a_session_without_the_second_factor(worker):
    store = await database_sync_to_async(mfa_session)(worker, mfa=False)
    comm, connected = await connect("/ws/staff/", store.session_key)
    if connected:  # accepted, then it must close at once
        output = await comm.receive_output(timeout=2)
        assert output["type"] == "websocket.close", output
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(30)
async def test_chat_socket_refuses_a_worker_join_without_the_second_factor(service, worker):
    booking = await database_sync_to_async(open_booking)(service, worker)
    store = await database_sync_to_async(mfa_session)(worker, mfa=False)
    answer = await worker_join_answer(store.session_key, booking.pk)
    assert answer["type"] == "error", answer


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(30)
async def test_real_sign_in_with_the_code_opens_both_sockets(service, worker):
    booking = await database_sync_to_async(open_booking)(service, worker)
    key = await database_sync_to_async(real_login_session_key)(worker)
    comm, connected = await connect("/ws/staff/", key)
    assert connected
    assert await comm.receive_nothing(timeout=0.3)
    await comm.disconnect()
    answer = await worker_join_answer(key, booking.pk)
    assert answer["type"] == "joined", answer


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(30)
async def test_channels_middleware_marks_the_scope(worker):
    from staff.middleware import StaffMFAChannelsMiddleware

    seen = {}

    async def inner(scope, receive, send):
        seen.update(user=scope["user"], mfa=scope["staff_mfa"])

    from channels.auth import AuthMiddlewareStack

    app = AuthMiddlewareStack(StaffMFAChannelsMiddleware(inner))
    for mfa in (True, False):
        store = await database_sync_to_async(mfa_session)(worker, mfa=mfa)
        cookie = SimpleCookie({"sessionid": store.session_key}).output(header="").strip()
        scope = {"type": "websocket", "path": "/ws/staff/", "headers": [(b"cookie", cookie.encode())]}
        await app(scope, None, None)
        assert seen["mfa"] is mfa
        assert seen["user"].is_authenticated is mfa
