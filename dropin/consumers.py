"""The drop-in chat's sockets (docs/protocol.md, "The drop-in chat"). Thin: parse, call
dropin/services.py, send.

- ``/ws/dropin/`` (``DropinConsumer``): the chat itself, for the parent (in the queue, then in the
  chat) and for the person on duty who has it. Everything a chat does (messages stored before they
  are acknowledged, numbering, gap fill, history, typing, presence, end) is the chat engine's
  (chatrooms.consumers.ChatSocket); this adds the join rules, the queue position and the hand-over.
- ``/ws/dropin/staff/`` (``DropinStaffConsumer``): the desk and the coordinator's room: take the
  next parent, presence, the side channel, "needs support", and live notices.
"""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone, translation

from booking.actors import Actor
from chatrooms.consumers import ChatSocket, LeanDispatch, answer_frames, send_or_drop
from chatrooms.models import Message
from chatrooms.services import ChatError

from . import events, services
from .models import Contact
from .services import DropinError

logger = logging.getLogger(__name__)


async def call(consumer, fn, **kwargs):
    """Run a service in the database thread; send the news it caused from the event loop."""
    outbox: list = []
    result = await database_sync_to_async(events.collecting(fn, outbox))(**kwargs)
    for group, message in outbox:
        await consumer.channel_layer.group_send(group, message)
    return result


def _state(contact: Contact) -> str:
    if contact.state == Contact.State.WAITING:
        return "waiting"
    if contact.state == Contact.State.TAKEN:
        return "open"
    return "ended"


class DropinConsumer(ChatSocket):
    contact_id: int | None = None

    async def connect(self):
        self.contact_id = None
        self.waiting = False
        self.position = None
        self.revoked = False
        await super().connect()

    async def disconnect(self, code):
        if self.waiting:
            await self.channel_layer.group_discard(events.QUEUE_GROUP, self.channel_name)
        if self.contact_id is not None and self.role == Message.Role.PARENT:
            await database_sync_to_async(services.parent_disconnected)(contact_id=self.contact_id)
        await super().disconnect(code)

    # --- frames in ----------------------------------------------------------------------------
    async def on_join(self, frame):
        if self.session is not None:
            raise ChatError("already_joined")
        after, echo = self.join_options(frame)
        self.actor = Actor.from_scope(self.scope)
        if "contact" in frame:
            contact = await database_sync_to_async(services.helper_contact)(actor=self.actor, contact_id=frame["contact"])
            role = Message.Role.WORKER
        else:
            contact = await self._parent_contact(frame)
            role = Message.Role.PARENT
            await database_sync_to_async(services.parent_connected)(contact=contact)
        self.contact_id = contact.pk
        await self.enter(session=contact.session, role=role, echo=echo)
        state = _state(contact)
        await self.send_json(
            {
                "type": "joined",
                "role": role,
                "channel": "dropin",
                "contact": contact.pk if role == Message.Role.WORKER else None,
                "booking": None,
                "state": state,
                "start": timezone.localtime(contact.arrived_at).isoformat(),
                "end": None,
                "worker": contact.taken_by.display_name if contact.taken_by_id else None,
                "nickname": contact.nickname,
                "topic": contact.topic if role == Message.Role.WORKER else "",
                "follow_up": False,
                "follow_up_booked": False,
                "max_chars": settings.CHAT_MESSAGE_MAX_CHARS,
            }
        )
        await self.send_history(after)
        if state == "waiting":
            self.waiting = True
            await self.channel_layer.group_add(events.QUEUE_GROUP, self.channel_name)
            await self.send_json({"type": "waiting"})
            await self.send_queue()
        elif state == "ended":
            await self.send_json({"type": "ended", "by": contact.session.ended_by or "system"})
        await self.announce_presence()

    async def _parent_contact(self, frame) -> Contact:
        code = frame.get("code")
        if code is None:
            # The entry (or rejoin) page keeps only the contact's id in the browser's session.
            session = self.scope.get("session")
            contact_id = session.get("dropin_contact") if session is not None else None
            return await database_sync_to_async(services.contact_from_session)(contact_id=contact_id)
        if not isinstance(code, str):
            raise ChatError("bad_frame")
        return await database_sync_to_async(services.contact_for_code)(actor=self.actor, code=code)

    async def may_write(self):
        if self.revoked:
            raise DropinError("not_taken")

    async def on_end(self, frame):
        flag = frame.get("flag") is True
        if self.role == Message.Role.PARENT:
            if flag:
                raise ChatError("forbidden")
            contact = await self._contact()
            await call(self, services.parent_leave, contact=contact)
        else:
            if self.revoked:
                raise DropinError("not_taken")
            contact = await self._contact()
            await call(self, services.contact_end, contact=contact, by="worker", actor=self.actor, flag=flag)

    async def on_sync(self, frame):
        await super().on_sync(frame)
        if self.role == Message.Role.PARENT:
            if self.waiting:
                await self.send_queue()  # resynchronise the position now and then

    async def on_queue(self, frame):
        """Ask for the place in the queue (answered with a ``queue`` frame while waiting)."""
        if self.role != Message.Role.PARENT:
            raise ChatError("forbidden")
        if not self.throttle.allow():
            raise ChatError("slow_down")
        if self.waiting:
            await self.send_queue()

    HANDLERS = {**ChatSocket.BASE_HANDLERS, "join": on_join, "end": on_end, "sync": on_sync, "queue": on_queue}

    async def _contact(self) -> Contact:
        return await database_sync_to_async(Contact.objects.select_related("session", "taken_by").get)(pk=self.contact_id)

    async def send_queue(self, per_place=None, recount: bool = True):
        if recount or self.position is None:
            contact = await self._contact()
            if contact.state != Contact.State.WAITING:
                return
            self.position = await database_sync_to_async(services.position)(contact=contact)
            per_place, _seats = await database_sync_to_async(services.per_place_seconds)()
        await self.send_json(
            {"type": "queue", "position": self.position, "estimate_minutes": services.estimate_minutes(self.position, per_place)}
        )

    # --- group events out ---------------------------------------------------------------------
    async def dropin_queue(self, event):
        """Someone left the queue or was taken: a parent behind them moves up one place."""
        if not self.waiting or self.position is None:
            return
        removed = event.get("removed")
        if removed is not None and removed < self.contact_id:
            self.position = max(1, self.position - 1)
        elif removed is not None:
            return  # someone behind us: our place is the same
        await self.send_queue(per_place=event.get("per_place"), recount=False)

    async def chat_opened(self, event):
        if self.waiting:
            self.waiting = False
            await self.channel_layer.group_discard(events.QUEUE_GROUP, self.channel_name)
        frame = {"type": "opened"}
        if event.get("worker"):
            frame["worker"] = event["worker"]
        await self.send_json(frame)

    async def chat_ended(self, event):
        if self.waiting:
            self.waiting = False
            await self.channel_layer.group_discard(events.QUEUE_GROUP, self.channel_name)
        frame = {"type": "ended", "by": event["by"]}
        for key in ("reason", "alternatives"):
            if event.get(key):
                frame[key] = event[key]
        await self.send_json(frame)

    async def dropin_helper(self, event):
        """The chat was handed over: the parent sees who continues; the previous person's socket may
        no longer write in it."""
        if self.role == Message.Role.PARENT:
            await self.send_json({"type": "helper", "worker": event["worker"]})
        elif getattr(self, "actor", None) is not None and self.actor.user_id != event["user"]:
            self.revoked = True
            await self.send_json({"type": "handed_over", "worker": event["worker"]})


