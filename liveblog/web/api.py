"""The JSON API: reads open to all (CORS), writes behind a Bearer token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import media, render
from ..auth import require_editor, token_author
from ..errors import Forbidden, Invalid
from .common import api_json, base_url, blocking, int_param, services
from ..inputs import StoryIn, StoryPatch, UpdateIn, UpdatePatch, parse_request

MAX_LIMIT = 200


async def list_stories(request: Request) -> Response:
    stories = await blocking(services(request).store.list_stories)
    base = base_url(request)
    return api_json({"stories": [render.story_json(s, base) for s in stories]})


async def get_story(request: Request) -> Response:
    story = await blocking(services(request).store.get_story, request.path_params["slug"])
    return api_json(render.story_json(story, base_url(request)))


async def list_updates(request: Request) -> Response:
    slug = request.path_params["slug"]
    before = int_param(request, "before", None)
    limit = int_param(request, "limit", 50, 1, MAX_LIMIT)
    updates, older = await blocking(services(request).store.list_updates, slug, before, limit)
    following = f"{base_url(request)}/api/stories/{slug}/updates?before={older}&limit={limit}" if older else None
    return api_json({"updates": [render.update_json(u, slug) for u in updates], "next": following})


def _check_image(svc, image: str | None) -> None:
    if image and not media.exists(svc.settings.media_dir, image):
        raise Invalid({"image": f"no uploaded image {image!r}; upload it with POST /api/media first"})


async def create_story(request: Request) -> Response:
    svc = services(request)
    require_editor(await token_author(request, svc.store), "start a story")
    data = await parse_request(request, StoryIn)
    _check_image(svc, data.image)
    written = await blocking(
        svc.store.create_story, data.title, data.summary, data.slug,
        image=data.image, caption=data.caption, credit=data.credit,
    )
    await svc.hub.announce(written.story_id, written.event_id)
    return api_json(render.story_json(written.value, base_url(request)), 201)


async def patch_story(request: Request) -> Response:
    svc = services(request)
    require_editor(await token_author(request, svc.store), "change or close a story")
    data = await parse_request(request, StoryPatch)
    _check_image(svc, data.image)
    written = await blocking(svc.store.update_story, request.path_params["slug"], **data.changes())
    await svc.hub.announce(written.story_id, written.event_id)
    return api_json(render.story_json(written.value, base_url(request)))


def update_answer(update, slug: str) -> dict:
    """A published update in the SPEC's shape; a queued one with its status and time to go out."""
    return render.update_json(update, slug) if update.status == "published" else render.queued_json(update, slug)


async def create_update(request: Request) -> Response:
    """Published at once by an editor; a draft for the desk when a contributor posts it
    (or an editor asks for `draft`); scheduled when it has a `publish_at`."""
    svc = services(request)
    author = await token_author(request, svc.store)
    data = await parse_request(request, UpdateIn)
    if not author.is_editor:
        if data.pinned or data.publish_at:
            raise Forbidden("Only an editor can pin or schedule an update; post it as a draft for the desk.")
        data.draft = True
    if data.draft and data.publish_at:
        raise Invalid({"publish_at": "A draft has no time to go out; send one or the other."})
    slug = request.path_params["slug"]
    values = data.model_dump(include={"body", "headline", "key_event", "pinned", "publish_at"})
    written = await blocking(svc.store.add_update, slug, author=author.name, status=data.status, **values)
    await svc.hub.announce(written.story_id, written.event_id)
    return api_json(update_answer(written.value, slug), 201)


async def patch_update(request: Request) -> Response:
    svc = services(request)
    author = await token_author(request, svc.store)
    data = await parse_request(request, UpdatePatch)
    if not author.is_editor and (data.pinned is not None or data.publish_at is not None):
        raise Forbidden("Only an editor can pin or schedule an update.")
    only_author = None if author.is_editor else author.name
    slug, update_id = request.path_params["slug"], request.path_params["update_id"]
    written = await blocking(svc.store.edit_update, slug, update_id, only_author, **data.changes())
    await svc.hub.announce(written.story_id, written.event_id)
    return api_json(update_answer(written.value, slug))


async def delete_update(request: Request) -> Response:
    svc = services(request)
    require_editor(await token_author(request, svc.store), "delete an update")
    written = await blocking(svc.store.delete_update, request.path_params["slug"], request.path_params["update_id"])
    await svc.hub.announce(written.story_id, written.event_id)
    return Response(status_code=204, headers={"Access-Control-Allow-Origin": "*"})


routes = [
    Route("/api/stories", list_stories, methods=["GET"]),
    Route("/api/stories", create_story, methods=["POST"]),
    Route("/api/stories/{slug}", get_story, methods=["GET"]),
    Route("/api/stories/{slug}", patch_story, methods=["PATCH"]),
    Route("/api/stories/{slug}/updates", list_updates, methods=["GET"]),
    Route("/api/stories/{slug}/updates", create_update, methods=["POST"]),
    Route("/api/stories/{slug}/updates/{update_id:int}", patch_update, methods=["PATCH"]),
    Route("/api/stories/{slug}/updates/{update_id:int}", delete_update, methods=["DELETE"]),
]
