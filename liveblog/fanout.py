"""The fan-out hub: one per process.

For each story with readers here it keeps a `Topic`. When told that a story has new
events (by the broadcast backend, or by this process's own writes) the topic reads them
from the log once, encodes each into its SSE frame once, and writes those bytes to every
reader. A reader whose unsent bytes pass `MAX_UNSENT` is dropped; it reconnects and
replays. A recent window of frames is kept per topic, so that most reconnections replay
from memory without a query.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from anyio import to_thread

from . import sse
from .broadcast import RESYNC, Backend, Notice
from .events import PRESENCE, STORY, DeskPresence, encode
from .models import Story
from .store import LOG_BATCH, Audience, LoggedEvent, Store

log = logging.getLogger("liveblog.fanout")

MAX_UNSENT = 256 * 1024  # bytes a reader may leave unread (past the kernel's buffer) before it is dropped
# A live reader's socket gets a fixed send buffer: Linux otherwise grows it up to 4 MB
# (tcp_wmem), all of which a stalled reader fills before the transport holds a byte, so
# it took ~4 MB of kernel memory per stalled reader to notice one. The kernel doubles
# this for its bookkeeping: 128 KiB, ample for events of a few KiB.
SEND_BUFFER = 64 * 1024
RECENT_FRAMES = 512  # frames kept per topic for replay from memory
TICK_SECONDS = 5.0  # each tick re-reads the log, a safety net should a notice be lost
# A topic that has sent nothing for this long gets a keep-alive comment at the next tick.
# Ticks are 5 s apart, so a reader waits at most 7.5 + 5 = 12.5 s for a byte (the spec
# asks for one at least every 15 s), and an idle topic gets one every 10 s.
KEEPALIVE_IDLE = 7.5
FORGET_TICKS = 6  # a topic with no readers for this many ticks (30 s) is let go

class Frame(NamedTuple):
    id: int
    raw: bytes  # the SSE frame
    chunk: bytes  # the same, as one HTTP chunk
    closes: bool  # a `story` event that closes the story: the last of its stream
    status: str | None  # the story's status, for `story` events


def make_frame(event: LoggedEvent) -> Frame:
    raw = sse.frame(event.id, event.kind, event.data)
    status = ("closed" if event.closes else "live") if event.kind == STORY else None
    return Frame(event.id, raw, sse.chunked(raw), event.closes, status)


KEEPALIVE_FRAME = Frame(0, sse.KEEPALIVE, sse.chunked(sse.KEEPALIVE), False, None)

DESK = "\x00desk"  # Reader.who of a desk following the readers' log: not one of the story's readers
NO_PRESENCE = b""  # Reader.presence of a desk stream that did not ask to be told who is on the desk


def presence_frame(editors: tuple[str, ...]) -> Frame:
    """Who is on a story's desk: a frame with no id (it is not in any log, nothing replays it)."""
    raw = sse.signal(PRESENCE, encode(DeskPresence(list(editors))))
    return Frame(0, raw, sse.chunked(raw), False, None)


class Reader:
    """One open stream. `done` resolves with why it ended: "end", "gone" or "lagging"."""

    __slots__ = ("last_id", "live", "pending", "done", "topic", "who", "presence")

    def __init__(self, topic: "Topic", last_id: int):
        self.topic = topic
        self.last_id = last_id
        # On a desk's topic, the editor's display name; on a readers' topic, DESK when a
        # desk follows the story (not one of its readers); else None.
        self.who: str | None = None
        self.presence: bytes | None = None  # the presence frame last sent to this desk (or NO_PRESENCE)
        self.live = False
        self.pending: list[Frame] = []
        self.done: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def deliver(self, frame: Frame) -> None:
        raise NotImplementedError

    def gone(self) -> bool:
        """Whether its connection is known to be closed (else it is found out at the next write)."""
        return False

    def close(self, reason: str) -> None:
        self.topic.readers.discard(self)
        if not self.done.done():
            self.done.set_result(reason)
            self.topic.hub.stats[reason] = self.topic.hub.stats.get(reason, 0) + 1


class TransportReader(Reader):
    """Writes pre-chunked frames straight to uvicorn's transport: no task, queue or copy per reader.

    This is the hot path: `await send()` would park on a paused writer, and a task per
    reader costs a wake-up per event. Instead the unsent size is checked before each write.
    """

    __slots__ = ("transport",)

    def __init__(self, topic: "Topic", last_id: int, transport: asyncio.WriteTransport):
        super().__init__(topic, last_id)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)

    def deliver(self, frame: Frame) -> None:
        transport = self.transport
        if transport.is_closing():
            self.close("gone")
        elif transport.get_write_buffer_size() > MAX_UNSENT:
            self.close("lagging")
            self.reset()
        else:
            transport.write(frame.chunk)
            if frame.id:
                self.last_id = frame.id

    def gone(self) -> bool:
        return self.transport.is_closing()

    def reset(self) -> None:
        """Close with a reset, dropping what the kernel still holds for this reader.

        A plain close leaves the socket to the kernel, still trying to send its unsent
        data to a reader that reads nothing: that memory stays taken, and the reader
        never learns it was dropped, so it does not reconnect and replay.
        """
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()