class DropinStaffConsumer(LeanDispatch, AsyncWebsocketConsumer):
    """The desk's and the room's live socket (/ws/dropin/staff/)."""

    async def connect(self):
        self.groups_joined = []
        self.actor = Actor.from_scope(self.scope)
        cookies = self.scope.get("cookies") or {}
        chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME)
        self.language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        if not services.may_work(self.actor):
            await self.close(code=4403)
            return
        self.groups_joined = [events.STAFF_GROUP, events.user_group(self.actor.user_id)]
        if self.actor.is_coordinator:
            self.groups_joined.append(events.COORDINATORS_GROUP)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        await answer_frames(self, text_data, bytes_data, self.HANDLERS, joined=True)

    async def on_take_next(self, frame):
        contact = await call(self, services.take_next, actor=self.actor)
        await self.send_json({"type": "taken", "contact": contact.pk, "chat_url": f"/staff/dropin/chat/{contact.pk}/"})

    async def _contact(self, frame) -> Contact:
        contact_id = frame.get("contact")
        if isinstance(contact_id, bool) or not isinstance(contact_id, int):
            raise ChatError("bad_frame")
        contact = await database_sync_to_async(
            Contact.objects.select_related("session", "taken_by").filter(pk=contact_id).first
        )()
        if contact is None:
            raise DropinError("forbidden")
        return contact

    async def on_side(self, frame):
        contact = await self._contact(frame)
        message = await call(self, services.side_post, actor=self.actor, contact=contact, text=frame.get("text"))
        await self.send_json({"type": "side_ack", "id": message.pk, "client_id": frame.get("client_id") if isinstance(frame.get("client_id"), str) else None})

    async def on_support(self, frame):
        on = frame.get("on", True)
        if not isinstance(on, bool):
            raise ChatError("bad_frame")
        contact = await self._contact(frame)
        await call(self, services.support_set, actor=self.actor, contact=contact, on=on)
        await self.send_json({"type": "support", "contact": contact.pk, "on": on})

    async def on_present(self, frame):
        present = frame.get("present", True)
        if not isinstance(present, bool):
            raise ChatError("bad_frame")
        await call(self, services.presence_set, actor=self.actor, present=present)
        await self.send_json({"type": "present", "present": present})

    async def on_ping(self, frame):
        await self.send_json({"type": "pong"})

    # answer_frames asks for a "join" before other frames; the staff socket is joined by signing in.
    HANDLERS = {
        "take_next": on_take_next,
        "side": on_side,
        "support": on_support,
        "present": on_present,
        "ping": on_ping,
    }

    async def dropin_staff(self, event):
        await self.send_json(event["event"])

    async def layer_lost(self, event):
        await self.close(code=1012)  # the page reconnects and refetches its state

    async def send_json(self, content):
        await send_or_drop(self, content)

    async def send_error(self, exc: ChatError, ref=None):
        with translation.override(self.language):
            frame = {"type": "error", "code": exc.code, "message": exc.message}
        if ref:
            frame["client_id"] = ref
        if "retry_after" in exc.extra:
            frame["retry_after"] = exc.extra["retry_after"]
        await self.send_json(frame)
