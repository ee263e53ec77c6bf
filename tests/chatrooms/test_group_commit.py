"""Group commit (issue 14): the messages a process's chat sockets receive together are stored in one
statement and one commit, with exactly the rules of a message stored alone: only while the chat is
open, numbered next in its chat without a gap, a resend stored once, and acknowledged only after it
is stored."""

import asyncio
import contextvars
import datetime as dt
import random
import threading

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import codes
from booking.models import Booking
from chatrooms import services
from chatrooms.groupcommit import GroupCommit
from chatrooms.models import ChatSession, Message
from chatrooms.services import ChatError, Post
from tests.chatrooms.test_consumer import frames_until, join_parent, join_worker, make_booking


def open_chat(service, worker, minutes_from_now=5) -> ChatSession:
    start = timezone.now() + dt.timedelta(minutes=minutes_from_now)
    booking = Booking.objects.create(
        service=service, worker=worker, start=start, end=start + dt.timedelta(minutes=45), code_hash=codes.hash_code(codes.generate())
    )
    session = services.session_join(booking=booking, role="worker")
    services.session_join(booking=booking, role="parent")
    return session


def stored(session) -> list[tuple[int, str, str]]:
    return list(Message.objects.filter(session=session).order_by("seq").values_list("seq", "role", "text"))


@pytest.mark.django_db
def test_a_batch_of_two_chats_is_numbered_in_each_chat_in_the_order_received(service, worker, make_worker, add_availability):
    other_worker = make_worker("Pirjo")
    add_availability(other_worker, service, timezone.localdate().weekday())
    a, b = open_chat(service, worker), open_chat(service, other_worker, minutes_from_now=6)
    posts = [Post(a if i % 3 else b, "parent" if i % 2 else "worker", f"viesti {i}", f"c{i}") for i in range(12)]

    with CaptureQueriesContext(connection) as queries:
        results = services.messages_post(posts)

    assert all(created for _, created in results)
    for session in (a, b):
        mine = [(p, r) for p, r in zip(posts, results) if p.session is session]
        assert [r[0].seq for _, r in mine] == list(range(1, len(mine) + 1))  # what each sender is told
        assert stored(session) == [(i + 1, p.role, p.text) for i, (p, _) in enumerate(mine)]
        ids = [r[0].pk for _, r in mine]
        assert ids == sorted(ids)  # within a chat, id order is seq order ("after <id>" fetches a gap)
        session.refresh_from_db()
        assert session.last_seq == len(mine)
    if connection.vendor == "postgresql":
        statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
        assert len(statements) == 1, statements  # one statement (one commit outside a test's transaction) for twelve


@pytest.mark.django_db
def test_odd_posts_in_a_batch_get_their_own_answer_and_cost_the_others_nothing(service, worker, make_worker, add_availability):
    session = open_chat(service, worker)
    first, _ = services.message_post(session=session, role="parent", text="eka", client_id="p-1")
    other_worker = make_worker("Pirjo")
    add_availability(other_worker, service, timezone.localdate().weekday())
    ended = open_chat(service, other_worker, minutes_from_now=6)
    services.session_end(session=ended, by="worker")

    results = services.messages_post(
        [
            Post(session, "worker", "hei", "w-1"),
            Post(session, "parent", "eka", "p-1"),  # a resend after a dropped connection
            Post(session, "parent", "   "),  # nothing to send
            Post(ended, "parent", "liian myöhään"),  # the chat has ended
            Post(session, "parent", 42),  # not text
            Post(session, "worker", "toka", "w-2"),
            Post(session, "worker", "toka", "w-2"),  # the same message twice in one batch
        ]
    )

    assert results[0][1] is True and results[0][0].seq == 2
    assert results[1] == (first, False) or (results[1][0].pk == first.pk and results[1][1] is False)
    assert [type(r).__name__ == "ChatError" and r.code for r in results[2:5]] == ["empty", "ended", "bad_frame"]
    assert results[5][1] is True and results[6][0].pk == results[5][0].pk and results[6][1] is False
    assert stored(session) == [(1, "parent", "eka"), (2, "worker", "hei"), (3, "worker", "toka")]
    assert not Message.objects.filter(session=ended).exists()


