"""The desk as the tests use it: editors made on a server's database, a browser without
JavaScript (`Desk`), and the steps a person takes in Chromium (`log_in`, `start_story`)."""

from __future__ import annotations

import html
import re
from itertools import count

import httpx
from playwright.sync_api import Page, expect

from servers import PASSWORD

LIVE = 15_000  # ms to wait for something to arrive over the stream
_names = count(1)


def make_editor(server, name: str | None = None, password: str = PASSWORD, role: str = "editor",
                display_name: str | None = None) -> str:
    """An account on the server's database, as `liveblog create-editor` makes it (test_cli runs the command)."""
    return server.create_editor(name or f"Editor {next(_names)}", password, role, display_name)


def hidden(page: str, name: str = "csrf") -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))


def updates(server, slug: str) -> list[dict]:
    return httpx.get(f"{server.url}/api/stories/{slug}/updates").json()["updates"]


def textarea(page: str, field_id: str) -> str:
    return html.unescape(re.search(rf'<textarea id="{field_id}"[^>]*>(.*?)</textarea>', page, re.S).group(1))


class Desk:
    """One browser without JavaScript: a cookie jar, forms posted as a browser posts them."""

    def __init__(self, server, headers: dict[str, str] | None = None):
        self.server = server
        self.http = httpx.Client(base_url=server.url, timeout=30, headers=headers or {})
        self.csrf = ""

    def login(self, name: str, password: str = PASSWORD, next_path: str = "/admin") -> httpx.Response:
        token = hidden(self.http.get("/login").text)
        response = self.http.post("/login", data={"name": name, "password": password, "csrf": token, "next": next_path})
        if response.status_code == 303:
            self.csrf = hidden(self.http.get("/admin").text)
        return response

    def post(self, path: str, data: dict | None = None, csrf: str | None = None, **kw) -> httpx.Response:
        return self.http.post(path, data={"csrf": self.csrf if csrf is None else csrf, **(data or {})}, **kw)

    def start_story(self, title: str, **fields) -> str:
        r = self.post("/admin/stories", {"title": title, **fields})
        assert r.status_code == 303, r.text
        return r.headers["location"].rsplit("/", 1)[1]


# -- the desk in Chromium ---------------------------------------------------------------


def log_in(page: Page, server, name: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(server.url + "/admin")


def start_story(page: Page, title: str) -> str:
    page.locator("#story-new-title").fill(title)
    page.locator("#story-new-summary").fill("What we know so far")
    page.get_by_role("button", name="Start the story").click()
    expect(page.locator("#desk-title")).to_have_text(title)
    return page.url.rsplit("/", 1)[1]


def mark_no_reload(*pages: Page) -> None:
    for page in pages:
        page.evaluate("window.__notReloaded = true")


def assert_not_reloaded(*pages: Page) -> None:
    for page in pages:
        assert page.evaluate("window.__notReloaded === true"), f"{page.url} was reloaded"
