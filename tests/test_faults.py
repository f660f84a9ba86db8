"""Faults injected into running servers: nothing acknowledged is lost, every reader resumes
exactly where it was, and the server outlives its database and its broadcast backend.

- a SIGKILL in the middle of a burst of posts;
- a restart under 2,000 connected readers who all reconnect at once with Last-Event-ID;
- PostgreSQL stopped and started again under a running server (a private cluster of the
  test's own, never the shared one);
- the broadcast backend (a private Redis or PostgreSQL) killed and started again;
- one address opening more streams than it may.
"""

from __future__ import annotations

import asyncio
import glob
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from servers import free_port, server_env, wait_until
from sse_client import SSEReader

SHARED_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def events_url(server, slug: str) -> str:
    return f"{server.url}/stories/{slug}/events"


def api_update_ids(server, slug: str) -> dict[int, str]:
    """Every published update of the story through the read API (all pages): id → body."""
    found: dict[int, str] = {}
    url = f"{server.url}/api/stories/{slug}/updates?limit=200"
    while url:
        page = httpx.get(url, timeout=30).json()
        found.update({u["id"]: u["body"] for u in page["updates"]})
        url = page["next"]
    return found


def page_update_ids(server, slug: str) -> set[int]:
    """Every update shown on the story page, following its "Older updates" links."""
    found: set[int] = set()
    url = f"{server.url}/stories/{slug}"
    while url:
        html = httpx.get(url, timeout=30).text
        found.update(int(n) for n in re.findall(r'<article class="update[^"]*" id="update-(\d+)"', html))
        older = re.search(r'href="([^"]+)" id="older-link"', html)
        url = server.url + older.group(1).replace("&amp;", "&") if older else None
    return found


def log_ids(server, slug: str, last_update_id: int) -> list[int]:
    """The ids of the story's whole event log, read as a reader replaying from 0 sees it,
    up to the event of update `last_update_id` (the newest one the test made)."""
    reader = SSEReader(events_url(server, slug), "0")
    try:
        deadline = time.monotonic() + 30
        while not any(e.event == "update" and e.json["id"] == last_update_id for e in reader.events):
            assert time.monotonic() < deadline and not reader.ended.is_set(), "the log replay stopped short"
            reader.wait(len(reader.events) + 1, timeout=1)
        return reader.ids()
    finally:
        reader.close()


def wait_for_update(reader: SSEReader, update_id: int, timeout: float = 20) -> None:
    """Wait until `reader` has received the `update` event of `update_id`."""
    deadline = time.monotonic() + timeout
    while not any(e.event == "update" and e.json["id"] == update_id for e in reader.events):
        assert time.monotonic() < deadline, f"update {update_id} never reached the reader"
        assert not reader.ended.is_set(), f"the stream ended before update {update_id}: {reader.error!r}"
        reader.wait(len(reader.events) + 1, timeout=1)


def assert_exact(ids: list[int], expected: list[int], who: str) -> None:
    """No gap, no duplicate, in order."""
    assert len(ids) == len(set(ids)), f"{who} got duplicates"
    missing, extra = sorted(set(expected) - set(ids)), sorted(set(ids) - set(expected))
    assert ids == expected, f"{who}: missing {missing[:10]}, extra {extra[:10]}, out of order: {not (missing or extra)}"


