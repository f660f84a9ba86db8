"""Readers' streams held by a real Pushpin in front of a real Liveblog (grip.py).

Every test starts its own `pushpin` (tests/pushpin_server.py) routing to its own
`liveblog serve`, which publishes to it (LIVEBLOG_GRIP_URL).
"""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import jwt
import pytest

from backing_services import postgres_database
from servers import free_port, server_env, wait_until
from pushpin_server import KEY, Pushpin
from liveblog import grip
from liveblog.store import LoggedEvent

RETRY = re.compile(rb"^retry: (\d+)\n\n")


@pytest.fixture
def pushpins(tmp_path):
    started: list[Pushpin] = []

    def make(origin_port: int, routes: tuple[str, ...] = ()) -> Pushpin:
        pushpin = Pushpin(tmp_path, origin_port, routes)
        started.append(pushpin)
        return pushpin

    yield make
    for pushpin in started:
        pushpin.stop()


@pytest.fixture
def edge(tmp_path, start_server, pushpins):
    """A Liveblog publishing to a Pushpin that routes to it, both running; (liveblog, pushpin)."""
    port = free_port()
    pushpin = pushpins(port)
    server = start_server(server_env(tmp_path, LIVEBLOG_GRIP_URL=pushpin.grip_url), port=port)
    pushpin.start()
    pushpin.wait_holding(f"/stories/{server.new_story('Pushpin is up')['slug']}/events")
    return server, pushpin


class RawStream:
    """One stream's status, headers and every byte of its body, read on a thread until it ends."""

    def __init__(self, url: str, last_event_id: int | None = None):
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.body = b""
        self.status: int | None = None
        self.headers: httpx.Headers | None = None
        self.error: httpx.HTTPError | None = None  # how it ended, when not cleanly
        self.opened = threading.Event()
        self.ended = threading.Event()
        self._arrived = threading.Condition()
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()

    def _run(self, url: str, headers: dict) -> None:
        try:
            with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(60, read=60)) as response:
                self.status, self.headers = response.status_code, response.headers
                self.opened.set()
                for chunk in response.iter_bytes():
                    with self._arrived:
                        self.body += chunk
                        self._arrived.notify_all()
        except httpx.HTTPError as exc:  # the test asserts on it, or it was cut off at the end
            self.error = exc
        finally:
            self.opened.set()
            self.ended.set()
            with self._arrived:
                self._arrived.notify_all()

    def wait_for(self, needle: bytes, timeout: float = 20) -> bytes:
        with self._arrived:
            self._arrived.wait_for(lambda: needle in self.body or self.ended.is_set(), timeout)
        assert needle in self.body, f"{needle!r} did not arrive; got {self.body[-400:]!r}"
        return self.body

    def wait_end(self, timeout: float = 20) -> bytes:
        assert self.ended.wait(timeout), f"the stream did not end; got {self.body[-400:]!r}"
        return self.body


class Follower:
    """A reader that reconnects as EventSource does: with the last id it got, until a 204.

    `ids` holds every event id it received, in arrival order, over all its connections.
    """

    def __init__(self, url: str, last_event_id: int | None = None):
        self.url = url
        self.last_id = last_event_id
        self.ids: list[int] = []
        self.connections = 0
        self.stopped = threading.Event()
        self.finished = threading.Event()  # the server said 204: nothing more will come
        self._changed = threading.Condition()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self.stopped.is_set():
            headers = {"Accept": "text/event-stream"}
            if self.last_id is not None:
                headers["Last-Event-ID"] = str(self.last_id)
            try:
                with httpx.stream("GET", self.url, headers=headers, timeout=httpx.Timeout(5, read=60)) as response:
                    if response.status_code == 204:
                        self.finished.set()
                        break
                    if response.status_code == 200:
                        self.connections += 1
                        event_id = None
                        for line in response.iter_lines():
                            if line.startswith("id:"):
                                event_id = int(line[3:].strip())
                            elif line == "" and event_id is not None:
                                with self._changed:
                                    self.ids.append(event_id)
                                    self.last_id = event_id
                                    self._changed.notify_all()
                                event_id = None
            except httpx.HTTPError:
                pass
            # EventSource waits before reconnecting (the stream's `retry:`, 1-6 s); a
            # shorter wait keeps the test short, and it is the reader's behaviour, not a
            # synchronisation.
            self.stopped.wait(0.3)
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, event_id: int, timeout: float = 30) -> list[int]:
        with self._changed:
            self._changed.wait_for(lambda: event_id in self.ids or self.finished.is_set(), timeout)
        return self.ids

    def stop(self) -> None:
        self.stopped.set()


