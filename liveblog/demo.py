"""`liveblog demo`: a sample story that keeps receiving updates, so a newcomer sees it live."""

from __future__ import annotations

import asyncio
import itertools
import logging

from .errors import StoryNotFound
from .inputs import StoryIn, UpdateIn
from .newsroom import EDITOR, Author
from .web.common import Services, blocking

log = logging.getLogger("liveblog.demo")

SLUG = "storm-over-the-harbour"
TITLE = "Storm over the harbour: live"
SUMMARY = "A sample developing story. New updates arrive every few seconds; leave this page open and watch."

UPDATES = [
    ("Ferries suspended", "All harbour ferries are **suspended** until further notice, the port authority says.", True),
    ("", "Gusts of 110 km/h recorded at the pier. Please stay away from the sea wall.", False),
    ("", "> \"We have never seen water this high on the promenade.\" — a café owner on Quay Street", False),
    ("Schools close early", "Schools in the harbour district will close at noon. Parents are asked to collect children.", True),
    ("", "Power is out for about 2,000 homes east of the river; crews are on their way.", False),
    ("", "The coastguard reminds everyone: *turn around, don't drown* — do not drive through flood water.", False),
    ("Evacuation centre opens", "An evacuation centre is open at the **Town Hall**, with hot food and blankets.", True),
    ("", "Trains between Northgate and the harbour are running with delays of up to 40 minutes.", False),
]


DESK = Author("Demo desk", EDITOR)


async def keep_posting(services: Services, every: float = 5.0) -> None:
    newsroom = services.newsroom
    try:
        story = await blocking(services.store.get_story, SLUG)
        if story.status != "live":
            await newsroom.reopen(DESK, SLUG)
    except StoryNotFound:
        await newsroom.start_story(DESK, StoryIn(title=TITLE, summary=SUMMARY, slug=SLUG))
    for headline, body, key_event in itertools.cycle(UPDATES):
        try:
            await newsroom.post(DESK, SLUG, UpdateIn(body=body, headline=headline, key_event=key_event))
        except Exception:
            log.warning("demo update not posted", exc_info=True)
        await asyncio.sleep(every)
