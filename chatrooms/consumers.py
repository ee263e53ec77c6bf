"""The chat WebSocket (/ws/chat/). Protocol: docs/protocol.md.

Thin by design: parse a frame, call a service in chatrooms/services.py or booking/services.py,
send the result. A message is stored before it is acknowledged or broadcast, so the channel
layer's at-most-once delivery can lose nothing: a rejoin with ``after`` replays from the database.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging

from autobahn.exception import Disconnected  # daphne's WebSocket protocol: sending on a closed socket
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone, translation

from booking import events, localtime
from booking import services as booking_services
from booking import views as booking_views
from booking.actors import Actor
from booking.models import Booking
from booking.ratelimit import RateLimited

from . import services
from .models import Message
from .services import ChatError

MAX_FRAME_BYTES = 16 * 1024
# What one history frame may carry: well under the 64 KiB WebSocket messages daphne is run with
# (Procfile --websocket-max-message-size), with room for the frame around the messages.
HISTORY_FRAME_BYTES = 48 * 1024
logger = logging.getLogger(__name__)


async def answer_frames(consumer, text_data, bytes_data, handlers, *, joined: bool):
    """The common reading of a chat frame, for every chat socket: size, JSON, type, join first; a
    refusal becomes an error frame and an unexpected failure a ``server_error`` frame, so a frame
    never closes the socket (never 1011)."""
    if text_data is None or len(text_data.encode("utf-8", "replace")) > MAX_FRAME_BYTES:
        code = "too_long" if text_data is not None or bytes_data else "bad_frame"
        return await consumer.send_error(ChatError(code))
    try:
        frame = booking_services.clean_json(json.loads(text_data))
    except (ValueError, RecursionError):
        return await consumer.send_error(ChatError("bad_frame"))
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return await consumer.send_error(ChatError("bad_frame"))
    handler = handlers.get(frame["type"])
    if handler is None:
        return await consumer.send_error(ChatError("unknown_type"))
    if frame["type"] not in ("join", "ping") and not joined:
        return await consumer.send_error(ChatError("not_joined"))
    ref = frame.get("client_id") if isinstance(frame.get("client_id"), str) else None
    try:
        await handler(consumer, frame)
    except ChatError as exc:
        await consumer.send_error(exc, ref=ref)
    except RateLimited as exc:
        await consumer.send_error(ChatError("rate_limited", retry_after=exc.retry_after), ref=ref)
    except booking_services.BookingError as exc:
        with translation.override(consumer.language):
            message = exc.message
        await consumer.send_json(
            {"type": "error", "code": exc.code, "message": message, "alternatives": [s.as_json() for s in exc.alternatives]}
        )
    except Exception:
        logger.exception("chat frame %r failed", frame.get("type"))
        await consumer.send_error(ChatError("server_error"), ref=ref)


async def dispatch_in_order(sources, dispatch) -> None:
    """Hand what ``sources`` (awaitables' factories: the socket's frames, the channel layer) deliver
    to ``dispatch``, one at a time, each source's in the order it delivered them, until ``dispatch``
    raises (StopConsumer when the socket closed) or a source fails (its error is raised here).

    What channels' ``await_many_dispatch`` does, without its cost per event: there every event made
    a new task for the next receive and an ``asyncio.wait`` over all sources (a future and callbacks
    each time); here each source has one task for the consumer's life, feeding one queue: 7 % less
    CPU per chat message in each server process (docs/benchmarks.md §3, fourth round).
    """
    inbox: asyncio.Queue = asyncio.Queue()

    async def pump(source):
        try:
            while True:
                inbox.put_nowait((await source(), None))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # the source failed: raised in the consumer, as channels does
            inbox.put_nowait((None, exc))

    loop = asyncio.get_running_loop()
    pumps = [loop.create_task(pump(source)) for source in sources]
    try:
        while True:
            message, error = await inbox.get()
            if error is not None:
                raise error
            await dispatch(message)
    finally:
        for task in pumps:
            task.cancel()
        for task in pumps:  # a cancelled channel-layer receive unsubscribes: let it finish
            try:
                await task
            except asyncio.CancelledError:
                pass


class LeanDispatch:
    """How every socket of this project takes its events: channels' ``AsyncConsumer`` with two costs
    per event taken out (docs/benchmarks.md §3).

    - ``__call__`` is channels 4.x's, with ``dispatch_in_order`` instead of ``await_many_dispatch``.
    - ``dispatch`` skips Channels' extra trip to the database thread. Channels 4.2 runs
      ``close_old_connections`` in the (single) database thread before *every* event a consumer
      handles: each chat message relayed, each typing and presence notice. Here every database call
      goes through ``database_sync_to_async``, which closes stale connections itself in the same
      trip, so the extra hop only queued relays behind real database work.
    """

    async def __call__(self, scope, receive, send):
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        sources = [receive]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
            sources.append(self.channel_receive)
        self.base_send = send
        try:
            await dispatch_in_order(sources, self.dispatch)
        except StopConsumer:
            pass

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


async def send_or_drop(consumer, content) -> None:
    """Send a frame; if the other end has just closed (a group event still on its way when the
    browser left), drop it. Without this the consumer died on the send, its ``disconnect`` never ran,
    and the other side was never told that this one left (bench/dropin_rush.py found it)."""
    try:
        await consumer.send(text_data=json.dumps(content, ensure_ascii=False))
    except Disconnected:
        pass


def chat_group(booking_id: int) -> str:
    return f"chat.{booking_id}"


def session_group(session) -> str:
    """The channel-layer group of one chat: an appointment chat's by its booking (as before), a
    chat of another channel by its session."""
    if session.booking_id is not None:
        return chat_group(session.booking_id)
    return f"chatsession.{session.pk}"


class ChatSocket(LeanDispatch, AsyncWebsocketConsumer):
    """What every chat socket shares (docs/protocol.md): reading frames, storing and relaying
    messages, typing, presence, catching up (sync), ping, ending, and the group events.

    A subclass handles ``join`` (who may enter which ChatSession, as which role), calls ``enter``,
    and may add frames to ``HANDLERS`` (``BASE_HANDLERS`` plus its own) and group events of its own.
    The appointment chat (``ChatConsumer``, /ws/chat/) and the drop-in chat (dropin.consumers,
    /ws/dropin/) are two such subclasses.
    """

    session = None
    role: str | None = None
    group: str | None = None

    async def connect(self):
        self.session = None
        self.role = None
        self.group = None
        self.echo = True
        self.throttle = services.message_throttle()  # messages, syncs and typing of this connection
        # Error messages in the language the visitor chose on the pages (Finnish unless they chose).
        cookies = self.scope.get("cookies") or {}
        chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME)
        self.language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        await self.accept()

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_send(
                self.group, {"type": "chat.presence", "role": self.role, "online": False, "sender": self.channel_name}
            )
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # --- frames in ------------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        await answer_frames(self, text_data, bytes_data, self.HANDLERS, joined=self.session is not None)

    @staticmethod
    def join_options(frame) -> tuple[int | None, bool]:
        """``after`` and ``echo`` of a join frame, checked (ChatError bad_frame)."""
        after = frame.get("after")
        if after is not None and (not isinstance(after, int) or isinstance(after, bool) or after < 0):
            raise ChatError("bad_frame")
        echo = frame.get("echo", True)
        if not isinstance(echo, bool):
            raise ChatError("bad_frame")
        return after, echo

    async def enter(self, *, session, role: str, echo: bool) -> None:
        """Join ``session``'s group as ``role`` (after the subclass checked who may)."""
        self.session, self.role = session, role
        # echo=False: this connection shows its own messages from the ack, so it is not sent its own
        # copy again (other tabs of the same person still get it; docs/protocol.md).
        self.echo = echo
        self.group = session_group(session)
        await self.channel_layer.group_add(self.group, self.channel_name)

    async def send_history(self, after: int | None) -> None:
        history = await database_sync_to_async(services.messages_after)(session=self.session, after=after)
        await self.send_messages(history)

    async def send_messages(self, messages) -> None:
        """Messages as ``history`` frames, oldest first: one frame, or several when one would pass
        HISTORY_FRAME_BYTES (a long chat's history is larger than what a WebSocket frame may carry;
        docs/protocol.md, "Long histories"). An empty history is still one (empty) frame."""
        chunk, size = [], 0
        for message in messages:
            frame = message.as_frame()
            length = len(json.dumps(frame, ensure_ascii=False).encode())
            if chunk and size + length > HISTORY_FRAME_BYTES:
                await self.send_json({"type": "history", "messages": chunk})
                chunk, size = [], 0
            chunk.append(frame)
            size += length + 1
        await self.send_json({"type": "history", "messages": chunk})

    async def announce_presence(self) -> None:
        await self.channel_layer.group_send(
            self.group, {"type": "chat.presence", "role": self.role, "online": True, "sender": self.channel_name, "ask": True}
        )

    async def on_message(self, frame):
        if not self.throttle.allow():
            raise ChatError("slow_down")
        await self.may_write()
        message, created = await services.message_post_grouped(
            session=self.session, role=self.role, text=frame.get("text"), client_id=frame.get("client_id") or ""
        )
        # The ack carries the stored message (added to protocol v1 in 2026-12), so the sender can show
        # it as stored at once, whether or not its own copy through the channel layer arrives.
        frame = message.as_frame()
        await self.send_json({"type": "ack", "id": message.pk, "client_id": message.client_id or None, "message": frame})
        if created:
            await self.channel_layer.group_send(self.group, {"type": "chat.message", "frame": frame, "sender": self.channel_name})

    async def may_write(self) -> None:
        """A subclass refuses a message here (ChatError) when this connection may no longer write."""

    async def on_typing(self, frame):
        if not self.throttle.allow():
            return  # a typing notice is not worth an error: a flood of them is simply not passed on
        await self.channel_layer.group_send(
            self.group,
            {"type": "chat.typing", "role": self.role, "typing": bool(frame.get("typing", True)), "sender": self.channel_name},
        )

    async def end_chat(self, by: str) -> None:
        session = await database_sync_to_async(services.session_end)(session=self.session, by=by)
        await self.channel_layer.group_send(self.group, {"type": "chat.ended", "by": session.ended_by})

    async def on_sync(self, frame):
        """Catch up without reconnecting: the channel layer may drop a broadcast under overload, but
        the database has every message."""
        after = frame.get("after")
        if after is not None and (not isinstance(after, int) or isinstance(after, bool) or after < 0):
            raise ChatError("bad_frame")
        if not self.throttle.allow():
            raise ChatError("slow_down")
        missed = await database_sync_to_async(services.messages_after)(session=self.session, after=after)
        await self.send_messages(missed)

    async def on_ping(self, frame):
        await self.send_json({"type": "pong"})

    BASE_HANDLERS = {"message": on_message, "typing": on_typing, "sync": on_sync, "ping": on_ping}
    HANDLERS = BASE_HANDLERS

    # --- group events out -----------------------------------------------------------------
    async def chat_message(self, event):
        if not self.echo and event.get("sender") == self.channel_name:
            return
        await self.send_json(event["frame"])

    async def chat_typing(self, event):
        if event["sender"] != self.channel_name:
            await self.send_json({"type": "typing", "role": event["role"], "typing": event["typing"]})

    async def chat_presence(self, event):
        if event["sender"] == self.channel_name:
            return
        await self.send_json({"type": "presence", "role": event["role"], "online": event["online"]})
        if event.get("ask") and event["role"] != self.role:
            # Tell the newcomer that we are here too.
            await self.channel_layer.send(
                event["sender"], {"type": "chat.presence", "role": self.role, "online": True, "sender": self.channel_name}
            )

    async def chat_opened(self, event):
        await self.send_json({"type": "opened"})

    async def chat_ended(self, event):
        frame = {"type": "ended", "by": event["by"]}
        if event.get("reason"):
            frame["reason"] = event["reason"]
        await self.send_json(frame)

    async def layer_lost(self, event):
        """The channel layer lost Redis and may have missed broadcasts: the client reconnects and
        rejoins with ``after``, which replays from the database (chatrooms/layers.py)."""
        await self.close(code=1012)

    # --- helpers --------------------------------------------------------------------------
    async def send_json(self, content):
        await send_or_drop(self, content)

    async def send_error(self, exc: ChatError, ref=None):
        with translation.override(self.language):
            frame = {"type": "error", "code": exc.code, "message": exc.message}
        if ref:
            frame["client_id"] = ref
        if "opens" in exc.extra:
            frame["opens"] = timezone.localtime(exc.extra["opens"]).isoformat()
        if "retry_after" in exc.extra:
            frame["retry_after"] = exc.extra["retry_after"]
        await self.send_json(frame)


