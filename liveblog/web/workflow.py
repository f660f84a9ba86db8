"""The desk's queue over the write API: drafts and scheduled updates, publish, reject,
cancel, and the desk's own event stream.

Contributors post drafts (see `api.create_update`); editors publish, reject, reschedule
or cancel them. Nothing here reaches readers except a publish, whose `update` event goes
to the reader log like any other. Queue changes go to the desk log (`DeskEvent`) instead,
which only `GET /api/stories/{slug}/desk/events` reads: a stream for a token or a desk
session (the desk's EventSource sends its cookie), since a draft is not public.
"""

from __future__ import annotations

import asyncio

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import render
from ..auth import require_editor, session_or_token_author, token_author
from ..stream import requested_last_id
from .common import api_json, blocking, services

DESK_POLL_SECONDS = 0.5  # how soon the desk stream sees a change made by any process
DESK_PING_SECONDS = 10


async def _queue(request: Request, status: str) -> Response:
    svc = services(request)
    await token_author(request, svc.store)
    slug = request.path_params["slug"]
    updates = await blocking(svc.store.queued_updates, slug, status)
    return api_json({"updates": [render.queued_json(u, slug) for u in updates]})


async def drafts(request: Request) -> Response:
    """Drafts awaiting an editor, oldest first."""
    return await _queue(request, "draft")


async def scheduled(request: Request) -> Response:
    """Scheduled updates, in the order they will be published."""
    return await _queue(request, "scheduled")


async def publish(request: Request) -> Response:
    """Publish a draft, or a scheduled update now: readers get its `update` event."""
    svc = services(request)
    require_editor(await token_author(request, svc.store), "publish an update")
    slug, update_id = request.path_params["slug"], request.path_params["update_id"]
    written = await blocking(svc.store.publish_update, slug, update_id)
    await svc.hub.announce(written.story_id, written.event_id)
    return api_json(render.update_json(written.value, slug))


async def _requeue(request: Request, doing: str, change: str) -> Response:
    """An editor's change to a queued update that readers never see (no reader event)."""
    svc = services(request)
    require_editor(await token_author(request, svc.store), doing)
    slug, update_id = request.path_params["slug"], request.path_params["update_id"]
    written = await blocking(getattr(svc.store, change), slug, update_id)
    return api_json(render.queued_json(written.value, slug))


async def reject(request: Request) -> Response:
    """Turn a draft (or scheduled update) down: it never reaches readers; it is kept, not erased."""
    return await _requeue(request, "reject an update", "reject_update")


async def cancel(request: Request) -> Response:
    """Cancel a scheduled update: it goes back among the drafts."""
    return await _requeue(request, "cancel a scheduled update", "unschedule_update")


async def desk_events(request: Request) -> Response:
    """The desk's live view of the queue: SSE whose `event:` is the status an update moved
    to (draft, scheduled, published, rejected) and whose data is the update with its status.

    Read with a token or with the desk's session cookie. Resumes from `Last-Event-ID` like
    the reader stream, but over the desk log. A handful of
    editors per story watch it, so each polls the log (one indexed query per half second)
    rather than joining the readers' fan-out: any process's change shows up without a notice.
    """
    svc = services(request)
    await session_or_token_author(request, svc.settings, svc.store)
    after = requested_last_id(request.scope)
    story = await blocking(svc.store.get_story, request.path_params["slug"])
    if after is None:
        after = await blocking(svc.store.last_desk_event_id, story.id)

    async def frames():
        last = after
        while True:
            events = await blocking(svc.store.desk_events_after, story.id, last)
            for event in events:
                yield ServerSentEvent(id=str(event.id), event=event.kind, data=event.data)
                last = event.id
            if not events:
                await asyncio.sleep(DESK_POLL_SECONDS)

    return EventSourceResponse(frames(), ping=DESK_PING_SECONDS, headers={"X-Accel-Buffering": "no"})


UPDATE = "/api/stories/{slug}/updates/{update_id:int}"

routes = [
    Route("/api/stories/{slug}/drafts", drafts, methods=["GET"]),
    Route("/api/stories/{slug}/scheduled", scheduled, methods=["GET"]),
    Route(UPDATE + "/publish", publish, methods=["POST"]),
    Route(UPDATE + "/reject", reject, methods=["POST"]),
    Route(UPDATE + "/cancel", cancel, methods=["POST"]),
    Route("/api/stories/{slug}/desk/events", desk_events, methods=["GET"]),
]
