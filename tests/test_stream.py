"""The live stream over a real connection: headers, frames, replay, the seam, close and errors."""

import threading
import time

import httpx

from servers import wait_until


def events_url(server, slug):
    return f"{server.url}/stories/{slug}/events"


def test_headers_and_frames(server, sse):
    slug = server.new_story()["slug"]
    reader = sse(events_url(server, slug)).wait_open()
    assert reader.status == 200
    headers = reader.response_headers
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["cache-control"] == "no-cache"
    assert headers["x-accel-buffering"] == "no"
    assert headers["access-control-allow-origin"] == "*"

    update = server.post(slug, "**Bridge** closed", headline="Traffic", key_event=True)
    (event,) = reader.wait(1)
    assert event.event == "update"
    data = event.json
    assert set(data) == {"id", "story", "html", "body_html", "headline", "author", "created_at",
                         "edited_at", "key_event", "pinned"}
    assert data["id"] == update["id"] and data["story"] == slug
    assert data["body_html"] == "<p><strong>Bridge</strong> closed</p>\n"
    assert f'id="update-{update["id"]}"' in data["html"] and "Traffic" in data["html"]
    assert "\n" not in event.data  # one line of JSON

    server.api("PATCH", f"/api/stories/{slug}/updates/{update['id']}", {"headline": "Roads"})
    server.api("DELETE", f"/api/stories/{slug}/updates/{update['id']}")
    server.api("PATCH", f"/api/stories/{slug}", {"title": "Renamed"})
    events = reader.wait(4)
    assert [e.event for e in events] == ["update", "edit", "delete", "story"]
    assert events[1].json["headline"] == "Roads"
    assert events[2].json == {"id": update["id"], "story": slug}
    assert events[3].json == {"slug": slug, "title": "Renamed", "summary": "", "status": "live", "closed_at": None}
    ids = reader.ids()
    assert ids == sorted(ids) and len(set(ids)) == 4


def test_update_html_is_the_page_partial(server, sse):
    slug = server.new_story()["slug"]
    reader = sse(events_url(server, slug)).wait_open()
    server.post(slug, "Same markup *everywhere*", headline="Partial")
    (event,) = reader.wait(1)
    page = httpx.get(f"{server.url}/stories/{slug}").text
    assert event.json["html"] in page


def test_replay_with_header_and_query(server, sse):
    slug = server.new_story()["slug"]
    first = sse(events_url(server, slug)).wait_open()
    for n in range(5):
        server.post(slug, f"update {n}")
    ids = [int(e.id) for e in first.wait(5)]
    assert len(ids) == 5

    by_header = sse(events_url(server, slug), last_event_id=ids[1])
    by_query = sse(events_url(server, slug), last_event_id=ids[1], query=True)
    for reader in (by_header, by_query):
        assert reader.wait(3) and reader.ids() == ids[2:]
        assert [e.json["body_html"] for e in reader.events] == [f"<p>update {n}</p>\n" for n in (2, 3, 4)]


def test_replay_reaches_back_past_the_recent_window(server, sse):
    """More events than the hub keeps in memory: the rest comes from the log."""
    slug = server.new_story()["slug"]
    live = sse(events_url(server, slug)).wait_open()
    ids = [server.post(slug, f"n{n}")["id"] for n in range(30)]
    live.wait(30)
    from_start = sse(events_url(server, slug), last_event_id=0)
    events = from_start.wait(31)
    assert [e.event for e in events][:1] == ["story"]  # the story's creation
    assert [e.json["id"] for e in events[1:]] == ids


def test_no_gap_and_no_duplicate_across_reconnects_while_posting(server, sse):
    """A reader drops and reconnects again and again while an editor keeps posting."""
    slug = server.new_story()["slug"]
    total = 60
    posted: list[int] = []
    watcher = sse(events_url(server, slug)).wait_open()

    def editor():
        with httpx.Client(timeout=30) as client:
            for n in range(total):
                r = client.post(f"{server.url}/api/stories/{slug}/updates", json={"body": f"post {n}"},
                                headers={"Authorization": f"Bearer {server.token}"})
                posted.append(r.json()["id"])

    thread = threading.Thread(target=editor)
    thread.start()
    received: list[int] = []
    last = 0
    deadline = time.monotonic() + 90
    while len(received) < total and time.monotonic() < deadline:
        reader = sse(events_url(server, slug), last_event_id=last)
        events = list(reader.wait(3, timeout=2))  # take a few events, then hang up
        reader.close()
        for event in events:
            if event.event == "update":
                received.append(event.json["id"])
            last = event.id
    thread.join()
    assert received == posted
    assert [e.json["id"] for e in watcher.wait(total)] == posted