@pytest.mark.django_db
def test_a_batch_for_a_chat_not_open_yet_stores_nothing_there_and_leaves_no_gap(service, worker, make_worker, add_availability):
    session = open_chat(service, worker)
    other_worker = make_worker("Pirjo")
    add_availability(other_worker, service, timezone.localdate().weekday())
    start = timezone.now() + dt.timedelta(minutes=7)
    waiting_booking = Booking.objects.create(
        service=service, worker=other_worker, start=start, end=start + dt.timedelta(minutes=45), code_hash="w"
    )
    waiting = services.session_join(booking=waiting_booking, role="parent")  # the worker has not opened it

    results = services.messages_post([Post(session, "parent", "yksi"), Post(waiting, "parent", "hei?"), Post(session, "parent", "kaksi")])

    assert results[1].code == "not_open"
    assert stored(session) == [(1, "parent", "yksi"), (2, "parent", "kaksi")]
    waiting.refresh_from_db()
    assert waiting.last_seq == 0 and not Message.objects.filter(session=waiting).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_batches_of_many_processes_sharing_chats_never_deadlock_lose_or_twin_a_number(service, make_worker, add_availability):
    """Eight writers (as eight daphne processes' flushers would) store batches that each touch the
    same four chats, in different orders, at the same instant: no deadlock, every message stored once,
    each chat numbered 1..n with no gap, and id order within a chat is seq order."""
    chats = []
    for i in range(4):
        w = make_worker(f"Työntekijä {i}")
        add_availability(w, service, timezone.localdate().weekday())
        chats.append(open_chat(service, w, minutes_from_now=5 + i))
    writers, rounds, per_batch = 8, 6, 10
    barrier = threading.Barrier(writers)
    told, errors, lock = [], [], threading.Lock()

    def write(n):
        rnd = random.Random(n)
        try:
            barrier.wait()
            for r in range(rounds):
                posts = [Post(rnd.choice(chats), rnd.choice(["parent", "worker"]), f"{n}-{r}-{k}", f"{n}-{r}-{k}") for k in range(per_batch)]
                results = services.messages_post(posts)
                with lock:
                    told.extend((p.session.pk, res[0].pk, res[0].seq, res[1]) for p, res in zip(posts, results))
        except Exception as exc:  # noqa: BLE001 - any error fails the test below
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    deadlocks_before = deadlocks()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors, errors
    assert deadlocks() == deadlocks_before  # (a deadlock would still store every message, a second late)
    assert len(told) == writers * rounds * per_batch and all(created for *_, created in told)
    for chat in chats:
        rows = list(Message.objects.filter(session=chat).order_by("seq").values_list("pk", "seq"))
        assert [seq for _, seq in rows] == list(range(1, len(rows) + 1))
        assert [pk for pk, _ in rows] == sorted(pk for pk, _ in rows)
        assert sorted((pk, seq) for s, pk, seq, _ in told if s == chat.pk) == rows  # each was told its own
    assert Message.objects.count() == writers * rounds * per_batch


