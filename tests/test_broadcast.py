"""Every broadcast backend behind the one interface, against the real servers.

The same test body runs against every backend URL: a notice published by one process
reaches every process (this one included). The backends that hold a connection then
lose it for real (a terminated PostgreSQL backend, a restarted Redis) and must come
back by themselves, yield RESYNC, and go on delivering.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager, contextmanager

import psycopg
import pytest

from backing_services import REDIS_URL, OwnRedis, need_redis, postgres_database
from liveblog import db
from liveblog.broadcast import BACKENDS, RESYNC, Backend, Notice, backend_for
from liveblog.broadcast.memory import MemoryBackend
from liveblog.broadcast.postgres import PostgresBackend, listener_name
from liveblog.broadcast.redis import RedisBackend
from liveblog.broadcast.sqlite import SQLiteBackend
from liveblog.settings import BROADCAST_SCHEMES, Settings
from liveblog.store import Store

pytestmark = pytest.mark.anyio

WAIT = 15  # seconds before a missing notice fails the test


@pytest.fixture
def anyio_backend():
    return "asyncio"


@contextmanager
def sqlite_database(tmp_path):
    yield f"sqlite:///{tmp_path / 'log.db'}"


@pytest.fixture(params=["memory", "sqlite", "postgresql", "redis"])
def urls(request, tmp_path):
    """(broadcast URL, database URL) for each backend; the log is in that database."""
    if request.param == "postgresql":
        with postgres_database("broadcast") as url:
            yield url, url
    elif request.param == "redis":
        need_redis()
        with sqlite_database(tmp_path) as url:
            yield REDIS_URL, url
    elif request.param == "sqlite":
        with sqlite_database(tmp_path) as url:
            yield url, url
    else:
        with sqlite_database(tmp_path) as url:
            yield "memory://", url


def new_store(database_url: str) -> Store:
    engine = db.make_engine(Settings.load({"LIVEBLOG_DATABASE_URL": database_url}, env_file="").database_url)
    db.upgrade(engine)
    return Store(engine)


class Listener:
    """Collects one backend's notices on a task of its own."""

    def __init__(self, backend: Backend):
        self.notices: list[Notice] = []
        self.arrived = asyncio.Condition()
        self.task = asyncio.ensure_future(self._run(backend))

    async def _run(self, backend: Backend) -> None:
        async for notice in backend.notices():
            async with self.arrived:
                self.notices.append(notice)
                self.arrived.notify_all()

    async def wait_for(self, predicate, what: str) -> Notice:
        async def seen():
            async with self.arrived:
                while True:
                    for notice in self.notices:
                        if predicate(notice):
                            return notice
                    await self.arrived.wait()

        try:
            return await asyncio.wait_for(seen(), WAIT)
        except asyncio.TimeoutError:
            raise AssertionError(f"no {what} within {WAIT}s; got {self.notices}") from None


@asynccontextmanager
async def processes(url: str, count: int):
    """`count` backends as separate processes would hold them (memory://: one process)."""
    backends = [backend_for(url)] if url.startswith("memory") else [backend_for(url) for _ in range(count)]
    for backend in backends:
        await backend.connect()
    listeners = [Listener(backend) for backend in backends]
    await asyncio.sleep(0)  # let each listener reach its first wait (memory:// registers there)
    try:
        yield backends, listeners
    finally:
        for listener in listeners:
            listener.task.cancel()
        await asyncio.gather(*(listener.task for listener in listeners), return_exceptions=True)
        for backend in backends:
            await backend.disconnect()


async def test_a_committed_event_reaches_every_process(urls):
    broadcast_url, database_url = urls
    store = new_store(database_url)
    async with processes(broadcast_url, 2) as (backends, listeners):
        story = store.create_story("Bridge closed").value
        written = store.add_update(story.slug, "Traffic is diverted.", "Desk")
        await backends[0].publish(Notice(written.story_id, written.event_id))
        for listener in listeners:
            # "Story S has events up to N" (or newer): the process reads them from the log.
            notice = await listener.wait_for(
                lambda n: n.story_id == story.id and n.event_id >= written.event_id, "notice of the new event"
            )
            assert store.events_after(story.id, 0)[-1].id == written.event_id <= notice.event_id