class QueuedReader(Reader):
    """For ASGI servers other than uvicorn's httptools: a bounded buffer drained by the request."""

    __slots__ = ("buffer", "size", "wake")

    def __init__(self, topic: "Topic", last_id: int):
        super().__init__(topic, last_id)
        self.buffer: list[bytes] = []
        self.size = 0
        self.wake = asyncio.Event()

    def deliver(self, frame: Frame) -> None:
        self.size += len(frame.raw)
        if self.size > MAX_UNSENT:
            self.close("lagging")
            return
        self.buffer.append(frame.raw)
        if frame.id:
            self.last_id = frame.id
        self.wake.set()

    def close(self, reason: str) -> None:
        super().close(reason)
        self.wake.set()

    async def drain(self, send: Callable[[dict], Awaitable[None]]) -> str:
        while not self.done.done():
            await self.wake.wait()
            self.wake.clear()
            if self.buffer:
                body = b"".join(self.buffer)
                self.buffer.clear()
                self.size = 0
                await send({"type": "http.response.body", "body": body, "more_body": True})
        return self.done.result()


@dataclass(eq=False)
class Topic:
    """One story's readers in this process, and what they have been sent.

    A story has up to two: its readers' log, and (`desk`) the desk's log of drafts and
    scheduled updates, which only the desk's editors follow.
    """

    hub: "Hub"
    story_id: int
    slug: str
    status: str
    last_id: int  # the newest event delivered here
    desk: bool = False
    readers: set[Reader] = field(default_factory=set)
    recent: deque[Frame] = field(default_factory=lambda: deque(maxlen=RECENT_FRAMES))
    floor: int = 0  # `recent` holds every frame of this story with floor < id <= last_id
    fetching: bool = False
    again: bool = False
    idle_ticks: int = 0
    sent_at: float = 0.0  # when every live reader was last written to (time.monotonic)

    def __post_init__(self) -> None:
        self.floor = self.last_id

    def remember(self, frames: list[Frame]) -> None:
        """Start the window with the story's newest frames from the log (oldest first).

        Readers resuming from a page rendered a while ago then replay from memory. With
        the window empty, each reader of a freshly opened topic cost a log query in a
        worker thread: 1,610 µs of server CPU per connecting reader in the bench
        (N=1,000), 280 µs with the window filled and the middleware skipped (stream.py).
        """
        self.recent.extend(frames)
        for frame in frames:
            self.last_id = frame.id
            self.status = frame.status or self.status
        if frames:
            # Fewer frames than the window holds: that is the whole story.
            self.floor = frames[0].id - 1 if len(frames) == self.recent.maxlen else 0

    def recent_after(self, after: int) -> list[Frame] | None:
        """The frames after `after` from memory, or None when memory does not reach back so far."""
        if after < self.floor:
            return None
        # From the newest back: a reader is rarely more than a few frames behind, and a
        # scan of a full window cost 42 µs per connecting reader, this 0.3 µs (timeit).
        frames = []
        for frame in reversed(self.recent):
            if frame.id <= after:
                break
            frames.append(frame)
        frames.reverse()
        return frames

    def push(self, frame: Frame) -> None:
        if len(self.recent) == self.recent.maxlen:
            self.floor = self.recent[0].id
        self.recent.append(frame)
        self.last_id = frame.id
        self.sent_at = time.monotonic()
        if frame.status:
            self.status = frame.status
        for reader in tuple(self.readers):
            if not reader.live:
                reader.pending.append(frame)
            elif frame.id > reader.last_id:
                reader.deliver(frame)
                if frame.closes:
                    reader.close("end")

    def keepalive(self, now: float) -> None:
        """A comment to every live reader, unless an event reached them all lately.

        A keep-alive costs the same write per reader as an event: they were 6 % of the
        server's samples while the bench posted 1 event/s to 18,000 readers (py-spy),
        and are none now.
        """
        if now - self.sent_at < KEEPALIVE_IDLE:
            return
        self.sent_at = now
        for reader in tuple(self.readers):
            if reader.live:
                reader.deliver(KEEPALIVE_FRAME)


