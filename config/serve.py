"""The server process: daphne, set up for a chat server's thousands of long-lived sockets.

    .venv/bin/python -m config.serve [daphne's options] config.asgi:application

``make run`` (Procfile.dev), the browser tests and the benchmarks start the server this way; it
takes every option ``daphne`` takes. Before daphne starts it does two things (docs/benchmarks.md §3,
"Pauses of the garbage collector" and "uvloop"):

- **uvloop** (``SERVER_UVLOOP``, on by default): daphne's Twisted reactor runs on an asyncio event
  loop; uvloop's, written in C on libuv, spends less CPU per relayed frame than the pure-Python
  one (measured: 5–8 % less CPU per chat message in each server process). It must be chosen before
  daphne's module is imported, as daphne creates its loop at import, which is why this is a module
  of its own and not a setting daphne reads.
- **The garbage collector** (``SERVER_GC_THRESHOLDS``): config/asgi.py already freezes what the
  loaded application holds (``gc.freeze``: ~120,000 objects never walked again). But with 500
  sockets a process holds another ~120,000 objects for them, and at CPython's thresholds
  (700, 10, 10) each message's short-lived objects, caught alive by one of ~20 young collections a
  second, were promoted until a full collection walked everything: a stop of 90–130 ms every 20 s
  or so at 500 messages/s, and those stops were the chat's p99. Collecting the young generation
  after 10,000 allocations instead of 700 catches far fewer of them alive, so full collections
  become rare (none in a 20 s run at 500 messages/s; young collections then take up to ~25 ms on
  this VM). Objects are still freed by reference counting as always; only cycles wait longer.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys


def prepare() -> None:
    """Choose the event loop, load the application (which freezes itself), set the collector's
    thresholds (in that order)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    if settings.SERVER_UVLOOP:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    import config.asgi  # noqa: F401  Django set up, the URLconf and every consumer imported (and daphne's loop made)

    if settings.SERVER_GC_THRESHOLDS:
        gc.set_threshold(*settings.SERVER_GC_THRESHOLDS)


def main(argv: list[str] | None = None) -> None:
    prepare()
    from daphne.cli import CommandLineInterface

    CommandLineInterface().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