class LateOrigin:
    """Between Pushpin and Liveblog for requests routed to it. A request for `/late/…` is
    answered by Liveblog (as `/…`) at once, and the answer held back from Pushpin until
    `release` is set; any other (the engine's recovery requests on the same route) passes."""

    def __init__(self, origin_port: int):
        self.answered = threading.Event()  # Liveblog has answered a /late/ request
        self.release = threading.Event()
        late = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.removeprefix("/late")
                headers = {name: value for name, value in self.headers.items() if name.lower() != "host"}
                answer = httpx.get(f"http://127.0.0.1:{origin_port}{path}", headers=headers, timeout=10)
                if path != self.path:
                    late.answered.set()
                    late.release.wait(30)
                self.send_response(answer.status_code)
                for name, value in answer.headers.multi_items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()


def grip_answers(server, kind: str) -> int:
    """What the server's /metrics counts of the engine's requests: `hold` or `recovery`."""
    metrics = httpx.get(server.url + "/metrics", timeout=10).text
    return int(re.search(rf'^liveblog_grip_answers_total{{kind="{kind}"}} (\d+)$', metrics, re.M).group(1))


def read_log(server, slug: str) -> tuple[int, list[LoggedEvent]]:
    """The story's id and every event of it, read from the server's database."""
    from liveblog.db import make_engine
    from liveblog.settings import Settings
    from liveblog.store import Store

    engine = make_engine(Settings.load(env=server.env, env_file="").database_url)
    try:
        store = Store(engine)
        story = store.get_story(slug)
        return story.id, store.events_after(story.id, 0)
    finally:
        engine.dispose()


def log_ids(server, slug: str) -> list[int]:
    return [event.id for event in read_log(server, slug)[1]]


def ids_in(body: bytes) -> list[int]:
    return [int(i) for i in re.findall(rb"^id: (\d+)$", body, re.M)]


def newest_id(server, slug: str) -> int:
    return max(log_ids(server, slug))


def without_retry(body: bytes) -> bytes:
    match = RETRY.match(body)
    assert match and 1000 <= int(match.group(1)) <= 6000, body[:80]
    return body[match.end():]


# -- the same stream, through the engine --------------------------------------


def test_the_stream_through_pushpin_is_the_direct_stream_byte_for_byte(edge):
    server, pushpin = edge
    story = server.new_story("Bytes through the edge")
    slug = story["slug"]
    server.post(slug, "Before anyone connected.")
    path = f"/stories/{slug}/events"
    direct = RawStream(server.url + path, last_event_id=0)
    held = RawStream(pushpin.url + path, last_event_id=0)
    first = server.post(slug, "Replayed or live: the same.")
    for stream in (direct, held):
        stream.wait_for(f'"id":{first["id"]},'.encode())
    pinned = server.post(slug, "Pinned, which unpins nothing yet.", pinned=True)
    # A commit of two events: pinning this one unpins the other (an edit, then the update).
    server.post(slug, "Pinned instead.", pinned=True)
    server.api("PATCH", f"/api/stories/{slug}/updates/{pinned['id']}", {"body": "Edited."})
    server.api("DELETE", f"/api/stories/{slug}/updates/{first['id']}")
    assert server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"}).status_code == 200

    direct_body, held_body = direct.wait_end(), held.wait_end()
    assert held.status == direct.status == 200
    assert held.error is direct.error is None  # both ended cleanly, with the last chunk
    assert without_retry(held_body) == without_retry(direct_body)
    assert held_body.count(b"\nevent: ") == direct_body.count(b"\nevent: ") == 9
    assert re.search(rb'event: story\ndata: {[^\n]*"status":"closed"[^\n]*}\n\n$', held_body)
    for name in ("content-type", "cache-control", "x-accel-buffering", "access-control-allow-origin",
                 "content-security-policy", "x-content-type-options", "referrer-policy"):
        assert held.headers[name] == direct.headers[name], name
    assert not [name for name in held.headers if name.lower().startswith("grip-")]

    # Closed, nothing left to replay: 204 through the engine too, and the same replay after.
    last = newest_id(server, slug)
    assert httpx.get(pushpin.url + path, headers={"Last-Event-ID": str(last)}).status_code == 204
    replay = [RawStream(base + path, last_event_id=last - 1) for base in (server.url, pushpin.url)]
    assert without_retry(replay[0].wait_end()) == without_retry(replay[1].wait_end())


