"""Pages for readers: the index, the story page and its embed, fully rendered on the server."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .. import media, render
from ..store import KEY_EVENTS_SHOWN
from ..assets import static_url
from ..templating import render_template
from ..errors import Invalid
from .cached import cached
from .common import base_url, blocking, int_param, services

HTML = "text/html; charset=utf-8"


def page(name: str, status_code: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(render_template(name, **context), status_code=status_code)


async def index(request: Request) -> Response:
    stories = await blocking(services(request).store.list_stories_with_times)
    return page("index.html", stories=stories)


# A search's answer may be kept by the browser for a moment, but by no shared cache.
NOT_KEPT = {"Cache-Control": "private, max-age=5"}
EMBED_UPDATES = 10  # the embed is a glimpse: the newest few, then a link to the story
# Its height at most (`?height=`, in CSS pixels), in steps of 100, since style.css holds a
# rule for each (the Content-Security-Policy allows no inline style).
EMBED_HEIGHT, EMBED_HEIGHTS = 800, (300, 2000)
MAX_SEARCH = 200


async def _story_context(request: Request, before: int | None = None, key_only: bool = False,
                         search: str | None = None) -> dict:
    story_page = await blocking(
        services(request).store.story_page, request.path_params["slug"], before, key_only, search
    )
    story = story_page.story
    base = base_url(request)
    return {
        "page": story_page,
        "polls": story_page.polls,
        "callouts": story_page.callouts,
        "story": story,
        "language": story.language,
        "base_url": base,
        "story_url": f"{base}/stories/{story.slug}",
        "lead": media.describe(story.image, base) if story.image else None,
        "key_only": key_only,
        "search": search,
        "key_events_shown": KEY_EVENTS_SHOWN,
    }


async def _story_html(request: Request, before: int | None, key_only: bool, search: str | None) -> tuple[int, bytes]:
    context = await _story_context(request, before, key_only, search)
    logo = services(request).settings.publisher_logo or context["base_url"] + static_url("logo.png")
    posting = render.live_blog_posting(context["page"], context["base_url"], context["lead"], logo)
    context["jsonld"] = render.json_for_script(posting)
    context["oembed_url"] = f"{context['base_url']}/oembed?" + urlencode({"url": context["story_url"]})
    return context["page"].last_event_id, render_template("story.html", **context).encode()


async def story(request: Request) -> Response:
    """The story page; `?key=1` shows key events only, `?q=words` the updates holding them.

    Searches are answered afresh each time (there is no end to what may be searched for);
    every other variant comes from the page cache.
    """
    params = request.query_params
    search = " ".join(params.get("q", "").split()) or None
    if search and len(search) > MAX_SEARCH:
        raise Invalid({"q": f"search for at most {MAX_SEARCH} characters"})
    before, key_only = int_param(request, "before", None), params.get("key") == "1"
    if search:
        return HTMLResponse((await _story_html(request, before, key_only, search))[1], headers=NOT_KEPT)
    return await cached(request, request.path_params["slug"], ("story", before, key_only),
                        lambda _: _story_html(request, before, key_only, None), HTML)


def embed_height(request: Request) -> int:
    """`?height=` within EMBED_HEIGHTS, to the nearest step; a height that is not a whole number is a 422."""
    asked = int_param(request, "height", EMBED_HEIGHT, 0)
    low, high = EMBED_HEIGHTS
    return min(max(round(asked / 100) * 100, low), high)


async def _embed_html(request: Request, height: int) -> tuple[int, bytes]:
    context = await _story_context(request)
    context["page"].updates = context["page"].updates[:EMBED_UPDATES]
    return context["page"].last_event_id, render_template("embed.html", keep=EMBED_UPDATES, height=height,
                                                          **context).encode()


async def embed(request: Request) -> Response:
    """The compact page for iframes on other sites (framing allowed in web/headers.py), at
    most `?height=` tall, with a link to the whole story below what it shows."""
    height = embed_height(request)
    return await cached(request, request.path_params["slug"], ("embed", height),
                        lambda _: _embed_html(request, height), HTML)


async def _history_html(request: Request, update_id: int) -> bytes:
    slug = request.path_params["slug"]
    store = services(request).store
    story = await blocking(store.get_story, slug)
    update, revisions = await blocking(store.revisions, slug, update_id)
    changes, original = render.history(update, revisions)
    base = base_url(request)
    return render_template("history.html", language=story.language, story=story, update=update, changes=changes,
                           original=original, story_url=f"{base}/stories/{slug}").encode()


async def history(request: Request) -> Response:
    """An update's public history: each change of its text, who made it, when, its
    correction note, and what it changed. Cached like the story page: every change of
    the text appends an event, so an entry is never older than the history it shows."""
    update_id = request.path_params["update_id"]

    async def body(event_id: int) -> tuple[int, bytes]:
        return event_id, await _history_html(request, update_id)

    return await cached(request, request.path_params["slug"], ("history", update_id), body, HTML)


async def healthz(request: Request) -> Response:
    try:
        await blocking(services(request).store.ping)
    except Exception:
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


routes = [
    Route("/", index, methods=["GET"]),
    Route("/stories/{slug}", story, methods=["GET"]),
    Route("/stories/{slug}/embed", embed, methods=["GET"]),
    Route("/stories/{slug}/updates/{update_id:int}/history", history, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
]
