"""Real servers on real sockets for the tests.

`Server` is one `liveblog serve` process: for tests about the process itself (the CLI,
restarts, SIGKILL, --workers, settings only read at start-up). `AppServer` runs the same
application with uvicorn in a thread of the test process, on a free port and over real
HTTP: it starts in a fraction of a second, because the imports are already done. Both
answer the same calls (`url`, `api`, `new_story`, `post`, `token`, `cli`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import httpx
import httpx._transports.default

# Generous: with every core busy (4 test workers, browsers), `serve --workers 2` was seen
# taking over 30 s to answer; a server that cannot start still fails, only later.
STARTUP_SECONDS = 90
REPO = Path(__file__).resolve().parents[1]


def _share_one_tls_context() -> None:
    """Every `httpx.get()` builds a client, and every client reads the CA bundle into a new
    TLS context: that was 40 % of the test process's CPU for a post over plain HTTP. The
    tests' clients share one default context instead (they only speak http:// to loopback)."""
    build = httpx._transports.default.create_ssl_context
    shared = build()

    def create_ssl_context(verify=True, cert=None, trust_env=True):
        return shared if (verify, cert, trust_env) == (True, None, True) else build(verify, cert, trust_env)

    httpx._transports.default.create_ssl_context = create_ssl_context


_share_one_tls_context()
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float = STARTUP_SECONDS, what: str = "condition"):
    """Poll `check` until it returns something truthy; for start-up, where there is no event to wait on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def liveblog(*args: str, cwd: Path, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "liveblog", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=STARTUP_SECONDS,  # a command starts as a server does
    )


def server_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEBLOG_")}
    env.update(
        LIVEBLOG_DATABASE_URL=f"sqlite:///{tmp / 'liveblog.db'}",
        LIVEBLOG_SECRET_KEY="test-secret-key",
        LIVEBLOG_MEDIA_DIR=str(tmp / "media"),
        PYTHONUNBUFFERED="1",
        # The servers run this checkout's code, whatever `liveblog` is installed.
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
    )
    env.update(extra)
    return env


@cache
def _empty_schema() -> tempfile.TemporaryDirectory:
    """A folder holding `schema.db`, an empty database at the newest schema, made once per
    test process (the cache keeps the folder until the process exits, then it is removed)."""
    from liveblog import db

    folder = tempfile.TemporaryDirectory(prefix="liveblog-schema-")
    engine = db.make_engine(f"sqlite:///{Path(folder.name) / 'schema.db'}")
    try:
        db.upgrade(engine)
    finally:
        engine.dispose()
    return folder


def with_schema(env: dict[str, str]) -> None:
    """Give a server whose SQLite file does not exist yet a copy of `_empty_schema`'s database:
    migrating costs half a second of CPU at every start, and the suite starts a hundred
    servers. (That `serve` and `demo` migrate an empty database is what test_migrations
    and test_cli's fresh-start tests show.)"""
    url = env.get("LIVEBLOG_DATABASE_URL", "")
    target = Path(url.removeprefix("sqlite:///"))
    if not url.startswith("sqlite:///") or not target.is_absolute() or target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    source, copy = sqlite3.connect(Path(_empty_schema().name) / "schema.db"), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()


class _Client:
    """What every test server offers over HTTP, and the accounts made directly on its database."""

    url: str
    env: dict[str, str]
    cwd: Path
    _token: str | None = None

    def _store(self):
        from liveblog.db import make_engine
        from liveblog.settings import Settings
        from liveblog.store import Store

        return Store(make_engine(Settings.load(env=self.env, env_file="").database_url))

    def _on_database(self, act):
        store = self._store()
        try:
            return act(store)
        finally:
            store.engine.dispose()

    @property
    def token(self) -> str:
        """A write-API token, made in this process on the server's database (what
        `liveblog create-token` does, without starting Python again; test_cli tests the command)."""
        if self._token is None:
            self._token = self.create_token("Test desk")
        return self._token

    def create_token(self, name: str, role: str = "editor", display_name: str = "") -> str:
        return self._on_database(lambda store: store.create_token(name, role, display_name))

    def create_editor(self, name: str, password: str = PASSWORD, role: str = "editor",
                      display_name: str | None = None) -> str:
        """What `liveblog create-editor` does (test_cli tests the command), in this process."""
        from liveblog.auth import hash_password

        self._on_database(lambda store: store.create_editor(name, hash_password(password), role, reset=True,
                                                            display_name=display_name))
        return name

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return liveblog(*args, cwd=self.cwd, env=self.env, stdin=stdin)

    def api(self, method: str, path: str, json_body=None, token: str | None = "default", **kw) -> httpx.Response:
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {self.token if token == 'default' else token}"
        return httpx.request(method, self.url + path, json=json_body, headers=headers, timeout=30, **kw)

    def new_story(self, title: str = "Flooding in the valley", **fields) -> dict:
        r = self.api("POST", "/api/stories", {"title": title, **fields})
        assert r.status_code == 201, r.text
        return r.json()

    def post(self, slug: str, body: str = "Water is rising.", **fields) -> dict:
        r = self.api("POST", f"/api/stories/{slug}/updates", {"body": body, **fields})
        assert r.status_code == 201, r.text
        return r.json()


@dataclass
class Server(_Client):
    """One running `liveblog serve` process."""

    cwd: Path
    env: dict[str, str]
    port: int
    args: tuple[str, ...] = ()
    process: subprocess.Popen | None = None
    _token: str | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.cwd / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        with_schema(self.env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "liveblog", "serve", "--port", str(self.port), "--log-level", "warning", *self.args],
            cwd=self.cwd,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def healthy() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log.read_text()}")
            return httpx.get(self.url + "/healthz", timeout=1).status_code == 200

        try:
            wait_until(healthy, what="the server to start")
        except AssertionError:
            raise RuntimeError(f"server did not start:\n{self.log.read_text()}") from None
        return self

    def memory_kib(self, field: str = "VmRSS") -> int:
        """The process's memory from /proc: VmRSS (resident now) or VmHWM (its peak so far)."""
        with open(f"/proc/{self.process.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@dataclass
class AppServer(_Client):
    """`create_app` served by uvicorn on a thread of this process, with its own event loop:
    what `liveblog serve` runs (schema upgrade, then the app, proxy headers on), minus the
    start of a new interpreter."""

    cwd: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    _token: str | None = None
    _uvicorn: object = None
    _thread: threading.Thread | None = None
    _app: object = None
    _loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "AppServer":
        import uvicorn

        from liveblog import db
        from liveblog.app import create_app
        from liveblog.settings import Settings

        with_schema(self.env)
        settings = Settings.load(env=self.env, env_file="")
        engine = db.make_engine(settings.database_url)
        try:
            db.upgrade(engine)
        finally:
            engine.dispose()
        self._app = create_app(settings)
        config = uvicorn.Config(self._app, host="127.0.0.1", port=self.port, log_level="warning",
                                proxy_headers=True, timeout_graceful_shutdown=10, lifespan="on")
        self._uvicorn = uvicorn.Server(config)
        failed: list[BaseException] = []

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            await self._uvicorn.serve()

        def run() -> None:
            try:
                asyncio.run(serve())
            except BaseException as exc:  # noqa: BLE001 (reported by start)
                failed.append(exc)

        self._thread = threading.Thread(target=run, name=f"liveblog-{self.port}", daemon=True)
        self._thread.start()

        def started() -> bool:
            if failed or not self._thread.is_alive():
                raise RuntimeError(f"the in-process server did not start: {failed}")
            return self._uvicorn.started

        wait_until(started, what="the in-process server to start")
        return self

    def stop(self, abrupt: bool = False) -> None:
        """Shut down as `liveblog serve` does on SIGTERM: every stream ended cleanly first
        (app._end_streams_on_exit), then the graceful shutdown. `abrupt` cuts open streams
        at once instead, as a process that dies would."""
        if self._thread and self._thread.is_alive():
            if not abrupt:
                self._loop.call_soon_threadsafe(self._app.state.services.hub.end_all)
            self._uvicorn.force_exit = abrupt
            self._uvicorn.should_exit = True
            self._thread.join(timeout=30)


def server_starter(tmp: Path):
    """A function that starts `liveblog serve` processes on `tmp`, and the list of those started."""
    started: list[Server] = []

    def start(env: dict[str, str] | None = None, args: tuple[str, ...] = (), port: int | None = None) -> Server:
        server = Server(tmp, env or server_env(tmp), port or free_port(), args)
        started.append(server)
        return server.start()

    return start, started
