"""Several processes on several machines: Redis pub/sub (redis-py asyncio).

Each process subscribes with one connection and publishes through a small pool. A
notice is a few bytes ("story:event"); the events themselves are read from the log.

redis-py's own retries are turned off, so that every lost subscription is seen here:
it is made again with backoff and `RESYNC` is yielded, since anything published while
it was down is gone from Redis (pub/sub keeps nothing) but not from the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from .base import CHANNEL, RESYNC, Backend, Notice, retry_delays

log = logging.getLogger("liveblog.broadcast")

HEARTBEAT_SECONDS = 10.0


class RedisBackend(Backend):
    def __init__(self, url: str):
        super().__init__(url)
        self._client: Redis | None = None
        self._pubsub: PubSub | None = None

    def _redis(self) -> Redis:
        return Redis.from_url(
            self.url,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=5,
            socket_keepalive=True,
            health_check_interval=HEARTBEAT_SECONDS,
        )

    async def _subscribe(self) -> PubSub:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(CHANNEL)
        except BaseException:
            await _close(pubsub)
            raise
        return pubsub

    async def connect(self) -> None:
        self._client = self._redis()
        try:
            self._pubsub = await self._subscribe()
        except (RedisError, OSError) as exc:
            # Serve anyway: notices() keeps trying, and the log re-read covers the wait.
            log.warning("Redis broadcast unreachable at start (%s); will keep trying", exc)
            self.connected = False

    async def disconnect(self) -> None:
        await _close(self._pubsub)
        self._pubsub = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def publish(self, notice: Notice) -> None:
        try:
            await self._client.publish(CHANNEL, notice.encode())
        except (RedisError, OSError):
            # A pooled connection may have gone stale while idle: one fresh try.
            await self._client.connection_pool.disconnect(inuse_connections=False)
            await self._client.publish(CHANNEL, notice.encode())

    async def notices(self) -> AsyncIterator[Notice]:
        while True:
            if self._pubsub is not None:
                try:
                    while True:
                        message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=HEARTBEAT_SECONDS)
                        if message is not None and message["type"] == "message":
                            notice = Notice.decode(message["data"])
                            if notice is not None:
                                yield notice
                except (RedisError, OSError) as exc:
                    log.warning("Redis broadcast connection lost (%s); reconnecting", exc)
                self.connected = False
                await _close(self._pubsub)
                self._pubsub = None
            self._pubsub = await self._reconnect()
            self.connected = True
            self.reconnects += 1
            yield RESYNC

    async def _reconnect(self) -> PubSub:
        for delay in retry_delays():
            await asyncio.sleep(delay)
            try:
                pubsub = await self._subscribe()
            except (RedisError, OSError) as exc:
                log.info("Redis broadcast still unreachable: %s", exc)
                continue
            log.warning("Redis broadcast connection is back; catching up from the log")
            return pubsub
        raise AssertionError("retry_delays() never ends")


async def _close(pubsub: PubSub | None) -> None:
    if pubsub is not None:
        try:
            await pubsub.aclose()
        except (RedisError, OSError):
            pass
