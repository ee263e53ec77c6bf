"""Group commit: the chat sockets of one process store their messages together, from the event loop.

At 500 messages a second on two cores, each message stored in its own trip to Django's database
thread was most of a message's latency (docs/benchmarks.md, "Issue 14"): the trip there and back,
and, worse, the two threads taking turns on the GIL, where the thread that wants it back waits for
the other's switch interval (5 ms). Here a socket hands its message to the process's
``GroupCommit`` and awaits the result; a single flusher per event loop takes every message waiting
and stores them with one call of an async batch function (``services.messages_post_async``: one
statement, one commit, on a connection of the event loop's own; ``LoopConnection``). While that
batch is being stored, new messages wait for the next one, so the batches grow just as much as the
load needs: a lone message is stored at once, and a busy process makes fewer, larger commits.

Nothing is acknowledged before it is stored: a socket's await returns only after the batch holding
its message was committed. If the socket goes away meanwhile, its message is still stored (a resend
with the same client_id later finds it), and nobody waits for an answer nobody can receive.

``CHAT_GROUP_COMMIT_STATS`` (settings) logs, every 1,000 batches, their mean size and where a
message's time went (waiting for the flusher, storing); bench/chat_load.py prints these lines.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


class _LoopState:
    def __init__(self):
        self.pending: list[tuple[Any, asyncio.Future, float]] = []
        self.flusher: asyncio.Task | None = None
        self.stats: list[tuple[int, float, float]] = []


class GroupCommit:
    """``await submit(item)`` returns ``(await store(items))[i]`` for its item, or raises it if it is
    an exception. ``store`` gets up to ``max_batch`` items at a time, one call at a time per loop."""

    def __init__(self, store: Callable[[list], Awaitable[list]], *, max_batch: int = 200):
        self.store = store
        self.max_batch = max_batch
        # One queue per event loop (daphne has one; tests may run several one after another).
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()

    async def submit(self, item):
        loop = asyncio.get_running_loop()
        state = self._states.get(loop)
        if state is None:
            state = self._states[loop] = _LoopState()
        future = loop.create_future()
        state.pending.append((item, future, time.monotonic()))
        if state.flusher is None or state.flusher.done():
            state.flusher = loop.create_task(self._flush(state))
        result = await future  # cancelled with its socket: the flusher then skips it
        if isinstance(result, BaseException):
            raise result
        return result

    async def _flush(self, state: _LoopState) -> None:
        while state.pending:
            batch = state.pending[: self.max_batch]
            del state.pending[: self.max_batch]
            started = time.monotonic()
            try:
                results = await self.store([item for item, _, _ in batch])
            except BaseException as exc:  # the whole batch failed (the database is gone): tell each
                for _, future, _ in batch:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("stopped"))
                if not isinstance(exc, Exception):
                    for _, future, _ in state.pending:
                        if not future.done():
                            future.set_exception(RuntimeError("stopped"))
                    state.pending.clear()
                    raise
                continue
            for (_, future, _), result in zip(batch, results):
                if not future.done():
                    future.set_result(result)
            if settings.CHAT_GROUP_COMMIT_STATS:
                self._note(state, batch, started)

    @staticmethod
    def _note(state: _LoopState, batch, started: float) -> None:
        done = time.monotonic()
        state.stats.append((len(batch), sum(started - queued for _, _, queued in batch) / len(batch), done - started))
        if len(state.stats) >= 1000:
            n = len(state.stats)
            logger.info(
                "group commit: %d batches, %.2f messages each, waiting %.2f ms, storing %.2f ms (means)",
                n, sum(s[0] for s in state.stats) / n, sum(s[1] for s in state.stats) / n * 1000,
                sum(s[2] for s in state.stats) / n * 1000,
            )
            state.stats.clear()


class LoopConnection:
    """One autocommit psycopg ``AsyncConnection`` per event loop, for a hot statement that should
    not cost a trip to the database thread. Opened on first use with Django's own connection
    settings (so tests reach the test database), reopened after any failure; ``execute`` returns the
    rows, or raises psycopg's error with the connection closed or left clean (autocommit)."""

    def __init__(self, params: Callable[[], dict]):
        self.params = params
        self._conns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Conn] = weakref.WeakKeyDictionary()

    async def execute(self, sql: str, params: list) -> list[tuple]:
        import psycopg

        loop = asyncio.get_running_loop()
        holder = self._conns.get(loop)
        if holder is None:
            holder = self._conns[loop] = _Conn()
        async with holder.lock:
            if holder.conn is None or holder.conn.closed:
                holder.conn = await psycopg.AsyncConnection.connect(**self.params(), autocommit=True)
            try:
                async with holder.conn.cursor() as cursor:
                    await cursor.execute(sql, params)
                    return await cursor.fetchall()
            except (psycopg.errors.IntegrityError, psycopg.errors.DeadlockDetected):
                raise  # the statement changed nothing; the connection is fine
            except BaseException:
                holder.close()  # broken, or cancelled mid-statement: start afresh next time
                raise


class _Conn:
    def __init__(self):
        self.conn = None
        self.lock = asyncio.Lock()

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None and not conn.closed:
            conn.pgconn.finish()  # no loop needed: the socket is simply closed

    def __del__(self):  # the loop is gone (a test's loop): close without a ResourceWarning
        self.close()
