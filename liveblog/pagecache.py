"""Reader responses kept as ready bytes: built once per (story, newest event id, variant).

Every visible change to a story appends an event, so what a reader URL shows at event N
is right for everyone until N+1; a reader handed an older copy by any cache replays from
the `data-last-event-id` it carries. So the story page (and its `?before=` and `?key=1`
pages), the embed, both Atom feeds, the JSON read API and oEmbed are rendered once per
change, compressed once (gzip and brotli), and then served from memory to everyone.

How the newest id is known without a query per request: the hub hands every notice it
gets to `PageCache.notice` (this process's own writes, and every other process's through
the broadcast), whether or not the story has readers here. A notice can be missed (the
broadcast was down for a moment), so an id is trusted only while the broadcast
connection is up and for `TRUST_SECONDS` after a notice or a log read last confirmed it;
then one indexed query (`store.last_event_id`) confirms it again: at most one query per
story every few seconds per process, whatever the traffic. A RESYNC forgets every id.

Memory is bounded by `max_bytes` (every stored encoding counted); the least recently
used entries go first.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

import brotli
from anyio import to_thread

from .broadcast import RESYNC, Backend, Notice
from .store import Store

TRUST_SECONDS = 5.0  # the hub's own log re-read is as far apart
MAX_BYTES = 64 * 1024 * 1024
MIN_COMPRESS = 512  # smaller bodies go out as they are
BROTLI_QUALITY = 5  # within a few per cent of quality 11 on our pages, at a fraction of its CPU
GZIP_LEVEL = 6
# Shared caches on the way (nginx, a CDN) may keep a copy a few seconds, and serve it stale
# while they fetch the next: a reader who gets it replays the rest from the stream. The
# browser asks again each time (a 304 while nothing changed): a reader coming back sees
# the page as it is now, with what is new since the last visit marked on it.
READER_CACHE_CONTROL = "public, max-age=0, s-maxage=5, stale-while-revalidate=30"

ENCODINGS = ("br", "gzip")


@dataclass(eq=False)
class Entry:
    """One response, ready to send: its body in every encoding and each one's headers."""

    story_id: int
    event_id: int
    etag: bytes
    bodies: dict[str, bytes]  # "" (identity), "gzip", "br"
    starts: dict[str, list[tuple[bytes, bytes]]]  # the response headers for each encoding
    not_modified: dict[str, list[tuple[bytes, bytes]]]  # the headers of a 304, for each encoding
    size: int = 0

    def matches(self, if_none_match: bytes) -> bool:
        """Whether the request's `If-None-Match` names this entry (in any encoding)."""
        for tag in if_none_match.split(b","):
            tag = tag.strip().removeprefix(b"W/")
            if tag == b"*" or tag.split(b"-")[0].strip(b'"') == self.etag:
                return True
        return False

    def messages(self, accept_encoding: bytes, if_none_match: bytes, extra: Iterable = ()) -> tuple[dict, dict]:
        """The ASGI start and body messages that answer a request with these headers."""
        encoding = choose_encoding(accept_encoding, self.bodies)
        if if_none_match and self.matches(if_none_match):
            return ({"type": "http.response.start", "status": 304, "headers": [*self.not_modified[encoding], *extra]},
                    {"type": "http.response.body", "body": b""})
        return ({"type": "http.response.start", "status": 200, "headers": [*self.starts[encoding], *extra]},
                {"type": "http.response.body", "body": self.bodies[encoding]})


def make_entry(story_id: int, event_id: int, body: bytes, media_type: str, headers: dict[str, str]) -> Entry:
    """Compress `body` once in every encoding and build each answer's headers once."""
    bodies = {"": body}
    if len(body) >= MIN_COMPRESS:
        bodies["gzip"] = gzip.compress(body, GZIP_LEVEL, mtime=0)
        bodies["br"] = brotli.compress(body, quality=BROTLI_QUALITY)
    etag = str(event_id).encode()
    common = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    common.append((b"cache-control", READER_CACHE_CONTROL.encode()))
    if len(bodies) > 1:
        common.append((b"vary", b"Accept-Encoding"))
    starts, not_modified = {}, {}
    for encoding, data in bodies.items():
        # Each encoding is a representation of its own (RFC 9110 8.8.3): its own tag.
        tag = b'"%s-%s"' % (etag, encoding.encode()) if encoding else b'"%s"' % etag
        not_modified[encoding] = [(b"etag", tag), *common]
        start = [(b"content-type", media_type.encode()), (b"content-length", str(len(data)).encode()), (b"etag", tag),
                 *common]
        if encoding:
            start.append((b"content-encoding", encoding.encode()))
        starts[encoding] = start
    return Entry(story_id, event_id, etag, bodies, starts, not_modified, sum(map(len, bodies.values())))


_choices: dict[bytes, tuple[str, ...]] = {}


def _accepted(accept_encoding: bytes) -> tuple[str, ...]:
    """The encodings we offer that `Accept-Encoding` accepts, best first (remembered per header value)."""
    known = _choices.get(accept_encoding)
    if known is None:
        accepted = set()
        for item in accept_encoding.decode("latin-1").lower().split(","):
            name, _, params = item.partition(";")
            q = params.strip().removeprefix("q=").strip() if params.strip().startswith("q=") else "1"
            try:
                weight = float(q)
            except ValueError:
                weight = 0.0
            if weight > 0:
                accepted.add(name.strip())
        known = tuple(e for e in ENCODINGS if e in accepted)
        if len(_choices) < 256:  # browsers send a handful of values; anything more is not worth keeping
            _choices[accept_encoding] = known
    return known


