"""Makes docs/desk.png and docs/audience.png: the desk of the harbour storm as one of two
editors on it sees it, with the chart of the story's readers over its first three hours.

    python docs/desk_screenshots.py

Starts `liveblog serve` on a fresh database in a temporary folder and posts the demo's
story through the write API. A story that has just started has no audience history yet,
so the script backdates its updates over three hours and writes the readers per minute
such a story draws (a rise, and a jump at each key event) straight into the database.
"""

from __future__ import annotations

import math
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlmodel import Session, select

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))
from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from desk import PASSWORD, Desk  # noqa: E402
from desk_tab import desk_tab  # noqa: E402
from servers import server_starter  # noqa: E402

from liveblog.db import make_engine  # noqa: E402
from liveblog.demo import SCRIPT, Correct  # noqa: E402
from liveblog.models import AudienceMinute, Story, Update  # noqa: E402

HOURS = 3
EDITORS = ("Ada Moreau", "Sam Okafor")


def readers_at(minute: int, key_minutes: list[int]) -> int:
    """A developing story's audience: a steady rise, a surge after each key event that
    fades over half an hour, and a little noise."""
    base = 400 + 9 * minute
    surge = sum(2600 * math.exp(-(minute - k) / 30) for k in key_minutes if minute >= k)
    return int(base + surge + 60 * math.sin(minute / 3))


def backdate(url: str, slug: str) -> None:
    engine = make_engine(url)
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    start = now - timedelta(hours=HOURS)
    with Session(engine) as s:
        story = s.exec(select(Story).where(Story.slug == slug)).one()
        story.created_at = start
        updates = list(s.exec(select(Update).where(Update.story_id == story.id).order_by(Update.id)))
        key_minutes = []
        for n, update in enumerate(updates):
            minute = 5 + n * (HOURS * 60 - 10) // max(1, len(updates) - 1)
            update.created_at = start + timedelta(minutes=minute)
            if update.key_event:
                key_minutes.append(minute)
        for minute in range(HOURS * 60 + 1):  # up to this minute
            s.add(AudienceMinute(story_id=story.id, minute=start + timedelta(minutes=minute),
                                 peak=readers_at(minute, key_minutes)))
        s.commit()
    engine.dispose()


def main() -> None:
    start, started = server_starter(Path(tempfile.mkdtemp(prefix="liveblog-shots-")))
    server = start()
    try:
        for name in EDITORS:
            result = server.cli("create-editor", name, stdin=PASSWORD + "\n")
            assert result.returncode == 0, result.stderr
        slug = server.new_story("Storm over the harbour: live", slug="storm-over-the-harbour",
                                summary="Ferries suspended, schools closing early and an evacuation centre "
                                        "open as the storm reaches the coast.")["slug"]
        posted = []
        for step in SCRIPT[0].steps[:-1]:  # all but the close
            if isinstance(step, Correct):
                server.api("PATCH", f"/api/stories/{slug}/updates/{posted[step.step]}", {
                    "body": step.body, "correction": "An earlier version gave the wrong number of homes."})
            else:
                posted.append(server.post(slug, step.body, headline=step.headline, key_event=step.key_event,
                                          pinned=step.pinned)["id"])
        backdate(server.env["LIVEBLOG_DATABASE_URL"], slug)

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            reader = chromium.new_page()
            reader.goto(f"{server.url}/stories/{slug}")
            reader.locator("#story[data-connected=yes]").wait_for(state="attached")
            tabs = []
            for name in EDITORS:
                desk = Desk(server)
                desk.login(name)
                tabs.append(desk_tab(chromium, server, desk, slug, "data-connected", {"width": 1280, "height": 1400},
                                     "Europe/London"))
            first = tabs[0]
            for name in EDITORS:  # each named on the other's desk
                first.locator("#desk-presence").filter(has_text=name).wait_for()
            first.locator("#reader-count").filter(has_text="1").wait_for(timeout=30_000)  # the reader, counted
            first.locator("#post-headline").fill("Sea wall breached")
            first.locator("#post-body").fill("Water is coming over the sea wall at **Quay Street**.\n\n"
                                             "- Stay off the promenade\n- Follow [the council's advice](https://example.org)")
            first.evaluate("document.fonts.ready")
            first.screenshot(path=str(HERE / "desk.png"))
            first.locator("#audience").screenshot(path=str(HERE / "audience.png"))
            chromium.close()
    finally:
        for each in started:
            each.stop()
    print("wrote", HERE / "desk.png", HERE / "audience.png")


if __name__ == "__main__":
    main()
