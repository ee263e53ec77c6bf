"""The production channel layer: channels-redis's pub/sub layer, told to speak up when it loses Redis.

Why pub/sub: a chat message is one PUBLISH and is pushed to the subscribed processes, where the
list-based ``RedisChannelLayer`` needs three round trips for a ``group_send`` and a blocking pop per
delivery. On this machine that is the difference between p50 136 ms and 5–7 ms at 500 messages/s
(docs/benchmarks.md, section 3).

What pub/sub gives up, and how it is made safe here: Redis keeps nothing for a subscriber that is
not connected, so when the subscription connection drops (Redis restarts, a network blip), whatever
was published meanwhile never arrives, and channels-redis reconnects silently (django/channels_redis
issues #256 and #406: the ``on_disconnect`` hooks are gone in 4.x). Every chat message is stored in
the database before it is broadcast, so nothing is lost as long as the client knows to catch up.
This layer therefore delivers ``{"type": "layer.lost"}`` to every consumer of the process as soon
as its receive loop fails or its subscription connection is re-established (redis-py retries and
reconnects inside a read, so a short outage may raise nothing); the consumers close their sockets (code 1012, service restart), and the
clients reconnect and rejoin with ``after``, replaying from the database, exactly as they do when
the list-based layer's consumers die with Redis.
"""

from __future__ import annotations

import asyncio
import logging

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close
from redis.asyncio.client import PubSub

logger = logging.getLogger(__name__)

LOST = {"type": "layer.lost"}


class _PubSub(PubSub):
    """redis-py calls ``on_connect`` on every reconnection of a subscription (not the first connect)."""

    shard: "_Shard | None" = None

    async def on_connect(self, connection):
        if self.shard is not None:
            self.shard._tell_everyone_lost("reconnected")
        await super().on_connect(connection)


class _Shard(RedisSingleShardConnection):
    def _ensure_redis(self):
        if self._redis is None:
            super()._ensure_redis()
            self._pubsub = _PubSub(self._redis.connection_pool, event_dispatcher=self._redis._event_dispatcher)
            self._pubsub.shard = self

    async def _do_receiving(self):
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, asyncio.TimeoutError, GeneratorExit):
                raise
            except Exception as exc:  # the subscription broke: what was published meanwhile is gone
                self._tell_everyone_lost(type(exc).__name__)
                await asyncio.sleep(1)

    def _tell_everyone_lost(self, why: str):
        logger.warning("channel layer lost its Redis subscription (%s); every consumer is asked to reconnect", why)
        loop_layer = self.channel_layer
        lost = loop_layer.channel_layer.serialize(LOST)
        for queue in list(loop_layer.channels.values()):
            queue.put_nowait(lost)


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shards = [_Shard(shard.host, self) for shard in self._shards]


class ResilientPubSubChannelLayer(RedisPubSubChannelLayer):
    """``RedisPubSubChannelLayer`` whose consumers hear of a lost subscription (``layer.lost``)."""

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
            return layer