async def test_every_scheme_has_a_backend():
    expected = {
        "memory": MemoryBackend,
        "sqlite": SQLiteBackend,
        "postgresql": PostgresBackend,
        "postgres": PostgresBackend,
        "redis": RedisBackend,
        "rediss": RedisBackend,
    }
    assert set(BROADCAST_SCHEMES) == set(BACKENDS) == set(expected)
    for scheme, cls in expected.items():
        assert type(backend_for(f"{scheme}://127.0.0.1/x")) is cls
    with pytest.raises(ValueError, match="no broadcast backend for 'kafka'"):
        backend_for("kafka://127.0.0.1")


def test_postgresql_database_brings_its_own_broadcast():
    on_pg = Settings.load({"LIVEBLOG_DATABASE_URL": "postgresql://db.example/news"}, env_file="")
    assert on_pg.database_url == "postgresql+psycopg://db.example/news"
    assert on_pg.broadcast_url == "postgresql://db.example/news"
    named = Settings.load(
        {"LIVEBLOG_DATABASE_URL": "postgresql://db.example/news", "LIVEBLOG_BROADCAST_URL": "redis://cache"},
        env_file="",
    )
    assert named.broadcast_url == "redis://cache"
    assert Settings.load({"LIVEBLOG_DATABASE_URL": "sqlite:///x.db"}, env_file="").broadcast_url == "memory://"


# -- a lost connection comes back ------------------------------------------------


async def _terminate_listeners(database_url: str) -> int:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as admin:
        cur = await admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
            (listener_name(),),
        )
        return (await cur.fetchone())[0]


@pytest.fixture(params=["postgresql", "redis"])
def breakable(request, tmp_path):
    """(broadcast URL, database URL, a coroutine function that drops the connection)."""
    if request.param == "postgresql":
        with postgres_database("broadcast") as url:

            async def drop():
                assert await _terminate_listeners(url) >= 1

            yield url, url, drop
    else:
        redis = OwnRedis(tmp_path).start()

        async def drop():
            await asyncio.to_thread(redis.stop)
            await asyncio.to_thread(redis.start)

        try:
            yield redis.url, f"sqlite:///{tmp_path / 'log.db'}", drop
        finally:
            redis.stop()


async def test_a_dropped_connection_comes_back_and_says_resync(breakable):
    broadcast_url, database_url, drop = breakable
    store = new_store(database_url)
    story = store.create_story("Power cut").value
    async with processes(broadcast_url, 2) as (backends, listeners):
        await drop()
        for listener, backend in zip(listeners, backends):
            await listener.wait_for(lambda n: n == RESYNC, "RESYNC after the reconnection")
            assert backend.reconnects >= 1 and backend.connected
        written = store.add_update(story.slug, "Lights are back on.", "Desk")
        await backends[0].publish(Notice(written.story_id, written.event_id))
        for listener in listeners:
            await listener.wait_for(lambda n: n == Notice(story.id, written.event_id), "notice after the reconnection")
        assert not any(listener.task.done() for listener in listeners), "notices() must never end or raise"


async def test_a_broadcast_down_at_start_is_waited_for(tmp_path):
    """A process may start while Redis is down (a restart during an outage): it serves,
    and its backend connects once Redis is there."""
    redis = OwnRedis(tmp_path)  # its port is chosen, nothing listens there yet
    backend = backend_for(redis.url)
    await backend.connect()
    assert not backend.connected
    listener = Listener(backend)
    try:
        await asyncio.to_thread(redis.start)
        await listener.wait_for(lambda n: n == RESYNC, "RESYNC once Redis is up")
        assert backend.connected
        await backend.publish(Notice(7, 42))
        await listener.wait_for(lambda n: n == Notice(7, 42), "a notice once Redis is up")
    finally:
        listener.task.cancel()
        await asyncio.gather(listener.task, return_exceptions=True)
        await backend.disconnect()
        redis.stop()
