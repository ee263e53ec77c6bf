"""What the drop-in chat adds to the opening hours' public pages (registered in apps.py through
hours/extensions.py): the status document's fields, the demo's "open around the clock", and the
landing page's "Start a chat"."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from hours.selectors import Status

from . import services

BAND_TEXT = {
    "none": lambda: _("No queue"),
    "short": lambda: _("A short wait"),
    "long": lambda: _("A long wait"),
}


def status_fields(*, now: dt.datetime) -> dict:
    """Added to the drop-in chat's entry in /api/v1/status/ (docs/api.md, "Status"): while open, the
    queue as a band (never exact numbers) and whether new chats are still started."""
    state = services.opening(now=now)
    band = services.queue_band(now=now) if state.is_open else None
    return {
        "accepting": state.accepting,
        "last_entry": state.last_entry.isoformat() if state.last_entry else None,
        "queue": band,
        "queue_text": BAND_TEXT[band]() if band else None,
        "start_url": settings.SITE_URL.rstrip("/") + reverse("dropin:start"),
    }


def always_open_status(*, now: dt.datetime):
    """DROPIN_ALWAYS_OPEN (a demo setting): the drop-in chat is open around the clock, on every page."""
    if services.always_open():
        return Status(is_open=True, until=None, next_opening=None, always_open=True)
    return None


def landing_block(request, *, now: dt.datetime) -> dict:
    state = services.opening(now=now)
    block = {"template": "dropin/_landing.html", "css": "dropin/dropin.css", "opening": state, "band": None, "alternatives": None}
    if state.is_open:
        block["band"] = services.queue_band(now=now)
        block["band_text"] = BAND_TEXT[block["band"]]()
    if not state.accepting:
        block["alternatives"] = services.alternatives(now=now)
    return block
