"""Streams held at the edge: GRIP, the contract of Pushpin and Fastly Fanout.

With `LIVEBLOG_GRIP_URL` set, a request for `GET /stories/{slug}/events` that comes
through the engine (it carries a `Grip-Sig` signed with the engine's key) is answered
like any stream's start — the `retry:` field, then whatever `Last-Event-ID` asks to
replay — and then handed to the engine, which holds the connection:

    Grip-Hold: stream
    Grip-Channel: story-42; prev-id=117         the story's channel, and the last event sent
    Grip-Link: </stories/s/events>; rel=next;   where the engine asks for what it missed,
               timeout=2                        and, on a first hold, asks once more soon
    Grip-Keep-Alive: : keep-alive\\n\\n; …       the same comment the hub sends when idle

Every event is published to each engine by the process that committed it, with its id
and `prev-id`, the id of the story's event before it (with any of the story's recent
events that process has not heard announced yet; the engine drops repeats by id): one story's events commit
in id order (`store._locked_story` locks the story row before anything is appended), so
"the story's event before N" is the same answer in every process, on every database,
once N is committed. The engine writes an item to a held connection only when its
`prev-id` is what that connection last got; otherwise it asks the recovery link, with
`Grip-Last: story-42; last-id=117`, and this module answers from the log. Items that
arrive out of order wait in Pushpin for the one they follow (`message_wait`), items
that arrive twice are dropped by their id (`id_cache_ttl`).

A first hold can be answered just before the story's next event commits and reach
the engine after that event's publish: Pushpin then has nothing to compare the hold's
`prev-id` with (it keeps a channel's last id only while someone holds the channel,
and its own update of the channel's readers, a second after the first of them, may
have come before this hold), and the reader would wait for the story's next event,
or for the link's timeout, 120 s by default. So a first hold's link has a short timeout: the engine asks it again once
after RECHECK_SECONDS without a write, by which time it holds the channel, and the
answer, read from the log, brings anything the hold missed. A recovery's answer keeps
the default timeout: while it was on its way the connection held the channel, and
the engine queued what came.

A closing event is followed by a `close` item, so the engine ends its streams exactly
where the direct stream ends; that item's id is the closing event's id with `-end`, and
the event after it (the story reopened) follows that id.

Requests without a valid signature are streamed directly, as without the engine.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

import httpx
import jwt
from anyio import to_thread

from . import sse
from .broadcast import RESYNC, Backend, Notice
from .fanout import Frame, Hub, Topic, make_frame
from .store import LOG_BATCH, LoggedEvent, Store
from .stream import BadEventId, requested_last_id

log = logging.getLogger("liveblog.grip")

# The engine sends this comment after this many seconds without a byte, as the hub's
# timer does for readers it holds itself (7.5 s idle, checked every 5 s).
KEEPALIVE_SECONDS = 10
# A commit's events are published by the process that made it, with every event of the
# story after the newest it has heard announced (by any process): another process's
# notice may still be on its way. The engine drops what it already had by id (Pushpin
# keeps ids `id_cache_ttl`, 60 s), so nothing older than RECENT is sent again, and a story
# this process has not heard of yet gets its events of the last RECENT seconds.
RECENT = timedelta(seconds=20)
# A first hold's link is asked again after this many seconds without a write (see above).
RECHECK_SECONDS = 2
PUBLISH_WINDOW = 32  # the most events read per story and publish (a commit appends one or two)
PUBLISH_ATTEMPTS = 4  # then the engine is given up on: its connections recover by themselves
CLOSE_SUFFIX = "-end"


class GripError(ValueError):
    """LIVEBLOG_GRIP_URL is malformed."""


@dataclass(frozen=True)
class GripConfig:
    """Where the engine takes publishes, and how its requests are recognised.

    `LIVEBLOG_GRIP_URL` follows the convention of the GRIP client libraries:
    `http://127.0.0.1:5561/?key=…` for Pushpin (its `sig_key`), or
    `https://api.fastly.com/service/ID?key=API-TOKEN&verify-iss=fastly:ID&verify-key=base64:PEM`
    for Fanout. `key` is sent as the publish's bearer token and, unless `verify-key` is
    given, is also the HS256 secret that `Grip-Sig` is checked with; `verify-key` is a
    public key (ES256), `verify-iss` the issuer the signature must name.
    """

    publish_url: str
    key: str = ""
    verify_key: str | bytes = ""
    verify_iss: str = ""

    @classmethod
    def from_url(cls, url: str) -> "GripConfig":
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise GripError(f"{url!r} must be the engine's http:// or https:// publish URL")
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        key = _decoded(query.get("key", ""))
        verify_key = _decoded(query.get("verify-key", "")) or key
        if not verify_key:
            raise GripError(f"{url!r} names no key (?key=…) to check the engine's signature with")
        base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        return cls(base + "/publish/", key if isinstance(key, str) else key.decode(), verify_key,
                   query.get("verify-iss", ""))

    @property
    def algorithm(self) -> str:
        public = isinstance(self.verify_key, bytes) and b"PUBLIC KEY" in self.verify_key
        return "ES256" if public else "HS256"

    def signed(self, scope) -> bool:
        """Did this request come through the engine (a valid, unexpired `Grip-Sig`)?"""
        token = None
        for name, value in scope["headers"]:
            if name == b"grip-sig":
                token = value.decode("latin-1")
        if token is None:
            return False
        try:
            claims = jwt.decode(token, self.verify_key, algorithms=[self.algorithm], options={"require": ["exp"]})
        except jwt.PyJWTError:
            return False
        return not self.verify_iss or claims.get("iss") == self.verify_iss


def engines(setting: str) -> tuple[GripConfig, ...]:
    """Every engine LIVEBLOG_GRIP_URL names (comma-separated): each gets every publish, and
    a request signed by any of them is held. Several Pushpin nodes are listed so."""
    found = tuple(GripConfig.from_url(url.strip()) for url in setting.split(",") if url.strip())
    if not found:
        raise GripError(f"{setting!r} names no engine")
    return found


def _decoded(value: str) -> str | bytes:
    """`base64:…` values are bytes (a binary secret, a PEM key); others are taken as written."""
    if value.startswith("base64:"):
        try:
            return base64.b64decode(value[7:], validate=True)
        except ValueError:
            raise GripError(f"{value[:20]}…: not valid base64") from None
    return value


def channel(story_id: int) -> str:
    return f"story-{story_id}"


def link_id(event: LoggedEvent | Frame | None) -> str:
    """The id the engine knows `event` by in the story's chain ("0": before the story's first)."""
    if event is None:
        return "0"
    return f"{event.id}{CLOSE_SUFFIX}" if event.closes else str(event.id)


def grip_last(scope, name: str) -> int | None:
    """The last event id the engine sent on channel `name` (`Grip-Last`), when it is recovering."""
    for header, raw in scope["headers"]:
        if header != b"grip-last":
            continue
        for part in raw.decode("latin-1").split(","):
            params = [p.strip() for p in part.split(";")]
            if params[0] != name:
                continue
            for param in params[1:]:
                key, _, value = param.partition("=")
                if key == "last-id":
                    number = value.removesuffix(CLOSE_SUFFIX)
                    if not number.isdigit():
                        raise BadEventId(f"Grip-Last must name an event id, not {value[:40]!r}.")
                    return int(number)
    return None


# -- answering the engine's requests ----------------------------------------


class GripStream:
    """Wraps the stream endpoint: requests from the engine get a hold, all others the direct stream."""

    def __init__(self, direct, hub: Hub, engines: tuple[GripConfig, ...]):
        self.direct = direct
        self.hub = hub
        self.engines = engines

    async def __call__(self, scope, receive, send) -> None:
        if scope["method"] != "GET" or not any(engine.signed(scope) for engine in self.engines):
            await self.direct(scope, receive, send)
            return
        slug = scope["path_params"]["slug"]
        topic = await self.hub.topic(slug)
        recovering = grip_last(scope, channel(topic.story_id))
        after = recovering if recovering is not None else requested_last_id(scope)
        frames, last = await self._replay(topic, after, exact=recovering is not None)
        for end, frame in enumerate(frames):
            if frame.closes:
                await self._answer(send, 200, sse.HEADERS, frames[: end + 1], recovering is None)
                return
        if not frames and last is not None and last.closes:
            # Closed with nothing left to replay (`last` is the closing event): 204, as direct.
            await self._answer(send, 204, sse.NO_CONTENT_HEADERS, [], False)
            return
        asked = "grip_recovery" if recovering is not None else "grip_hold"
        self.hub.stats[asked] = self.hub.stats.get(asked, 0) + 1
        link = f"<{quote(scope['path'])}>; rel=next" + ("" if recovering is not None else f"; timeout={RECHECK_SECONDS}")
        hold = [
            (b"grip-hold", b"stream"),
            (b"grip-channel", f"{channel(topic.story_id)}; prev-id={link_id(frames[-1] if frames else last)}".encode()),
            (b"grip-link", link.encode()),
            (b"grip-keep-alive", b": keep-alive\\n\\n; format=cstring; timeout=%d" % KEEPALIVE_SECONDS),
        ]
        await self._answer(send, 200, sse.HEADERS + hold, frames, recovering is None)

    @staticmethod
    async def _answer(send, status: int, headers, frames: list[Frame], first: bool) -> None:
        # A recovery's body is appended to a stream the reader already has: no second `retry:`.
        body = (sse.retry() if first and status == 200 else b"") + b"".join(frame.raw for frame in frames)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _replay(self, topic: Topic, after: int | None, exact: bool) -> tuple[list[Frame], Frame | LoggedEvent | None]:
        """The frames after `after`, and the story's newest event at or before where they end.

        For a reader's first request the topic's window will do: should the log be ahead of
        it, the engine asks the recovery link, at once when it sees that the channel's last
        published id differs from our prev-id, or at its RECHECK_SECONDS look. That one
        must be exact, so it reads the log.
        """
        if not exact and topic.recent:
            if after is None:
                return [], topic.recent[-1]
            frames = topic.recent_after(after) if after <= topic.last_id else None
            if frames is not None:  # none only when `after` is the window's newest
                return frames, frames[-1] if frames else topic.recent[-1]
        return await to_thread.run_sync(self._read_log, topic.story_id, after)

    def _read_log(self, story_id: int, after: int | None) -> tuple[list[Frame], LoggedEvent | None]:
        store: Store = self.hub.store
        while True:
            if after is not None:
                frames: list[Frame] = []
                cursor = after
                while True:
                    events = store.events_after(story_id, cursor, LOG_BATCH)
                    frames.extend(make_frame(event) for event in events)
                    if len(events) < LOG_BATCH:
                        break
                    cursor = events[-1].id
                if frames:
                    return frames, frames[-1]
            newest = store.latest_events(story_id, 1)
            last = newest[-1] if newest else None
            if after is None or last is None or last.id <= after:
                return [], last
            # Committed between the two reads: read what follows `after` again.


# -- publishing to the engine -------------------------------------------------


def items_for(story_id: int, events: list[LoggedEvent], before: LoggedEvent | None) -> list[dict]:
    """The engine's items for `events` (consecutive events of one story, oldest first),
    chained to `before`, the story's event before the first of them."""
    items = []
    for event in events:
        frame = make_frame(event)
        items.append({
            "channel": channel(story_id),
            "id": str(event.id),
            "prev-id": link_id(before),
            "formats": {"http-stream": {"content": frame.raw.decode()}},
        })
        if event.closes:
            items.append({
                "channel": channel(story_id),
                "id": link_id(event),
                "prev-id": str(event.id),
                "formats": {"http-stream": {"action": "close"}},
            })
        before = event
    return items


