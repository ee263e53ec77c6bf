"""Chat rules: who may join, storing messages, ending a session. Consumers stay thin and call these.

Codes are checked, limited and counted by booking.services.find_by_code (the one way every code is
entered); who acts is a booking.actors.Actor. This app imports booking only (the floor below).
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from contextlib import nullcontext
from typing import NamedTuple

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking import selectors
from booking import services as booking_services
from booking.actors import Actor
from booking.models import Booking
from booking.ratelimit import RateLimited
from booking.services import clean_text

from .groupcommit import GroupCommit, LoopConnection
from .models import ChatSession, Message


class ChatError(Exception):
    MESSAGES = {
        "invalid_code": _("The code was not recognised. Please check it and try again."),
        "rate_limited": _("Too many attempts. Please wait a while and try again."),
        "too_early": _("Your chat has not started yet. You can join %(minutes)s minutes before the start."),
        "ended": _("This chat has ended and the code is no longer valid."),
        "cancelled": _("This booking has been cancelled."),
        "forbidden": _("You do not have access to this chat."),
        "not_joined": _("Join the chat first."),
        "already_joined": _("Already joined."),
        "empty": _("The message is empty."),
        "too_long": _("The message is too long."),
        "not_open": _("The worker has not opened the chat yet."),
        "bad_frame": _("The message could not be understood."),
        "slow_down": _("You are sending messages very fast. Your message will be sent in a moment."),
        "unknown_type": _("Unknown message type."),
        "server_error": _("Something went wrong on our side. Please try again in a moment."),
    }

    def __init__(self, code: str, **extra):
        self.code = code
        self.extra = extra
        super().__init__(code)

    @property
    def message(self) -> str:
        text = self.MESSAGES.get(self.code, self.code)
        if self.code == "too_long":
            return str(_("The message is too long (at most %(max)s characters).") % {"max": settings.CHAT_MESSAGE_MAX_CHARS})
        if self.code == "too_early":
            return str(text) % {"minutes": settings.JOIN_EARLY_MINUTES}
        return str(text)


class Throttle:
    """A token bucket for one connection: ``burst`` frames at once, then ``rate`` per second.

    Someone typing, however fast, never meets it; a script flooding the other side does, and gets a
    ``slow_down`` error frame instead of filling the chat (and the database)."""

    def __init__(self, *, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = float(burst), clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def message_throttle() -> Throttle:
    return Throttle(rate=settings.CHAT_MESSAGES_PER_SECOND, burst=settings.CHAT_MESSAGE_BURST)


def session_create(*, channel: str, opened: bool = False, parent_joined: bool = False, now: dt.datetime | None = None) -> ChatSession:
    """A chat without a booking, for another channel's app (the drop-in chat). That app decides who
    may join it; everything else (numbering, history, ending, the purge) is this app's."""
    if channel == ChatSession.Channel.APPOINTMENT:
        raise ValueError("an appointment chat belongs to its booking: use session_for(booking)")
    now = now or timezone.now()
    return ChatSession.objects.create(
        channel=channel, opened_at=now if opened else None, parent_joined_at=now if parent_joined else None
    )


def session_open(*, session: ChatSession, now: dt.datetime | None = None) -> bool:
    """Open a chat that is not open yet (one conditional update: True for the one caller that opened
    it). Messages can be stored from then on (message_post)."""
    now = now or timezone.now()
    return bool(ChatSession.objects.filter(pk=session.pk, opened_at__isnull=True, ended_at__isnull=True).update(opened_at=now))


def session_for(booking: Booking) -> ChatSession:
    session, _created = ChatSession.objects.get_or_create(booking=booking)
    return session


def session_is_over(booking: Booking, session: ChatSession | None, now: dt.datetime) -> bool:
    if session is not None and session.ended_at is not None:
        return True
    if booking.status in (Booking.Status.COMPLETED, Booking.Status.NO_SHOW):
        return True
    return now >= selectors.join_window(booking)[1]


