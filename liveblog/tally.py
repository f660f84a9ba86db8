"""Counted events: a poll's votes reach readers as a few `poll` events, not one per vote.

    vote ─▶ store.vote (one UPDATE of a count) ─▶ Tally.mark(poll)
                                                      │ at most once every EVERY seconds
                                                      ▼
                                  newsroom: store.poll_counted(poll) → one `poll` event with
                                  the totals read from the database, then announced

Each process coalesces its own votes: a poll voted on here gets one event per interval
from this process, whatever the number of votes. The event carries the totals the
database holds, not this process's share, so it is right whoever writes it; with several
processes a busy poll gets at most one event a second from each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("liveblog.tally")

EVERY = 1.0  # seconds between two rounds of poll events from one process


class Tally:
    def __init__(self, count: Callable[[int], Awaitable[object]], every: float = EVERY):
        self.count = count
        self.every = every
        self.dirty: set[int] = set()
        self.last = float("-inf")  # when the last round started (the loop's clock)
        self.task: asyncio.Future | None = None

    def mark(self, poll_id: int) -> None:
        """A vote was counted in `poll_id`: an event with its totals is owed, at the
        latest `every` seconds after the last round (at once after a quiet spell)."""
        self.dirty.add(poll_id)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._rounds())

    async def _rounds(self) -> None:
        loop = asyncio.get_running_loop()
        while self.dirty:
            wait = self.last + self.every - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            polls, self.dirty = self.dirty, set()
            self.last = loop.time()
            for poll_id in sorted(polls):
                try:
                    await self.count(poll_id)
                except asyncio.CancelledError:
                    raise
                except Exception:  # the database away: the next vote owes the event again
                    log.exception("counting poll %s failed", poll_id)
