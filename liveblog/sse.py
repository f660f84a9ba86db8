"""The wire: server-sent events as the WHATWG HTML standard frames them, and the headers
every stream is sent with.

Each event's frame is encoded once, by sse-starlette's `ServerSentEvent`, and the same
bytes go to every reader: as they are through an ASGI `send`, or pre-chunked (`chunked`)
when the hub writes to a socket's transport itself (fanout.TransportReader), which is
what sse-starlette's `EventSourceResponse` would cost a task and a queue per reader to do.
"""

from __future__ import annotations

import random

from sse_starlette.event import ServerSentEvent

from .web.headers import PLAIN

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # nginx: pass each frame on at once
    (b"access-control-allow-origin", b"*"),
    *PLAIN,
]
# A 204 (a closed story with nothing to replay: EventSource stops reconnecting) has no body
# and so no content type.
NO_CONTENT_HEADERS = HEADERS[1:]

KEEPALIVE = b": keep-alive\n\n"

# How long a reader's EventSource waits before it reconnects once its stream drops. Each
# stream is told its own wait within this range, so when a restart drops every stream
# at once the reconnections spread over seconds instead of arriving in one instant.
RETRY_MIN_MS = 1_000
RETRY_MAX_MS = 6_000


def frame(event_id: int, kind: str, data: str) -> bytes:
    """One event's bytes on the wire: `id:`, `event:` and its one line of JSON."""
    return ServerSentEvent(id=str(event_id), event=kind, data=data, sep="\n").encode()


def signal(kind: str, data: str) -> bytes:
    """A frame that is in no log: no `id:`, so the client's last event id stays as it was."""
    return ServerSentEvent(event=kind, data=data, sep="\n").encode()


def retry(rng: random.Random = random._inst) -> bytes:
    """The `retry:` field a stream starts with: a reconnection wait drawn from the range."""
    return ServerSentEvent(retry=rng.randint(RETRY_MIN_MS, RETRY_MAX_MS), sep="\n").encode()


def chunked(raw: bytes) -> bytes:
    """The HTTP/1.1 chunk that carries `raw`, as uvicorn would write it."""
    return b"%x\r\n%s\r\n" % (len(raw), raw)
