"""The server process: daphne, set up for a chat server's thousands of long-lived sockets.

    .venv/bin/python -m config.serve [daphne's options] config.asgi:application

``make run`` (Procfile.dev), the browser tests and the benchmarks start the server this way; it
takes every option ``daphne`` takes. Before daphne starts it does two things (docs/benchmarks.md §3):

- **uvloop** (``SERVER_UVLOOP``, on by default): daphne's Twisted reactor runs on an asyncio event
  loop; uvloop's, written in C on libuv, spends less CPU per relayed frame than the pure-Python
  one (measured: 5–8 % less CPU per chat message in each server process). It must be chosen before
  daphne's module is imported, as daphne creates its loop at import, which is why this is a module
  of its own and not a setting daphne reads.
- **The garbage collector's stops, counted** (``SERVER_GC_STATS``, off by default; the bench turns
  it on): every 10 s, how many collections of each generation ran and the longest stop of each;
  and every time the event loop was held 30 ms or more (``LoopStalls``), with the clock, so that a
  stall of the chat can be placed in the server or outside it (in the send windows at 500
  messages/s there were none: the stalls left are the database's commits; docs/benchmarks.md §3).
  A full collection walks every object of the process (~120,000 for 500 sockets, besides the
  application that config/asgi.py freezes) and stopped it for 60–130 ms on this VM; they happened
  every 20 s or so at 500 messages/s, and were the chat's p99, until the cyclic garbage that fed
  them (a DatabaseWrapper made per stored batch: chatrooms.services._db_facts) was gone. These
  lines are how such a stop shows itself again.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import time

logger = logging.getLogger("config.serve")  # not __name__: run with -m, this module is __main__


def prepare() -> None:
    """Choose the event loop, then load the application (daphne makes its loop on import)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    if settings.SERVER_UVLOOP:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    import config.asgi  # noqa: F401  Django set up, the URLconf and every consumer imported (and daphne's loop made)

    if settings.SERVER_GC_STATS:
        gc.callbacks.append(CollectorStops(every=10.0))


class CollectorStops:
    """A ``gc.callbacks`` entry that logs, at most every ``every`` seconds, how many collections of
    each generation ran and the longest stop of each (``SERVER_GC_STATS``; bench/chat_load.py prints
    the lines): the stops are what a message caught in one waits for."""

    def __init__(self, every: float):
        self.every = every
        self.started = 0.0
        self.since = time.monotonic()
        self.counts = [0, 0, 0]
        self.longest = [0.0, 0.0, 0.0]

    def __call__(self, phase: str, info: dict) -> None:
        now = time.perf_counter()
        if phase == "start":
            self.started = now
            return
        generation = info["generation"]
        self.counts[generation] += 1
        self.longest[generation] = max(self.longest[generation], now - self.started)
        if generation == 2:  # rare and long: each one, with its clock, so that it can be placed
            logger.info("gc: full collection, %.1f ms, %d objects freed", (now - self.started) * 1000, info["collected"])
        if time.monotonic() - self.since >= self.every:
            logger.info(
                "gc: %.0f s: %s", time.monotonic() - self.since,
                "; ".join(f"gen{g} {n} (longest {t * 1000:.1f} ms)" for g, (n, t) in enumerate(zip(self.counts, self.longest))),
            )
            self.since, self.counts, self.longest = time.monotonic(), [0, 0, 0], [0.0, 0.0, 0.0]


class LoopStalls:
    """Every ``every`` seconds, a callback on the server's event loop that notes how late it ran; a
    lateness of ``slow`` or more is logged with the clock (``SERVER_GC_STATS``): the loop was held
    (a long callback, a collection, the CPU taken away), and every socket of the process waited."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, every: float = 0.01, slow: float = 0.03):
        self.loop, self.every, self.slow = loop, every, slow

    def start(self) -> None:
        self.loop.call_later(self.every, self.check, self.loop.time() + self.every)

    def check(self, due: float) -> None:
        late = self.loop.time() - due
        if late >= self.slow:
            logger.info("loop: held %.1f ms", late * 1000)
        self.loop.call_later(self.every, self.check, self.loop.time() + self.every)


def main(argv: list[str] | None = None) -> None:
    prepare()
    from daphne.cli import CommandLineInterface
    from django.conf import settings

    if settings.SERVER_GC_STATS:
        from daphne.server import twisted_loop

        LoopStalls(twisted_loop).start()  # the loop that daphne made at import and runs its reactor on

    CommandLineInterface().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
