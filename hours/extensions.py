"""Where the apps above hours add to what hours shows, without hours importing them.

hours is on floor 1; the channels' own apps (dropin, letters) are on floor 2. They register here,
in their ``AppConfig.ready()``, and hours calls what is registered:

- ``register_channel_fields(kind, provider)``: ``provider(now=...) -> dict`` of extra fields for the
  status document's entry of every channel of ``kind`` (docs/api.md, "Status"). Fields are only
  ever *added*: a key the document already has is never overwritten.
- ``register_status_override(kind, provider)``: ``provider(now=...) -> Status | None``; a Status
  replaces the opening-hours status of channels of ``kind`` (used by the drop-in chat's demo
  setting DROPIN_ALWAYS_OPEN, so that every page tells the same thing); None keeps the hours.
- ``register_landing_block(provider)``: ``provider(request, now=...) -> {"template": ..., "css":
  <static path or None>, ...}`` or None; the landing page includes each block's template with the
  block as ``block``, in registration order, above the appointment-chat services.
- ``register_quick_exit_cookie(name, path)``: a cookie of the channel's own (e.g. the drop-in chat's
  code, kept in the browser) that the quick exit deletes along with the session.

A provider that fails is logged and left out: the landing page and the public status never fail
because of an extension.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable

logger = logging.getLogger(__name__)

_channel_fields: dict[str, list[Callable]] = defaultdict(list)
_status_overrides: dict[str, list[Callable]] = defaultdict(list)
_landing_blocks: list[Callable] = []
_quick_exit_cookies: list[tuple[str, str]] = []


def _add_once(registry: list, provider: Callable) -> None:
    if provider not in registry:  # ready() may run twice in tests
        registry.append(provider)


def register_channel_fields(kind: str, provider: Callable) -> None:
    _add_once(_channel_fields[kind], provider)


def register_status_override(kind: str, provider: Callable) -> None:
    _add_once(_status_overrides[kind], provider)


def register_landing_block(provider: Callable) -> None:
    _add_once(_landing_blocks, provider)


def register_quick_exit_cookie(name: str, path: str) -> None:
    if (name, path) not in _quick_exit_cookies:
        _quick_exit_cookies.append((name, path))


def quick_exit_cookies() -> list[tuple[str, str]]:
    return list(_quick_exit_cookies)


def channel_fields(kind: str, *, now: dt.datetime) -> dict:
    fields: dict = {}
    for provider in _channel_fields.get(kind, ()):
        try:
            fields.update(provider(now=now) or {})
        except Exception:
            logger.exception("status fields of %s failed", kind)
    return fields


def status_override(kind: str, *, now: dt.datetime):
    for provider in _status_overrides.get(kind, ()):
        try:
            status = provider(now=now)
        except Exception:
            logger.exception("status override of %s failed", kind)
            continue
        if status is not None:
            return status
    return None


def landing_blocks(request, *, now: dt.datetime) -> list[dict]:
    blocks = []
    for provider in _landing_blocks:
        try:
            block = provider(request, now=now)
        except Exception:
            logger.exception("landing block failed")
            continue
        if block:
            blocks.append(block)
    return blocks
