"""Several workers on one machine sharing the SQLite file: the log itself is the channel.

There is nothing to publish through: each process watches the database file.
`PRAGMA data_version` changes whenever another connection commits, and costs no disk
read, so it is checked every `POLL_SECONDS`; only when it changed is the log asked
which stories have events newer than the last one seen. That is one cheap query per
commit per process, never per reader. SQLite writers take the write lock in turn
(BEGIN IMMEDIATE), so ids commit in order and "id > last seen" misses nothing.

`liveblog serve --workers N` picks this backend on its own for an SQLite database.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator

from sqlalchemy.engine import make_url

from .base import RESYNC, Backend, Notice

log = logging.getLogger("liveblog.broadcast")

POLL_SECONDS = 0.05


class SQLiteBackend(Backend):
    def __init__(self, url: str):
        super().__init__(url)
        self.path = make_url(url).database or ""
        self._db: sqlite3.Connection | None = None
        self._version: int | None = None
        self._last_id = 0
        self._last_desk_id = 0

    async def connect(self) -> None:
        self._db = await asyncio.to_thread(self._open)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout=5000")
        self._version = db.execute("PRAGMA data_version").fetchone()[0]
        self._last_id = db.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0]
        self._last_desk_id = db.execute("SELECT coalesce(max(id), 0) FROM deskevent").fetchone()[0]
        return db

    async def disconnect(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    async def publish(self, notice: Notice) -> None:
        """Nothing to send: the other workers see the commit in the file."""

    def _poll(self) -> list[Notice]:
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return []
        rows = self._db.execute(
            "SELECT story_id, max(id) FROM event WHERE id > ? GROUP BY story_id", (self._last_id,)
        ).fetchall()
        desk_rows = self._db.execute(
            "SELECT story_id, max(id) FROM deskevent WHERE id > ? GROUP BY story_id", (self._last_desk_id,)
        ).fetchall()
        # Only once the queries succeeded: a failed poll is simply asked again.
        self._version = version
        notices = [Notice(story_id, event_id) for story_id, event_id in rows]
        desk_notices = [Notice(story_id, event_id, desk=True) for story_id, event_id in desk_rows]
        self._last_id = max([self._last_id, *(n.event_id for n in notices)])
        self._last_desk_id = max([self._last_desk_id, *(n.event_id for n in desk_notices)])
        return notices + desk_notices

    async def notices(self) -> AsyncIterator[Notice]:
        failing = False
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                notices = await asyncio.to_thread(self._poll)
            except sqlite3.Error as exc:
                if not failing:
                    log.warning("cannot read the log for new events (%s); retrying", exc)
                failing, self.connected = True, False
                continue
            if failing:
                failing, self.connected = False, True
                self.reconnects += 1
                yield RESYNC
            for notice in notices:
                yield notice