def test_a_held_stream_gets_the_keep_alive_comment(edge):
    server, pushpin = edge
    slug = server.new_story("Quiet story")["slug"]
    held = RawStream(f"{pushpin.url}/stories/{slug}/events")
    held.opened.wait(10)
    # Nothing is published: the engine writes the comment after KEEPALIVE_SECONDS idle.
    body = held.wait_for(sse_keepalive := b": keep-alive\n\n", timeout=grip.KEEPALIVE_SECONDS + 10)
    assert without_retry(body).startswith(sse_keepalive)


def test_requests_not_signed_by_the_engine_get_the_direct_stream(edge):
    server, _ = edge
    slug = server.new_story("Forged signature")["slug"]
    forged = jwt.encode({"iss": "pushpin", "exp": int(time.time()) + 60}, "not-the-key" * 4, algorithm="HS256")
    expired = jwt.encode({"iss": "pushpin", "exp": int(time.time()) - 60}, KEY, algorithm="HS256")
    for headers in ({}, {"Grip-Sig": forged}, {"Grip-Sig": expired}, {"Grip-Sig": "garbage"}):
        with httpx.stream("GET", f"{server.url}/stories/{slug}/events", headers=headers, timeout=10) as direct:
            assert direct.status_code == 200
            assert not [name for name in direct.headers if name.startswith("grip-")], headers
            assert RETRY.match(next(direct.iter_raw()))  # the direct stream, open
    signed = jwt.encode({"iss": "pushpin", "exp": int(time.time()) + 60}, KEY, algorithm="HS256")
    answer = httpx.get(f"{server.url}/stories/{slug}/events", headers={"Grip-Sig": signed}, timeout=10)
    story_id, events = read_log(server, slug)
    assert answer.headers["grip-hold"] == "stream"
    assert answer.headers["grip-channel"] == f"story-{story_id}; prev-id={events[-1].id}"
    assert answer.headers["grip-link"] == f"</stories/{slug}/events>; rel=next; timeout={grip.RECHECK_SECONDS}"


# -- every event, once, in order ----------------------------------------------


def test_readers_through_pushpin_get_every_event_once_through_restarts(tmp_path, start_server, pushpins):
    port = free_port()
    pushpin = pushpins(port)
    env = server_env(tmp_path, LIVEBLOG_GRIP_URL=pushpin.grip_url)
    server = start_server(env, port=port)
    pushpin.start()
    slug = server.new_story("Through everything")["slug"]
    start = newest_id(server, slug)
    url = f"{pushpin.url}/stories/{slug}/events"
    readers = [Follower(url, start) for _ in range(3)]
    middle = None
    wait_until(lambda: all(r.connections for r in readers), 20, "the readers to connect")

    def post_and_wait(text: str) -> int:
        update = server.post(slug, text)
        newest = newest_id(server, slug)
        for reader in readers:
            assert newest in reader.wait_for(newest), (text, reader.ids, update)
        return newest

    post_and_wait("One.")
    middle = post_and_wait("Two.")
    server.stop()  # Liveblog restarts; Pushpin holds the readers meanwhile
    server = start_server(env, port=port)
    post_and_wait("Three, after Liveblog restarted.")
    held = [reader.connections for reader in readers]
    pushpin.stop()  # Pushpin restarts: every reader is cut off, reconnects and replays
    pushpin.start()
    post_and_wait("Four, after Pushpin restarted.")
    assert all(reader.connections > before for reader, before in zip(readers, held))
    server.post(slug, "Five, pinned: with the unpinning of nothing.", pinned=True)
    server.post(slug, "Six, pinned instead: two events in one commit.", pinned=True)
    assert server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"}).status_code == 200
    expected = [i for i in log_ids(server, slug) if i > start]
    for reader in readers:
        assert reader.finished.wait(30), reader.ids  # the close ended the stream, then a 204
        assert reader.ids == expected
    # A reader that was away since the second update, back with its Last-Event-ID.
    resumed = Follower(url, middle)
    assert resumed.finished.wait(30)
    assert resumed.ids == [i for i in expected if i > middle]


