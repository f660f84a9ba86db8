"""The event streams: replay from the log, then live, with no gap and no duplicate.

`GET /stories/{slug}/events` streams the readers' log to everyone;
`GET /api/stories/{slug}/desk/events` the desk's log to its editors (web/workflow.py
checks who is asking). Both are the same `EventStream` over a topic of the hub.

The reader joins its story's topic *before* the log is read, so anything committed
meanwhile lands in its `pending` list; after the replay, pending frames already sent
are skipped by id. Only then does the reader go live.
"""

from __future__ import annotations

import re

import logging

from anyio import to_thread
from starlette.requests import Request

from . import sse
from .errors import BadEventId, Forbidden, Unauthorized, handle_unexpected, handler_for
from .fanout import DESK, NO_PRESENCE, Frame, Hub, Reader, Topic, TransportReader, make_frame
from .i18n import Message
from .store import LOG_BATCH
from .web.headers import PLAIN

log = logging.getLogger("liveblog.stream")

SERVER_SEND = "liveblog.server_send"
# Who opens a desk stream (its editor's display name), set in the scope by DeskStream.
DESK_EDITOR = "liveblog.desk_editor"

_EVENT_ID = re.compile(r"^\d{1,18}$")
# The streams' paths, as Starlette's routes match them: (pattern, is it the desk's log).
_STREAM_PATHS = (
    (re.compile(r"^/stories/([^/]+)/events$"), False),
    (re.compile(r"^/api/stories/([^/]+)/desk/events$"), True),
)


def requested_last_id(scope) -> int | None:
    """The id from the `Last-Event-ID` header, else `?last_event_id=`; None when neither is given."""
    value = None
    for name, raw in scope["headers"]:
        if name == b"last-event-id":
            value = raw.decode("latin-1").strip()
    if value is None:
        for pair in scope.get("query_string", b"").decode("latin-1").split("&"):
            key, _, raw = pair.partition("=")
            if key == "last_event_id":
                value = raw.strip()
    if not value:
        return None
    if not _EVENT_ID.match(value):
        raise BadEventId(f"Last-Event-ID must be a whole number, not {value[:40]!r}.")
    return int(value)


def asks(scope, flag: str) -> bool:
    """Whether the query string says `flag=1`: `desk` on the readers' stream the desk opens
    (the story's desk, not one of its readers), `presence` on the desk's stream when it wants
    to be told who is on the desk (the desk page's does; API clients get their log alone)."""
    return f"{flag}=1" in scope.get("query_string", b"").decode("latin-1").split("&")


def _uvicorn_transport(scope):
    """The socket's transport when uvicorn's httptools protocol serves this GET, else None.

    The server's own `send` is kept in the scope by `Liveblog.__call__` (app.py), since
    middleware hands endpoints a wrapped one.
    """
    cycle = getattr(scope.get(SERVER_SEND), "__self__", None)
    if scope["method"] == "GET" and type(cycle).__module__ == "uvicorn.protocols.http.httptools_impl":
        return cycle.transport
    return None


def stream_target(scope) -> tuple[str, bool] | None:
    """(the story's slug, is it the desk's log) when this request is a GET or HEAD of a stream."""
    if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
        for pattern, desk in _STREAM_PATHS:
            match = pattern.match(scope["path"])
            if match:
                return match.group(1), desk
    return None


async def serve_directly(endpoint, scope, receive, send, slug: str) -> None:
    """Call the stream `endpoint` (EventStream, or it wrapped) ahead of the app's middleware and router.

    Every reader's coroutine stays parked for as long as its stream is open, and each
    layer it passes through parks a frame and a closure or two: through the whole stack
    that was 3 KiB of the 13 KiB Python allocated per idle reader (tracemalloc, 2,000
    readers). So errors are rendered here, with the one renderer in errors.py; they can
    only come before the response starts (unknown story, bad Last-Event-ID, the database
    not answering).
    """
    scope["path_params"] = {"slug": slug}
    try:
        await endpoint(scope, receive, send)
        return
    except Exception as exc:
        handler = handler_for(exc)
        if handler is handle_unexpected:  # inside the app, the server would log it
            log.exception("could not open the event stream of %r", slug)
        response = await handler(Request(scope), exc)
    response.headers.update({name.decode(): value.decode() for name, value in PLAIN})
    await response(scope, receive, send)