class ChatConsumer(ChatSocket):
    """The appointment chat (/ws/chat/): a parent with the booking's code, the booking's worker."""

    booking: Booking | None = None

    async def connect(self):
        self.booking = None
        await super().connect()

    async def on_join(self, frame):
        if self.session is not None:
            raise ChatError("already_joined")
        after, echo = self.join_options(frame)
        self.actor = Actor.from_scope(self.scope)
        if "booking" in frame:
            booking = await database_sync_to_async(services.worker_booking)(actor=self.actor, booking_id=frame["booking"])
            role = Message.Role.WORKER
        else:
            booking = await self._parent_booking(frame)
            role = Message.Role.PARENT
        session = await database_sync_to_async(services.session_join)(booking=booking, role=role)
        self.booking = booking
        await self.enter(session=session, role=role, echo=echo)
        state = services.session_state(session)
        follow_up_booked = False
        if role == Message.Role.PARENT:
            follow_up_booked = await database_sync_to_async(services.follow_up_booked)(booking=booking)
        await self.send_json(
            {
                "type": "joined",
                "role": role,
                "booking": booking.pk if role == Message.Role.WORKER else None,
                "state": state,
                "start": timezone.localtime(booking.start).isoformat(),
                "end": timezone.localtime(booking.end).isoformat(),
                "worker": booking.worker.display_name,
                "nickname": booking.nickname,
                "follow_up": booking.follow_up_of_id is not None,
                "follow_up_booked": follow_up_booked,
                "max_chars": settings.CHAT_MESSAGE_MAX_CHARS,
            }
        )
        await self.send_history(after)
        if state == "waiting":
            await self.send_json({"type": "waiting"})
        elif state == "ended":
            await self.send_json({"type": "ended", "by": session.ended_by})
        await self.announce_presence()
        if role == Message.Role.WORKER and state == "open":
            await self.channel_layer.group_send(self.group, {"type": "chat.opened"})
        if role == Message.Role.PARENT:
            await database_sync_to_async(events.notify_worker_now)(
                booking.worker_id, {"kind": "waiting", "booking": booking.pk}
            )

    async def _parent_booking(self, frame) -> Booking:
        code = frame.get("code")
        if code is None:
            # The join page already checked the code and keeps only the booking id in the session.
            session = self.scope.get("session")
            booking_id = session.get("chat_booking") if session is not None else None
            return await database_sync_to_async(services.parent_booking_from_session)(booking_id=booking_id)
        if not isinstance(code, str):
            raise ChatError("bad_frame")
        return await database_sync_to_async(services.parent_booking_for_code)(actor=self.actor, code=code)

    async def on_end(self, frame):
        if frame.get("flag") is True:
            if self.role != Message.Role.WORKER:
                raise ChatError("forbidden")
            session = await database_sync_to_async(services.session_flag)(session=self.session, actor=self.actor)
            await self.channel_layer.group_send(self.group, {"type": "chat.ended", "by": session.ended_by})
        else:
            await self.end_chat(self.role)

    async def on_followup_slots(self, frame):
        if self.role != Message.Role.PARENT:
            raise ChatError("forbidden")
        slots = await database_sync_to_async(booking_services.followup_slots)(booking=self.booking)
        # The nearest ones that fit one frame (a worker with long hours over a long horizon has
        # hundreds): a parent chooses among the first weeks anyway.
        chosen, size = [], 0
        for slot in slots:
            item = slot.as_json()
            size += len(json.dumps(item, ensure_ascii=False).encode()) + 1
            if size > HISTORY_FRAME_BYTES:
                break
            chosen.append(item)
        answer = {"type": "followup_slots", "slots": chosen}
        if len(chosen) < len(slots):
            answer["more"] = True
        await self.send_json(answer)

    async def on_followup_book(self, frame):
        if self.role != Message.Role.PARENT:
            raise ChatError("forbidden")
        try:
            start = localtime.parse_instant(frame.get("start"))
        except localtime.TimeInputError as exc:
            if exc.code in ("out_of_range", "beyond_horizon"):
                raise booking_services.BookingError("not_available", field="start") from None
            raise ChatError("bad_frame") from None
        new = await database_sync_to_async(booking_services.followup_create)(actor=self.actor, previous=self.booking, start=start)
        await self.send_json(
            {
                "type": "followup_booked",
                "code": new.code,
                "start": timezone.localtime(new.booking.start).isoformat(),
                "end": timezone.localtime(new.booking.end).isoformat(),
                "worker": self.booking.worker.display_name,
                "ics": booking_views.ics_url(new.booking),
            }
        )
        await self.channel_layer.group_send(
            self.group,
            {"type": "chat.followup", "start": timezone.localtime(new.booking.start).isoformat(), "booking": new.booking.pk},
        )

    HANDLERS = {
        **ChatSocket.BASE_HANDLERS,
        "join": on_join,
        "end": on_end,
        "followup_slots": on_followup_slots,
        "followup_book": on_followup_book,
    }

    async def chat_followup(self, event):
        if self.role == Message.Role.WORKER:
            await self.send_json({"type": "followup", "start": event["start"], "booking": event["booking"]})


class DashboardConsumer(LeanDispatch, AsyncWebsocketConsumer):
    """Live notices for a signed-in worker's dashboard (/ws/staff/)."""

    async def connect(self):
        user = self.scope.get("user")
        if not getattr(user, "is_authenticated", False):
            await self.close(code=4401)
            return
        self.group = events.worker_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def layer_lost(self, event):
        await self.close(code=1012)  # the page reconnects and reloads its notices

    async def dashboard_event(self, event):
        await self.send(text_data=json.dumps(event["event"]))
