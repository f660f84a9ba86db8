"""Limits a bare `liveblog serve` puts on every connection before the application sees it.

uvicorn bounds some of this itself: `timeout_keep_alive` (KEEP_ALIVE_SECONDS, which
`serve` sets explicitly) closes a kept-alive connection idle between requests, and
`h11_max_incomplete_event_size` (16 KiB) bounds a request head, but only under the h11
protocol, which `serve` does not run. It runs uvicorn's httptools protocol (the one
readers' streams are written through directly, see stream.py), and that has neither a
size limit on a request head nor any timeout while one is being received: a 100 MiB
header was accepted, and a socket that never finished its head was kept for good.
`BoundedHttpTools` adds both:

- a head (request line and headers) larger than MAX_HEAD_BYTES gets 431 and the
  connection is closed, before the rest is read;
- a head not complete HEAD_TIMEOUT_SECONDS after its connection opened (or after its
  first byte, for later requests on a kept-alive connection) gets 408 and is closed;
  unless more of it is already waiting unread in the socket: then this process is the
  slow one (2,000 readers reconnecting at once to a busy machine were refused so, and
  came back to be refused again), and the head gets up to as long again.

A proxy in front (deploy/nginx.conf) absorbs both too; these hold without one.
"""

from __future__ import annotations

import asyncio
import fcntl
import struct
import termios

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024  # nginx's large_client_header_buffers allow 4 × 8 KiB; browsers send < 8 KiB
HEAD_TIMEOUT_SECONDS = 10.0
KEEP_ALIVE_SECONDS = 5  # uvicorn's default, set so it is written down

PROTOCOL = "liveblog.server_limits:BoundedHttpTools"  # what `serve` hands uvicorn as `http`


GRACE_STEP_SECONDS = 1.0


def _unread_bytes(transport) -> int:
    """How many bytes the client has sent that this process has not read yet (FIONREAD)."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return 0
    try:
        count = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    except OSError:
        return 0
    return struct.unpack("i", count)[0]


def _answer(status: bytes) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, with each request head bounded in time and size."""

    head_timer: asyncio.TimerHandle | None = None
    in_head = True  # between a request's first byte (or the connection's start) and its last header
    head_bytes = 0
    grace = 0.0  # seconds added to this head's time because its bytes were waiting on us

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._start_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Counted after parsing, so a chunk that finishes the head and starts the body is
        # not held against the head; what httptools parsed so far is kept in self.headers.
        if self.in_head and not self.transport.is_closing():
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD_BYTES:
                self._refuse(b"431 Request Header Fields Too Large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self.in_head:
            self._start_head()

    def on_headers_complete(self) -> None:
        self._end_head()
        super().on_headers_complete()

    def connection_lost(self, exc) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def _start_head(self) -> None:
        self.in_head, self.head_bytes, self.grace = True, 0, 0.0
        self._stop_timer()
        self.head_timer = self.loop.call_later(HEAD_TIMEOUT_SECONDS, self._head_timed_out)

    def _end_head(self) -> None:
        self.in_head = False
        self._stop_timer()

    def _stop_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        """Refuse a head not complete in time, unless more of it is already waiting in the
        socket: then the delay is ours (a loop busy with a reconnection storm), not the
        client's, and it gets a little longer, up to HEAD_TIMEOUT_SECONDS more."""
        self.head_timer = None
        if self.grace < HEAD_TIMEOUT_SECONDS and _unread_bytes(self.transport):
            self.grace += GRACE_STEP_SECONDS
            self.head_timer = self.loop.call_later(GRACE_STEP_SECONDS, self._head_timed_out)
            return
        self._refuse(b"408 Request Timeout")

    def _refuse(self, status: bytes) -> None:
        self._stop_timer()
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:  # no answer of ours under way
            self.transport.write(_answer(status))
        self.transport.close()
