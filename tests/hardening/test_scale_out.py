"""Scale-out and faults with real processes: two daphne processes on different ports sharing
PostgreSQL and the Redis channel layer; a Redis restart in the middle of a chat."""

import asyncio

import pytest

from tests.hardening import live

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture
def redis_of_our_own():
    port = live.free_port()
    proc = live.start_redis(port)
    yield port, proc
    live.stop(proc)


@pytest.fixture
def two_servers(redis_of_our_own):
    redis_port, _ = redis_of_our_own
    ports = [live.free_port(), live.free_port()]
    url = f"redis://127.0.0.1:{redis_port}/6"
    procs = [live.start_daphne(p, REDIS_URL=url, CHANNELS_PREFIX="scaleout") for p in ports]
    yield ports
    for p in procs:
        live.stop(p)


async def _open_chat(ports, service, worker):
    from asgiref.sync import sync_to_async

    booking, code, cookie = await sync_to_async(live.make_room)(service, worker)
    w = live.ChatClient(ports[0], "worker", {"type": "join", "booking": booking.pk}, cookie=cookie)
    p = live.ChatClient(ports[1], "parent", {"type": "join", "code": code})
    await w.start()
    await p.start()
    return w, p


async def test_a_parent_on_one_server_and_the_worker_on_another_chat_normally(two_servers, service, worker):
    w, p = await _open_chat(two_servers, service, worker)
    try:
        for i in range(5):
            await p.say(f"parent {i}")
            await w.say(f"worker {i}")
        assert await live.eventually(lambda: len(w.texts_from("parent")) == 5 and len(p.texts_from("worker")) == 5)
        assert w.texts_from("parent") == [f"parent {i}" for i in range(5)]
        assert p.texts_from("worker") == [f"worker {i}" for i in range(5)]
        assert w.reconnects == p.reconnects == 0
    finally:
        await w.close()
        await p.close()


async def test_a_redis_restart_mid_chat_loses_and_duplicates_nothing(redis_of_our_own, two_servers, service, worker):
    redis_port, redis_proc = redis_of_our_own
    w, p = await _open_chat(two_servers, service, worker)
    try:
        for i in range(5):
            await p.say(f"parent {i}")
            await w.say(f"worker {i}")
        assert await live.eventually(lambda: len(w.texts_from("parent")) == 5 and len(p.texts_from("worker")) == 5)

        live.stop(redis_proc)  # Redis goes away, and comes back empty (no persistence)
        for i in range(5, 8):
            await p.say(f"parent {i}")
            await w.say(f"worker {i}")
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        redis_of_our_own_proc = live.start_redis(redis_port)
        try:
            for i in range(8, 12):
                await p.say(f"parent {i}")
                await w.say(f"worker {i}")
                await asyncio.sleep(0.1)
            expected_p = [f"parent {i}" for i in range(12)]
            expected_w = [f"worker {i}" for i in range(12)]
            assert await live.eventually(
                lambda: w.texts_from("parent") == expected_p and p.texts_from("worker") == expected_w, timeout=40
            ), (w.texts_from("parent"), p.texts_from("worker"))
            # Each side also sees its own messages exactly once (its own copy comes through the layer
            # like the other side's, so it may land a moment later), and nothing is left unacknowledged.
            assert await live.eventually(
                lambda: w.texts_from("worker") == expected_w and p.texts_from("parent") == expected_p, timeout=10
            ), (w.texts_from("worker"), p.texts_from("parent"))
            for client in (w, p):  # numbered 1..24 in the chat, none missing, none twice
                assert [m["seq"] for _, m in sorted(client.seen.items())] == list(range(1, 25))
            assert not w.outbox and not p.outbox
            print(f"reconnects: worker {w.reconnects}, parent {p.reconnects}")
            assert w.reconnects >= 1 and p.reconnects >= 1  # both noticed the outage and came back by themselves
        finally:
            live.stop(redis_of_our_own_proc)
    finally:
        await w.close()
        await p.close()


async def test_a_dropped_subscription_is_noticed_and_the_listener_misses_nothing(redis_of_our_own, two_servers, service, worker):
    """Redis pub/sub keeps nothing for a subscriber that is away. Kill only the subscription
    connections (Redis and publishing stay up) and publish at once: the silent worker must still be
    told to reconnect, and replays what was published while its server was not listening."""
    import subprocess

    redis_port, _ = redis_of_our_own
    w, p = await _open_chat(two_servers, service, worker)
    try:
        await p.say("before")
        assert await live.eventually(lambda: w.texts_from("parent") == ["before"])
        killed = subprocess.run(["redis-cli", "-p", str(redis_port), "CLIENT", "KILL", "TYPE", "pubsub"], capture_output=True, text=True)
        assert int(killed.stdout.strip()) >= 2, killed  # both servers' subscriptions are gone
        for i in range(5):
            await p.say(f"during {i}")
        expected = ["before"] + [f"during {i}" for i in range(5)]
        assert await live.eventually(lambda: w.texts_from("parent") == expected, timeout=30), w.texts_from("parent")
        assert w.reconnects >= 1  # it said nothing, yet it was told to catch up
        await w.say("after")
        assert await live.eventually(lambda: p.texts_from("worker") == ["after"])
    finally:
        await w.close()
        await p.close()
