"""hours/extensions.py: how the channel apps add to the public status and the landing page without
hours importing them. Fields are only added; a failing provider never breaks a page."""

from collections import defaultdict

import pytest
from django.core.cache import cache

from hours import extensions

pytestmark = pytest.mark.django_db


@pytest.fixture
def providers(monkeypatch):
    monkeypatch.setattr(extensions, "_channel_fields", defaultdict(list, {k: list(v) for k, v in extensions._channel_fields.items()}))
    monkeypatch.setattr(extensions, "_landing_blocks", list(extensions._landing_blocks))
    monkeypatch.setattr(extensions, "_status_overrides", defaultdict(list, {k: list(v) for k, v in extensions._status_overrides.items()}))
    return extensions


def test_fields_are_only_added_and_a_failing_provider_is_left_out(chat_channel, client, providers):
    def broken(**kwargs):
        raise RuntimeError("provider down")

    providers.register_channel_fields("phone", lambda **kw: {"open": "overwritten?", "extra": 1})
    providers.register_channel_fields("phone", broken)
    providers.register_landing_block(lambda request, **kw: 1 / 0)
    providers.register_status_override("phone", broken)
    cache.clear()
    phone = next(c for c in client.get("/api/v1/status/").json()["channels"] if c["kind"] == "phone")
    assert phone["extra"] == 1 and isinstance(phone["open"], bool)  # added, never replaced
    assert client.get("/").status_code == 200