def test_close_ends_the_stream_and_a_closed_story_gets_204(server, sse):
    slug = server.new_story()["slug"]
    reader = sse(events_url(server, slug)).wait_open()
    server.post(slug, "last word")
    server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"})
    events = reader.wait(2)
    assert [e.event for e in events] == ["update", "story"]
    assert events[-1].json["status"] == "closed" and events[-1].json["closed_at"]
    assert reader.ended.wait(10), "the server should end the stream after the closing event"
    assert reader.error is None

    late = httpx.get(events_url(server, slug), headers={"Last-Event-ID": events[-1].id})
    assert late.status_code == 204
    fresh = httpx.get(events_url(server, slug))
    assert fresh.status_code == 204

    # A reader that missed the close replays it, then its stream ends too.
    behind = sse(events_url(server, slug), last_event_id=events[0].id)
    assert [e.event for e in behind.wait(1)] == ["story"]
    assert behind.ended.wait(10)


def test_reopened_story_streams_again(server, sse):
    slug = server.new_story()["slug"]
    closed = server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"})
    assert closed.status_code == 200
    server.api("PATCH", f"/api/stories/{slug}", {"status": "live"})
    reader = sse(events_url(server, slug)).wait_open()
    assert reader.status == 200
    server.post(slug, "we are back")
    assert [e.event for e in reader.wait(1)] == ["update"]


def test_unknown_story_and_bad_ids(server):
    assert httpx.get(f"{server.url}/stories/no-such-story/events").status_code == 404
    slug = server.new_story()["slug"]
    for bad in ("abc", "-1", "1.5", "9" * 40):
        r = httpx.get(events_url(server, slug), headers={"Last-Event-ID": bad})
        assert r.status_code == 400, bad
        r = httpx.get(events_url(server, slug) + f"?last_event_id={bad}")
        assert r.status_code == 400, bad


def test_keepalive_comment_within_15_seconds(server, sse):
    slug = server.new_story()["slug"]
    reader = sse(events_url(server, slug)).wait_open()
    # Nothing is posted: the only thing that can arrive is the keep-alive comment.
    assert reader.commented.wait(15.5)
    assert reader.events == []


def test_one_stories_events_do_not_reach_another(server, sse):
    a, b = server.new_story("Story A")["slug"], server.new_story("Story B")["slug"]
    reader_a = sse(events_url(server, a)).wait_open()
    reader_b = sse(events_url(server, b)).wait_open()
    server.post(b, "for B")
    server.post(a, "for A")
    assert [e.json["story"] for e in reader_a.wait(1)] == [a]
    assert [e.json["story"] for e in reader_b.wait(1)] == [b]


def test_head_answers_the_headers_and_ends_without_joining_the_readers(server):
    def readers() -> int:
        metrics = httpx.get(server.url + "/metrics").text
        return int(metrics.split("\nliveblog_readers ", 1)[1].split("\n", 1)[0])

    slug = server.new_story("Heads only")["slug"]
    before = readers()
    with httpx.Client(timeout=10) as client:
        head = client.head(events_url(server, slug))
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-type"].startswith("text/event-stream")
        # The connection is free for the next request at once: the HEAD ended.
        assert client.get(f"{server.url}/api/stories/{slug}").status_code == 200
        # Not counted as a reader (other tests' readers may have gone meanwhile).
        assert readers() <= before
    assert httpx.head(events_url(server, "no-such-story")).status_code == 404
    server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"})
    # The close reaches the hub by its notice, a moment after the PATCH is answered.
    assert wait_until(lambda: httpx.head(events_url(server, slug)).status_code == 204, 15, "HEAD to say closed")
