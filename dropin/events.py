"""Live news of the drop-in chat, sent through the channel layer after the transaction commits.

Groups:
- a chat's own group (chatrooms.consumers.session_group): the parent and the person on duty in it
  (opened, ended, the helper changed). The side channel never goes here.
- ``dropin.queue``: the parents' sockets while they wait (someone ahead left or was taken).
- ``dropin.staff``: every person on duty's staff socket (the queue's length and longest wait).
- ``dropin.user.<id>``: one person's staff sockets (their chats changed, side messages of their chats).
- ``dropin.coordinators``: coordinators' staff sockets (everything that changes the room, every
  side message).

A notice is best effort: every page also refetches its state when its socket (re)connects.
"""

from __future__ import annotations

import datetime as dt
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from chatrooms.consumers import session_group

QUEUE_GROUP = "dropin.queue"
STAFF_GROUP = "dropin.staff"
COORDINATORS_GROUP = "dropin.coordinators"


def user_group(user_id) -> str:
    return f"dropin.user.{user_id}"


_outbox = threading.local()


def _send(group: str, message: dict) -> None:
    collected = getattr(_outbox, "messages", None)
    if collected is not None:  # a socket called the service: it sends them itself (``collecting``)
        collected.append((group, message))
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # best effort: pages refetch their state on reconnect
        pass


def collecting(fn, outbox: list):
    """``fn`` with the news it causes collected into ``outbox`` instead of sent from the database
    thread: a consumer calls a service through this (in ``database_sync_to_async``) and then sends
    the collected messages from its own event loop. Channels runs every consumer's database work in
    one thread per process; sending from it made every other consumer's database call wait for
    Redis round trips (bench/dropin_rush.py: "take next" to both sides in the chat)."""

    def run(*args, **kwargs):
        _outbox.messages = outbox
        try:
            return fn(*args, **kwargs)
        finally:
            _outbox.messages = None

    return run


def _after_commit(fn) -> None:
    transaction.on_commit(fn)


def iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def alternatives_json(*, now: dt.datetime | None = None) -> dict:
    from . import services

    alt = services.alternatives(now=now)
    service = alt["next_free_service"]
    return {
        "next_opening": iso(alt["next_opening"]),
        "next_free": iso(alt["next_free"]),
        "next_free_url": reverse("booking:week", args=[service.slug]) if service else None,
        "letters_url": alt["letters_url"],
    }


def queue_changed(*, removed: int | None = None, staff_only: bool = False) -> None:
    """The queue changed: waiting parents behind ``removed`` move up; staff see the new length."""

    def send():
        from . import services

        state = services.queue_state()
        if not staff_only:
            _send(QUEUE_GROUP, {"type": "dropin.queue", "removed": removed, "per_place": state.per_place, "waiting": state.waiting})
        _send(
            STAFF_GROUP,
            {
                "type": "dropin.staff",
                "event": {
                    "type": "queue",
                    "waiting": state.waiting,
                    "longest_wait": int(state.longest_wait.total_seconds()) if state.longest_wait else None,
                },
            },
        )

    _after_commit(send)


def staff_changed(*, users=(), coordinators: bool = False, everyone: bool = False) -> None:
    """Someone's chats or the duty list changed: their desk and the coordinators' room refetch."""
    event = {"type": "dropin.staff", "event": {"type": "changed"}}

    def send():
        if everyone:
            _send(STAFF_GROUP, event)
            return
        for user_id in {u for u in users if u}:
            _send(user_group(user_id), event)
        if coordinators:
            _send(COORDINATORS_GROUP, event)

    _after_commit(send)


def chat_opened(session, *, helper) -> None:
    name = helper.display_name
    _after_commit(lambda: _send(session_group(session), {"type": "chat.opened", "worker": name}))


def chat_ended(session, *, by: str, reason: str | None = None, alternatives: dict | None = None) -> None:
    message = {"type": "chat.ended", "by": by}
    if reason:
        message["reason"] = reason
    if alternatives:
        message["alternatives"] = alternatives
    _after_commit(lambda: _send(session_group(session), message))


def helper_changed(session, *, helper, previous) -> None:
    message = {"type": "dropin.helper", "worker": helper.display_name, "user": helper.pk, "previous": previous}
    _after_commit(lambda: _send(session_group(session), message))


def side_message(contact, frame: dict) -> None:
    holder = contact.taken_by_id

    def send():
        _send(user_group(holder), {"type": "dropin.staff", "event": frame})
        _send(COORDINATORS_GROUP, {"type": "dropin.staff", "event": frame})

    _after_commit(send)