class Hub:
    def __init__(self, store: Store, backend: Backend):
        self.store = store
        self.backend = backend
        self.topics: dict[int, Topic] = {}  # the readers' topics, by story id
        self.desk_topics: dict[int, Topic] = {}  # the desk's, by story id
        self.by_slug: dict[tuple[str, bool], Topic] = {}  # (slug, desk) → topic
        self._opening: dict[tuple[str, bool], asyncio.Future[Topic]] = {}
        self._tasks: set[asyncio.Task] = set()
        self.stats: dict[str, int] = {}
        self.delivered = 0
        # Told of every notice, RESYNC included, whether or not the story has readers
        # here: the page cache keeps each story's newest event id with it (pagecache.py).
        self.watchers: list[Callable[[Notice], None]] = []
        # This process, as its audience beat names it (audience.py), and each story's
        # audience summed over every process at the last beat.
        self.process = f"{socket.gethostname()[:20]}-{os.getpid()}-{secrets.token_hex(4)}"
        self.audience: dict[int, Audience] = {}

    # -- life cycle ----------------------------------------------------------

    async def start(self) -> None:
        await self.backend.connect()
        self._spawn(self._listen())
        self._spawn(self._tick())

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.end_all()
        await self.backend.disconnect()

    def end_all(self) -> None:
        """End every stream cleanly (shutting down): readers reconnect and replay."""
        for topic in self._all_topics():
            for reader in tuple(topic.readers):
                reader.close("end")

    def _all_topics(self) -> tuple[Topic, ...]:
        return (*self.topics.values(), *self.desk_topics.values())

    def _topics_of(self, desk: bool) -> dict[int, Topic]:
        return self.desk_topics if desk else self.topics

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _listen(self) -> None:
        while True:
            try:
                async for notice in self.backend.notices():
                    if notice == RESYNC:
                        self.resync()
                    else:
                        self.notice(notice)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("broadcast listener failed; retrying")
                await asyncio.sleep(1)
                self.resync()

    async def _tick(self) -> None:
        """One shared timer: keep-alives for every reader, idle topics let go, a log re-read."""
        while True:
            await asyncio.sleep(TICK_SECONDS)
            now = time.monotonic()
            for topic in self._all_topics():
                topic.keepalive(now)
                topic.idle_ticks = 0 if topic.readers else topic.idle_ticks + 1
                if topic.idle_ticks > FORGET_TICKS:
                    self._forget(topic)
            await self._resync_from_log()

    def _forget(self, topic: Topic) -> None:
        self._topics_of(topic.desk).pop(topic.story_id, None)
        self.by_slug.pop((topic.slug, topic.desk), None)

    # -- notices -------------------------------------------------------------

    async def announce(self, story_id: int, event_id: int | None) -> None:
        """After a commit: this process's readers at once, then every other process.

        Called by the newsroom only (newsroom.py), after the write that appended `event_id`.
        """
        if event_id is not None:
            await self._announce(Notice(story_id, event_id))

    async def announce_desk(self, story_id: int, desk_event_id: int | None) -> None:
        """The same for the desk's log: this process's desks, then every other process's."""
        if desk_event_id is not None:
            await self._announce(Notice(story_id, desk_event_id, desk=True))

    async def _announce(self, notice: Notice) -> None:
        self.notice(notice)
        try:
            await self.backend.publish(notice)
        except Exception:
            # Stored is stored: the other processes catch up from the log when it is back.
            log.warning("broadcast publish failed for %s; other processes will catch up", notice, exc_info=True)

    def notice(self, notice: Notice) -> None:
        for watch in self.watchers:
            watch(notice)
        topic = self._topics_of(notice.desk).get(notice.story_id)
        if topic is not None and notice.event_id > topic.last_id:
            self._fetch(topic)

    def resync(self) -> None:
        for watch in self.watchers:
            watch(RESYNC)
        for topic in self._all_topics():
            self._fetch(topic)

    async def _resync_from_log(self) -> None:
        for desk in (False, True):
            topics = self._topics_of(desk)
            if not topics:
                continue
            try:
                newest = await to_thread.run_sync(self.store.last_event_ids, list(topics), desk)
            except Exception:
                log.warning("could not read the log to resync", exc_info=True)
                return
            for story_id, event_id in newest.items():
                self.notice(Notice(story_id, event_id, desk))

    def _fetch(self, topic: Topic) -> None:
        if topic.fetching:
            topic.again = True
        else:
            topic.fetching = True
            self._spawn(self._fetch_loop(topic))

    async def _fetch_loop(self, topic: Topic) -> None:
        """Read the topic's new events from the log and push them, until none are left."""
        try:
            while True:
                topic.again = False
                events = await to_thread.run_sync(self.read_log(topic.desk), topic.story_id, topic.last_id)
                for event in events:
                    frame = make_frame(event)
                    readers = len(topic.readers)
                    topic.push(frame)
                    self.delivered += readers
                if not topic.again and len(events) < LOG_BATCH:
                    return
        except Exception:
            log.warning("could not read new events of story %s; will retry", topic.story_id, exc_info=True)
        finally:
            topic.fetching = False

    # -- readers -------------------------------------------------------------

    def read_log(self, desk: bool) -> Callable[[int, int], list[LoggedEvent]]:
        """The store's read of a story's log after an id: the readers' log, or the desk's."""
        return self.store.desk_events_after if desk else self.store.events_after

    def _read_topic(self, slug: str, desk: bool) -> tuple[Story, list[LoggedEvent]]:
        story = self.store.get_story(slug)
        return story, self.store.latest_events(story.id, RECENT_FRAMES, desk)

    async def topic(self, slug: str, desk: bool = False) -> Topic:
        """The topic for a story's log, opened once however many readers arrive at the same time."""
        key = (slug, desk)
        topic = self.by_slug.get(key)
        if topic is not None:
            return topic
        opening = self._opening.get(key)
        if opening is None:
            opening = asyncio.get_running_loop().create_future()
            self._opening[key] = opening
            try:
                story, latest = await to_thread.run_sync(self._read_topic, slug, desk)
                topics = self._topics_of(desk)
                topic = topics.get(story.id)
                if topic is None:
                    # The desk's log never closes: its streams stay open on a closed story.
                    topic = Topic(self, story.id, story.slug, "live" if desk else story.status, 0, desk=desk)
                    topic.remember([make_frame(event) for event in latest])
                topics[story.id] = self.by_slug[key] = topic
                # Anything committed after that read was announced before this topic
                # existed: read once more rather than wait for the tick.
                self._fetch(topic)
                opening.set_result(topic)
            except BaseException as exc:
                opening.set_exception(exc)
                opening.exception()  # mark retrieved: waiters re-raise it themselves
                raise
            finally:
                del self._opening[key]
            return topic
        return await asyncio.shield(opening)

    def join(self, topic: Topic, last_id: int, transport: asyncio.WriteTransport | None) -> Reader:
        """A new reader, collecting live frames in `pending` until `Reader.live` is set."""
        reader = TransportReader(topic, last_id, transport) if transport else QueuedReader(topic, last_id)
        topic.readers.add(reader)
        topic.idle_ticks = 0
        return reader

    @property
    def readers(self) -> int:
        return sum(len(t.readers) for t in self.topics.values())

    @property
    def desk_readers(self) -> int:
        return sum(len(t.readers) for t in self.desk_topics.values())

    def story_readers(self, story_id: int) -> int:
        """The story's readers in this process (its page and embed: not the desks following it)."""
        topic = self.topics.get(story_id)
        return sum(1 for r in topic.readers if r.who is None) if topic else 0

    # -- the audience (audience.py) --------------------------------------------

    def open_here(self) -> dict[int, tuple[int, list[str]]]:
        """Each story open in this process: (its readers, the names on its desk).

        Readers whose connection is known closed are let go first, so that a desk closed
        a moment ago is not counted until the next write would find it out.
        """
        found: dict[int, tuple[int, list[str]]] = {}
        for topic in self._all_topics():
            for reader in tuple(topic.readers):
                if reader.gone():
                    reader.close("gone")
        for story_id in self.topics:
            found[story_id] = (self.story_readers(story_id), [])
        for story_id, topic in self.desk_topics.items():
            names = sorted({r.who for r in topic.readers if r.who})
            found[story_id] = (found.get(story_id, (0, []))[0], names)
        return found

    def audience_by_slug(self) -> list[tuple[str, int]]:
        """(slug, readers over every process) of the stories open here, at the last beat."""
        slugs = {t.story_id: t.slug for t in self._all_topics()}
        return sorted((slugs[story_id], now.readers) for story_id, now in self.audience.items() if story_id in slugs)

    def story_editors(self, story_id: int) -> set[str]:
        """The names on the story's desk in this process (its desk streams open here)."""
        topic = self.desk_topics.get(story_id)
        return {r.who for r in topic.readers if r.who and not r.gone()} if topic else set()

    def present(self, story_id: int, editors: tuple[str, ...]) -> None:
        """Tell this process's desks of the story who is on its desk, when it changed for them."""
        topic = self.desk_topics.get(story_id)
        if topic is None:
            return
        frame = presence_frame(editors)
        for reader in tuple(topic.readers):
            if reader.live and reader.presence not in (NO_PRESENCE, frame.raw):
                reader.presence = frame.raw
                reader.deliver(frame)
