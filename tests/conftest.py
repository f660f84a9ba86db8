"""Real servers for real tests: `liveblog serve` on a free port, an HTTP client and an SSE reader."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

STARTUP_SECONDS = 30
REPO = Path(__file__).resolve().parents[1]


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
        timeout=60,
    )


@dataclass
class Server:
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

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return liveblog(*args, cwd=self.cwd, env=self.env, stdin=stdin)

    @property
    def token(self) -> str:
        """A write-API token, made in this process on the server's database (what
        `liveblog create-token` does, without starting Python again; test_cli tests the command)."""
        if self._token is None:
            from liveblog.db import make_engine
            from liveblog.settings import Settings
            from liveblog.store import Store

            engine = make_engine(Settings.load(env=self.env, env_file="").database_url)
            try:
                self._token = Store(engine).create_token("Test desk")
            finally:
                engine.dispose()
        return self._token

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


def _server_starter(tmp: Path):
    started: list[Server] = []

    def start(env: dict[str, str] | None = None, args: tuple[str, ...] = (), port: int | None = None) -> Server:
        server = Server(tmp, env or server_env(tmp), port or free_port(), args)
        started.append(server)
        return server.start()

    return start, started


@pytest.fixture
def start_server(tmp_path):
    """Start servers (each `liveblog serve` on its own free port, on a fresh database);
    all are stopped afterwards."""
    start, started = _server_starter(tmp_path)
    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    """One server shared by a module's tests; each test works in stories of its own."""
    start, started = _server_starter(tmp_path_factory.mktemp("server"))
    yield start()
    for server in started:
        server.stop()


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
        self._client = httpx.Client(timeout=httpx.Timeout(60, read=60))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._client.stream("GET", self.url, headers=self.headers) as response:
                self.status = response.status_code
                self.response_headers = response.headers
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
        self._client.close()


@pytest.fixture
def sse():
    readers: list[SSEReader] = []

    def open_reader(url: str, last_event_id=None, query: bool = False, headers: dict | None = None) -> SSEReader:
        reader = SSEReader(url, None if last_event_id is None else str(last_event_id), query, headers)
        readers.append(reader)
        return reader

    yield open_reader
    for reader in readers:
        reader.close()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by playwright (which never downloads a browser here).

    One per module: playwright's sync API keeps an event loop running while it is open,
    which would stop a later module's own asyncio code from running.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page in its own context; any script error on it fails the test."""
    context = browser.new_context(viewport={"width": 800, "height": 700})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def contexts(browser):
    """Browser contexts (each its own cookies and storage) for a test, closed afterwards."""
    opened = []

    def new(**options):
        context = browser.new_context(**options)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()
