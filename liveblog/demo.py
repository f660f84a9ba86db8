"""`liveblog demo`: a day's developing story played out live, so a newcomer sees it all.

The story is started before the server answers (`prepare`, awaited in the app's start-up),
then `play` posts a step of the script every few seconds: updates, key events, an image,
a pin, a correction, and at the end the close; then the next story of the script begins.
Everything goes through the newsroom, as an editor's desk would.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageDraw

from . import media
from .errors import LiveblogError
from .inputs import StoryIn, UpdateIn, UpdatePatch
from .newsroom import EDITOR, Author
from .web.common import Services, blocking

log = logging.getLogger("liveblog.demo")

DESK = Author("Harbour desk", EDITOR)
EVERY_SECONDS = 5.0


@dataclass(frozen=True)
class Post:
    body: str
    headline: str = ""
    key_event: bool = False
    pinned: bool = False
    image: str = ""  # a caption: the step posts a picture drawn for it, with this caption


@dataclass(frozen=True)
class Correct:
    """Correct an earlier post of the story (by its place in the script)."""

    step: int
    body: str


@dataclass(frozen=True)
class Story:
    title: str
    summary: str
    steps: tuple[Post | Correct, ...]


SCRIPT = (
    Story(
        "Storm over the harbour: live",
        "A sample developing story: updates arrive every few seconds. Leave this page open and watch.",
        (
            Post("The port authority has raised its storm warning to **red** for the whole harbour.",
                 "Red warning for the harbour", key_event=True),
            Post("Gusts of 110 km/h recorded at the pier head. Please stay away from the sea wall."),
            Post("All harbour ferries are **suspended** until further notice.", "Ferries suspended", key_event=True),
            Post("Waves breaking over the promenade at Quay Street this morning.", image="The promenade at 09:40"),
            Post("> \"We have never seen the water this high.\" — a café owner on Quay Street"),
            Post("Schools in the harbour district close at noon; parents are asked to collect children.",
                 "Schools close early", key_event=True),
            Post("**What we know so far:** red warning in force, ferries suspended, schools closing at noon, "
                 "an evacuation centre opening at the Town Hall. This summary stays at the top.",
                 "Summary", pinned=True),
            Post("Power is out for about 1,200 homes east of the river; crews are on their way."),
            Correct(7, "Power is out for about **2,000** homes east of the river (not 1,200, as we first "
                       "reported); crews are on their way."),
            Post("An evacuation centre is open at the **Town Hall**, with hot food and blankets.",
                 "Evacuation centre opens", key_event=True),
            Post("The coastguard: *turn around, don't drown* — do not drive through flood water."),
            Post("Trains between Northgate and the harbour run with delays of up to 40 minutes."),
            Post("The wind is easing. Forecasters expect the red warning to be lowered to amber this evening."),
            Post("The warning is now **amber**. Ferries stay suspended overnight.", "Warning lowered to amber",
                 key_event=True),
            Post("That is all from the harbour desk for today. Thank you for following; this story is now closed."),
        ),
    ),
    Story(
        "Clean-up after the storm: live",
        "The morning after: roads, power, ferries and the clean-up, as it happens.",
        (
            Post("Council crews are out clearing the promenade; Quay Street stays closed to traffic.",
                 "Clean-up begins", key_event=True),
            Post("Power is back for all but 300 homes east of the river."),
            Post("The first ferry of the day has left for the islands, an hour late.", "Ferries running again",
                 key_event=True),
            Post("Volunteers are meeting at the Town Hall at 10:00 to help shop owners.", image="Sandbags on Quay Street"),
            Post("Trains are back to the normal timetable."),
            Post("The evacuation centre has closed: everyone has gone home.", "Evacuation centre closes",
                 key_event=True),
            Post("That is the end of our coverage. This story is now closed."),
        ),
    ),
)


def picture(caption: str) -> bytes:
    """A small picture for an image step: a sky over a rough sea, drawn here (no files shipped)."""
    width, height = 960, 540
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        sea = y > height * 0.55
        shade = int(90 + 80 * y / height)
        draw.line([(0, y), (width, y)], fill=(20, shade // 2 + 40, shade) if sea else (shade, shade + 20, shade + 50))
    seed = sum(map(ord, caption))
    for n in range(14):
        x = (seed * (n + 3) * 37) % width
        y = int(height * 0.55) + (n * 29) % int(height * 0.4)
        draw.arc([x - 90, y - 22, x + 90, y + 22], 180, 360, fill=(235, 240, 245), width=5)
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def start(services: Services, story: Story) -> str:
    """Start `story` of the script (a new slug each time round) and return its slug."""
    started = await services.newsroom.start_story(DESK, StoryIn(title=story.title, summary=story.summary))
    return started.slug


async def prepare(services: Services) -> None:
    """The first story, live before the server answers: a newcomer's first look finds it."""
    first = SCRIPT[0]
    stories = await blocking(services.store.list_stories)
    if not any(s.title == first.title and s.status == "live" for s in stories):
        await start(services, first)


async def _step(services: Services, slug: str, step: Post | Correct, posted: dict[int, int], index: int) -> None:
    newsroom = services.newsroom
    if isinstance(step, Correct):
        await newsroom.edit(DESK, slug, posted[step.step], UpdatePatch(body=step.body))
        return
    body = step.body
    if step.image:
        name = await blocking(media.save_image, picture(step.image), services.settings.media_dir)
        body = f"{body}\n\n{media.describe(name, caption=step.image, credit='Liveblog demo')['html']}"
    update = await newsroom.post(
        DESK, slug, UpdateIn(body=body, headline=step.headline, key_event=step.key_event, pinned=step.pinned)
    )
    posted[index] = update.id


async def play(services: Services, every: float = EVERY_SECONDS) -> None:
    """Post the script's steps one every `every` seconds, close each story at its end, and go on."""
    stories = await blocking(services.store.list_stories)
    live = next((s for s in stories if s.title == SCRIPT[0].title and s.status == "live"), None)
    for number, story in enumerate(itertools.cycle(SCRIPT)):
        slug = live.slug if number == 0 and live else await start(services, story)
        posted: dict[int, int] = {}
        for index, step in enumerate(story.steps):
            await asyncio.sleep(every)
            try:
                await _step(services, slug, step, posted, index)
            except LiveblogError as exc:
                log.warning("demo step not posted: %s", exc.message)
        await asyncio.sleep(every)
        await services.newsroom.close(DESK, slug)
