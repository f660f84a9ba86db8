"""Pure rendering: Markdown to sanitized HTML, the update partial, JSON shapes, SSE frames."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import nh3
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from sse_starlette.event import ServerSentEvent

from . import embeds
from .models import Story, Update
from .resources import resource_dir

_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

_ALLOWED_TAGS = (nh3.ALLOWED_TAGS - {"center", "acronym", "tt", "strike", "map", "area"}) | {"figure", "figcaption"}
_ALLOWED_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
_ALLOWED_ATTRIBUTES["img"] = {"src", "alt", "width", "height", "srcset", "sizes", "loading"}
_ALLOWED_ATTRIBUTES["a"] = {"href", "hreflang", "title"}


def markdown_html(body: str) -> str:
    """Markdown as written by an editor, rendered and then cleaned to an allow-list.

    Raw HTML is allowed through Markdown so that editors can paste simple markup,
    but nh3 strips scripts, `on*` attributes and any URL scheme but http(s)/mailto.
    Then a paragraph that is only a link to a known oEmbed provider becomes its card.
    """
    return embeds.add_cards(_clean(_markdown.render(body)))


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z; SQLite hands back naive datetimes, which are UTC here."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def clock(moment: datetime | None) -> str:
    """The time as a reader without JavaScript sees it (scripts show their own zone)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%d %b %Y, %H:%M UTC")


templates = Environment(
    loader=FileSystemLoader(str(resource_dir("templates"))),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["iso"] = iso
templates.filters["clock"] = clock


def update_html(update: Update, slug: str) -> str:
    """The one partial both the page and the live stream use for an update."""
    return templates.get_template("_update.html").render(update=update, slug=slug)


def story_json(story: Story, base_url: str = "") -> dict[str, Any]:
    return {
        "slug": story.slug,
        "title": story.title,
        "summary": story.summary,
        "status": story.status,
        "created_at": iso(story.created_at),
        "closed_at": iso(story.closed_at),
        "url": f"{base_url}/stories/{story.slug}",
    }


def update_json(update: Update, slug: str) -> dict[str, Any]:
    return {
        "id": update.id,
        "story": slug,
        "body": update.body,
        "body_html": update.body_html,
        "headline": update.headline,
        "author": update.author,
        "created_at": iso(update.created_at),
        "edited_at": iso(update.edited_at),
        "key_event": update.key_event,
        "pinned": update.pinned,
    }


def queued_json(update: Update, slug: str) -> dict[str, Any]:
    """A draft or scheduled update, for the desk: the update's shape, its status and time to go out."""
    return {**update_json(update, slug), "status": update.status, "publish_at": iso(update.publish_at)}


def update_event_data(update: Update, slug: str) -> dict[str, Any]:
    data = update_json(update, slug)
    del data["body"]
    return {"id": update.id, "story": slug, "html": update_html(update, slug), **data}


def story_event_data(story: Story) -> dict[str, Any]:
    return {
        "slug": story.slug,
        "title": story.title,
        "summary": story.summary,
        "status": story.status,
        "closed_at": iso(story.closed_at),
    }


def compact_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def sse_frame(event_id: int, kind: str, data: str) -> bytes:
    """One event's bytes on the wire, built once and written to every reader."""
    return ServerSentEvent(id=str(event_id), event=kind, data=data, sep="\n").encode()


def json_for_script(data: Any) -> str:
    """JSON safe inside a <script> element: no `</script>` or `<!--` can close it early."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def live_blog_posting(page, base_url: str) -> dict[str, Any]:
    """schema.org LiveBlogPosting for the story page, with the latest updates."""
    story = page.story
    url = f"{base_url}/stories/{story.slug}"
    latest = ([page.pinned] if page.pinned else []) + page.updates
    latest.sort(key=lambda u: (u.created_at, u.id), reverse=True)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "@id": url,
        "url": url,
        "headline": story.title,
        "description": story.summary,
        "datePublished": iso(story.created_at),
        "coverageStartTime": iso(story.created_at),
        "liveBlogUpdate": [
            {
                "@type": "BlogPosting",
                "@id": f"{url}#update-{u.id}",
                "url": f"{url}#update-{u.id}",
                "headline": u.headline or plain_excerpt(u.body_html),
                "datePublished": iso(u.created_at),
                "dateModified": iso(u.edited_at or u.created_at),
                "articleBody": plain_text(u.body_html),
                "author": {"@type": "Person", "name": u.author},
            }
            for u in latest[:20]
        ],
    }
    if latest:
        data["dateModified"] = iso(max(u.edited_at or u.created_at for u in latest))
    if story.status == "closed":
        data["coverageEndTime"] = iso(story.closed_at)
    return data


def plain_text(html: str) -> str:
    return " ".join(nh3.clean(html, tags=set()).split())


def plain_excerpt(html: str, length: int = 110) -> str:
    text = plain_text(html)
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + "…"