class GripPublisher:
    """One per process: publishes the events this process committed, in commit order, once."""

    def __init__(self, store: Store, engines: tuple[GripConfig, ...]):
        self.store = store
        self.engines = engines
        self.known: dict[int, int] = {}  # story → newest event id known to be announced (by any process)
        self.jobs: asyncio.Queue[tuple[int, int, int]] = asyncio.Queue()  # story, after, up to
        self._task: asyncio.Task | None = None
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=10)
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._client:
            await self._client.aclose()

    def heard(self, notice: Notice) -> None:
        """A notice from any process: events up to its id are published by whoever made them."""
        if notice.event_id > self.known.get(notice.story_id, 0):
            self.known[notice.story_id] = notice.event_id

    def committed(self, notice: Notice) -> None:
        """This process committed events of a story up to `notice.event_id`: publish them."""
        self.jobs.put_nowait((notice.story_id, self.known.get(notice.story_id, 0), notice.event_id))
        self.heard(notice)

    async def _run(self) -> None:
        while True:
            jobs = [await self.jobs.get()]
            while not self.jobs.empty():
                jobs.append(self.jobs.get_nowait())
            spans: dict[int, tuple[int, int]] = {}
            for story_id, after, upto in jobs:
                low, high = spans.get(story_id, (after, upto))
                spans[story_id] = (min(low, after), max(high, upto))
            try:
                items = await to_thread.run_sync(self._items, spans)
            except Exception:
                log.warning("could not read the log to publish %s; the engine will recover", spans, exc_info=True)
                continue
            if items:
                body = json.dumps({"items": items}, separators=(",", ":"))
                await asyncio.gather(*(self._publish(engine, body, len(items)) for engine in self.engines))

    def _items(self, spans: dict[int, tuple[int, int]]) -> list[dict]:
        since = datetime.now(timezone.utc) - RECENT
        items = []
        for story_id, (after, upto) in spans.items():
            rows = self.store.events_upto(story_id, upto, PUBLISH_WINDOW)
            # What to publish: newer than `after` and written lately (never an old event
            # again, which the engine would no longer know by its id); and the event
            # before them, the first row unless the rows reach back to the story's first.
            start = len(rows)
            while start > 0 and rows[start - 1][0].id > after and rows[start - 1][1] >= since:
                start -= 1
            if start == 0 and len(rows) == PUBLISH_WINDOW:
                start = 1  # the oldest row read is only what the rest follow
            before = rows[start - 1][0] if start else None
            items += items_for(story_id, [event for event, _ in rows[start:]], before)
        return items

    async def _publish(self, engine: GripConfig, body: str, count: int) -> None:
        headers = {"Content-Type": "application/json"}
        if engine.key:
            headers["Authorization"] = f"Bearer {engine.key}"
        for attempt in range(PUBLISH_ATTEMPTS):
            try:
                response = await self._client.post(engine.publish_url, content=body, headers=headers)
                if response.status_code < 300:
                    return
                log.warning("%s refused a publish (%s): %s", engine.publish_url, response.status_code, response.text[:200])
            except httpx.HTTPError as exc:
                log.warning("could not publish to %s (%s)", engine.publish_url, exc)
            await asyncio.sleep(0.2 * 2**attempt)
        # Stored is stored: held connections get these events through the recovery link
        # when the story's next event arrives, and readers that reconnect replay them.
        log.warning("gave up publishing %d items to %s", count, engine.publish_url)


