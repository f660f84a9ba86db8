"""Several processes on several machines: PostgreSQL LISTEN/NOTIFY (psycopg 3, async).

Each process keeps one connection that LISTENs, and one that publishes with
`pg_notify`. A notice is a few bytes ("story:event"), far below NOTIFY's 8,000-byte
payload limit: the events themselves are read from the log.

The listening connection is checked every `HEARTBEAT_SECONDS` while idle (and by TCP
keepalives), so a connection that died quietly is noticed. When it drops it is made
again with backoff, and `RESYNC` is yielded: whatever was notified meanwhile is read
from the log. Readers stay connected all the while.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator

import psycopg

from .base import CHANNEL, RESYNC, Backend, Notice, retry_delays

log = logging.getLogger("liveblog.broadcast")

HEARTBEAT_SECONDS = 10.0
CONNECT_OPTIONS = dict(
    autocommit=True,
    connect_timeout=5,
    keepalives=1,
    keepalives_idle=10,
    keepalives_interval=5,
    keepalives_count=3,
)


def listener_name(pid: int | None = None) -> str:
    """The listening connection's `application_name`: operators (and tests) find it in pg_stat_activity."""
    return f"liveblog-listen-{pid or os.getpid()}"


class PostgresBackend(Backend):
    def __init__(self, url: str):
        super().__init__(url)
        self._listener: psycopg.AsyncConnection | None = None
        self._publisher: psycopg.AsyncConnection | None = None
        self._publishing = asyncio.Lock()

    async def _connect(self, name: str) -> psycopg.AsyncConnection:
        return await psycopg.AsyncConnection.connect(self.url, application_name=name, **CONNECT_OPTIONS)

    async def _listen(self) -> psycopg.AsyncConnection:
        conn = await self._connect(listener_name())
        await conn.execute(f"LISTEN {CHANNEL}")
        return conn

    async def connect(self) -> None:
        try:
            self._listener = await self._listen()
        except (psycopg.OperationalError, OSError) as exc:
            # Serve anyway: notices() keeps trying, and the log re-read covers the wait.
            log.warning("PostgreSQL broadcast unreachable at start (%s); will keep trying", exc)
            self.connected = False

    async def disconnect(self) -> None:
        for conn in (self._listener, self._publisher):
            await _close(conn)
        self._listener = self._publisher = None

    async def publish(self, notice: Notice) -> None:
        async with self._publishing:
            for attempt in (1, 2):
                fresh = self._publisher is None
                try:
                    if fresh:
                        self._publisher = await self._connect(f"liveblog-publish-{os.getpid()}")
                    await self._publisher.execute("SELECT pg_notify(%s, %s)", (CHANNEL, notice.encode()))
                    return
                except psycopg.OperationalError:
                    await _close(self._publisher)
                    self._publisher = None
                    # A connection that went stale while idle gets one fresh try.
                    if fresh or attempt == 2:
                        raise

    async def notices(self) -> AsyncIterator[Notice]:
        while True:
            if self._listener is not None:
                try:
                    while True:
                        async for notify in self._listener.notifies(timeout=HEARTBEAT_SECONDS):
                            notice = Notice.decode(notify.payload)
                            if notice is not None:
                                yield notice
                        await self._listener.execute("SELECT 1")
                except (psycopg.Error, OSError) as exc:
                    log.warning("PostgreSQL broadcast connection lost (%s); reconnecting", exc)
                self.connected = False
                await _close(self._listener)
                self._listener = None
            self._listener = await self._reconnect()
            self.connected = True
            self.reconnects += 1
            yield RESYNC

    async def _reconnect(self) -> psycopg.AsyncConnection:
        for delay in retry_delays():
            await asyncio.sleep(delay)
            try:
                conn = await self._listen()
            except (psycopg.Error, OSError) as exc:
                log.info("PostgreSQL broadcast still unreachable: %s", exc)
                continue
            log.warning("PostgreSQL broadcast connection is back; catching up from the log")
            return conn
        raise AssertionError("retry_delays() never ends")


async def _close(conn: psycopg.AsyncConnection | None) -> None:
    if conn is not None:
        try:
            await conn.close()
        except (psycopg.Error, OSError):
            pass
