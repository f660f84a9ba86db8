"""The JSON API: reads open to all (CORS), writes behind a Bearer token."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import media, render
from ..auth import token_author
from ..errors import Invalid
from ..i18n import Message
from .cached import CORS, JSON, cached, json_bytes
from .common import api_json, base_url, blocking, int_param, services
from ..inputs import SourceIn, StoryIn, StoryPatch, SyndicationTokenIn, UpdateIn, UpdatePatch, parse_request

MAX_LIMIT = 200


async def list_stories(request: Request) -> Response:
    """Every story, each with `updated_at` (its close, else its newest update, else its
    start). An ETag of the answer lets the index poll it cheaply: a 304 when nothing changed."""
    stories = await blocking(services(request).store.list_stories_with_times)
    base = base_url(request)
    body = json_bytes({"stories": [{**render.story_json(s, base), "updated_at": render.iso(changed)}
                                   for s, changed in stories]})
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": "private, no-cache", **CORS}  # revalidated by browsers, kept by no shared cache
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=JSON, headers=headers)


async def get_story(request: Request) -> Response:
    slug = request.path_params["slug"]

    async def body(event_id: int) -> tuple[int, bytes]:
        story = await blocking(services(request).store.get_story, slug)
        return event_id, json_bytes(render.story_json(story, base_url(request)))

    return await cached(request, slug, ("api-story",), body, JSON, CORS)


async def list_updates(request: Request) -> Response:
    slug = request.path_params["slug"]
    before = int_param(request, "before", None)
    limit = int_param(request, "limit", 50, 1, MAX_LIMIT)

    async def body(event_id: int) -> tuple[int, bytes]:
        updates, older = await blocking(services(request).store.list_updates, slug, before, limit)
        following = f"{base_url(request)}/api/stories/{slug}/updates?before={older}&limit={limit}" if older else None
        return event_id, json_bytes({"updates": [render.update_json(u, slug) for u in updates], "next": following})

    return await cached(request, slug, ("api-updates", before, limit), body, JSON, CORS)


async def get_update(request: Request) -> Response:
    """One published update (404 once it is deleted: the story page says so of a dead permalink)."""
    slug, update_id = request.path_params["slug"], request.path_params["update_id"]

    async def body(event_id: int) -> tuple[int, bytes]:
        update = await blocking(services(request).store.get_update, slug, update_id)
        return event_id, json_bytes(render.update_json(update, slug))

    return await cached(request, slug, ("api-update", update_id), body, JSON, CORS)


async def list_revisions(request: Request) -> Response:
    """A published update's changes of text, oldest first: each the text it replaced,
    who made it, when, and its correction note; `update` is the text as it is now."""
    slug, update_id = request.path_params["slug"], request.path_params["update_id"]

    async def body(event_id: int) -> tuple[int, bytes]:
        update, revisions = await blocking(services(request).store.revisions, slug, update_id)
        return event_id, json_bytes({"update": render.update_json(update, slug),
                                     "revisions": [render.revision_json(r) for r in revisions]})

    return await cached(request, slug, ("api-revisions", update_id), body, JSON, CORS)


def _check_image(svc, image: str | None) -> None:
    if image and not media.exists(svc.settings.media_dir, image):
        raise Invalid({"image": f"no uploaded image {image!r}; upload it with POST /api/media first"})


async def create_story(request: Request) -> Response:
    svc = services(request)
    author = await token_author(request, svc.store)
    data = await parse_request(request, StoryIn)
    _check_image(svc, data.image)
    story = await svc.newsroom.start_story(author, data)
    return api_json(render.story_json(story, base_url(request)), 201)


async def patch_story(request: Request) -> Response:
    svc = services(request)
    author = await token_author(request, svc.store)
    data = await parse_request(request, StoryPatch)
    _check_image(svc, data.image)
    story = await svc.newsroom.change_story(author, request.path_params["slug"], data)
    return api_json(render.story_json(story, base_url(request)))


async def create_update(request: Request) -> Response:
    """Published at once by an editor; a draft for the desk when a contributor posts it
    (or an editor asks for `draft`); scheduled when it has a `publish_at`."""
    svc = services(request)
    author = await token_author(request, svc.store)
    data = await parse_request(request, UpdateIn)
    slug = request.path_params["slug"]
    update = await svc.newsroom.post(author, slug, data)
    return api_json(render.update_answer(update, slug), 201)


async def patch_update(request: Request) -> Response:
    svc = services(request)
    author = await token_author(request, svc.store)
    data = await parse_request(request, UpdatePatch)
    slug, update_id = request.path_params["slug"], request.path_params["update_id"]
    update = await svc.newsroom.edit(author, slug, update_id, data)
    return api_json(render.update_answer(update, slug))


async def delete_update(request: Request) -> Response:
    svc = services(request)
    author = await token_author(request, svc.store)
    await svc.newsroom.delete(author, request.path_params["slug"], request.path_params["update_id"])
    return Response(status_code=204, headers={"Access-Control-Allow-Origin": "*"})


async def restore_update(request: Request) -> Response:
    """Undo a delete made within the newsroom's window (RESTORE_WINDOW): readers get it again."""
    svc = services(request)
    author = await token_author(request, svc.store)
    slug = request.path_params["slug"]
    update = await svc.newsroom.restore(author, slug, request.path_params["update_id"])
    return api_json(render.update_json(update, slug))