class EventStream:
    """A plain ASGI endpoint: one coroutine per reader, parked until its stream ends.

    Over the readers' log, or with `desk` over the desk's.
    """

    def __init__(self, hub: Hub, desk: bool = False):
        self.hub = hub
        self.desk = desk

    async def __call__(self, scope, receive, send) -> None:
        slug = scope["path_params"]["slug"]
        if scope["method"] == "HEAD":
            await self._head(slug, send)
            return
        reader, replay = await self._open(scope, slug)
        await self._stream(reader, replay, send)

    async def _head(self, slug: str, send) -> None:
        """The headers a GET would get, and no body: HEAD never joins the story's readers."""
        topic = await self.hub.topic(slug, self.desk)
        if topic.status == "closed":
            await send({"type": "http.response.start", "status": 204, "headers": sse.NO_CONTENT_HEADERS})
        else:
            await send({"type": "http.response.start", "status": 200, "headers": sse.HEADERS})
        await send({"type": "http.response.body", "body": b""})

    async def _open(self, scope, slug: str) -> tuple[Reader, list[Frame]]:
        """Join the story's topic, then read what the reader asked to replay."""
        after = requested_last_id(scope)
        topic = await self.hub.topic(slug, self.desk)
        if not self.desk:
            await self._check_syndication(scope, topic)
        reader = self.hub.join(topic, topic.last_id if after is None else after, _uvicorn_transport(scope))
        if self.desk:
            reader.who = scope.get(DESK_EDITOR) or None
            if not asks(scope, "presence"):
                reader.presence = NO_PRESENCE
        elif asks(scope, "desk"):
            reader.who = DESK
        try:
            return reader, [] if after is None else await self._replay(topic, after)
        except BaseException:
            reader.close("gone")
            raise

    async def _check_syndication(self, scope, topic: Topic) -> None:
        """A request with `Authorization: Bearer` is another instance following this story:
        its token must be one issued for this story (readers send none, and are not asked)."""
        header = next((raw for name, raw in scope["headers"] if name == b"authorization"), None)
        if header is None:
            return
        scheme, _, token = header.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer":
            return  # not ours (a proxy's Basic login, say): a reader like any other
        if not token.strip():
            raise Unauthorized(Message("Send the syndication token as 'Authorization: Bearer <token>'."))
        story_id = await to_thread.run_sync(self.hub.store.syndication_token_story, token.strip())
        if story_id is None:
            raise Unauthorized(Message("This syndication token is not one this newsroom issued."))
        if story_id != topic.story_id:
            raise Forbidden(Message("This syndication token is for another story."))

    async def _stream(self, reader: Reader, replay: list[Frame], send) -> None:
        topic, direct = reader.topic, isinstance(reader, TransportReader)
        try:
            if topic.status == "closed" and not replay and not reader.pending:
                reader.close("end")
                await send({"type": "http.response.start", "status": 204, "headers": sse.NO_CONTENT_HEADERS})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": 200, "headers": sse.HEADERS})
            await send({"type": "http.response.body", "body": sse.retry(), "more_body": True})
            ended = await self._send_backlog(reader, replay, send)
            while not ended and reader.pending:
                backlog, reader.pending = reader.pending, []
                ended = await self._send_backlog(reader, backlog, send)
            if ended:
                reason = "end"
                reader.close(reason)
            else:
                reader.live = True
                reason = await (reader.done if direct else reader.drain(send))
            if reason == "end":
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            reader.close("gone")

    async def _replay(self, topic: Topic, after: int) -> list[Frame]:
        frames = topic.recent_after(after)
        if frames is not None:
            return frames
        frames = []
        while True:
            events = await to_thread.run_sync(self.hub.read_log(self.desk), topic.story_id, after)
            frames.extend(make_frame(event) for event in events)
            if len(events) < LOG_BATCH:
                return frames
            after = events[-1].id

    @staticmethod
    async def _send_backlog(reader, frames: list[Frame], send) -> bool:
        """Send frames newer than what the reader has; True when one of them closed the story."""
        body = []
        ended = False
        for frame in frames:
            if frame.id > reader.last_id:
                body.append(frame.raw)
                reader.last_id = frame.id
                if frame.closes:
                    ended = True
                    break
        if body:
            await send({"type": "http.response.body", "body": b"".join(body), "more_body": True})
        return ended