def parent_booking_for_code(*, actor: Actor, code, now: dt.datetime | None = None) -> Booking:
    """The booking a parent may enter with ``code`` now; ChatError says why not.

    The code goes through booking.services.find_by_code: counted against the client's code-entry
    limit in one atomic step, whichever page or socket it came from."""
    now = now or timezone.now()
    try:
        booking = booking_services.find_by_code(actor=actor, code=code)
    except RateLimited as exc:
        raise ChatError("rate_limited", retry_after=exc.retry_after) from None
    except booking_services.BookingError:
        raise ChatError("invalid_code") from None
    return parent_check_window(booking=booking, now=now)


def parent_check_window(*, booking: Booking, now: dt.datetime | None = None) -> Booking:
    now = now or timezone.now()
    if booking.status == Booking.Status.CANCELLED:
        raise ChatError("cancelled")
    session = ChatSession.objects.filter(booking=booking).first()
    if session_is_over(booking, session, now):
        raise ChatError("ended")
    opens, _closes = selectors.join_window(booking)
    if now < opens:
        raise ChatError("too_early", opens=opens)
    return booking


def parent_booking_from_session(*, booking_id, now: dt.datetime | None = None) -> Booking:
    """The booking the join page checked the code of (only its id is kept in the session)."""
    booking = None
    if isinstance(booking_id, int):
        booking = Booking.objects.select_related("worker", "service").filter(pk=booking_id).first()
    if booking is None:
        raise ChatError("invalid_code")
    return parent_check_window(booking=booking, now=now)


def worker_booking(*, actor: Actor, booking_id, now: dt.datetime | None = None) -> Booking:
    """A booking the signed-in worker may chat in: only their own; coordinators never read chats.

    The actor must be a professional whose session passed the second factor (booking.actors)."""
    if isinstance(booking_id, bool) or not isinstance(booking_id, (int, str)):
        raise ChatError("forbidden")
    try:
        booking_id = int(booking_id)
    except (TypeError, ValueError):
        raise ChatError("forbidden") from None
    if not actor.is_professional:
        raise ChatError("forbidden")
    booking = Booking.objects.select_related("service", "worker").filter(pk=booking_id, worker_id=actor.user_id).first()
    if booking is None:
        raise ChatError("forbidden")
    if booking.status == Booking.Status.CANCELLED:
        raise ChatError("cancelled")
    # The worker's first join opens the chat and "end" ends the appointment for good, so neither may
    # happen days early by a stray click: the worker's door opens when the parent's does.
    if (now or timezone.now()) < booking.chat_opens:
        raise ChatError("too_early", opens=booking.chat_opens)
    return booking


def session_join(*, booking: Booking, role: str, now: dt.datetime | None = None) -> ChatSession:
    """Record a join. The worker's first join opens the chat for the parent waiting."""
    now = now or timezone.now()
    with transaction.atomic():
        session = session_for(booking)
        session = ChatSession.objects.select_for_update().get(pk=session.pk)
        fields = []
        if role == Message.Role.WORKER and session.opened_at is None and session.ended_at is None:
            session.opened_at = now
            fields.append("opened_at")
        if role == Message.Role.PARENT and session.parent_joined_at is None:
            session.parent_joined_at = now
            fields.append("parent_joined_at")
        if fields:
            session.save(update_fields=fields)
    return session


def follow_up_booked(*, booking: Booking) -> bool:
    """Whether a follow-up booked from this appointment is still ahead (the chat page then no longer
    offers to book one: issue 13, item 7)."""
    return Booking.objects.filter(follow_up_of=booking, status=Booking.Status.BOOKED).exists()


def session_state(session: ChatSession) -> str:
    if session.ended_at is not None:
        return "ended"
    if session.opened_at is not None:
        return "open"
    return "waiting"


def messages_after(*, session: ChatSession, after: int | None = None) -> list[Message]:
    qs = session.messages.all()
    if after:
        qs = qs.filter(pk__gt=after)
    return list(qs.order_by("pk"))


