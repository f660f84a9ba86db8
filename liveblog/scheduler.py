"""Scheduled updates and polls' closing times: each server process publishes what has
come due, and closes the polls whose time has come, once between them; and it deletes
what readers sent once it is past its days.

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
# What readers sent is deleted once it is older than LIVEBLOG_SUBMISSION_DAYS; looking
# once an hour (and at start-up) is close enough.
FORGET_EVERY_SECONDS = 3600.0


async def run(services: "Services") -> None:
    """The scheduler task of one server process."""
    forgot_at = None
    while True:
        try:
            await services.newsroom.publish_due()
            await services.newsroom.close_due_polls()
            now = asyncio.get_running_loop().time()
            if forgot_at is None or now - forgot_at >= FORGET_EVERY_SECONDS:
                await services.newsroom.forget_submissions(services.settings.submission_days)
                forgot_at = now
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("publishing scheduled updates failed; will retry")
        await asyncio.sleep(POLL_SECONDS)
