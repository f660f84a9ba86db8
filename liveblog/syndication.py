"""Following another instance's story: one follower per link, in one process of several.

Each link (`SyndicationLink`, made by `POST /api/stories/{slug}/sources`) is followed by
reading the producer's own readers' stream, `GET {url}/events`, with the token its
editors issued (`Authorization: Bearer …`) and `Last-Event-ID` = the link's
`last_event_id`. Every frame goes through `Newsroom.syndicate`, whose one transaction
makes the change and moves `last_event_id`: a follower stopped at any moment resumes
after the last event it applied, and the store skips any event at or before it, so a
change is applied once.

One process follows each link: it claims the link's row (`claimed_by`, `claimed_at`,
a conditional UPDATE renewed every `CLAIM_SECONDS`); another process may take it over
once the claim is three intervals old, and a process shutting down releases its claims.
When the producer is down the follower retries with a growing wait (BACKOFF); when the
producer's story is closed (its stream answers 204) it asks again every `CLOSED_SECONDS`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import TYPE_CHECKING

import httpx
from anyio import to_thread

from .models import utcnow
from .newsroom import stale_before

if TYPE_CHECKING:
    from .web.common import Services

log = logging.getLogger("liveblog.syndication")

CLAIM_SECONDS = 1.0
BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0, 15.0, 30.0)
CLOSED_SECONDS = 60.0


class Follower:
    """The followers of one process: a task per link it has claimed."""

    def __init__(self, services: "Services"):
        self.services = services
        self.process = uuid.uuid4().hex
        self.tasks: dict[int, asyncio.Task] = {}

    async def tick(self) -> None:
        store = self.services.store
        now = utcnow()
        for link in await to_thread.run_sync(store.links):
            mine = await to_thread.run_sync(store.claim_link, link.id, self.process, now,
                                            stale_before(now, CLAIM_SECONDS))
            task = self.tasks.get(link.id)
            if mine and (task is None or task.done()):
                self.tasks[link.id] = asyncio.ensure_future(self.follow(link.id))
            elif not mine and task is not None:
                task.cancel()
                self.tasks.pop(link.id, None)

    async def follow(self, link_id: int) -> None:
        failures = 0
        while True:
            try:
                wait = await self._read(link_id)
                failures = 0 if wait is None else failures
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the producer down, or answering what we cannot use
                log.info("following link %s: %s; will retry", link_id, exc)
                wait = None
            if wait is None:
                wait = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
            await asyncio.sleep(wait)

    async def _read(self, link_id: int) -> float | None:
        """Read the producer's stream until it ends; the wait before the next read, None for backoff."""
        store, newsroom = self.services.store, self.services.newsroom
        link = await to_thread.run_sync(store.link, link_id)
        if link is None:
            return CLOSED_SECONDS
        # Always a Last-Event-ID, 0 at first: the whole story so far, then live.
        headers = {"Accept": "text/event-stream, application/json", "Authorization": f"Bearer {link.token}",
                   "Last-Event-ID": str(link.last_event_id)}
        timeout = httpx.Timeout(10, read=60)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            async with client.stream("GET", link.url + "/events", headers=headers) as response:
                if response.status_code == 204:
                    return CLOSED_SECONDS
                if response.status_code != 200:
                    log.warning("link %s: the producer answered %s", link_id, response.status_code)
                    return None
                async for event_id, kind, data in parse_frames(_lines(response)):
                    if not event_id.isdigit():
                        continue
                    try:
                        payload = json.loads(data)
                    except ValueError:
                        payload = {}  # passed over (and marked read), not retried for ever
                    await newsroom.syndicate(link_id, int(event_id), kind, payload if isinstance(payload, dict) else {})
        return None

    def release(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        for link_id in list(self.tasks):
            try:
                self.services.store.release_link(link_id, self.process)
            except Exception:
                log.exception("could not release link %s", link_id)


async def _lines(response: httpx.Response):
    async for line in response.aiter_lines():
        yield line
    yield ""


async def parse_frames(lines):
    """SSE lines to (id, event, data) for each frame with an id (comments and signals skipped)."""
    fields: dict[str, str] = {}
    data: list[str] = []
    async for line in lines:
        if line == "":
            if data and "id" in fields:
                yield fields["id"], fields.get("event", "message"), "\n".join(data)
            fields, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name in ("id", "event"):
            fields[name] = value


async def run(services: "Services") -> None:
    """The syndication task of one server process."""
    follower = Follower(services)
    try:
        while True:
            try:
                await follower.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("following syndication links failed; will retry")
            await asyncio.sleep(CLAIM_SECONDS)
    finally:
        follower.release()
