"""Group commit: the chat sockets of one process store their messages together.

At 500 messages a second, storing each message in its own trip to the database thread, its own
statement and its own commit costs more CPU than everything else a message needs (docs/benchmarks.md,
"Group commit"). Here a socket hands its message to the process's ``GroupCommit`` and awaits the
result; a single flusher takes every message waiting and stores them with one call of the batch
service (``services.messages_post``: one statement, one commit) in the database thread. While that
batch is being stored, new messages wait for the next one, so the batches grow just as much as the
load needs: a lone message is stored at once, as before, and a busy process makes fewer, larger
commits.

Nothing is acknowledged before it is stored: a socket's await returns only after the batch holding
its message was committed. If the socket goes away meanwhile, its message is still stored (a resend
with the same client_id later finds it), and nothing waits for an answer nobody can receive.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async


class _LoopState:
    def __init__(self):
        self.pending: list[tuple[Any, asyncio.Future]] = []
        self.flusher: asyncio.Task | None = None


class GroupCommit:
    """``await submit(item)`` returns ``store(items)[i]`` for its item, or raises it if it is an
    exception. ``store`` runs in the database thread with up to ``max_batch`` items at a time."""

    def __init__(self, store: Callable[[list], list], *, max_batch: int = 200):
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
        state.pending.append((item, future))
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
            try:
                results = await database_sync_to_async(self.store)([item for item, _ in batch])
            except BaseException as exc:  # the whole batch failed (the database is gone): tell each
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("stopped"))
                if not isinstance(exc, Exception):
                    for _, future in state.pending:
                        if not future.done():
                            future.set_exception(RuntimeError("stopped"))
                    state.pending.clear()
                    raise
                continue
            for (_, future), result in zip(batch, results):
                if not future.done():
                    future.set_result(result)
