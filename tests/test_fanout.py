"""The fan-out: the replay/live seam without a server (a topic, its recent window, readers
on a fake transport), then against a real server: a reader that stops reading is dropped,
and the others of the same story keep getting every event (SPEC "The live stream")."""

from __future__ import annotations

import asyncio
import json
import select
import socket

import httpx
import pytest

from liveblog import fanout
from liveblog.fanout import MAX_UNSENT, RECENT_FRAMES, Hub, Topic, make_frame
from liveblog.sse import KEEPALIVE, chunked
from liveblog.store import LoggedEvent
from liveblog.stream import EventStream


@pytest.fixture
def anyio_backend():
    return "asyncio"


class FakeTransport(asyncio.WriteTransport):
    """What a TransportReader writes to: it keeps the chunks, and says as much unsent as told."""

    def __init__(self, unsent: int = 0):
        super().__init__()
        self.chunks: list[bytes] = []
        self.unsent = unsent
        self.closing = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.chunks.append(data)

    def get_write_buffer_size(self) -> int:
        return self.unsent

    def is_closing(self) -> bool:
        return self.closing

    def abort(self) -> None:
        self.aborted = self.closing = True

    def get_extra_info(self, name, default=None):
        return default  # no socket to tune


def frame(event_id: int, kind: str = "update", **data) -> fanout.Frame:
    closes = kind == "story" and data.get("status") == "closed"
    return make_frame(LoggedEvent(event_id, 1, kind, json.dumps({"id": event_id, **data}), closes))


def ids_in(raw: bytes) -> list[int]:
    return [int(line[4:]) for line in raw.decode().splitlines() if line.startswith("id: ")]


def new_topic(last_id: int = 0) -> Topic:
    return Topic(Hub(store=None, backend=None), story_id=1, slug="s", status="live", last_id=last_id)


def live_reader(topic: Topic, last_id: int = 0, unsent: int = 0):
    reader = topic.hub.join(topic, last_id, FakeTransport(unsent))
    reader.live = True
    return reader


@pytest.mark.anyio
async def test_push_writes_each_frame_once_to_live_readers_and_keeps_it_for_the_others():
    topic = new_topic()
    ahead, behind = live_reader(topic, last_id=2), live_reader(topic)
    joining = topic.hub.join(topic, 0, FakeTransport())
    for event_id in (1, 2, 3):
        topic.push(frame(event_id))
    assert behind.transport.chunks == [frame(n).chunk for n in (1, 2, 3)]
    assert ahead.transport.chunks == [frame(3).chunk]  # what it had already is not sent again
    assert (ahead.last_id, behind.last_id) == (3, 3)
    assert joining.transport.chunks == [] and [f.id for f in joining.pending] == [1, 2, 3]
    assert topic.last_id == 3 and [f.id for f in topic.recent] == [1, 2, 3]


@pytest.mark.anyio
async def test_the_event_that_closes_the_story_is_the_last_a_reader_gets():
    topic = new_topic()
    reader = live_reader(topic)
    topic.push(frame(1, "story", status="closed"))
    assert reader.transport.chunks == [frame(1, "story", status="closed").chunk]
    assert reader.done.result() == "end" and reader not in topic.readers
    assert topic.status == "closed" and topic.hub.stats == {"end": 1}


@pytest.mark.anyio
async def test_a_lagging_reader_is_dropped_with_a_reset_and_the_others_go_on():
    topic = new_topic()
    lagging, healthy = live_reader(topic, unsent=MAX_UNSENT + 1), live_reader(topic)
    topic.push(frame(1))
    assert lagging.done.result() == "lagging" and lagging.transport.aborted and lagging.transport.chunks == []
    assert lagging not in topic.readers and topic.hub.stats == {"lagging": 1}
    topic.push(frame(2))
    assert healthy.transport.chunks == [frame(1).chunk, frame(2).chunk]


@pytest.mark.anyio
async def test_a_queued_reader_is_dropped_past_the_same_limit():
    topic = new_topic()
    queued = topic.hub.join(topic, 0, None)
    queued.live = True
    topic.push(frame(1))
    assert queued.buffer == [frame(1).raw] and not queued.done.done()
    topic.push(frame(2, body="x" * MAX_UNSENT))
    assert queued.done.result() == "lagging"


@pytest.mark.anyio
async def test_a_reader_whose_connection_is_closing_is_let_go():
    topic = new_topic()
    gone = live_reader(topic)
    gone.transport.closing = True
    topic.push(frame(1))
    assert gone.done.result() == "gone" and gone.transport.chunks == []


@pytest.mark.anyio
async def test_keepalive_only_to_live_readers_and_only_when_the_topic_was_quiet():
    topic = new_topic()
    reader, joining = live_reader(topic), topic.hub.join(topic, 0, FakeTransport())
    topic.push(frame(1))
    topic.keepalive(topic.sent_at + fanout.KEEPALIVE_IDLE - 0.1)
    assert reader.transport.chunks == [frame(1).chunk]  # an event went out lately: no comment
    topic.keepalive(topic.sent_at + fanout.KEEPALIVE_IDLE)
    assert reader.transport.chunks == [frame(1).chunk, chunked(KEEPALIVE)]
    assert joining.transport.chunks == [] and reader.last_id == 1  # a comment moves no id
    topic.keepalive(topic.sent_at + 1)
    assert reader.transport.chunks[-1] == chunked(KEEPALIVE) and len(reader.transport.chunks) == 2