def test_a_hold_that_reaches_pushpin_after_the_next_event_still_gets_it(tmp_path, start_server, pushpins):
    """A hold answered just before an event commits can reach Pushpin after the event's
    publish. If nobody held the channel when the publish came, Pushpin kept no last id
    to see the hold is behind; if another reader took the channel first, Pushpin's own
    update of the channel's readers a second later came before this hold. Only the hold's
    own second look at the recovery link (grip.RECHECK_SECONDS) brings the event, rather
    than the story's next event or the link's 120 s default."""
    port = free_port()
    late = LateOrigin(port)
    pushpin = pushpins(port, routes=(f"*,path_beg=/late/ 127.0.0.1:{late.port}",))
    server = start_server(server_env(tmp_path, LIVEBLOG_GRIP_URL=pushpin.grip_url), port=port)
    pushpin.start()
    pushpin.wait_holding(f"/stories/{server.new_story('Pushpin is up')['slug']}/events")
    try:
        slug = server.new_story("Held on its way")["slug"]
        behind = RawStream(f"{pushpin.url}/late/stories/{slug}/events")
        assert late.answered.wait(20)  # its hold names the story's newest event; Pushpin has not got it
        server.post(slug, "Published while a hold was on its way.")
        newest = newest_id(server, slug)
        recoveries = grip_answers(server, "recovery")
        first = RawStream(f"{pushpin.url}/stories/{slug}/events")  # held after the publish
        assert first.opened.wait(20)
        # Pushpin's update of the channel's readers, a second after its first subscriber.
        wait_until(lambda: grip_answers(server, "recovery") > recoveries, 20, "Pushpin to update the channel")
        late.release.set()
        body = behind.wait_for(f"id: {newest}\n".encode(), timeout=grip.RECHECK_SECONDS + 8)
        assert ids_in(body) == [newest]
        assert ids_in(first.body) == []  # it was held after the event, which it does not get again
    finally:
        late.close()


def test_a_reader_resuming_through_pushpin_gets_exactly_what_it_missed(edge):
    server, pushpin = edge
    slug = server.new_story("Resuming")["slug"]
    for n in range(5):
        server.post(slug, f"Update {n}.")
    ids = log_ids(server, slug)
    for since in (ids[0], ids[2], ids[-1]):
        stream = RawStream(f"{pushpin.url}/stories/{slug}/events", last_event_id=since)
        stream.opened.wait(10)
        later = server.post(slug, f"After {since}.")
        body = stream.wait_for(f'"id":{later["id"]},'.encode())
        assert ids_in(body) == [i for i in log_ids(server, slug) if i > since]
        by_query = RawStream(f"{pushpin.url}/stories/{slug}/events?last_event_id={since}")
        assert ids_in(by_query.wait_for(f'"id":{later["id"]},'.encode())) == ids_in(body)


# -- the chain of ids ----------------------------------------------------------


