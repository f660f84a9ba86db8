"""For other programs: the story's Atom 1.0 feeds (all updates, key events only), and
oEmbed 1.0 for sites that embed it.

One builder makes both feeds. Atom entry ids are `tag:` URIs (RFC 4151) built from the
host, the story's start date and the update's id, so they never change when an update is
edited (a feed reader shows an edit as the same entry with a newer `updated`), and an
update has the same id in both feeds. Both are served from the page cache (web/cached.py):
ETag from the story's newest event id, open to every origin (CORS).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html import escape
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import i18n, media, render
from ..errors import Invalid, NotFound, NotImplementedFormat, StoryNotFound
from ..models import Story, Update
from .cached import CORS, JSON, cached, json_bytes
from ..inputs import whole_number
from .common import base_url, blocking, services

FEED_ENTRIES = 50
ATOM = "http://www.w3.org/2005/Atom"

EMBED_WIDTH, EMBED_HEIGHT = 600, 700  # the iframe's size when the consumer asks nothing


def _(message: str) -> str:  # marks a message for extraction (babel.cfg); translated per story below
    return message


CORRECTED = _("Corrected %(time)s: %(note)s")


def _content(update: Update, story: Story, base: str) -> str:
    """An entry's HTML: the update's, and its correction note after it, as readers see it."""
    html = _absolute(update.body_html, base)
    if update.correction:
        language = i18n.effective(story.language)
        note = i18n.translations(language).gettext(CORRECTED) % {
            "time": i18n.clock(update.corrected_at, language), "note": update.correction}
        html += f'<p class="correction">{escape(note)}</p>'
    return html


def _tag(base: str, story: Story, *rest: str) -> str:
    host = urlsplit(base).hostname or "localhost"
    started = (story.created_at if story.created_at.tzinfo else story.created_at.replace(tzinfo=timezone.utc)).date()
    return f"tag:{host},{started.isoformat()}:" + "/".join(("stories", story.slug, *rest))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def atom_feed(story: Story, updates: list[Update], base: str, key_events: bool = False) -> bytes:
    """The feed document (of key events only, when `key_events`); ElementTree does the XML escaping."""
    ET.register_namespace("", ATOM)

    def add(parent, name: str, text: str | None = None, **attrs: str):
        el = ET.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
        if text is not None:
            el.text = text
        return el

    url = f"{base}/stories/{story.slug}"
    name, title = ("key-events", f"{story.title}: key events") if key_events else ("feed", story.title)
    times = [_aware(story.created_at)] + [_aware(u.edited_at or u.created_at) for u in updates]
    if story.closed_at:
        times.append(_aware(story.closed_at))
    feed = ET.Element(f"{{{ATOM}}}feed")
    add(feed, "id", _tag(base, story, "key-events") if key_events else _tag(base, story))
    add(feed, "title", title)
    if story.summary:
        add(feed, "subtitle", story.summary)
    add(feed, "updated", render.iso(max(times)))
    add(feed, "link", rel="alternate", type="text/html", href=url)
    add(feed, "link", rel="self", type="application/atom+xml", href=f"{url}/{name}.atom")
    add(add(feed, "author"), "name", "Liveblog")
    add(feed, "generator", "Liveblog")
    for update in updates:
        entry = add(feed, "entry")
        add(entry, "id", _tag(base, story, "updates", str(update.id)))
        add(entry, "title", update.headline or render.plain_excerpt(update.body_html) or f"Update {update.id}")
        add(entry, "published", render.iso(update.created_at))
        add(entry, "updated", render.iso(update.edited_at or update.created_at))
        add(entry, "link", rel="alternate", type="text/html", href=f"{url}#update-{update.id}")
        if update.shown_author:
            add(add(entry, "author"), "name", update.shown_author)
        if update.key_event:
            add(entry, "category", term="key-event", label="Key event")
        add(entry, "content", _content(update, story, base), type="html")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)


_ROOT_RELATIVE = re.compile(r'(\s(?:src|href)=")/(?!/)')
_SRCSET = re.compile(r'(\ssrcset=")([^"]*)"')
_SRCSET_ENTRY = re.compile(r"(^|,\s*)/(?!/)")


def _absolute(html: str, base: str) -> str:
    """Feed readers show entries away from our site: make our root-relative URLs whole."""
    html = _ROOT_RELATIVE.sub(lambda m: f"{m[1]}{base}/", html)
    return _SRCSET.sub(lambda m: m[1] + _SRCSET_ENTRY.sub(lambda e: f"{e[1]}{base}/", m[2]) + '"', html)


ATOM_TYPE = "application/atom+xml; charset=utf-8"


async def _feed(request: Request, key_events: bool) -> Response:
    store = services(request).store
    slug = request.path_params["slug"]

    async def body(event_id: int) -> tuple[int, bytes]:
        if key_events:
            story, updates = await blocking(store.key_events, slug, FEED_ENTRIES)
        else:
            story = await blocking(store.get_story, slug)
            updates, _ = await blocking(store.list_updates, slug, None, FEED_ENTRIES)
        return event_id, atom_feed(story, updates, base_url(request), key_events)

    return await cached(request, slug, ("key-events" if key_events else "feed",), body, ATOM_TYPE, CORS)


async def feed(request: Request) -> Response:
    return await _feed(request, key_events=False)


async def key_events_feed(request: Request) -> Response:
    return await _feed(request, key_events=True)


def _dimension(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    value = whole_number(raw)
    if value is None or not 50 <= value <= 10_000:
        raise Invalid({name: "must be a whole number of pixels from 50 to 10000"})
    return value


def story_slug_from_url(url: str, base: str) -> str:
    """The slug of our story page (or its embed) that `url` names; NotFound for anything else."""
    parts, ours = urlsplit(url.strip()), urlsplit(base)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != ours.netloc.lower():
        raise NotFound("That URL is not a story on this site.")
    path = parts.path.removeprefix(ours.path.rstrip("/")).strip("/").split("/")
    if len(path) in (2, 3) and path[0] == "stories" and path[1] and path[2:] in ([], ["embed"]):
        return path[1]
    raise NotFound("That URL is not a story on this site.")


def iframe_html(story: Story, base: str, width: int, height: int) -> str:
    src = f"{base}/stories/{story.slug}/embed"
    return (
        f'<iframe src="{escape(src)}" width="{width}" height="{height}" title="{escape(story.title)}" '
        f'data-liveblog-embed="{escape(story.slug)}" loading="lazy" '
        f'style="border:0;width:100%;max-width:{width}px"></iframe>'
    )


async def oembed(request: Request) -> Response:
    if request.query_params.get("format", "json") != "json":
        raise NotImplementedFormat("Only the json format is offered.", {"format": "only json is offered"})
    url = request.query_params.get("url", "")
    if not url:
        raise Invalid({"url": "give the story's URL, e.g. /oembed?url=https://…/stories/my-story"})
    max_width, max_height = _dimension(request, "maxwidth"), _dimension(request, "maxheight")
    base = base_url(request)
    slug = story_slug_from_url(url, base)
    width = min(EMBED_WIDTH, max_width or EMBED_WIDTH)
    height = min(EMBED_HEIGHT, max_height or EMBED_HEIGHT)

    async def body(event_id: int) -> tuple[int, bytes]:
        story = await blocking(services(request).store.get_story, slug)
        answer = oembed_answer(story, base, width, height, max_width, max_height)
        return event_id, json_bytes(answer)

    try:
        return await cached(request, slug, ("oembed", width, height, max_width, max_height), body,
                            JSON, CORS)
    except StoryNotFound:
        raise NotFound("That URL is not a story on this site.") from None


def oembed_answer(story: Story, base: str, width: int, height: int, max_width: int | None,
                  max_height: int | None) -> dict:
    answer = {
        "version": "1.0",
        "type": "rich",
        "title": story.title,
        "provider_name": "Liveblog",
        "provider_url": base + "/",
        "cache_age": 3600,
        "html": iframe_html(story, base, width, height),
        "width": width,
        "height": height,
    }
    if story.image:
        # The largest stored width that fits inside what the consumer allows.
        full = media.describe(story.image, base)
        for variant in reversed(media.variants(story.image)):
            thumb_h = max(1, round(full["height"] * variant.width / full["width"]))
            if variant.width <= (max_width or variant.width) and thumb_h <= (max_height or thumb_h):
                answer.update(thumbnail_url=f"{base}/media/{variant.name}", thumbnail_width=variant.width,
                              thumbnail_height=thumb_h)
                break
    return answer

routes = [
    Route("/stories/{slug}/feed.atom", feed, methods=["GET"]),
    Route("/stories/{slug}/key-events.atom", key_events_feed, methods=["GET"]),
    Route("/oembed", oembed, methods=["GET"]),
]