class GripRelay(Backend):
    """The broadcast backend, with a publish to the engine after each of this process's commits.

    `hub.announce` hands every commit's notice to the backend once, so this is where
    the engine hears of it; every other process's notices pass through on their way to
    the hub, and tell the publisher what the others have published.
    """

    def __init__(self, inner: Backend, publisher: GripPublisher):
        super().__init__(inner.url)
        self.inner = inner
        self.publisher = publisher

    @property
    def connected(self) -> bool:
        return self.inner.connected

    @connected.setter
    def connected(self, value: bool) -> None:  # set by Backend.__init__; the inner backend's counts
        pass

    @property
    def reconnects(self) -> int:
        return self.inner.reconnects

    @reconnects.setter
    def reconnects(self, value: int) -> None:
        pass

    async def connect(self) -> None:
        await self.inner.connect()
        self.publisher.start()

    async def disconnect(self) -> None:
        await self.publisher.stop()
        await self.inner.disconnect()

    async def publish(self, notice: Notice) -> None:
        if not notice.desk:  # the desk's log stays with the desk's own streams
            self.publisher.committed(notice)
        await self.inner.publish(notice)

    async def notices(self):
        async for notice in self.inner.notices():
            if notice != RESYNC and not notice.desk:
                self.publisher.heard(notice)
            yield notice
