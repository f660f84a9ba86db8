"""Several `liveblog serve` processes sharing one PostgreSQL (SPEC "Operating it").

Real servers, a real PostgreSQL and real Redis: each process's readers get every event
whichever process it was posted to, live and in replay; concurrent posts to both
never leave a reader a gap; a broadcast that drops mid-burst loses nothing and
disconnects no reader; `--workers 2` serves every worker's readers every event.
"""

from __future__ import annotations

import re
import threading
import time

import httpx
import psycopg
import pytest

from backing_services import REDIS_URL, OwnRedis, need_redis, postgres_database
from liveblog.broadcast.postgres import listener_name
from servers import server_env, server_starter

WAIT = 30  # seconds before a missing event fails a test

# -- helpers ---------------------------------------------------------------------


def scrape(server) -> dict:
    """One /metrics answer (from whichever process took the connection), as name → value;
    the answering process's pid and broadcast backend under "pid" and "broadcast"."""
    text = httpx.get(server.url + "/metrics", timeout=10).raise_for_status().text
    values: dict = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
            if info := re.fullmatch(r'liveblog_info\{pid="(\d+)",broadcast="(\w+)"\}', name):
                values["pid"], values["broadcast"] = int(info.group(1)), info.group(2)
    return values


def wait_until(condition, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)  # polling a server-side figure that has no push channel
    raise AssertionError(f"{what}: not so within {timeout}s")


def log_ids(server, slug: str, sse) -> list[int]:
    """Every event id of the story, in order, as a replay from the start gives them."""
    count = len(httpx.get(server.url + f"/api/stories/{slug}/updates?limit=200").json()["updates"])
    replay = sse(server.url + f"/stories/{slug}/events", last_event_id=0)
    events = replay.wait(count + 1, WAIT)
    replay.close()
    return [int(e.id) for e in events]


def assert_no_gap(reader, log: list[int], what: str) -> None:
    ids = reader.ids()
    assert ids == sorted(set(ids)), f"{what}: out of order or duplicated: {ids}"
    assert ids == [i for i in log if i > (ids[0] - 1 if ids else 0)][: len(ids)], f"{what}: a gap"


def with_tokens(*servers):
    """Each server's API token, made (by the CLI) before any desk thread starts."""
    return [server.token for server in servers]


def pg_env(tmp, database_url: str, broadcast_url: str | None) -> dict[str, str]:
    env = server_env(tmp, LIVEBLOG_DATABASE_URL=database_url)
    if broadcast_url:
        env["LIVEBLOG_BROADCAST_URL"] = broadcast_url
    return env


@pytest.fixture(scope="module", params=["postgresql", "redis"])
def two_servers(request, tmp_path_factory):
    """Two processes on one new PostgreSQL database, told of each other's events by the
    backend under test (PostgreSQL: by setting nothing but the database URL). Shared by
    the module's tests; each works in stories of its own."""
    with postgres_database("scale") as database_url:
        if request.param == "redis":
            need_redis()
        tmp = tmp_path_factory.mktemp(request.param)
        env = pg_env(tmp, database_url, REDIS_URL if request.param == "redis" else None)
        start, started = server_starter(tmp)
        try:
            servers = start(env=env), start(env=env)
            with_tokens(*servers)
            yield servers
        finally:
            for server in started:
                server.stop()  # before the database is dropped


# -- two processes, one PostgreSQL --------------------------------------------------


@pytest.mark.slow
def test_two_processes_deliver_each_others_events_live_and_in_replay(two_servers, sse):
    a, b = two_servers
    assert scrape(a)["liveblog_broadcast_up"] == 1
    # With only the database URL set, PostgreSQL carries the notices too.
    expected = "redis" if "LIVEBLOG_BROADCAST_URL" in a.env else "postgresql"
    assert scrape(a)["broadcast"] == scrape(b)["broadcast"] == expected
    slug = a.new_story("Tram strike")["slug"]
    on_a = sse(a.url + f"/stories/{slug}/events").wait_open()
    on_b = sse(b.url + f"/stories/{slug}/events").wait_open()
    posted = [(a if n % 2 else b).post(slug, f"Update {n}")["id"] for n in range(6)]

    for reader, where in ((on_a, "reader on A"), (on_b, "reader on B")):
        events = reader.wait(6, WAIT)
        assert [e.json["id"] for e in events] == posted, where
        assert all(e.event == "update" for e in events)
    assert on_a.ids() == on_b.ids()

    first = on_a.ids()[0]
    replay = sse(b.url + f"/stories/{slug}/events", last_event_id=first).wait(5, WAIT)
    assert [int(e.id) for e in replay] == on_a.ids()[1:]

    # An edit and the closing, posted to B, end A's stream with the `story` event last.
    b.api("PATCH", f"/api/stories/{slug}/updates/{posted[0]}", {"body": "Corrected"}).raise_for_status()
    b.api("PATCH", f"/api/stories/{slug}", {"status": "closed"}).raise_for_status()
    events = on_a.wait(8, WAIT)
    assert [e.event for e in events[6:]] == ["edit", "story"]
    assert on_a.ended.wait(WAIT), "a closed story ends the stream on the other process too"


