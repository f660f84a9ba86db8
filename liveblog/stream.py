"""`GET /stories/{slug}/events`: replay from the log, then live, with no gap and no duplicate.

The reader joins its story's topic *before* the log is read, so anything committed
meanwhile lands in its `pending` list; after the replay, pending frames already sent
are skipped by id. Only then does the reader go live.
"""

from __future__ import annotations

import re

from anyio import to_thread

from .errors import LiveblogError
from .fanout import Frame, Hub, Topic, make_frame

SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
    (b"access-control-allow-origin", b"*"),
]

SERVER_SEND = "liveblog.server_send"

_EVENT_ID = re.compile(r"^\d{1,18}$")


class BadEventId(LiveblogError):
    status_code = 400


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


def _uvicorn_transport(scope):
    """The socket's transport when uvicorn's httptools protocol serves this GET, else None.

    The server's own `send` is kept in the scope by `Liveblog.__call__` (app.py), since
    middleware hands endpoints a wrapped one.
    """
    cycle = getattr(scope.get(SERVER_SEND), "__self__", None)
    if scope["method"] == "GET" and type(cycle).__module__ == "uvicorn.protocols.http.httptools_impl":
        return cycle.transport
    return None


class EventStream:
    """A plain ASGI endpoint: one coroutine per reader, parked until its stream ends."""

    def __init__(self, hub: Hub):
        self.hub = hub

    async def __call__(self, scope, receive, send) -> None:
        after = requested_last_id(scope)
        topic = await self.hub.topic(scope["path_params"]["slug"])
        transport = _uvicorn_transport(scope)
        reader = self.hub.join(topic, topic.last_id if after is None else after, transport)
        try:
            replay = [] if after is None else await self._replay(topic, after)
            if topic.status == "closed" and not replay and not reader.pending:
                reader.close("end")
                await send({"type": "http.response.start", "status": 204, "headers": SSE_HEADERS[1:]})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
            ended = await self._send_backlog(reader, replay, send)
            while not ended and reader.pending:
                backlog, reader.pending = reader.pending, []
                ended = await self._send_backlog(reader, backlog, send)
            if ended:
                reason = "end"
                reader.close(reason)
            else:
                reader.live = True
                reason = await (reader.done if transport else reader.drain(send))
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
            events = await to_thread.run_sync(self.hub.store.events_after, topic.story_id, after)
            frames.extend(make_frame(event) for event in events)
            if len(events) < 1000:
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