async def create_syndication_token(request: Request) -> Response:
    """A token another instance follows this story with (shown once; only its digest is kept)."""
    svc = services(request)
    author = await token_author(request, svc.store)
    data = await parse_request(request, SyndicationTokenIn)
    slug = request.path_params["slug"]
    token = await svc.newsroom.issue_syndication_token(author, slug, data.name)
    return api_json({"token": token, "story": slug, "stream": f"{base_url(request)}/stories/{slug}/events"}, 201)


def _source_json(link) -> dict:
    return {"id": link.id, "url": link.url, "approval": link.approval, "last_event_id": link.last_event_id}


async def create_source(request: Request) -> Response:
    """This story follows another instance's story (its URL and the token it issued)."""
    svc = services(request)
    author = await token_author(request, svc.store)
    data = await parse_request(request, SourceIn)
    slug = request.path_params["slug"]
    if data.url.rstrip("/") == f"{base_url(request)}/stories/{slug}":
        raise Invalid({"url": Message("A story cannot follow itself; give another newsroom's story.")})
    link = await svc.newsroom.follow_source(author, slug, data)
    return api_json(_source_json(link), 201)


async def list_sources(request: Request) -> Response:
    """The stories this story follows, and how far each has been read (the token is not shown)."""
    svc = services(request)
    await token_author(request, svc.store)
    slug = request.path_params["slug"]
    await blocking(svc.store.get_story, slug)
    links = await blocking(svc.store.links, slug)
    return api_json({"sources": [_source_json(link) for link in links]})


routes = [
    Route("/api/stories", list_stories, methods=["GET"]),
    Route("/api/stories", create_story, methods=["POST"]),
    Route("/api/stories/{slug}", get_story, methods=["GET"]),
    Route("/api/stories/{slug}", patch_story, methods=["PATCH"]),
    Route("/api/stories/{slug}/updates", list_updates, methods=["GET"]),
    Route("/api/stories/{slug}/updates", create_update, methods=["POST"]),
    Route("/api/stories/{slug}/updates/{update_id:int}", get_update, methods=["GET"]),
    Route("/api/stories/{slug}/updates/{update_id:int}", patch_update, methods=["PATCH"]),
    Route("/api/stories/{slug}/updates/{update_id:int}", delete_update, methods=["DELETE"]),
    Route("/api/stories/{slug}/updates/{update_id:int}/revisions", list_revisions, methods=["GET"]),
    Route("/api/stories/{slug}/updates/{update_id:int}/restore", restore_update, methods=["POST"]),
    Route("/api/stories/{slug}/syndication-tokens", create_syndication_token, methods=["POST"]),
    Route("/api/stories/{slug}/sources", create_source, methods=["POST"]),
    Route("/api/stories/{slug}/sources", list_sources, methods=["GET"]),
]