def test_two_processes_on_postgresql_posting_at_once_keep_one_chain(tmp_path, start_server, pushpins):
    """Each process publishes its own commits, and the two cross on their way to Pushpin;
    the story-row lock makes every event's prev-id the same in both."""
    with postgres_database("grip") as database_url:
        port = free_port()
        pushpin = pushpins(port)
        env = server_env(tmp_path, LIVEBLOG_DATABASE_URL=database_url, LIVEBLOG_GRIP_URL=pushpin.grip_url)
        a = start_server(env, port=port)
        b = start_server(env)
        try:
            pushpin.start()
            slug = a.new_story("Election night at the edge")["slug"]
            start = log_ids(a, slug)[-1]
            readers = [Follower(f"{pushpin.url}/stories/{slug}/events", start) for _ in range(3)]
            wait_until(lambda: all(r.connections for r in readers), 20, "the readers to connect")
            errors: list[BaseException] = []

            def desk(server, n: int) -> None:
                try:
                    with httpx.Client(timeout=30) as client:
                        for i in range(10):
                            r = client.post(f"{server.url}/api/stories/{slug}/updates", json={"body": f"desk {n} #{i}"},
                                            headers={"Authorization": f"Bearer {server.token}"})
                            assert r.status_code == 201, r.text
                except BaseException as exc:  # noqa: BLE001 (reported below)
                    errors.append(exc)

            for server in (a, b):
                server.token  # made before the desks' threads start
            desks = [threading.Thread(target=desk, args=(s, n)) for n, s in enumerate((a, b) * 2)]
            for t in desks:
                t.start()
            for t in desks:
                t.join()
            assert not errors, errors
            expected = [i for i in log_ids(a, slug) if i > start]
            assert len(expected) == 40
            for reader in readers:
                assert reader.wait_for(expected[-1]) == expected
        finally:
            pushpin.stop()
            a.stop()
            b.stop()  # before the database is dropped


def test_publishes_out_of_order_twice_or_lost_reach_readers_once_in_order(tmp_path, start_server, pushpins):
    """Liveblog's own publishes go nowhere here (its LIVEBLOG_GRIP_URL names a port no one
    listens on); the test publishes the log's items to Pushpin itself, as a cluster whose
    processes' publishes cross, repeat or are lost would."""
    port = free_port()
    pushpin = pushpins(port)
    nowhere = f"http://127.0.0.1:{free_port()}/?key={KEY}"
    server = start_server(server_env(tmp_path, LIVEBLOG_GRIP_URL=nowhere), port=port)
    pushpin.start()
    slug = server.new_story("Crossed publishes")["slug"]
    pushpin.wait_holding(f"/stories/{slug}/events")  # these readers do not retry a 500 or 503
    story_id, before = read_log(server, slug)
    url = f"{pushpin.url}/stories/{slug}/events"
    readers = [RawStream(url, last_event_id=before[-1].id) for _ in range(2)]
    for reader in readers:
        reader.opened.wait(10)
        assert reader.status == 200, (reader.wait_end(), pushpin.log.read_text()[-3000:])
    for n in range(5):
        server.post(slug, f"Crossed {n}.")
    _, events = read_log(server, slug)
    new = events[len(before):]
    items = grip.items_for(story_id, new, before[-1])
    assert [item["prev-id"] for item in items] == [str(e.id) for e in [before[-1], *new[:-1]]]

    def publish(*chosen: dict) -> None:
        answer = httpx.post(f"http://127.0.0.1:{pushpin.publish_port}/publish/", json={"items": list(chosen)})
        assert answer.status_code == 200, answer.text

    publish(items[0])
    publish(items[2])  # out of order: Pushpin keeps it until the one it follows arrives
    publish(items[1])
    publish(items[1])  # twice: dropped by its id
    publish(items[0])
    # items[3] is lost: items[4] waits for it (message_wait, 5 s), then goes out, does not
    # follow what the readers have, and Pushpin asks the recovery link for the gap
    # (Grip-Last), which Liveblog answers from the log.
    publish(items[4])
    expected = [e.id for e in new]
    for reader in readers:
        body = reader.wait_for(f"id: {expected[-1]}\n".encode(), timeout=30)
        assert ids_in(body) == expected


def test_items_chain_each_event_to_the_one_before_and_end_the_stream_at_a_close():
    events = [
        LoggedEvent(7, 3, "update", '{"id":1}'),
        LoggedEvent(9, 3, "story", '{"status":"closed"}', closes=True),
        LoggedEvent(12, 3, "story", '{"status":"live"}'),
    ]
    items = grip.items_for(3, events, None)
    assert [(i["id"], i["prev-id"]) for i in items] == [("7", "0"), ("9", "7"), ("9-end", "9"), ("12", "9-end")]
    assert items[2]["formats"] == {"http-stream": {"action": "close"}}
    assert items[0]["formats"]["http-stream"]["content"] == 'id: 7\nevent: update\ndata: {"id":1}\n\n'
    assert {i["channel"] for i in items} == {"story-3"}


