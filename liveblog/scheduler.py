"""Scheduled updates: each server process publishes what has come due, once between them.

Every `POLL_SECONDS` the task asks the store for scheduled updates due by now and
publishes each with `Store.publish_update(..., due_by=now)`, whose conditional UPDATE
(`WHERE status = 'scheduled'`) lets only one process win; the losers see UpdateNotFound
and move on. The schedule lives in the database, so a restart loses nothing: whatever
came due while no process ran is published on the first tick.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import TYPE_CHECKING

from anyio import to_thread

from .errors import LiveblogError
from .models import utcnow

if TYPE_CHECKING:
    from .web.common import Services

log = logging.getLogger("liveblog.scheduler")

POLL_SECONDS = 1.0


async def publish_due(services: "Services") -> int:
    """Publish every update due now that no other process has taken; how many this one did."""
    now = utcnow()
    published = 0
    for slug, update_id in await to_thread.run_sync(services.store.due_updates, now):
        try:
            written = await to_thread.run_sync(partial(services.store.publish_update, slug, update_id, due_by=now))
        except LiveblogError:
            continue  # another process published it, or an editor did, or it was cancelled
        await services.hub.announce(written.story_id, written.event_id)
        published += 1
    return published


async def run(services: "Services") -> None:
    """The scheduler task of one server process."""
    while True:
        try:
            await publish_due(services)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("publishing scheduled updates failed; will retry")
        await asyncio.sleep(POLL_SECONDS)
