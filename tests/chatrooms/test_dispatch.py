"""How every socket takes its events (chatrooms.consumers.dispatch_in_order): one at a time, in the
order they arrived, from the socket and the channel layer alike; a failing source is not swallowed;
a closing socket stops everything it was waiting on."""

import asyncio

import pytest
from channels.exceptions import StopConsumer

from chatrooms.consumers import dispatch_in_order


class Source:
    """A source like the ASGI receive or a channel layer's: ``await source()`` gives the next item."""

    def __init__(self):
        self.queue = asyncio.Queue()
        self.waiting = 0  # receives under way: none may be left behind when the consumer ends

    async def __call__(self):
        self.waiting += 1
        try:
            item = await self.queue.get()
        finally:
            self.waiting -= 1
        if isinstance(item, BaseException):
            raise item
        return item


async def test_events_are_handled_one_at_a_time_each_source_in_its_order():
    frames, layer = Source(), Source()
    handled, busy = [], []

    async def dispatch(message):
        busy.append(message)
        assert len(busy) == 1, f"{message} handled while {busy[0]} was"
        if message == "frame 1":  # a slow handler (a message being stored): events arrive meanwhile
            layer.queue.put_nowait("relay 1")
            frames.queue.put_nowait("frame 2")
            layer.queue.put_nowait("relay 2")
            await asyncio.sleep(0.01)
        handled.append(message)
        busy.pop()
        if len(handled) == 4:
            raise StopConsumer

    frames.queue.put_nowait("frame 1")
    with pytest.raises(StopConsumer):
        await asyncio.wait_for(dispatch_in_order([frames, layer], dispatch), 5)
    assert handled[0] == "frame 1" and sorted(handled) == ["frame 1", "frame 2", "relay 1", "relay 2"]
    assert handled.index("relay 1") < handled.index("relay 2")


async def test_stopping_cancels_what_the_sources_were_waiting_for():
    frames, layer = Source(), Source()

    async def dispatch(message):
        raise StopConsumer

    frames.queue.put_nowait({"type": "websocket.disconnect"})
    with pytest.raises(StopConsumer):
        await asyncio.wait_for(dispatch_in_order([frames, layer], dispatch), 5)
    assert layer.waiting == 0 and frames.waiting == 0  # a layer's receive unsubscribes when cancelled


async def test_a_failing_source_fails_the_consumer_and_the_other_is_cancelled():
    frames, layer = Source(), Source()
    handled = []

    async def dispatch(message):
        handled.append(message)

    frames.queue.put_nowait("frame 1")
    layer.queue.put_nowait(ConnectionError("Redis went away"))
    with pytest.raises(ConnectionError, match="Redis went away"):
        await asyncio.wait_for(dispatch_in_order([frames, layer], dispatch), 5)
    assert handled == ["frame 1"] and frames.waiting == 0