def test_the_recent_window_of_a_short_story_reaches_back_to_its_start():
    topic = new_topic()
    topic.remember([frame(n) for n in (3, 5, 8)])
    assert (topic.floor, topic.last_id) == (0, 8)
    assert [f.id for f in topic.recent_after(0)] == [3, 5, 8]
    assert [f.id for f in topic.recent_after(5)] == [8]
    assert topic.recent_after(8) == []


def test_a_full_window_knows_where_memory_ends():
    topic = new_topic()
    topic.remember([frame(n) for n in range(101, 101 + RECENT_FRAMES)])
    assert topic.floor == 100
    assert topic.recent_after(99) is None  # older than memory: the log is read instead
    assert [f.id for f in topic.recent_after(100)][:2] == [101, 102]
    topic.push(frame(101 + RECENT_FRAMES))  # the oldest frame leaves the window, and the floor rises
    assert topic.floor == 101 and topic.recent_after(100) is None
    assert len(topic.recent_after(101)) == RECENT_FRAMES
    assert topic.recent_after(100 + RECENT_FRAMES) == [frame(101 + RECENT_FRAMES)]


def test_remember_takes_the_story_status_from_its_frames():
    topic = new_topic()
    topic.remember([frame(1), frame(2, "story", status="closed")])
    assert topic.status == "closed" and topic.last_id == 2


@pytest.mark.anyio
async def test_replay_then_pending_then_live_without_a_gap_or_a_duplicate():
    """Events that arrive while the replay is being written wait in `pending`; the ones the
    replay already carried are not sent twice; after that the reader is live."""
    topic = new_topic(last_id=3)
    reader = topic.hub.join(topic, 1, FakeTransport())
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)
        if ids_in(message.get("body", b"")) == [2, 3]:  # while the replay goes out, 3 (in it) and 4 are announced
            topic.push(frame(3))
            topic.push(frame(4))

    stream = asyncio.ensure_future(EventStream(topic.hub)._stream(reader, [frame(2), frame(3)], send))
    while not reader.live:
        await asyncio.sleep(0)
    assert sent[0]["status"] == 200
    assert [ids_in(m["body"]) for m in sent[1:] if ids_in(m["body"])] == [[2, 3], [4]]
    topic.push(frame(5))
    topic.push(frame(6, "story", status="closed"))
    await asyncio.wait_for(stream, 5)
    assert [ids_in(chunk.split(b"\r\n", 1)[1]) for chunk in reader.transport.chunks] == [[5], [6]]
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


@pytest.mark.anyio
async def test_a_closed_story_with_nothing_to_replay_is_204():
    topic = new_topic(last_id=2)
    topic.status = "closed"
    reader = topic.hub.join(topic, 2, FakeTransport())
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    await EventStream(topic.hub)._stream(reader, [], send)
    assert sent[0]["status"] == 204 and reader.done.result() == "end"


# -- against a real server -------------------------------------------------------------

BIG_BODY = "The river has burst its banks at the old mill. " * 800  # ~38 KB; frames carry it twice


def stalled_reader(server, slug: str) -> socket.socket:
    """A stream whose reader never reads: a tiny receive buffer, so the server's side fills."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(f"GET /stories/{slug}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:  # the headers come once the reader has joined its story
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 200"), head
    return sock


def dropped(sock: socket.socket) -> bool:
    """True once the server has ended this connection (its reset or FIN has arrived)."""
    events = select.poll()
    events.register(sock, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
    return any(mask & (select.POLLRDHUP | select.POLLHUP | select.POLLERR) for _, mask in events.poll(0))


def test_stalled_reader_is_dropped_and_others_get_every_event(server, sse):
    slug = server.new_story("A stalled reader")["slug"]
    events_url = f"{server.url}/stories/{slug}/events"
    healthy = sse(events_url).wait_open()
    stalled = stalled_reader(server, slug)
    posted = [server.post(slug, "Opening line.")["id"]]
    assert [e.json["id"] for e in healthy.wait(1)] == posted

    # Each post is delivered to every reader before its event loop turn ends, so once
    # the healthy reader has an event, the stalled one has been written to (or dropped).
    while not dropped(stalled) and len(posted) < 30:
        posted.append(server.post(slug, BIG_BODY)["id"])
        assert len(healthy.wait(len(posted))) == len(posted), "the healthy reader fell behind the stalled one"

    assert dropped(stalled), "a reader that never reads was still connected after 2 MB of events"
    for update_id in range(3):
        posted.append(server.post(slug, f"After the drop, {update_id}.")["id"])
    received = healthy.wait(len(posted))
    assert [e.json["id"] for e in received] == posted
    assert [int(e.id) for e in received] == sorted({int(e.id) for e in received})
    assert healthy.error is None and not healthy.ended.is_set()
    stalled.close()

    # The dropped reader reconnects from the last event it had (here: the first) and replays the rest.
    again = sse(events_url, last_event_id=received[0].id)
    assert [e.json["id"] for e in again.wait(len(posted) - 1)] == posted[1:]


def test_stream_errors_before_the_stream_starts(server):
    """The stream skips the middleware stack (app.py); its errors still read like every other page's."""
    slug = server.new_story("Errors on the stream")["slug"]
    missing = httpx.get(f"{server.url}/stories/no-such-story/events", headers={"Accept": "application/json"})
    assert missing.status_code == 404 and "no-such-story" in missing.json()["errors"]["request"]
    page = httpx.get(f"{server.url}/stories/no-such-story/events")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    bad = httpx.get(f"{server.url}/stories/{slug}/events", headers={"Last-Event-ID": "yesterday"})
    assert bad.status_code == 400 and "Last-Event-ID" in bad.text
    assert httpx.post(f"{server.url}/stories/{slug}/events").status_code == 405
