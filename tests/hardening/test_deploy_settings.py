"""Production settings: `manage.py check --deploy` is clean, cookies are secure, HSTS is on, no
referrer leaves the site, nobody may frame the pages, inline scripts are forbidden, and WebSocket
connections from foreign origins are refused."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator

ROOT = Path(__file__).resolve().parents[2]


def production_env():
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE", "SECURE_HSTS_SECONDS")}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(64), DEBUG="0", SITE_URL="https://ajanvaraus.example.fi",
        ALLOWED_HOSTS="ajanvaraus.example.fi", CSRF_TRUSTED_ORIGINS="https://ajanvaraus.example.fi",
        BEHIND_PROXY="1", DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_secure_cookies_hsts_and_no_cross_site_referrer():
    probe = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({k: getattr(s, k) for k in "
        "['SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY','SECURE_HSTS_SECONDS','SECURE_SSL_REDIRECT',"
        "'SECURE_REFERRER_POLICY','X_FRAME_OPTIONS','DEBUG']} | {'csp': s.CONTENT_SECURITY_POLICY['DIRECTIVES']}, default=str))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=production_env(), capture_output=True, text=True,
                         timeout=60, check=True).stdout
    s = json.loads(out.strip().splitlines()[-1])
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"] and s["SESSION_COOKIE_HTTPONLY"]
    assert s["SECURE_HSTS_SECONDS"] >= 31536000 and s["SECURE_SSL_REDIRECT"]
    assert s["SECURE_REFERRER_POLICY"] == "same-origin" and s["X_FRAME_OPTIONS"] == "DENY" and not s["DEBUG"]
    assert s["csp"]["connect-src"] == ["'self'", "wss:"]


@pytest.mark.django_db
def test_pages_forbid_inline_scripts_framing_and_referrers(client, service, worker):
    response = client.get("/", follow=True)
    csp = response["Content-Security-Policy"]
    directives = dict((d.split(" ", 1) + [""])[:2] for d in (x.strip() for x in csp.split(";")) if d)
    assert directives["script-src"].split()[0] == "'self'" and "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-inline'" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    # No referrer ever leaves for another site. ("no-referrer" itself would make Chromium send
    # "Origin: null" on our own form posts, which Django's CSRF check rightly refuses.)
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


async def _ws_connects(origin: bytes) -> bool:
    from config.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", origin), (b"host", b"localhost")])
    connected, _ = await communicator.connect()
    if connected:
        await communicator.disconnect()
    from channels.db import database_sync_to_async
    from django.db import connections

    await database_sync_to_async(connections.close_all)()  # give the helper thread's connection back
    return connected


@pytest.mark.django_db(transaction=True)
async def test_websocket_from_a_foreign_origin_is_refused(settings):
    # The origin check comes before any channel-layer work; an in-memory layer keeps the test's event
    # loop free of Redis connections it would have to wind down.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    assert await _ws_connects(b"http://localhost") is True
    assert await _ws_connects(b"https://evil.example") is False
    assert await _ws_connects(b"null") is False
