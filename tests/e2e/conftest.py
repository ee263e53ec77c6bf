"""Fixtures for the end-to-end tests in real Chromium against a real daphne server.

- ``live_server_url``: a daphne process (HTTP + WebSocket, the project's real ASGI app) serving the
  SAME test database that pytest-django created: the SQLite test file on the embedded default, or
  ``test_<name>`` on PostgreSQL when DATABASE_URL is set (REDIS_URL is passed on, so the channel layer
  is Redis in CI). Tests that use it must be ``django_db(transaction=True)`` so the server sees
  their rows.
- ``browser``: headless Chromium from Debian's package, driven by Playwright (no browser download).
- ``new_context()``: a fresh, isolated browser context (own cookies): one per person in a test.
- ``login_worker(context, base_url, user)``: signs a worker in through the real allauth pages,
  password and TOTP code.

Chromium is found at $CHROMIUM_PATH or /usr/bin/chromium; `.ci/run` installs it.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config, items):
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM}: apt-get install -y chromium (CI does)"))


def _test_database_url() -> str:
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker):
    from tests.hardening.live import free_port

    port = free_port()
    # BOOKINGS_PER_CLIENT_PER_HOUR: every browser here is 127.0.0.1, and the server's own cache outlives
    # single tests; the limit itself is tested in tests/booking/.
    env = dict(os.environ, DATABASE_URL=_test_database_url(), DJANGO_SETTINGS_MODULE="config.settings", DB_POOL="0",
               BOOKINGS_PER_CLIENT_PER_HOUR="1000")
    env.pop("CI_REQUIRE_SERVICES", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = open(ROOT / "var" / "e2e-daphne.log", "w")
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "config.serve", "-b", "127.0.0.1", "-p", str(port), "--access-log", "/dev/null", "config.asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"daphne exited: see {log.name}") from None
            time.sleep(0.1)
    else:
        raise RuntimeError("daphne did not start in 30 s")
    yield f"http://127.0.0.1:{port}"
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread while the tests use the ORM directly.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser):
    made = []

    def make(**options):
        options.setdefault("locale", "fi-FI")
        context = browser.new_context(**options)
        context.set_default_timeout(15000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def login_worker():
    from tests.conftest import PASSWORD, totp_now

    def login(context, base_url, user):
        page = context.new_page()
        page.goto(f"{base_url}/accounts/login/")
        page.fill("input[name=login]", user.email)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()
        assert "/2fa/authenticate/" in page.url, page.locator("main").inner_text()
        page.fill("input[name=code]", totp_now(user.totp_secret))
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()
        assert "/staff/" in page.url, f"sign-in did not reach /staff/ ({page.url}): " + page.locator("main").inner_text()
        return page

    return login


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    """Overrides the suite's fast MD5 hasher: the live server must verify the passwords the test
    made, and it runs with the real hashers."""
    from django.core.cache import cache

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