def deadlocks() -> int:
    """Deadlocks PostgreSQL detected in the test database so far (each writer's connection has ended,
    which reports its counts)."""
    import time

    time.sleep(0.5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


# --- the group commit itself ---------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
async def test_messages_arriving_together_share_a_store_and_each_gets_its_own_answer():
    batches = []
    gate = asyncio.Event()

    async def store(items):
        batches.append(list(items))
        await gate.wait()  # the first batch is slow: everything that arrives meanwhile waits for the next
        return [item * 10 if item != 13 else ChatError("empty") for item in items]

    together = GroupCommit(store)
    first = asyncio.create_task(together.submit(1))
    await asyncio.sleep(0.05)
    rest = [asyncio.create_task(together.submit(n)) for n in range(2, 30)]
    await asyncio.sleep(0.05)
    gate.set()
    assert await first == 10
    answers = await asyncio.gather(*rest, return_exceptions=True)
    assert [a for a in answers if not isinstance(a, Exception)] == [n * 10 for n in range(2, 30) if n != 13]
    assert [a.code for a in answers if isinstance(a, Exception)] == ["empty"]
    assert batches == [[1], list(range(2, 30))]  # 29 messages, two stores


@pytest.mark.django_db(transaction=True)
async def test_a_failed_store_fails_its_batch_only_and_a_gone_socket_is_skipped():
    calls = []

    async def store(items):
        calls.append(list(items))
        if len(calls) == 1:
            raise RuntimeError("database is down")
        return [f"ok {item}" for item in items]

    together = GroupCommit(store)
    with pytest.raises(RuntimeError, match="database is down"):
        await together.submit("a")
    gone = asyncio.create_task(together.submit("b"))
    kept = asyncio.create_task(together.submit("c"))
    await asyncio.sleep(0)
    gone.cancel()  # its socket closed while the message was being stored
    assert await kept == "ok c"
    assert calls[1] == ["b", "c"]  # stored all the same: a resend will find it


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
async def test_the_loop_stores_a_batch_without_the_database_thread_and_survives_a_lost_connection(
    service, worker, monkeypatch
):
    session = await database_sync_to_async(open_chat)(service, worker)
    thread_trips = []
    real = services.database_sync_to_async

    def counted(fn):
        thread_trips.append(fn.__name__)
        return real(fn)

    monkeypatch.setattr(services, "database_sync_to_async", counted)
    first = await services.messages_post_async([Post(session, "parent", "yksi", "p-1"), Post(session, "worker", "kaksi", "w-1")])
    assert [(m.seq, m.text, created) for m, created in first] == [(1, "yksi", True), (2, "kaksi", True)]
    assert thread_trips == []  # stored from the event loop itself

    # A resend in a batch: the statement stores nothing, the database thread stores post by post.
    again = await services.messages_post_async([Post(session, "parent", "yksi", "p-1"), Post(session, "parent", "kolme", "p-2")])
    assert (again[0][0].pk, again[0][1]) == (first[0][0].pk, False) and (again[1][0].seq, again[1][1]) == (3, True)
    assert thread_trips == ["messages_post"]

    # The loop's connection is cut (PostgreSQL restarted, a network blip): that batch goes through the
    # database thread, the next one through a new connection of the loop's own. Nothing is lost.
    @database_sync_to_async
    def cut_the_loops_connection():
        with connection.cursor() as cursor:
            cursor.execute(  # the loop's own connection (chatrooms.services._loop_connection_params)
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'chat group commit'"
            )
            assert cursor.fetchone() == (True,)

    await cut_the_loops_connection()
    thread_trips.clear()
    cut = await services.messages_post_async([Post(session, "worker", "neljä"), Post(session, "worker", "viisi")])
    after = await services.messages_post_async([Post(session, "worker", "kuusi"), Post(session, "parent", "seitsemän")])
    assert [m.seq for m, _ in cut + after] == [4, 5, 6, 7]
    assert thread_trips == ["messages_post"]  # only the batch that met the cut connection
    assert await database_sync_to_async(stored)(session) == [
        (1, "parent", "yksi"), (2, "worker", "kaksi"), (3, "parent", "kolme"), (4, "worker", "neljä"),
        (5, "worker", "viisi"), (6, "worker", "kuusi"), (7, "parent", "seitsemän"),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
async def test_storing_from_the_event_loop_makes_no_database_wrapper_per_batch(service, worker, monkeypatch):
    """Django's ``connection`` is per context, and every asyncio task has a context of its own: asked
    on the event loop, it made a new DatabaseWrapper (and a dozen objects in reference cycles around
    it) for every batch the group commit's flusher task stored, ~100 a second per process at 500
    messages/s, garbage that only the cycle collector frees (docs/benchmarks.md §3)."""
    from django.db.utils import ConnectionHandler

    session = await database_sync_to_async(open_chat)(service, worker)
    loop = asyncio.get_running_loop()

    def in_a_fresh_context(coro):  # a socket's task, in whose context the connection was never asked for
        return loop.create_task(coro, context=contextvars.Context())

    await in_a_fresh_context(services.messages_post_async([Post(session, "parent", "lämmittely", "warm")]))  # made once
    made = []
    real = ConnectionHandler.create_connection
    monkeypatch.setattr(ConnectionHandler, "create_connection", lambda self, alias: made.append(alias) or real(self, alias))

    results = [await in_a_fresh_context(services.messages_post_async([Post(session, "parent", f"viesti {i}", f"p-{i}")])) for i in range(20)]

    assert [r[0][0].seq for r in results] == list(range(2, 22))
    assert made == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
async def test_a_burst_from_many_sockets_is_acknowledged_only_as_stored(service, make_worker, add_availability):
    """Ten chats write at once through the real socket: every message is acknowledged with its
    stored id and number, and what the other side receives is exactly what is in the database."""
    comms = []
    for i in range(10):
        w = await database_sync_to_async(make_worker)(f"Työntekijä {i}")
        await database_sync_to_async(add_availability)(w, service, timezone.localdate().weekday())
        booking, code = await database_sync_to_async(make_booking)(service, w)
        staff, _, _ = await join_worker(w, booking.pk)
        parent, _, _ = await join_parent(code)
        comms.append((booking, staff, parent))
    for booking, staff, parent in comms:
        for k in range(3):
            await parent.send_json_to({"type": "message", "text": f"{booking.pk}:{k}", "client_id": f"p{k}"})
    for booking, staff, parent in comms:
        acks = [(await frames_until(parent, "ack", limit=20))[0] for _ in range(3)]
        got = [(await frames_until(staff, "message", limit=20))[0] for _ in range(3)]
        rows = await database_sync_to_async(
            lambda b=booking: list(Message.objects.filter(session__booking=b).order_by("seq").values_list("pk", "seq", "text"))
        )()
        assert [(a["id"], a["message"]["seq"], a["message"]["text"]) for a in acks] == rows
        assert [(m["id"], m["seq"], m["text"]) for m in got] == rows == [(rows[k][0], k + 1, f"{booking.pk}:{k}") for k in range(3)]
        await staff.disconnect()
        await parent.disconnect()
