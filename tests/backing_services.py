"""The real PostgreSQL and Redis that the scale-out tests use, and ways to get a fresh
database or a Redis of a test's own. Tests skip (with this reason) only when the
machine's server cannot be reached."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from redis import Redis
from redis.exceptions import RedisError

PG_ADMIN_URL = os.environ.get("LIVEBLOG_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LIVEBLOG_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _pg_reason() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"no PostgreSQL reachable at {PG_ADMIN_URL} ({str(exc).strip().splitlines()[0]})"


def _redis_reason() -> str | None:
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
        return None
    except (RedisError, OSError) as exc:
        return f"no Redis reachable at {REDIS_URL} ({exc})"


def _need(reason: str | None) -> None:
    """Skip, with the reason, where the server is unreachable; in CI, where .ci/run starts it, fail."""
    if reason:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(reason)


def need_postgres() -> None:
    _need(_pg_reason())


def need_redis() -> None:
    _need(_redis_reason())


def _url_with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@contextmanager
def postgres_database(topic: str = "scale"):
    """A new, empty database of this test's own (dropped afterwards); yields its URL."""
    need_postgres()
    name = f"liveblog_{topic}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _url_with_database(PG_ADMIN_URL, name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own on a free port, so that it can be restarted
    without disturbing anyone else's Redis."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "OwnRedis":
        binary = shutil.which("redis-server")
        if binary is None:
            _need("redis-server is not installed, so no Redis of the test's own can be started")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except (RedisError, OSError):
                time.sleep(0.05)  # polling for start-up
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