def message_clean(text, client_id) -> tuple[str, str]:
    """A message's text and client_id as they are stored, or ChatError (bad_frame, too_long, empty)."""
    if not isinstance(text, str):
        raise ChatError("bad_frame")
    if len(text) > settings.CHAT_MESSAGE_MAX_CHARS:
        raise ChatError("too_long")
    text = clean_text(text, max_length=settings.CHAT_MESSAGE_MAX_CHARS, single_line=False)
    if not text:
        raise ChatError("empty")
    client_id = clean_text(client_id, max_length=64, single_line=True)[:64] if isinstance(client_id, str) else ""
    return text, client_id


def message_post(*, session: ChatSession, role: str, text, client_id: str = "") -> tuple[Message, bool]:
    """Store a message before anyone is told of it. Returns (message, created).

    A message resent with the same client_id (after a dropped connection) is stored once and the
    first copy is returned, so the sender's retry is safe.
    """
    text, client_id = message_clean(text, client_id)
    now = timezone.now()
    for attempt in range(SEQ_ATTEMPTS):
        try:
            with transaction.atomic(durable=False) if connection.in_atomic_block else nullcontext():
                row = _insert_if_open(session_id=session.pk, role=role, text=text, client_id=client_id, now=now)
            break
        except IntegrityError:
            # A resend: the client_id is stored already, so return the first copy.
            if client_id:
                first = Message.objects.filter(session=session, role=role, client_id=client_id).first()
                if first is not None:
                    return first, False
            if attempt == SEQ_ATTEMPTS - 1:
                raise
            # Otherwise the seq was taken: the counter fell behind (a session row saved from a stale
            # copy). Bring it up to the highest stored seq and number the message again.
            top = Message.objects.filter(session_id=session.pk).aggregate(m=Max("seq"))["m"] or 0
            ChatSession.objects.filter(pk=session.pk, last_seq__lt=top).update(last_seq=top)
    if row is None:  # nothing stored: say why
        session.refresh_from_db(fields=["opened_at", "ended_at"])
        raise ChatError("ended" if session.ended_at is not None or session.opened_at is not None else "not_open")
    pk, seq = row
    return Message(pk=pk, seq=seq, session=session, role=role, text=text, client_id=client_id, created_at=now), True


# The session's counter numbers messages one after another; the unique (session, seq) index is the
# database's guard. Should it ever refuse (a counter behind), catch up and try again.
SEQ_ATTEMPTS = 3


def _insert_if_open(*, session_id: int, role: str, text: str, client_id: str, now: dt.datetime) -> tuple[int, int] | None:
    """Store the message only while its session is open, numbered next in its session.

    On PostgreSQL one statement (the hot path of the chat; docs/benchmarks.md §3): a CTE bumps the
    session's counter, which locks the session row, so concurrent messages of one chat are numbered
    one after another (a waiting UPDATE re-reads the row it waited for), and a message can never
    slip in after the chat ended. On SQLite (writes are serialised anyway) the same in two
    statements. A resend with the same client_id raises IntegrityError (unique index) and, being one
    statement or a savepoint, leaves the counter as it was. Returns (id, seq), or None if the
    session is not open (not opened yet, or ended). RETURNING: PostgreSQL, SQLite >= 3.35.
    """
    qn = connection.ops.quote_name
    messages, sessions = qn(Message._meta.db_table), qn(ChatSession._meta.db_table)
    bump = (
        f"UPDATE {sessions} SET last_seq = last_seq + 1 "
        f"WHERE id = %s AND opened_at IS NOT NULL AND ended_at IS NULL RETURNING id, last_seq"
    )
    created = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH s AS ({bump}) INSERT INTO {messages} (session_id, seq, role, text, client_id, created_at) "
                f"SELECT id, last_seq, %s, %s, %s, %s FROM s RETURNING id, seq",
                [session_id, role, text, client_id, created],
            )
            row = cursor.fetchone()
            return (row[0], row[1]) if row else None
        with transaction.atomic():
            cursor.execute(bump, [session_id])
            bumped = cursor.fetchone()
            if bumped is None:
                return None
            cursor.execute(
                f"INSERT INTO {messages} (session_id, seq, role, text, client_id, created_at) "
                f"VALUES (%s, %s, %s, %s, %s, %s) RETURNING id, seq",
                [session_id, bumped[1], role, text, client_id, created],
            )
            row = cursor.fetchone()
            return (row[0], row[1])


