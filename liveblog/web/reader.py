"""Pages for readers: the index and the story page, fully rendered on the server."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .. import render
from .common import base_url, blocking, int_param, services


def page(name: str, status_code: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(render.templates.get_template(name).render(**context), status_code=status_code)


async def index(request: Request) -> Response:
    stories = await blocking(services(request).store.list_stories)
    return page("index.html", stories=stories)


async def story(request: Request) -> Response:
    before = int_param(request, "before", None)
    story_page = await blocking(services(request).store.story_page, request.path_params["slug"], before)
    base = base_url(request)
    return page(
        "story.html",
        page=story_page,
        story=story_page.story,
        base_url=base,
        jsonld=render.json_for_script(render.live_blog_posting(story_page, base)),
    )


async def healthz(request: Request) -> Response:
    try:
        await blocking(services(request).store.ping)
    except Exception:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


routes = [
    Route("/", index, methods=["GET"]),
    Route("/stories/{slug}", story, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
]
