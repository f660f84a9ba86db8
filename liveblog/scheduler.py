"""Scheduled updates and polls' closing times: each server process publishes what has
come due, and closes the polls whose time has come, once between them.

Every `POLL_SECONDS` the task asks the newsroom to publish what is due
(`Newsroom.publish_due`), whose store write is a conditional UPDATE
(`WHERE status = 'scheduled'`) that lets only one process win each update. The schedule
lives in the database, so a restart loses nothing: whatever came due while no process
ran is published on the first tick.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .web.common import Services

log = logging.getLogger("liveblog.scheduler")

POLL_SECONDS = 1.0


async def run(services: "Services") -> None:
    """The scheduler task of one server process."""
    while True:
        try:
            await services.newsroom.publish_due()
            await services.newsroom.close_due_polls()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("publishing scheduled updates failed; will retry")
        await asyncio.sleep(POLL_SECONDS)
