"""Reader routes answered from the page cache (pagecache.py), and the lean path to it.

A route hands `cached()` its variant (what in the request changes the bytes) and a
function that builds the body; `cached()` finds the story's newest event id, builds the
body only when no entry is as new, and remembers which entry answered this URL. The next
request for that URL is answered by `lean()`, called ahead of the middleware stack and
router (app.py `Liveblog.__call__`): a dictionary look-up and two writes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from starlette.requests import Request

from ..pagecache import Entry, PageCache, make_entry, request_headers
from .common import base_url, services

CORS = {"Access-Control-Allow-Origin": "*"}
JSON = "application/json"


def json_bytes(data) -> bytes:
    """JSON as Starlette's JSONResponse writes it."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()


def surrogate_keys(slug: str) -> dict[str, str]:
    """One tag per story, so a CDN can purge one story's pages and feeds at once."""
    return {"Surrogate-Key": f"story-{slug}", "Cache-Tag": f"story-{slug}"}


def url_key(scope) -> tuple:
    host = b""
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
            break
    return scope["scheme"], host, scope.get("root_path", ""), scope["path"], scope.get("query_string", b"")


class EntryResponse:
    """An ASGI response sending a cached entry in the encoding the request accepts (or a 304)."""

    def __init__(self, entry: Entry):
        self.entry = entry

    async def __call__(self, scope, receive, send) -> None:
        start, body = self.entry.messages(*request_headers(scope))
        if scope["method"] == "HEAD":
            body = {**body, "body": b""}
        await send(start)
        await send(body)


Body = Callable[[int], Awaitable[tuple[int, bytes]]]


async def cached(request: Request, slug: str, variant: tuple, body: Body, media_type: str,
                 headers: dict[str, str] | None = None) -> EntryResponse:
    """The response for `variant` of the story `slug` as of its newest event.

    `body(event_id)` builds the bytes from what the store holds now, reading nothing it
    shows before that id was read (so they are at least that new), and returns them with
    the event id they are current for (the story page reads its own, which may be newer).
    """
    pages: PageCache = services(request).pages
    story_id, event_id = await pages.newest_event(slug)
    all_headers = {**surrogate_keys(slug), **(headers or {})}

    async def build(at: int) -> Entry:
        current, data = await body(at)
        return make_entry(story_id, current, data, media_type, all_headers)

    key = (story_id, base_url(request), *variant)
    entry = await pages.get(key, story_id, event_id, build)
    pages.remember_url(url_key(request.scope), key)
    return EntryResponse(entry)


def lean(pages: PageCache, scope, security_headers) -> tuple[dict, dict] | None:
    """The messages answering this GET from memory when its URL's entry is current, else None."""
    entry = pages.lookup(url_key(scope))
    if entry is None:
        return None
    accept_encoding, if_none_match = request_headers(scope)
    return entry.messages(accept_encoding, if_none_match, security_headers)