def request_headers(scope) -> tuple[bytes, bytes]:
    """The request's `Accept-Encoding` and `If-None-Match`, as they came (b"" when absent)."""
    accept_encoding = if_none_match = b""
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            accept_encoding = value
        elif name == b"if-none-match":
            if_none_match = value
    return accept_encoding, if_none_match


def choose_encoding(accept_encoding: bytes, bodies: Mapping[str, bytes]) -> str:
    for encoding in _accepted(accept_encoding):
        if encoding in bodies:
            return encoding
    return ""


Build = Callable[[int], Awaitable[Entry]]  # the entry as of (at least) the given event id


@dataclass
class Stats:
    hits: int = 0
    builds: int = 0
    evictions: int = 0


@dataclass
class PageCache:
    store: Store
    backend: Backend
    max_bytes: int = MAX_BYTES
    entries: OrderedDict[tuple, Entry] = field(default_factory=OrderedDict)
    size: int = 0
    stats: Stats = field(default_factory=Stats)
    # story id → (its newest event id, when a notice or the log last said so: time.monotonic)
    newest: dict[int, tuple[int, float]] = field(default_factory=dict)
    story_ids: dict[str, int] = field(default_factory=dict)  # slug → story id (slugs never change)
    # What the lean path looks up: (scheme, host, path, query) → the key its handler chose.
    urls: OrderedDict[tuple, tuple] = field(default_factory=OrderedDict)
    _building: dict[tuple, tuple[int, asyncio.Future]] = field(default_factory=dict)  # key → (event id, entry)

    # -- the newest event id of each story -----------------------------------

    def notice(self, notice: Notice) -> None:
        """From the hub: a story has events up to `notice.event_id` (RESYNC: anything may be missed)."""
        if notice == RESYNC:
            self.newest.clear()
            return
        if notice.desk:  # the desk's log: nothing a reader sees
            return
        self._saw(notice.story_id, notice.event_id)

    def _saw(self, story_id: int, event_id: int) -> None:
        known = self.newest.get(story_id)
        if known is None or event_id >= known[0]:
            self.newest[story_id] = (event_id, time.monotonic())

    def trusted(self, story_id: int) -> int | None:
        """The story's newest event id when a notice or the log said so lately, else None."""
        known = self.newest.get(story_id)
        if known is None or not self.backend.connected or time.monotonic() - known[1] > TRUST_SECONDS:
            return None
        return known[0]

    async def newest_event(self, slug: str) -> tuple[int, int]:
        """(story id, newest event id) of the story; a log read when the id is not trusted.

        StoryNotFound for an unknown slug, as any read would raise.
        """
        story_id = self.story_ids.get(slug)
        event_id = None if story_id is None else self.trusted(story_id)
        if event_id is None:
            story_id, event_id = await to_thread.run_sync(self._read_newest, slug)
            self.story_ids[slug] = story_id
            self._saw(story_id, event_id)
            # A notice may have come in meanwhile: never step back.
            event_id = self.newest[story_id][0]
        return story_id, event_id

    def _read_newest(self, slug: str) -> tuple[int, int]:
        story = self.store.get_story(slug)
        return story.id, self.store.last_event_id(story.id)

    # -- entries -------------------------------------------------------------

    def fresh(self, key: tuple, event_id: int) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None or entry.event_id < event_id:
            return None
        self.entries.move_to_end(key)
        self.stats.hits += 1
        return entry

    async def get(self, key: tuple, story_id: int, event_id: int, build: Build) -> Entry:
        """The entry for `key` as of `event_id`: from memory, else built once however many ask."""
        entry = self.fresh(key, event_id)
        if entry is not None:
            return entry
        pending = self._building.get(key)
        if pending is not None and pending[0] >= event_id:
            return await asyncio.shield(pending[1])
        future = asyncio.get_running_loop().create_future()
        self._building[key] = (event_id, future)
        try:
            entry = await build(event_id)
            self._saw(story_id, entry.event_id)
            self._put(key, entry)
            future.set_result(entry)
            return entry
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: every waiter re-raises it itself
            raise
        finally:
            if self._building.get(key, (0, None))[1] is future:
                del self._building[key]

    def _put(self, key: tuple, entry: Entry) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= old.size
        self.stats.builds += 1
        if entry.size > self.max_bytes:
            return
        self.entries[key] = entry
        self.size += entry.size
        while self.size > self.max_bytes:
            _, evicted = self.entries.popitem(last=False)
            self.size -= evicted.size
            self.stats.evictions += 1

    # -- the lean path -------------------------------------------------------

    def remember_url(self, url: tuple, key: tuple) -> None:
        self.urls[url] = key
        self.urls.move_to_end(url)
        while len(self.urls) > 4 * max(len(self.entries), 256):
            self.urls.popitem(last=False)

    def lookup(self, url: tuple) -> Entry | None:
        """The entry a handler chose for this URL, if it is still the story's newest."""
        key = self.urls.get(url)
        if key is None:
            return None
        entry = self.entries.get(key)
        if entry is None or self.trusted(entry.story_id) != entry.event_id:
            return None
        self.entries.move_to_end(key)
        self.stats.hits += 1
        return entry