class Post(NamedTuple):
    """One message to store (messages_post): as the socket received it, not yet cleaned."""

    session: ChatSession
    role: str
    text: object
    client_id: object = ""


def messages_post(posts: list[Post], *, one_statement: bool = True) -> list[tuple[Message, bool] | ChatError]:
    """Store several messages, of one chat or of many, in one statement and one commit. Returns,
    for each post in order, what message_post would have returned, or the ChatError it would have
    raised. (The chat sockets use messages_post_async, which does the same from the event loop.)

    The rules are message_post's: a message is stored only while its chat is open, numbered next in
    its chat without a gap, and a resend (same client_id) is stored once. On PostgreSQL the batch is
    one statement; the rare post it cannot store as new (a resend, a chat not open, a counter behind)
    makes the whole statement change nothing, and every post of that batch then goes through
    message_post one by one, so an odd post never costs another post its place or its number.
    ``one_statement=False`` goes one by one at once (for a batch the statement already refused).
    """
    results, cleaned, fast = _batch_clean(posts)
    if one_statement and fast and connection.vendor == "postgresql":
        sql, params, now = _batch_statement(cleaned)
        try:
            with transaction.atomic(durable=False) if connection.in_atomic_block else nullcontext():
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    stored = cursor.fetchall()
        except (IntegrityError, OperationalError):
            stored = []  # a resend, a counter behind or a deadlock: nothing was stored; one by one below
        if _batch_results(cleaned, stored, now, results):
            return results
    for i, post, text, client_id in cleaned:
        try:
            results[i] = message_post(session=post.session, role=post.role, text=text, client_id=client_id)
        except ChatError as exc:
            results[i] = exc
    return results


async def messages_post_async(posts: list[Post]) -> list[tuple[Message, bool] | ChatError]:
    """messages_post for the event loop. On PostgreSQL the batch statement runs on the loop's own
    connection, with no trip to the database thread (chatrooms/groupcommit.py says why); a batch it
    cannot store whole goes post by post through message_post in the database thread."""
    if _db_facts().vendor != "postgresql":
        return await database_sync_to_async(messages_post)(posts)
    results, cleaned, fast = _batch_clean(posts)
    if not cleaned:
        return results  # nothing that could be stored
    if fast:
        import psycopg

        sql, params, now = _batch_statement(cleaned)
        try:
            stored = await _loop_connection.execute(sql, params)
        except psycopg.Error:
            stored = []  # as in messages_post: nothing was stored; the slow path below
        if _batch_results(cleaned, stored, now, results):
            return results
    return await database_sync_to_async(messages_post)(posts, one_statement=False)


def _loop_connection_params() -> dict:
    params = connection.get_connection_params()  # Django's settings (the test database in tests)
    params.pop("cursor_factory", None)  # a sync cursor class; the async connection has its own
    params.setdefault("application_name", "chat group commit")  # so it can be told apart in pg_stat_activity
    # Django turns psycopg's prepared statements off for every connection, for the sake of
    # connection poolers in transaction mode. This connection runs one statement (one text per batch
    # size) all day: prepared after its fifth use, PostgreSQL stops parsing and planning it each time
    # (docs/benchmarks.md, issue 14). DATABASES OPTIONS "prepare_threshold" still wins if set.
    if connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        params["prepare_threshold"] = 5
    return params


