"""The desk's queue over the write API: drafts and scheduled updates, publish, reject,
cancel, and the desk's own event stream.

Contributors post drafts (see `api.create_update`); editors publish, reject, reschedule
or cancel them. Nothing here reaches readers except a publish, whose `update` event goes
to the reader log like any other. Queue changes go to the desk log (`DeskEvent`) instead,
which only `GET /api/stories/{slug}/desk/events` reads: a stream for a token or a desk
session (the desk's EventSource sends its cookie), since a draft is not public.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import render
from ..auth import session_or_token_author, token_author
from ..stream import DESK_EDITOR, EventStream
from ..stream_limit import Slots, StreamLimit
from .common import Services, api_json, blocking, newsroom, services


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
    author = await token_author(request, services(request).store)
    slug, update_id = request.path_params["slug"], request.path_params["update_id"]
    update = await newsroom(request).publish(author, slug, update_id)
    return api_json(render.update_json(update, slug))


async def reject(request: Request) -> Response:
    """Turn a draft (or scheduled update) down: it never reaches readers; it is kept, not erased."""
    author = await token_author(request, services(request).store)
    slug, update_id = request.path_params["slug"], request.path_params["update_id"]
    update = await newsroom(request).reject(author, slug, update_id)
    return api_json(render.queued_json(update, slug))


async def cancel(request: Request) -> Response:
    """Cancel a scheduled update: it goes back among the drafts."""
    author = await token_author(request, services(request).store)
    slug, update_id = request.path_params["slug"], request.path_params["update_id"]
    update = await newsroom(request).unschedule(author, slug, update_id)
    return api_json(render.queued_json(update, slug))


class DeskStream:
    """`GET /api/stories/{slug}/desk/events`: the desk's live view of the queue.

    SSE whose `event:` is the status an update moved to (draft, scheduled, published,
    rejected) and whose data is the update with its status; it resumes from
    `Last-Event-ID` like the readers' stream. Read with a token or with the desk's session
    cookie. It is the readers' `EventStream` over the desk's log: a change reaches it as a
    notice, then one read of the log per process, however many desks are open, and an
    idle one costs a parked socket. Each login or token, and each address, may hold
    `limit` of them in a process (429 past it).

    Served ahead of the middleware, like the readers' stream (app.py).
    """

    def __init__(self, svc: Services):
        self.svc = svc
        limit = svc.settings.max_desk_streams
        self.by_address = StreamLimit(EventStream(svc.hub, desk=True), limit, svc.settings.stream_limit_exempt)
        self.by_credential = Slots(limit, "This login")

    async def __call__(self, scope, receive, send) -> None:
        author = await session_or_token_author(Request(scope), self.svc.settings, self.svc.store)
        scope[DESK_EDITOR] = author.byline  # present on the story's desk while this is open
        held = self.by_credential.take(author.name)
        try:
            await self.by_address(scope, receive, send)
        finally:
            self.by_credential.give(held)


UPDATE = "/api/stories/{slug}/updates/{update_id:int}"

routes = [
    Route("/api/stories/{slug}/drafts", drafts, methods=["GET"]),
    Route("/api/stories/{slug}/scheduled", scheduled, methods=["GET"]),
    Route(UPDATE + "/publish", publish, methods=["POST"]),
    Route(UPDATE + "/reject", reject, methods=["POST"]),
    Route(UPDATE + "/cancel", cancel, methods=["POST"]),
]