@pytest.mark.slow
def test_concurrent_posts_to_both_never_leave_a_gap(two_servers, sse):
    a, b = two_servers
    slug = a.new_story("Election night")["slug"]
    readers = [sse(s.url + f"/stories/{slug}/events").wait_open() for s in (a, b, a, b)]
    errors: list[BaseException] = []

    def desk(server, n: int) -> None:
        try:
            with httpx.Client(timeout=30) as client:
                for i in range(15):
                    r = client.post(server.url + f"/api/stories/{slug}/updates", json={"body": f"desk {n} #{i}"},
                                    headers={"Authorization": f"Bearer {server.token}"})
                    assert r.status_code == 201, r.text
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    desks = [threading.Thread(target=desk, args=(s, n)) for n, s in enumerate((a, b) * 3)]
    for t in desks:
        t.start()
    for t in desks:
        t.join()
    assert not errors, errors

    log = log_ids(a, slug, sse)[1:]  # the story's own creation event comes first
    assert len(log) == 90
    for n, reader in enumerate(readers):
        reader.wait(90, WAIT)
        assert reader.ids() == log, f"reader {n} missed or reordered events"


@pytest.fixture(params=["redis restarted", "LISTEN connection killed"])
def broken_broadcast(request, tmp_path):
    """Two processes, and a way to break their broadcast for real in the middle of a test."""
    with postgres_database("scale") as database_url:
        redis = OwnRedis(tmp_path).start() if request.param == "redis restarted" else None
        start, started = server_starter(tmp_path)
        try:
            env = pg_env(tmp_path, database_url, redis.url if redis else None)
            servers = start(env=env), start(env=env)
            with_tokens(*servers)

            def restart_redis():
                redis.stop()
                redis.start()

            def kill_listen_connections():
                names = [listener_name(s.process.pid) for s in servers]
                with psycopg.connect(database_url, autocommit=True) as admin:
                    killed = admin.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = ANY(%s)",
                        (names,),
                    ).fetchone()[0]
                assert killed == 2

            yield servers, restart_redis if redis else kill_listen_connections
        finally:
            for server in started:
                server.stop()  # before the database is dropped
            if redis:
                redis.stop()


@pytest.mark.slow
def test_a_broadcast_lost_mid_burst_loses_no_event(broken_broadcast, sse):
    (a, b), drop = broken_broadcast
    slug = a.new_story("Storm warning")["slug"]
    readers = [sse(s.url + f"/stories/{slug}/events").wait_open() for s in (a, b)]
    halfway = threading.Event()
    posted: list[int] = []

    def burst():
        for n in range(40):
            posted.append((a if n % 2 else b).post(slug, f"Bulletin {n}")["id"])
            if n == 15:
                halfway.set()

    desk = threading.Thread(target=burst)
    desk.start()
    assert halfway.wait(WAIT)
    drop()
    desk.join()
    assert len(posted) == 40, "every post is stored, broadcast or not"

    for reader, where in zip(readers, ("A", "B")):
        events = reader.wait(40, WAIT)
        assert [e.json["id"] for e in events] == posted, f"reader on {where}"
        assert not reader.ended.is_set(), f"the reader on {where} was disconnected"
    for server in (a, b):
        # The backend came back by itself (not only the hub's 5 s log re-read).
        wait_until(lambda: scrape(server)["liveblog_broadcast_reconnects_total"] >= 1, "broadcast reconnected")
        assert scrape(server)["liveblog_broadcast_up"] == 1


# -- several workers ----------------------------------------------------------------


def _readers_on_both_workers(server, slug: str, sse) -> list:
    """Open readers until /metrics shows readers on two worker pids."""
    readers = []
    for _ in range(40):
        readers.append(sse(server.url + f"/stories/{slug}/events").wait_open())
        counts: dict[int, float] = {}
        for _ in range(30):  # each scrape lands on whichever worker accepts it
            m = scrape(server)
            counts[m["pid"]] = m["liveblog_readers"]
            if len(counts) == 2:
                break
        if len(counts) == 2 and all(counts.values()):
            return readers
    raise AssertionError(f"readers did not reach both workers: {counts}")


def _every_worker_gets_every_event(server, sse) -> None:
    slug = server.new_story("Harbour fire")["slug"]
    readers = _readers_on_both_workers(server, slug, sse)
    posted = [server.post(slug, f"Update {n}")["id"] for n in range(6)]  # to either worker
    for n, reader in enumerate(readers):
        assert [e.json["id"] for e in reader.wait(6, WAIT)] == posted, f"reader {n}"


@pytest.mark.slow
def test_workers_2_on_sqlite_deliver_every_event_to_readers_on_both(start_server, sse):
    """The default database: workers learn of each other's commits from the file (broadcast/sqlite.py)."""
    server = start_server(args=("--workers", "2"))
    assert scrape(server)["broadcast"] == "sqlite"
    _every_worker_gets_every_event(server, sse)


@pytest.mark.slow
def test_workers_2_on_postgresql_deliver_every_event_to_readers_on_both(start_server, tmp_path, sse):
    with postgres_database("workers") as url:
        server = start_server(env=pg_env(tmp_path, url, None), args=("--workers", "2"))
        try:
            _every_worker_gets_every_event(server, sse)
        finally:
            server.stop()  # before its database is dropped


def test_workers_refuse_a_one_process_broadcast_with_one_clear_line(tmp_path):
    from servers import liveblog

    env = server_env(tmp_path, LIVEBLOG_DATABASE_URL="postgresql://127.0.0.1/nowhere", LIVEBLOG_BROADCAST_URL="memory://")
    result = liveblog("serve", "--workers", "2", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "LIVEBLOG_BROADCAST_URL" in result.stderr and "postgresql://" in result.stderr
