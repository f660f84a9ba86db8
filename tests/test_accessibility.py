"""Every reader page, the embed and every desk page, in English and Arabic, checked by axe-core
in Chromium (light and dark: 0 violations of WCAG 2.2 AA) and by the Nu HTML Checker
(0 errors); and what a screen reader meets on them that those tools do not judge."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from checkers import DARK_SCHEME_PROPERTIES, axe, need_axe, need_vnu, vnu
from desk import PASSWORD, Desk, make_editor
from stand_ins import jpeg

pytestmark = pytest.mark.browser

LANGUAGES = {"en": "Flooding in the valley", "ar": "فيضانات في الوادي"}
BODY = """The river broke its banks at dawn.

### What we know

- Two bridges are closed
- [Road updates](https://example.org/roads)

> “Water came up to the windows,” said a resident."""


@pytest.fixture(scope="module")
def site(server):
    """In each language: a live story with every kind of update and an older page, a closed
    story, and an editor and a contributor to log in as. The live story has a callout, takes
    readers' questions, quotes a reader, and its desk has a chat line and what readers sent."""
    stories = {}
    editor = make_editor(server, "Nadia Editor")
    desk = Desk(server)
    desk.login(editor)
    for language, title in LANGUAGES.items():
        live = server.new_story(title, summary="What we know so far", language=language)
        for n in range(52):
            server.post(live["slug"], f"Update number {n}.")
        server.post(live["slug"], BODY, headline="Bridges closed", key_event=True)
        server.post(live["slug"], "### Roads\n\nThe ring road is shut.")
        pinned = server.post(live["slug"], "Evacuation centres are open at the school.", pinned=True)
        server.api("PATCH", f"/api/stories/{live['slug']}/updates/{pinned['id']}", {"body": "Evacuation centres are open."})
        callout = readers_part(server, desk, live["slug"])
        closed = server.new_story(title + " (closed)", language=language)
        server.post(closed["slug"], "All clear.")
        server.api("PATCH", f"/api/stories/{closed['slug']}", {"status": "closed"})
        stories[language] = (live["slug"], closed["slug"], callout)
    return {"stories": stories, "editor": editor}


def readers_part(server, desk, slug: str) -> int:
    """A callout (asking for a photo) under the newest update, questions taken, a question
    answered in an update, an answer with a photo waiting on the desk, and a line of the
    desk's chat."""
    newest = httpx.get(f"{server.url}/api/stories/{slug}/updates?limit=1").json()["updates"][0]["id"]
    json = {"Accept": "application/json"}
    callout = desk.post(f"/admin/stories/{slug}/updates/{newest}/callout", {
        "prompt": "Were you there?", "want_name": "1", "want_contact": "1", "want_consent": "1", "want_image": "1",
        "closes_in": "1440"}, headers=json).json()["id"]
    questions = desk.post(f"/admin/stories/{slug}/questions", {"prompt": "Ask us", "want_name": "1",
                                                                "want_consent": "1"}, headers=json).json()["id"]
    for to, files in ((questions, None), (callout, {"image": ("bridge.jpg", jpeg(640, 480), "image/jpeg")})):
        sent = httpx.post(f"{server.url}/stories/{slug}/callouts/{to}/answers", files=files,
                          data={"text": "Is the bridge open?", "name": "Sam", "consent": "1"}, headers=json)
        assert sent.status_code == 201, sent.text
    first = min(int(n) for n in re.findall(r'id="submission-(\d+)"', desk.http.get(f"/admin/stories/{slug}").text))
    used = desk.post(f"/admin/stories/{slug}/submissions/{first}/use", {"body": "Not yet.", "with_name": "1"},
                     headers=json)
    assert used.status_code == 201, used.text
    desk.post(f"/admin/stories/{slug}/chat", {"text": "Check the bridge."}, headers=json)
    return callout


def reader_paths(slug: str, closed: str, callout: int, older: int) -> dict[str, str]:
    return {
        "story": f"/stories/{slug}",
        "older page": f"/stories/{slug}?before={older}",
        "key events only": f"/stories/{slug}?key=1",
        "search": f"/stories/{slug}?q=bridges",
        "search, nothing found": f"/stories/{slug}?q=zebra",
        "closed story": f"/stories/{closed}",
        "embed": f"/stories/{slug}/embed",
        "callout": f"/stories/{slug}/callouts/{callout}",
    }


def desk_paths(slug: str) -> dict[str, str]:
    return {"admin": "/admin", "desk": f"/admin/stories/{slug}"}


def pages(server, site) -> list[tuple[str, str, str, bool]]:
    """(language, name, path, logged in) for every page we check."""
    found = [("en", "index", "/", False), ("en", "not found", "/stories/no-such-story", False),
             ("en", "login", "/login", False)]
    for language, (slug, closed, callout) in site["stories"].items():
        older = httpx.get(f"{server.url}/api/stories/{slug}/updates?limit=50").json()["updates"][-1]["id"]
        found += [(language, name, path, False) for name, path in reader_paths(slug, closed, callout, older).items()]
        found += [(language, name, path, True) for name, path in desk_paths(slug).items()]
    return found


def log_in(context, server, name: str, language: str) -> None:
    page = context.new_page()
    page.goto(server.url + "/login")
    page.locator("#login-name").fill(name)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-password").press("Enter")
    page.wait_for_url(server.url + "/admin")
    page.close()


@pytest.mark.slow
def test_axe_finds_no_wcag_violation_in_light_or_dark(server, site, contexts):
    """Each page is loaded once, checked in full in the light scheme, then switched to dark
    (as a reader's system setting would) and checked by axe's colour rules: the dark scheme
    sets colours only, which the test checks first, so no other rule can find anything new."""
    need_axe()
    found = {}
    for language in LANGUAGES:
        context = contexts(locale=language, viewport={"width": 1000, "height": 800})
        log_in(context, server, site["editor"], language)
        page = context.new_page()
        for lang, name, path, _ in pages(server, site):
            if lang != language:
                continue
            page.goto(server.url + path)
            page.wait_for_load_state("load")
            dark = set(page.evaluate(DARK_SCHEME_PROPERTIES))
            assert dark and all(p.startswith("--") or p == "color" or p.startswith("background") for p in dark), dark
            backgrounds = set()
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                backgrounds.add(page.evaluate("getComputedStyle(document.body).backgroundColor"))
                violations = axe(page, colour_rules_only=scheme == "dark")
                if violations:
                    found[f"{language} {name} ({path}), {scheme}"] = [str(v) for v in violations]
            assert len(backgrounds) == 2, f"{path} looks the same in both schemes"
    assert found == {}


@pytest.mark.slow
def test_nu_html_checker_finds_no_error(server, site):
    need_vnu()
    cookies = httpx.Client(base_url=server.url, timeout=30)
    token = cookies.get("/login").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    cookies.post("/login", data={"name": site["editor"], "password": PASSWORD, "csrf": token, "next": "/admin"})
    html = {}
    for language, name, path, logged_in in pages(server, site):
        client = cookies if logged_in else httpx
        html[f"{language} {name} ({path})"] = (client.get(server.url + path) if not logged_in else client.get(path)).text
    errors = vnu(html)
    assert [str(e) for e in errors] == []


# -- what the tools do not judge ------------------------------------------------------


def test_skip_link_goes_to_the_latest_updates(server, site, page):
    slug = site["stories"]["ar"][0]
    page.goto(f"{server.url}/stories/{slug}")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("انتقل إلى آخر التحديثات")
    assert skip.bounding_box()["y"] >= 0  # shown once focused
    skip.press("Enter")
    assert page.evaluate("location.hash") == "#updates"


def test_embed_has_its_landmarks_and_headings_nest(server, site, page):
    slug = site["stories"]["en"][0]
    page.goto(f"{server.url}/stories/{slug}/embed")
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("region", name="Updates")).to_have_count(1)
    levels = page.locator("h1, h2, h3, h4, h5, h6").evaluate_all("els => els.map(e => Number(e.tagName[1]))")
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels
