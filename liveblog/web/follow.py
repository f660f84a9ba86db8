"""Following a story: the Atom feed of its key events, and Web Push subscriptions.

`atom_feed` is kept small and pure so the main feed (`feeds.py`) can share it.
"""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree as ET

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import push, render
from ..errors import Invalid, LiveblogError
from .common import base_url, blocking, services
from ..inputs import SubscriptionIn, UnsubscribeIn, parse

ATOM = "http://www.w3.org/2005/Atom"


def atom_feed(title: str, feed_url: str, page_url: str, updated: datetime | None, entries: list[dict]) -> bytes:
    """An Atom 1.0 document. Each entry: id, title, url, published, updated, author, html."""
    feed = ET.Element("feed", xmlns=ATOM)

    def add(parent, tag, text=None, **attrs):
        child = ET.SubElement(parent, tag, attrs)
        child.text = text
        return child

    add(feed, "id", feed_url)
    add(feed, "title", title)
    add(feed, "updated", render.iso(updated))
    add(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    add(feed, "link", rel="alternate", type="text/html", href=page_url)
    for entry in entries:
        item = add(feed, "entry")
        add(item, "id", entry["id"])
        add(item, "title", entry["title"])
        add(item, "link", rel="alternate", type="text/html", href=entry["url"])
        add(item, "published", render.iso(entry["published"]))
        add(item, "updated", render.iso(entry["updated"]))
        add(add(item, "author"), "name", entry["author"] or title)
        add(item, "content", entry["html"], type="html")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")


async def key_events_feed(request: Request) -> Response:
    slug = request.path_params["slug"]
    story, updates = await blocking(services(request).store.key_events, slug)
    page_url = f"{base_url(request)}/stories/{slug}"
    entries = [
        {
            "id": f"{page_url}#update-{u.id}",
            "title": u.headline or render.plain_excerpt(u.body_html),
            "url": f"{page_url}#update-{u.id}",
            "published": u.created_at,
            "updated": u.edited_at or u.created_at,
            "author": u.author,
            "html": u.body_html,
        }
        for u in updates
    ]
    newest = max([u.edited_at or u.created_at for u in updates], default=story.created_at)
    if story.closed_at and story.closed_at > newest:
        newest = story.closed_at
    body = atom_feed(f"{story.title}: key events", f"{page_url}/key-events.atom", page_url, newest, entries)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


class UnsupportedMediaType(LiveblogError):
    status_code = 415


def _json_body(request: Request) -> None:
    # A JSON content type cannot be sent cross-site without a CORS preflight, which we do
    # not grant: another site cannot subscribe or unsubscribe a reader behind their back.
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise UnsupportedMediaType("Send the subscription as application/json.")


async def subscribe(request: Request) -> Response:
    """Keep a browser's push subscription: it is told of key events and the close."""
    _json_body(request)
    data = parse(SubscriptionIn, await request.body())
    svc = services(request)
    story = await blocking(svc.store.get_story, request.path_params["slug"])
    if story.status != "live":
        raise Invalid({"story": "This story has closed; there is nothing more to be told of."})
    await blocking(svc.store.subscribe, story.slug, data.endpoint, data.keys.p256dh, data.keys.auth)
    return JSONResponse({"story": story.slug, "endpoint": data.endpoint}, status_code=201)


async def unsubscribe(request: Request) -> Response:
    _json_body(request)
    data = parse(UnsubscribeIn, await request.body())
    await blocking(services(request).store.unsubscribe, request.path_params["slug"], data.endpoint)
    return Response(status_code=204)


async def push_key(request: Request) -> Response:
    """The server's VAPID public key, which browsers subscribe with."""
    key = await blocking(push.vapid_public_key, services(request).store)
    return JSONResponse({"publicKey": key}, headers={"Cache-Control": "public, max-age=3600"})


routes = [
    Route("/stories/{slug}/key-events.atom", key_events_feed, methods=["GET"]),
    Route("/stories/{slug}/subscriptions", subscribe, methods=["POST"]),
    Route("/stories/{slug}/subscriptions", unsubscribe, methods=["DELETE"]),
    Route("/push/key", push_key, methods=["GET"]),
]
