"""The fixtures every test module may use: servers (in-process and `liveblog serve`
processes), an SSE reader, and one headless Chromium per test process.

The helpers behind them live in modules of their own (servers.py, sse_client.py,
chromium.py, desk.py, stand_ins.py) so that no test module imports another.
"""

from __future__ import annotations

import asyncio
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher

# The environment may forbid bytecode caches (PYTHONDONTWRITEBYTECODE, set on this machine):
# then every process the suite starts (its workers, a hundred `liveblog` servers and
# commands) compiles the package from source again, a tenth of a second of CPU or more. The
# suite writes them (to __pycache__, which git ignores), for its workers and what they start.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

import liveblog.auth
import stand_ins
from chromium import CHROMIUM, CHROMIUM_ARGS, HEADLESS_SHELL
from servers import AppServer, server_env, server_starter
from sse_client import SSEReader


# Passwords made and checked in this process (the in-process servers, make_editor) are
# hashed at argon2's lowest cost: at the production cost each takes a fifth of a second
# of CPU, and the suite makes hundreds. `liveblog` processes (the CLI, `start_server`)
# keep the production cost, which test_cli checks on what `create-editor` stores.
liveblog.auth._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


# The inner loop (`pytest -m "not slow"`) also leaves out every test that starts `liveblog`
# processes or Pushpin of its own: each start costs a second of CPU, and they are a third
# of the suite's time. (test_cli and test_demo, which run the command itself, say so too.)
PROCESS_FIXTURES = {"start_server", "pushpins"}


def pytest_collection_modifyitems(items):
    for item in items:
        if PROCESS_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def third_party_site(tmp_path):
    with stand_ins.third_party_site(tmp_path) as publish:
        yield publish


@pytest.fixture
def provider(tmp_path):
    with stand_ins.provider(tmp_path) as found:
        yield found


@pytest.fixture
def start_server(tmp_path):
    """Start servers (each `liveblog serve` on its own free port, on a fresh database);
    all are stopped afterwards."""
    start, started = server_starter(tmp_path)
    yield start
    for server in started:
        server.stop()


@pytest.fixture
def start_app_server(tmp_path):
    """Start in-process servers with settings of the test's own (any `env` from
    `server_env`); all are stopped afterwards. For what is about the process (signals,
    restarts, --workers, embed providers, the process environment), use `start_server`."""
    started: list[AppServer] = []

    def start(env: dict[str, str] | None = None) -> AppServer:
        server = AppServer(tmp_path, env or server_env(tmp_path))
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> AppServer:
    """One server shared by every test in this process (in-process uvicorn on a real
    socket, default settings); each test works in stories of its own."""
    tmp = tmp_path_factory.mktemp("server")
    shared = AppServer(tmp, server_env(tmp)).start()
    yield shared
    shared.stop()


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


# -- one browser per test process ----------------------------------------------------
#
# playwright's sync API runs its event loop in a greenlet of the main thread and, between
# its calls, leaves that loop marked as the thread's running loop. asyncio code in a later
# test (anyio's tests, asyncio.run) would then refuse to start. So the browser stays open
# for the whole session, and every test that does not use it runs with the mark set aside.


@contextmanager
def _playwrights_loop_set_aside(item):
    if "playwright" in item.fixturenames:
        yield
        return
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        if asyncio._get_running_loop() is None and loop is not None and not loop.is_closed():
            asyncio._set_running_loop(loop)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    with _playwrights_loop_set_aside(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with _playwrights_loop_set_aside(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    with _playwrights_loop_set_aside(item):
        return (yield)


@pytest.fixture(scope="session")
def playwright():
    """playwright's driver, one per test process (playwright never downloads a browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        _playwrights_loop.append(asyncio._get_running_loop())
        yield p
        _playwrights_loop_back()


_playwrights_loop: list = []


def _playwrights_loop_back() -> None:
    """The session may end in a test that set playwright's loop aside: closing needs it."""
    asyncio._set_running_loop(_playwrights_loop[0])


def _launched(playwright, executable: str, package: str):
    if not Path(executable).exists():
        pytest.fail(f"{executable} is missing: install Debian's {package} (apt-get install {package})")
    chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
    # Pages are opened as by a reader who asked for reduced motion (the stylesheet
    # honours it), so Chromium draws no frames for the live dot's pulses on every open
    # page; test_live_browser checks the pulses with motion on.
    launch_context = chromium.new_context
    chromium.new_context = lambda **options: launch_context(**{"reduced_motion": "reduce", **options})
    yield chromium
    _playwrights_loop_back()
    chromium.close()


@pytest.fixture(scope="session")
def browser(playwright):
    """Chromium's headless shell (see chromium.py), one per test process."""
    yield from _launched(playwright, HEADLESS_SHELL, "chromium-headless-shell")


@pytest.fixture(scope="session")
def full_browser(playwright):
    """Debian's whole Chromium, for what the headless shell lacks (notification permissions)."""
    yield from _launched(playwright, CHROMIUM, "chromium")


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


def _contexts(browser):
    opened = []

    def new(**options):
        context = browser.new_context(**options)
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()


@pytest.fixture
def contexts(browser):
    """Browser contexts (each its own cookies and storage) for a test, closed afterwards."""
    yield from _contexts(browser)


@pytest.fixture
def full_contexts(full_browser):
    """The same, in Debian's whole Chromium."""
    yield from _contexts(full_browser)
