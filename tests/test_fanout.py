"""The fan-out against a real server: a reader that stops reading is dropped, and the
others of the same story keep getting every event (SPEC "The live stream")."""

from __future__ import annotations

import select
import socket

import httpx

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