_loop_connection = LoopConnection(_loop_connection_params)
_together = GroupCommit(messages_post_async)


async def message_post_grouped(*, session: ChatSession, role: str, text, client_id: str = "") -> tuple[Message, bool]:
    """message_post for the chat sockets: the message is stored together with the other messages
    that this process's sockets received meanwhile (one statement, one commit; group commit in
    chatrooms/groupcommit.py). Returns when it is stored, as message_post does."""
    return await _together.submit(Post(session, role, text, client_id))


def _batch_clean(posts: list[Post]) -> tuple[list, list, bool]:
    """(results with the ChatErrors of posts that cannot be stored, the other posts cleaned as
    (index, post, text, client_id), whether they may go in one statement). The same message twice
    in one batch (its client_id) may not: message_post stores it once."""
    results: list[tuple[Message, bool] | ChatError | None] = [None] * len(posts)
    cleaned = []
    for i, post in enumerate(posts):
        try:
            cleaned.append((i, post, *message_clean(post.text, post.client_id)))
        except ChatError as exc:
            results[i] = exc
    keys = [(post.session.pk, post.role, client_id) for _, post, _, client_id in cleaned if client_id]
    return results, cleaned, bool(cleaned) and len(keys) == len(set(keys))


def _batch_statement(cleaned: list) -> tuple[str, list, dt.datetime]:
    """PostgreSQL: one statement that stores every cleaned post, each numbered next in its session,
    in the order received within a session (``ord``). All or nothing: every row comes back as
    (id, session_id, seq), or none, having changed nothing, when one of the sessions is not open.

    ``locked`` takes the sessions' row locks in id order before any counter is bumped (it is an
    init plan, run whole before the UPDATE's first row), so two processes storing batches that share
    chats cannot deadlock; a waiting lock re-reads the row it waited for (the chat may have ended
    meanwhile). The counters are bumped only if every session is open, so a refused batch leaves
    no gap. A unique index refusing a row (a resend) raises IntegrityError; being one statement,
    that too changes nothing.
    """
    _, messages, sessions = _db_facts()
    values = ", ".join(["(%s::integer, %s::bigint, %s::text, %s::text, %s::text)"] * len(cleaned))
    sql = (
        f"WITH input (ord, session_id, role, text, client_id) AS (VALUES {values}), "
        f"wanted AS (SELECT session_id, count(*) AS n FROM input GROUP BY session_id), "
        f"locked AS (SELECT id FROM {sessions} WHERE id IN (SELECT session_id FROM wanted) "
        f"AND opened_at IS NOT NULL AND ended_at IS NULL ORDER BY id FOR UPDATE), "
        f"bumped AS (UPDATE {sessions} s SET last_seq = s.last_seq + w.n FROM wanted w WHERE s.id = w.session_id "
        f"AND (SELECT count(*) FROM locked) = (SELECT count(*) FROM wanted) RETURNING s.id, s.last_seq - w.n AS base) "
        f"INSERT INTO {messages} (session_id, seq, role, text, client_id, created_at) "
        f"SELECT i.session_id, b.base + row_number() OVER (PARTITION BY i.session_id ORDER BY i.ord), "
        f"i.role, i.text, i.client_id, %s FROM input i JOIN bumped b ON b.id = i.session_id ORDER BY i.ord "
        f"RETURNING id, session_id, seq"
    )
    now = timezone.now()
    params = [value for i, post, text, client_id in cleaned for value in (i, post.session.pk, post.role, text, client_id)]
    return sql, [*params, now], now  # PostgreSQL takes an aware datetime as it is


class _DbFacts(NamedTuple):
    vendor: str
    messages_table: str
    sessions_table: str