def test_grip_url_names_the_publish_endpoint_and_the_key():
    config = grip.GripConfig.from_url("http://127.0.0.1:5561/?key=secret")
    assert (config.publish_url, config.key, config.verify_key, config.algorithm) == (
        "http://127.0.0.1:5561/publish/", "secret", "secret", "HS256")
    fanout = grip.GripConfig.from_url(
        "https://api.fastly.com/service/SVC?key=TOKEN&verify-iss=fastly:SVC&verify-key=base64:"
        + __import__("base64").b64encode(b"-----BEGIN PUBLIC KEY-----\n...").decode()
    )
    assert (fanout.publish_url, fanout.key, fanout.verify_iss, fanout.algorithm) == (
        "https://api.fastly.com/service/SVC/publish/", "TOKEN", "fastly:SVC", "ES256")
    for bad in ("127.0.0.1:5561", "http://127.0.0.1:5561/", "ftp://x/?key=k", "http://x/?key=base64:***"):
        with pytest.raises(grip.GripError):
            grip.GripConfig.from_url(bad)


def test_several_engines_each_get_every_publish_and_each_ones_signature_is_accepted():
    one, two = "first-node-key-" * 3, "second-node-key-" * 3
    listed = grip.engines(f"http://10.0.0.1:5561/?key={one}, http://10.0.0.2:5561/?key={two}")
    assert [e.publish_url for e in listed] == ["http://10.0.0.1:5561/publish/", "http://10.0.0.2:5561/publish/"]
    signed = jwt.encode({"iss": "pushpin", "exp": int(time.time()) + 60}, two, algorithm="HS256")
    scope = {"headers": [(b"grip-sig", signed.encode())]}
    assert [e.signed(scope) for e in listed] == [False, True]
    with pytest.raises(grip.GripError):
        grip.engines(" , ")


@pytest.fixture
def store(tmp_path):
    from liveblog.db import make_engine, upgrade
    from liveblog.store import Store

    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


def test_a_process_publishes_its_commit_and_what_it_has_not_heard_of_but_nothing_old(store):
    from datetime import datetime, timedelta, timezone

    from sqlmodel import Session, update

    from liveblog.models import Event

    story = store.create_story("Publishing")
    slug, story_id = story.value.slug, story.story_id
    ids = [story.event_id] + [store.add_update(slug, f"#{n}", author="Desk").event_id for n in range(4)]
    publisher = grip.GripPublisher(store, grip.engines("http://127.0.0.1:1/?key=unused"))

    def published(after: int, upto: int) -> list[tuple[str, str]]:
        return [(item["id"], item["prev-id"]) for item in publisher._items({story_id: (after, upto)})]

    # Heard of everything up to ids[3]: only the commit, chained to the event before it.
    assert published(ids[3], ids[4]) == [(str(ids[4]), str(ids[3]))]
    # Another process's ids[2..3] not heard of yet: they go too (the engine drops repeats).
    assert published(ids[1], ids[4]) == [(str(i), str(p)) for p, i in zip(ids[1:], ids[2:])]
    # A story never heard of: its recent events, the first one chained to "0".
    assert published(0, ids[4])[0] == (str(ids[0]), "0")
    # Events written long ago are never published again, whatever was heard.
    with Session(store.engine) as s:
        s.exec(update(Event).where(Event.id <= ids[2]).values(created_at=datetime.now(timezone.utc) - timedelta(minutes=5)))
        s.commit()
    assert published(0, ids[4]) == [(str(ids[3]), str(ids[2])), (str(ids[4]), str(ids[3]))]


@pytest.mark.browser
def test_the_story_page_through_pushpin_updates_itself_and_drops_the_banner(edge, page):
    server, pushpin = edge
    slug = server.new_story("Seen through the edge")["slug"]
    page.goto(f"{pushpin.url}/stories/{slug}")
    page.wait_for_selector('#story[data-connected="yes"]', timeout=15_000)
    update = server.post(slug, "**Arrived** through Pushpin.")
    card = page.locator(f"#update-{update['id']}")
    card.wait_for(timeout=15_000)
    assert card.locator("strong").inner_text() == "Arrived"
    assert page.locator("#live-banner").is_visible()
    assert server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"}).status_code == 200
    page.locator("#live-banner").wait_for(state="detached", timeout=15_000)
