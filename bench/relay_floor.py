"""The floor: a bare asyncio `websockets` relay. A socket at /r/<room>/<role> gets every frame the
other role of the same room sends, and nothing else. No database, no channel layer, no Django.
Run by chat_load.py in its own process, as daphne is."""

import asyncio
import sys

from websockets.asyncio.server import serve

rooms: dict[str, dict[str, object]] = {}


async def handler(ws):
    _, _, room, role = ws.request.path.split("/", 3)
    peers = rooms.setdefault(room, {})
    peers[role] = ws
    other = "parent" if role == "worker" else "worker"
    try:
        async for frame in ws:
            peer = peers.get(other)
            if peer is not None:
                try:
                    await peer.send(frame)
                except Exception:
                    pass
    finally:
        peers.pop(role, None)


async def main(port: int):
    async with serve(handler, "127.0.0.1", port, max_size=65536, ping_interval=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