@functools.cache
def _db_facts() -> _DbFacts:
    """What the chat's hot path needs of the database, asked once per process. Not of
    ``django.db.connection`` on every call: it is per context, and every asyncio task has a context
    of its own, so asked on the event loop it made a new DatabaseWrapper (a dozen objects in
    reference cycles) for every batch the group commit stored, ~100 a second per server process at
    500 messages/s, for the cycle collector to free (docs/benchmarks.md §3)."""
    qn = connection.ops.quote_name
    return _DbFacts(connection.vendor, qn(Message._meta.db_table), qn(ChatSession._meta.db_table))


def _batch_results(cleaned: list, stored: list[tuple[int, int, int]], now: dt.datetime, results: list) -> bool:
    """Fill ``results`` from the rows the batch statement returned; False if it stored nothing."""
    if len(stored) != len(cleaned):
        return False  # a session was not open (or the statement failed): nothing was stored
    # Within a session, seq follows ord (row_number over ord), so the k-th lowest seq is the k-th post.
    by_session: dict[int, list[tuple[int, int]]] = {}
    for pk, session_id, seq in sorted(stored, key=lambda row: row[2]):
        by_session.setdefault(session_id, []).append((pk, seq))
    for i, post, text, client_id in cleaned:  # in ord order
        pk, seq = by_session[post.session.pk].pop(0)
        results[i] = (Message(pk=pk, seq=seq, session=post.session, role=post.role, text=text, client_id=client_id, created_at=now), True)
    return True


WORKER_ABSENT_MESSAGE = _(
    "We are sorry: the worker could not open the chat at the booked time. Please book a new time; you are welcome."
)


def session_end(*, session: ChatSession, by: str, now: dt.datetime | None = None) -> ChatSession:
    """End the chat: the code dies and the booking counts as held. Safe to call twice."""
    now = now or timezone.now()
    with transaction.atomic():
        session = ChatSession.objects.select_for_update(of=("self",)).select_related("booking").get(pk=session.pk)
        if session.ended_at is None:
            session.ended_at = now
            session.ended_by = by
            session.save(update_fields=["ended_at", "ended_by"])
            booking = session.booking  # None for a chat of another channel (e.g. the drop-in chat)
            if booking is not None and booking.status == Booking.Status.BOOKED:
                # Held only if both came. A parent who never came is a no-show; a parent who waited
                # in vain (the worker never opened the chat) sees an apology when looking the code up.
                fields = ["status", "reminder_email"]
                if session.parent_joined_at and session.opened_at:
                    booking.status = Booking.Status.COMPLETED
                elif not session.parent_joined_at:
                    booking.status = Booking.Status.NO_SHOW
                else:
                    booking.status = Booking.Status.CANCELLED
                    booking.cancelled_at, booking.cancelled_by_staff = now, True
                    booking.cancel_message = str(WORKER_ABSENT_MESSAGE)
                    fields += ["cancelled_at", "cancelled_by_staff", "cancel_message"]
                booking.reminder_email = ""
                booking.save(update_fields=fields)
    return session


def session_flag(*, actor: Actor, session: ChatSession, now: dt.datetime | None = None) -> ChatSession:
    """End an abusive contact: the chat ends, and booking.services.booking_flag marks the booking so
    that no follow-up can be booked from it and cancels the pending ones (audited by staff/)."""
    if session.booking_id is None or actor.user_id is None or actor.user_id != session.booking.worker_id:
        raise ChatError("forbidden")
    with transaction.atomic():
        session = session_end(session=session, by="worker", now=now)
        ChatSession.objects.filter(pk=session.pk).update(flagged=True)
        booking_services.booking_flag(actor=actor, booking=session.booking, now=now)
    session.refresh_from_db()
    return session


def end_for_cancelled_booking(*, booking: Booking, now: dt.datetime | None = None) -> bool:
    """A cancelled booking's chat ends at once (a chat already open included): nothing more can be
    written in it, both sides are told, and the purge then treats it as any ended chat."""
    session = ChatSession.objects.filter(booking=booking, ended_at__isnull=True).first()
    if session is None:
        return False
    session_end(session=session, by="system", now=now)
    return True
