"""Pages for readers: the index and the story page, fully rendered on the server."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .. import render
from ..errors import Invalid
from .common import base_url, blocking, services


def page(name: str, status_code: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(render.templates.get_template(name).render(**context), status_code=status_code)


async def index(request: Request) -> Response:
    stories = await blocking(services(request).store.list_stories)
    return page("index.html", stories=stories)


MAX_SEARCH = 200


async def story(request: Request) -> Response:
    """The story page; `?key=1` shows key events only, `?q=words` the updates holding them."""
    params = request.query_params
    raw = params.get("before")
    if raw is not None and not raw.isdigit():
        raise Invalid({"before": "must be an update number"})
    before = int(raw) if raw else None
    key_only = params.get("key") == "1"
    search = " ".join(params.get("q", "").split()) or None
    if search and len(search) > MAX_SEARCH:
        raise Invalid({"q": f"search for at most {MAX_SEARCH} characters"})
    story_page = await blocking(
        services(request).store.story_page, request.path_params["slug"], before, key_only, search
    )
    base = base_url(request)
    return page(
        "story.html",
        page=story_page,
        story=story_page.story,
        base_url=base,
        key_only=key_only,
        search=search,
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