@pytest.fixture
def pg_database():
    """A fresh database of this test's own on the shared PostgreSQL, dropped afterwards."""
    try:
        admin = psycopg.connect(SHARED_POSTGRES, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.skip(f"no PostgreSQL reachable at {SHARED_POSTGRES}: {exc}")
    name = f"liveblog_faults_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield SHARED_POSTGRES.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(SHARED_POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Burst:
    """Editors posting from several threads at once, each post as soon as the last is answered,
    until told to stop or the server is gone."""

    def __init__(self, server, slug: str, threads: int = 4, enough: int = 60):
        self.url = f"{server.url}/api/stories/{slug}/updates"
        self.headers = {"Authorization": f"Bearer {server.token}"}
        self.acked: dict[int, str] = {}  # id → body of every update answered 201
        self.refused: list[int] = []  # any other status
        self.cut_off = 0  # posts whose connection broke: stored or not, nobody was told
        self.enough = threading.Event()  # set once `enough` posts were acknowledged
        self.stop = threading.Event()
        self._target = enough
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._post, args=(n,), daemon=True) for n in range(threads)]
        for thread in self._threads:
            thread.start()

    def _post(self, editor: int) -> None:
        with httpx.Client(headers=self.headers, timeout=30) as client:
            n = 0
            while not self.stop.is_set():
                body = f"Editor {editor}, post {n}: the water is still rising."
                n += 1
                try:
                    response = client.post(self.url, json={"body": body})
                except httpx.TransportError:
                    with self._lock:
                        self.cut_off += 1
                    return
                with self._lock:
                    if response.status_code == 201:
                        self.acked[response.json()["id"]] = body
                        if len(self.acked) >= self._target:
                            self.enough.set()
                    else:
                        self.refused.append(response.status_code)

    def join(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a poster hung"


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_sigkill_in_a_burst_of_posts_loses_nothing_acknowledged(database, request, tmp_path, start_server, sse):
    env = server_env(tmp_path)
    if database == "postgresql":
        env["LIVEBLOG_DATABASE_URL"] = request.getfixturevalue("pg_database")
    server = start_server(env)
    slug = server.new_story("Dam under strain")["slug"]
    for n in range(3):
        server.post(slug, f"Before the burst {n}")
    readers = [sse(events_url(server, slug), last_event_id=0, query=n == 3) for n in range(4)]
    for reader in readers:
        reader.wait(4)

    burst = Burst(server, slug, threads=4, enough=60)
    assert burst.enough.wait(60), f"the burst never reached 60 posts (refused: {burst.refused})"
    server.stop(signal.SIGKILL)  # posts are in flight: every poster is mid-request or about to be
    burst.join()
    assert burst.refused == []
    for reader in readers:
        assert reader.ended.wait(15), "a stream outlived its server"
    seen_before = [reader.ids() for reader in readers]

    server.start()
    stored = api_update_ids(server, slug)
    missing = set(burst.acked) - set(stored)
    assert not missing, f"{len(missing)} acknowledged updates are gone after the kill: {sorted(missing)[:10]}"
    assert all(stored[i] == body for i, body in burst.acked.items())
    on_page = page_update_ids(server, slug)
    assert set(burst.acked) <= on_page, f"not on the page: {sorted(set(burst.acked) - on_page)[:10]}"

    resumed = [sse(events_url(server, slug), last_event_id=ids[-1], query=n == 3) for n, ids in enumerate(seen_before)]
    after = server.post(slug, "After the restart")["id"]
    full_log = log_ids(server, slug, after)
    for n, reader in enumerate(resumed):
        wait_for_update(reader, after)
        assert_exact(seen_before[n] + reader.ids(), full_log, f"reader {n}")
    stored_unanswered = len(stored) - 3 - len(burst.acked)
    assert len(full_log) == 1 + len(stored) + 1  # the story's creation, every update, the one after
    print(
        f"\n[{database}] SIGKILL after {len(burst.acked)} acknowledged posts ({burst.cut_off} cut off, "
        f"{stored_unanswered} of those stored anyway); {len(readers)} readers resumed, "
        f"{len(full_log)} events checked each"
    )


class Streams:
    """Streams held open from one local source address, without reading them."""

    def __init__(self, url: str, source: str = "127.0.0.1"):
        self.url = url
        transport = httpx.HTTPTransport(local_address=source, limits=httpx.Limits(max_connections=None))
        self.client = httpx.Client(transport=transport, timeout=30)
        self.open: list[httpx.Response] = []

    def request(self, url: str | None = None) -> httpx.Response:
        response = self.client.send(self.client.build_request("GET", url or self.url), stream=True)
        if response.status_code == 200:
            self.open.append(response)
        else:
            response.read()
            response.close()
        return response

    def close_one(self) -> None:
        self.open.pop().close()

    def close(self) -> None:
        for response in self.open:
            response.close()
        self.client.close()


def test_one_address_cannot_hold_more_streams_than_its_share(start_server, tmp_path):
    server = start_server(
        server_env(tmp_path, LIVEBLOG_MAX_STREAMS_PER_ADDRESS="3", LIVEBLOG_STREAM_LIMIT_EXEMPT="127.0.0.2")
    )
    slug = server.new_story("Crowded square")["slug"]
    url = events_url(server, slug)
    greedy, exempt = Streams(url, "127.0.0.1"), Streams(url, "127.0.0.2")
    try:
        # Streams refused for other reasons do not use up the address's share.
        for _ in range(5):
            assert greedy.request(events_url(server, "no-such-story")).status_code == 404
            assert greedy.request(url + "?last_event_id=x").status_code == 400
        assert [greedy.request().status_code for _ in range(3)] == [200, 200, 200]

        refused = greedy.request()
        assert refused.status_code == 429
        assert refused.headers["retry-after"].isdigit() and int(refused.headers["retry-after"]) > 0
        assert "live streams open" in refused.text and "Traceback" not in refused.text

        # The share is per address: another (here exempt) address is not held back by it,
        # and the rest of the site still answers the greedy one.
        assert [exempt.request().status_code for _ in range(5)] == [200] * 5
        assert httpx.get(f"{server.url}/stories/{slug}").status_code == 200

        # A stream that ends gives its place back (noticed at the latest with the next
        # keep-alive write, which finds the socket closed).
        greedy.close_one()
        wait_until(lambda: greedy.request().status_code == 200, what="a freed place to be given back")
        assert greedy.request().status_code == 429
    finally:
        greedy.close()
        exempt.close()


def test_loopback_is_exempt_by_default(server):
    slug = server.new_story("Loopback readers")["slug"]
    streams = Streams(events_url(server, slug))
    try:
        statuses = [streams.request().status_code for _ in range(260)]  # more than the default 256
        assert statuses == [200] * 260
    finally:
        streams.close()


class Crowd:
    """Many SSE readers on raw sockets, all in one asyncio loop on a thread of its own.

    Each reader resumes as EventSource does: whenever its stream ends or breaks it
    reconnects (after a jittered moment, so all of them come back at once) and sends
    `Last-Event-ID` with the id of the last event it got. `ids[n]` is everything reader
    n was sent, across all its connections, in the order it arrived.
    """

    def __init__(self, port: int, path: str, starts: list[int]):
        self.port, self.path, self.starts = port, path, starts
        self.ids: list[list[int]] = [[] for _ in starts]
        self.connections = [0] * len(starts)
        self.refused: dict[int, int] = {}  # status → how many times a stream was answered with it
        self.broken: dict[str, int] = {}  # connection errors by kind
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._all = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    async def _start(self) -> asyncio.Future:
        return asyncio.gather(*(self._read(n) for n in range(len(self.starts))), return_exceptions=True)

    def last(self, n: int) -> int:
        return self.ids[n][-1] if self.ids[n] else self.starts[n]

    def all_reached(self, event_id: int) -> bool:
        return all(self.last(n) >= event_id for n in range(len(self.starts)))

    async def _read(self, n: int) -> None:
        while True:
            try:
                await self._stream(n)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                kind = type(exc).__name__
                self.broken[kind] = self.broken.get(kind, 0) + 1
            await asyncio.sleep(random.uniform(0.02, 0.2))  # EventSource's reconnection delay

    async def _stream(self, n: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            self.connections[n] += 1
            writer.write(
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                f"Last-Event-ID: {self.last(n)}\r\n\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            if status != 200:
                self.refused[status] = self.refused.get(status, 0) + 1
                return
            assert b"transfer-encoding: chunked" in head.lower()
            pending = b""
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    return  # the server ended the stream
                pending += (await reader.readexactly(size + 2))[:-2]
                *frames, pending = pending.split(b"\n\n")
                for frame in frames:
                    for line in frame.split(b"\n"):
                        if line.startswith(b"id:"):
                            self.ids[n].append(int(line[3:]))
        finally:
            writer.close()

    async def _stop(self) -> None:
        self._all.cancel()
        await asyncio.gather(self._all, return_exceptions=True)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_restart_under_2000_readers_who_all_reconnect_at_once(how, start_server):
    server = start_server()
    slug = server.new_story("Election night")["slug"]
    first = [server.post(slug, f"Polls closed in district {n}.")["id"] for n in range(20)]
    before = log_ids(server, slug, first[-1])
    # Each reader starts somewhere else in the log, from its very beginning to its end.
    starts = [([0] + before)[n % (len(before) + 1)] for n in range(2000)]
    crowd = Crowd(server.port, f"/stories/{slug}/events", starts)
    try:
        wait_until(lambda: crowd.all_reached(before[-1]), timeout=120, what="2,000 readers to catch up")
        first_connections = sum(crowd.connections)

        began = time.monotonic()
        # SIGTERM ends every stream cleanly, SIGKILL breaks them: either way all 2,000
        # readers reconnect at once.
        server.stop(getattr(signal, how))
        stopped = time.monotonic()
        server.start()
        restarted = time.monotonic()
        # Posted while the readers storm back in, each resuming from its own Last-Event-ID.
        last = [server.post(slug, f"Count in district {n} confirmed.")["id"] for n in range(20)][-1]
        full = log_ids(server, slug, last)
        wait_until(lambda: crowd.all_reached(full[-1]), timeout=180, what="2,000 readers to catch up again")
        caught_up = time.monotonic()

        for n, start in enumerate(starts):
            assert_exact(crowd.ids[n], [i for i in full if i > start], f"reader {n} (from {start})")
        assert crowd.refused == {}
        assert server.process.poll() is None
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        print(
            f"\n{how} restart under {len(starts)} readers: {sum(crowd.connections) - first_connections} reconnections "
            f"({crowd.broken} broken or refused connection attempts), "
            f"{sum(map(len, crowd.ids))} events checked, {len(full)} in the log; stop {stopped - began:.1f} s, "
            f"start {restarted - stopped:.1f} s, all caught up {caught_up - restarted:.1f} s later"
        )
    finally:
        crowd.close()


def _pg_tool(name: str) -> str:
    found = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    if not found:
        pytest.skip(f"no PostgreSQL server binaries ({name}) under /usr/lib/postgresql: apt-get install postgresql")
    return max(found, key=lambda path: int(Path(path).parts[4]))  # the newest major version


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own on a free port, to stop and start at will
    (the shared server on 5432 is never touched)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="liveblog-faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.data), "--auth=trust", "--username=postgres", "--no-sync", "--encoding=UTF8")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [_pg_tool(tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{tool} failed: {result.stdout}{result.stderr}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: every session is ended and the server goes down, as an operator would stop it."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres():
    cluster = PrivatePostgres()
    cluster.start()
    yield cluster
    cluster.remove()


class PrivateRedis:
    """A redis-server of the test's own on a free port, to kill and start again."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed: apt-get install redis-server")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")

        wait_until(lambda: _quietly(answers), timeout=15, what="the private redis-server to answer")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _quietly(check):
    try:
        return check()
    except OSError:
        return None


@pytest.fixture
def private_redis(tmp_path):
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


@pytest.mark.slow
def test_database_going_away_and_coming_back(private_postgres, start_server, tmp_path, sse):
    server = start_server(server_env(tmp_path, LIVEBLOG_DATABASE_URL=private_postgres.url))
    slug = server.new_story("Power cut downtown")["slug"]
    quiet = server.new_story("Nobody is reading this one")["slug"]
    server.post(slug, "Lights out on Main Street.")
    reader = sse(events_url(server, slug), last_event_id=0)
    reader.wait(2)
    text = "The *substation* is back — crews say an hour.\n\nMore soon."

    private_postgres.stop()
    try:
        health = httpx.get(f"{server.url}/healthz", timeout=30)
        assert health.status_code == 503 and health.json() == {"status": "unavailable"}

        posted = server.api("POST", f"/api/stories/{slug}/updates", {"body": text, "headline": "Power"})
        assert posted.status_code == 503
        assert posted.headers["content-type"] == "application/json"
        assert "database" in str(posted.json()["errors"]) and "Traceback" not in posted.text
        assert posted.headers["retry-after"].isdigit()

        page = httpx.get(f"{server.url}/stories/{slug}", timeout=30)
        assert page.status_code == 503 and "try again" in page.text and "Traceback" not in page.text
        read = httpx.get(f"{server.url}/api/stories/{slug}/updates", timeout=30)
        assert read.status_code == 503 and "errors" in read.json()
        # A reader resuming from what the hub still holds in memory is served without the log...
        resumed = sse(events_url(server, slug), last_event_id=0)
        assert [e.event for e in resumed.wait(2)] == ["story", "update"]
        # ...while a stream that needs the log (a story no reader here has opened) is told to come back.
        late = httpx.get(events_url(server, quiet), timeout=30)
        assert late.status_code == 503 and "Traceback" not in late.text

        # The open stream stays open through the outage: its keep-alives still arrive.
        reader.commented.clear()
        assert reader.commented.wait(25), "no keep-alive arrived while the database was down"
        assert not reader.ended.is_set()
    finally:
        private_postgres.start()

    wait_until(lambda: httpx.get(f"{server.url}/healthz").status_code == 200, what="/healthz to recover")
    assert text not in api_update_ids(server, slug).values()  # the refused post left nothing behind
    after = server.post(slug, text)["id"]
    wait_for_update(reader, after)
    assert not reader.ended.is_set()
    assert_exact(reader.ids(), log_ids(server, slug, after), "the reader that stayed")
    assert [e.event for e in reader.events] == ["story", "update", "update"]
    assert server.process.poll() is None  # recovered without a restart
    # An outage is expected weather, not a bug: a line per refused request, no traceback.
    assert "Exception in ASGI application" not in server.log.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["redis", "postgresql"])
def test_broadcast_backend_going_away_and_coming_back(scheme, request, tmp_path, start_server, sse):
    from liveblog.broadcast import BACKENDS

    if scheme not in BACKENDS:
        pytest.skip("needs the postgresql/redis broadcast backends (issue 6)")
    broker = request.getfixturevalue("private_redis" if scheme == "redis" else "private_postgres")
    # Two processes on one database, telling each other of new events through the broker.
    env = server_env(tmp_path, LIVEBLOG_BROADCAST_URL=broker.url)
    first, second = start_server(env), start_server(env)
    slug = first.new_story("Ferry strike")["slug"]
    on_first = sse(events_url(first, slug), last_event_id=0)
    on_second = sse(events_url(second, slug), last_event_id=0)
    wait_for_update(on_second, first.post(slug, "Ferries stay in port.")["id"])

    broker.stop()
    try:
        # Stored is stored: the post succeeds, and the other process still delivers it
        # (it re-reads the log on its own), while its readers keep getting keep-alives.
        during = first.api("POST", f"/api/stories/{slug}/updates", {"body": "Talks resume at noon."})
        assert during.status_code == 201, during.text
        wait_for_update(on_second, during.json()["id"], timeout=30)
        on_second.commented.clear()
        assert on_second.commented.wait(25), "no keep-alive arrived while the broadcast was down"
        for server in (first, second):
            assert httpx.get(f"{server.url}/stories/{slug}").status_code == 200
    finally:
        broker.start()

    wait_for_update(on_first, second.post(slug, "A deal is close.")["id"], timeout=30)
    last = first.post(slug, "Deal signed; ferries sail tonight.")["id"]
    for name, reader in (("first", on_first), ("second", on_second)):
        wait_for_update(reader, last, timeout=30)
        assert not reader.ended.is_set()
        assert_exact(reader.ids(), log_ids(first, slug, last), f"the reader on the {name} process")


def test_stream_limit_settings_are_checked():
    from liveblog.settings import Settings, SettingsError

    env = {"LIVEBLOG_SECRET_KEY": "k"}
    given = {"LIVEBLOG_MAX_STREAMS_PER_ADDRESS": "8", "LIVEBLOG_STREAM_LIMIT_EXEMPT": "10.1.2.3, fd00::/8"}
    loaded = Settings.load({**env, **given}, env_file="")
    assert loaded.max_streams_per_address == 8
    assert [str(net) for net in loaded.stream_limit_exempt] == ["10.1.2.3/32", "fd00::/8"]
    assert Settings.load({**env, "LIVEBLOG_STREAM_LIMIT_EXEMPT": "none"}, env_file="").stream_limit_exempt == ()
    for name, bad in (
        ("MAX_STREAMS_PER_ADDRESS", "lots"),
        ("MAX_STREAMS_PER_ADDRESS", "-1"),
        ("STREAM_LIMIT_EXEMPT", "x"),
    ):
        with pytest.raises(SettingsError, match=f"LIVEBLOG_{name}"):
            Settings.load({**env, f"LIVEBLOG_{name}": bad}, env_file="")


def test_stream_limit_counts_per_address_and_honours_exemptions():
    from ipaddress import ip_network

    from liveblog.errors import TooManyRequests
    from liveblog.stream_limit import StreamLimit

    limit = StreamLimit(None, 2, (ip_network("127.0.0.0/8"),))
    scope = {"client": ("203.0.113.7", 5000)}
    keys = [limit.admit(scope), limit.admit(scope)]
    with pytest.raises(TooManyRequests) as refused:
        limit.admit(scope)
    assert refused.value.status_code == 429 and refused.value.headers["Retry-After"].isdigit()
    assert limit.admit({"client": ("203.0.113.8", 5000)}) == "203.0.113.8"  # another address
    limit.release(keys.pop())
    assert limit.admit(scope) == "203.0.113.7"  # a place given back is taken again
    for exempt in ("127.0.0.1", "::ffff:127.0.0.1"):  # loopback, also as an IPv4-mapped address
        assert all(limit.admit({"client": (exempt, 1)}) is None for _ in range(5))
    for key in [*keys, "203.0.113.7", "203.0.113.8"]:
        limit.release(key)
    assert limit.open == {}  # nothing left behind
