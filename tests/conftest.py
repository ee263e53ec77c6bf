"""Shared fixtures. Factories build the demo-like world: a service, workers, weekly availability."""

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from booking.models import Availability, Service
from staff.models import User

from django.conf import settings as django_settings
from django.db import connections

# Threads (channels' database_sync_to_async, concurrency tests) must not keep connections open,
# or the test database cannot be dropped at the end.
for _alias in connections:
    connections.settings[_alias]["CONN_MAX_AGE"] = 0
django_settings.DATABASES["default"]["CONN_MAX_AGE"] = 0

TZ = ZoneInfo("Europe/Helsinki")
PASSWORD = "test-pass-123456"
def totp_now(secret: str) -> str:
    """The current TOTP code, taken early enough in its 30-second window that the server checks it
    in the same window (allauth accepts no drift by default, so a code typed at second 29 fails)."""
    import time

    import pyotp

    if 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30 + 0.2)
    return pyotp.TOTP(secret).now()


def mfa_session(user, *, mfa: bool = True):
    """A saved session signed in as ``user``, as allauth leaves it after a full sign-in: the password
    step and (with ``mfa``) the second factor recorded. ``mfa=False`` is a password-only session, the
    kind staff pages and both sockets must refuse. Returns the ``SessionStore``; its ``session_key``
    is the value of the ``sessionid`` cookie (for WebSocket and browser tests)."""
    import time

    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from booking.actors import AUTH_RECORDS_SESSION_KEY, AUTH_RECORDS_USER_SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    records = [{"method": "password", "at": time.time(), "email": user.email}]
    if mfa:
        records.append({"method": "mfa", "at": time.time(), "type": "totp"})
    store[AUTH_RECORDS_SESSION_KEY] = records
    store[AUTH_RECORDS_USER_SESSION_KEY] = str(user.pk)
    store.create()
    return store


def staff_login(client, user, *, mfa: bool = True):
    """Sign ``client`` in as ``user`` the way allauth does after password and TOTP code (what
    ``client.force_login`` alone no longer is: a session without the second factor gets no staff
    page). Returns the client."""
    from django.conf import settings

    store = mfa_session(user, mfa=mfa)
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    return client


def staff_scope(user, *, mfa: bool = True) -> dict:
    """What the sockets' middleware leaves in a WebSocket scope for ``user`` (for consumer tests that
    skip the ASGI router): the user (anonymous without the second factor), the session and
    ``staff_mfa``. Touches the database: call it outside the event loop or through
    ``database_sync_to_async``."""
    from django.contrib.auth.models import AnonymousUser

    return {"user": user if mfa else AnonymousUser(), "session": mfa_session(user, mfa=mfa), "staff_mfa": mfa}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """PostgreSQL and Redis tests run in CI (DATABASE_URL / REDIS_URL set) and skip, saying why, elsewhere.

    Browser tests go last (after pytest-django's own ordering): Playwright keeps an event loop
    running in the main thread for the rest of the session, which would break asyncio tests after it."""
    items.sort(key=lambda item: "e2e" in item.keywords)
    db_url = os.environ.get("DATABASE_URL", "")
    if os.environ.get("CI_REQUIRE_SERVICES") and not (db_url.startswith("postgres") and os.environ.get("REDIS_URL")):
        raise pytest.UsageError("CI must run on PostgreSQL and Redis: DATABASE_URL and REDIS_URL are required")
    for item in items:
        if "postgres" in item.keywords and not db_url.startswith(("postgres", "postgresql", "pgsql")):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)"))
        if "redis" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://... (CI does)"))


@pytest.fixture(scope="session", autouse=True)
def _no_session_left_on_the_test_database(django_db_setup, django_db_blocker):
    """Threads of the suite (the channels database thread, concurrency tests) can leave a PostgreSQL
    connection open; the test database could then not be dropped at the end. End them first."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connection.close()


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core.cache import cache

    cache.clear()


def local(y, m, d, hh=0, mm=0) -> dt.datetime:
    """An aware Helsinki wall-clock time."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
def make_worker(db):
    counter = {"n": 0}

    def make(pseudonym=None, role=User.Role.WORKER, mfa=True, **extra):
        counter["n"] += 1
        n = counter["n"]
        user = User.objects.create_user(
            email=f"worker{n}@test.mll.fi", password=PASSWORD, pseudonym=pseudonym or f"Worker{n}", role=role, **extra
        )
        if mfa:  # every real staff account has TOTP set up; tests of the MFA rule pass mfa=False
            from allauth.mfa.totp.internal.auth import TOTP

            import pyotp

            # A secret of its own per account: allauth refuses a code already used by the same user
            # id, and ids are reused between tests on SQLite.
            user.totp_secret = pyotp.random_base32()
            TOTP.activate(user, user.totp_secret)
        return user

    return make


@pytest.fixture
def service(db):
    return Service.objects.create(
        slug="vanhempainpuhelin",
        name="Vanhempainpuhelimen ajanvarauschat",
        slot_minutes=45,
        buffer_minutes=15,
        min_notice_minutes=60,
        horizon_days=60,
    )


@pytest.fixture
def add_availability():
    def add(worker, service, weekday, start="10:00", end="13:00", **extra):
        service.workers.add(worker)
        return Availability.objects.create(
            worker=worker,
            service=service,
            weekday=weekday,
            start_time=dt.time.fromisoformat(start),
            end_time=dt.time.fromisoformat(end),
            **extra,
        )

    return add


@pytest.fixture
def worker(make_worker, service, add_availability):
    """A worker available Monday to Friday 10–13 (Europe/Helsinki)."""
    w = make_worker("Tuija")
    for weekday in range(5):
        add_availability(w, service, weekday)
    return w


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


# --- who acts (booking.actors): the services take one of these -----------------------------------
from booking.actors import Actor  # noqa: E402

SYSTEM = Actor.system()
# A parent as the services see one: no account, only a keyed hash of the client's address.
PARENT = Actor.parent("test-client")


def staff_actor(user, *, mfa: bool = True) -> Actor:
    """A signed-in staff member whose session passed (or did not pass) the second factor."""
    return Actor.staff(user, mfa=mfa, client="test-staff-client")


# --- a real Celery worker (on Redis, in CI) for the tests of scheduled jobs ------------------------------
@pytest.fixture
def celery_worker():
    """A real Celery worker in this process, taking tasks from the Redis broker (tests marked redis)."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    assert app.conf.broker_url.startswith("redis://"), app.conf.broker_url
    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20) as worker:
        yield worker


def wait_for(check, timeout=30):
    """Poll ``check`` until it is true (True) or ``timeout`` seconds pass (False)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False
