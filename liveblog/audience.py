"""The audience across every process: each process's beat, presence on the desk, and the
readers per minute.

Every `Settings.audience_seconds` each process writes what it has open of each story (a
row per process and story in `audiencebeat`: its readers, from the story page and the
embed but not the desks following it, and the display names of the editors with the
story's desk stream open), through the newsroom, and reads back the sum over every
process whose row is fresh (three intervals, else that process is gone). The same write
keeps the peak of that sum for the minute (`audienceminute`), which the desk draws
(chart.py). The names go to this process's desks of the story on their stream, as a
`presence` frame, when they changed for that desk. No new service: the database every
process already shares carries it on every broadcast backend.

A process with nothing open writes nothing, once its last rows are gone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .web.common import Services

log = logging.getLogger("liveblog.audience")


async def beat(services: "Services") -> None:
    """One beat of this process: store what is open here, learn the sums, tell the desks."""
    hub = services.hub
    open_here = hub.open_here()
    if not open_here and not hub.audience:
        return  # nothing open here now, nor at the last beat: nothing to write
    hub.audience = await services.newsroom.beat(hub.process, open_here, services.settings.audience_seconds)
    for story_id, now in hub.audience.items():
        hub.present(story_id, now.editors)


async def run(services: "Services") -> None:
    """The audience task of one server process. While the database is away it says so once,
    and once again when a beat gets through."""
    failing = False
    while True:
        try:
            await beat(services)
            if failing:
                log.warning("the audience beat is written again")
            failing = False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not failing:
                log.warning("could not write this process's audience (%s); will retry", exc.__class__.__name__)
            failing = True
        await asyncio.sleep(services.settings.audience_seconds)
