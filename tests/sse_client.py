"""A real SSE client for the tests: frames parsed as the WHATWG standard says, on a thread of its own."""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from dataclasses import dataclass

import httpx


@dataclass
class SSEEvent:
    id: str | None
    event: str
    data: str

    @property
    def json(self):
        return json.loads(self.data)


class SSEReader:
    """A real SSE client on its own thread, parsing frames as the WHATWG standard says.

    `wait(n)` blocks until n events have arrived (or the timeout passes): tests wait on
    events, never on the clock.
    """

    def __init__(self, url: str, last_event_id: str | None = None, query: bool = False, headers: dict | None = None):
        self.url = url
        self.headers = {"Accept": "text/event-stream", **(headers or {})}
        if last_event_id is not None:
            if query:
                self.url += ("&" if "?" in url else "?") + f"last_event_id={last_event_id}"
            else:
                self.headers["Last-Event-ID"] = str(last_event_id)
        self.events: list[SSEEvent] = []
        self.comments = 0
        self.commented = threading.Event()
        self.status: int | None = None
        self.response_headers: httpx.Headers | None = None
        self.ended = threading.Event()
        self.opened = threading.Event()
        self.error: BaseException | None = None
        self._arrived = queue.Queue()
        self._socket: socket.socket | None = None
        self._client = httpx.Client(timeout=httpx.Timeout(60, read=60))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._client.stream("GET", self.url, headers=self.headers) as response:
                self.status = response.status_code
                self.response_headers = response.headers
                self._socket = response.extensions["network_stream"].get_extra_info("socket")
                self.opened.set()
                fields: dict[str, str] = {}
                data: list[str] = []
                for line in response.iter_lines():
                    if line == "":
                        if data:
                            event = SSEEvent(fields.get("id"), fields.get("event", "message"), "\n".join(data))
                            self.events.append(event)
                            self._arrived.put(event)
                        fields, data = {}, []
                    elif line.startswith(":"):
                        self.comments += 1
                        self.commented.set()
                    else:
                        name, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if name == "data":
                            data.append(value)
                        else:
                            fields[name] = value
        except BaseException as exc:  # noqa: BLE001 (kept for the test to inspect)
            self.error = exc
        finally:
            self.opened.set()
            self.ended.set()

    def wait(self, count: int, timeout: float = 15) -> list[SSEEvent]:
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.ended.is_set() and self._arrived.empty()):
                break
            try:
                self._arrived.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                pass
        return self.events

    def wait_open(self, timeout: float = 15) -> "SSEReader":
        assert self.opened.wait(timeout), "the stream did not open"
        return self

    def ids(self) -> list[int]:
        return [int(e.id) for e in self.events]

    def close(self) -> None:
        """Hang up, as a closed tab does: the server sees the stream end at once (closing
        the client alone leaves the connection open while its thread reads)."""
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already gone
        self._thread.join(timeout=5)
        self._client.close()
