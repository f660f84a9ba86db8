"""Known XSS payloads in every field a reader's or an editor's browser shows: story titles,
summaries, lead-image captions and credits, update headlines and bodies, author names and
display names, correction notes and the history page's diff.
In real Chromium no script runs on the story page (as loaded and as updates arrive live),
the embed page, the editors' desk or the Atom feed; the JSON-LD stays one data block; the
feeds and the pasteable image snippet carry no live markup."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import httpx
import pytest
from playwright.sync_api import expect

from liveblog.db import make_engine
from liveblog.render import HEADLINE_MAX, shorten
from liveblog.store import Store
from desk import log_in, make_editor
from stand_ins import jpeg

pytestmark = pytest.mark.browser

PAYLOADS = [line for line in (Path(__file__).parent / "data" / "xss_payloads.txt").read_text().splitlines() if line]
WAIT_MS = 15_000
ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_list_is_long_enough():
    assert len(PAYLOADS) >= 100


def pack(limit: int) -> list[str]:
    """All the payloads, as few strings of at most `limit` characters as they fit in."""
    packed = [""]
    for payload in PAYLOADS:
        if packed[-1] and len(packed[-1]) + 1 + len(payload) > limit:
            packed.append("")
        packed[-1] = f"{packed[-1]} {payload}".strip()
    return packed


class Markup(HTMLParser):
    """What a browser would make of an HTML fragment: its tags and attributes."""

    def __init__(self, fragment: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


LIVE_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.I)


def assert_inert(fragment: str, where: str) -> None:
    """No element that runs script, no event handler, no script URL: whatever the payload was."""
    for tag, attrs in Markup(fragment).tags:
        assert tag not in ("script", "iframe", "object", "embed", "svg", "math", "form", "base", "meta", "link", "style"), (where, tag)
        for name, value in attrs:
            assert not name.startswith("on"), (where, tag, name)
            assert name not in ("style", "formaction"), (where, tag, name)
            for url in re.split(r",\s*", value or "") if name == "srcset" else [value or ""]:
                assert not LIVE_URL.match(re.sub(r"[\x00-\x20]", "", url)), (where, tag, name, value)


@pytest.fixture(scope="module")
def hostile(server) -> list[str]:
    """Stories whose every shown field is payloads: every payload is in some title, summary,
    caption, credit, headline, body and author name. Fields are packed to their limits, so
    the stories are as few as the shortest field (the credit) allows."""
    store = Store(make_engine(server.env["LIVEBLOG_DATABASE_URL"]))
    titles, summaries, captions, credits = pack(300), pack(2000), pack(500), pack(200)
    count = max(len(titles), len(summaries), len(captions), len(credits))
    slugs = []
    for n in range(count):
        caption, credit = captions[n % len(captions)], credits[n]
        upload = server.api("POST", "/api/media", files={"file": ("lead.jpg", jpeg(400, 200), "image/jpeg")},
                            data={"alt": caption, "caption": caption, "credit": credit})
        assert upload.status_code == 201, upload.text
        assert_inert(upload.json()["html"], "the image snippet")
        story = server.new_story(titles[n % len(titles)], summary=summaries[n % len(summaries)],
                                 image=upload.json()["name"], caption=caption, credit=credit)
        for k, payload in enumerate(PAYLOADS[n::count]):
            token = store.create_token(payload[:120], display_name=payload[-120:])
            r = server.api("POST", f"/api/stories/{story['slug']}/updates",
                           {"body": payload, "headline": payload[:300], "key_event": k % 2 == 0, "pinned": k == 1},
                           token=token)
            assert r.status_code == 201, r.text
            # Corrected by someone else whose byline is a payload too: the note, "Updated
            # by", and the history's diff and note all show payloads.
            if k % 2 == 0:
                corrector = store.create_token("corrector", display_name=payload[:120])
                r = server.api("PATCH", f"/api/stories/{story['slug']}/updates/{r.json()['id']}",
                               {"body": f"{payload} (corrected)", "correction": payload[:500]}, token=corrector)
                assert r.status_code == 200, r.text
        slugs.append(story["slug"])
    return slugs


def watch(page, fired: list[str] | None = None) -> list[str]:
    """Everything a payload could do to show itself: dialogs, console output, page errors,
    and anything the Content-Security-Policy had to stop (the sanitizer should have)."""
    fired = [] if fired is None else fired
    page.on("dialog", lambda d: (fired.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("console", lambda m: fired.append(f"console: {m.text}") if "alert" in m.text or m.type == "error"
            and "EventSource" not in m.text and "Failed to load resource" not in m.text else None)
    page.on("pageerror", lambda e: fired.append(f"pageerror: {e}"))
    return fired


def live_batch(server, slug: str, n: int) -> tuple[dict, str]:
    """A story's share of the payloads arriving live, in one update (and its Markdown)."""
    batch = PAYLOADS[n::7]
    body = "\n\n".join(batch)
    return server.post(slug, body, headline=batch[0][:300], key_event=True), body


def assert_json_ld_is_data(server, page, slug: str) -> None:
    """One JSON-LD block, whose payloads come back out as text, intact."""
    blocks = page.eval_on_selector_all('script[type="application/ld+json"]', "els => els.map(e => JSON.parse(e.textContent))")
    assert [b["@type"] for b in blocks] == ["LiveBlogPosting"]
    assert page.locator("script:not([src]):not([type])").count() == 0
    story = httpx.get(f"{server.url}/api/stories/{slug}").json()
    assert blocks[0]["headline"] == shorten(story["title"], HEADLINE_MAX)
    assert blocks[0]["description"] == story["summary"]
    updates = httpx.get(f"{server.url}/api/stories/{slug}/updates").json()["updates"]
    shown = {post["author"]["name"] for post in blocks[0]["liveBlogUpdate"] if "author" in post}
    assert shown and shown <= {u["author"] for u in updates}


# Pages of one context open at once: each holds a stream, and Chromium opens at most six
# connections to one host, which the other page of the test needs one of.
SIDE_BY_SIDE = 4


def side_by_side(context, fired: list[str], urls: list[str]):
    """The pages at `urls`, loaded a few at a time side by side, each given once it is
    connected: (n, page) in the order of `urls`. The same few tabs go from story to story
    (opening a tab costs Chromium far more than loading a page in it)."""
    tabs = [context.new_page() for _ in range(SIDE_BY_SIDE)]
    for page in tabs:
        watch(page, fired)
    for start in range(0, len(urls), SIDE_BY_SIDE):
        batch = list(zip(range(start, len(urls)), tabs))
        for n, page in batch:
            page.goto(urls[n])
        for n, page in batch:
            page.wait_for_selector('#story[data-connected="yes"]', timeout=WAIT_MS)
            yield n, page


@pytest.mark.slow
def test_no_script_runs_on_story_pages_and_json_ld_stays_data(server, hostile, browser):
    context = browser.new_context()
    fired: list[str] = []
    other = context.new_page()  # each story's history, and the index
    watch(other, fired)
    try:
        for n, page in side_by_side(context, fired, [f"{server.url}/stories/{slug}" for slug in hostile]):
            slug = hostile[n]
            assert page.locator("figure.lead figcaption .credit").count() == 1
            assert_json_ld_is_data(server, page, slug)
            assert page.locator("article.update p.correction").count() > 0
            other.goto(server.url + page.locator("article.update a.history").first.get_attribute("href"))
            assert other.locator("#revisions del, #revisions ins").count() > 0
            if n < 7:  # the page's script inserts these; every payload arrives live once
                live, _ = live_batch(server, slug, n)
                page.locator(f"#update-{live['id']}").wait_for(timeout=WAIT_MS)
                page.hover(f"#update-{live['id']}")
        other.goto(server.url + "/")
    finally:
        context.close()
    assert fired == []


@pytest.mark.slow
def test_no_script_runs_in_the_embed(server, hostile, browser):
    context = browser.new_context()
    fired: list[str] = []
    try:
        for n, page in side_by_side(context, fired, [f"{server.url}/stories/{slug}/embed" for slug in hostile]):
            slug = hostile[n]
            if n < 7:
                live, _ = live_batch(server, slug, n)
                page.locator(f"#update-{live['id']}").wait_for(timeout=WAIT_MS)
    finally:
        context.close()
    assert fired == []


@pytest.mark.slow
def test_no_script_runs_on_the_desk(server, hostile, browser):
    """An editor's desk shows the same fields, in forms and lists, and updates arriving live."""
    editor = make_editor(server)
    context = browser.new_context()
    page = context.new_page()
    fired = watch(page)
    try:
        log_in(page, server, editor)
        for n, slug in enumerate(hostile):
            page.goto(f"{server.url}/admin/stories/{slug}")
            page.wait_for_selector('#desk[data-connected="yes"]', timeout=WAIT_MS)
            assert page.locator(".desk-item .author").count() > 0
            if n < 7:
                live, body = live_batch(server, slug, n)
                item = page.locator(f'.desk-item[data-id="{live["id"]}"]')
                item.get_by_text("Edit", exact=True).click(timeout=WAIT_MS)  # fetches its Markdown into the form
                expect(item.locator("textarea[name=body]")).to_have_value(body, timeout=WAIT_MS)
        page.goto(f"{server.url}/admin")
        page.locator("#story-new-title").fill(PAYLOADS[0])
        page.locator("#story-new-summary").fill(PAYLOADS[10])
    finally:
        context.close()
    assert fired == []


def test_feeds_carry_no_live_markup(server, hostile):
    """The entries' HTML is escaped into the XML once, and what it unescapes to is inert;
    titles, authors and subtitles are plain text; feedparser keeps nothing live either."""
    for slug in hostile:
        for path in (f"/stories/{slug}/feed.atom", f"/stories/{slug}/key-events.atom"):
            xml = httpx.get(server.url + path, timeout=30).content
            root = ET.fromstring(xml)
            assert root.tag == f"{ATOM}feed"
            for element in root.iter():
                if element.tag == f"{ATOM}content":
                    assert element.get("type") == "html" and not len(element), path
                    assert_inert(element.text or "", path)
                elif element.tag in (f"{ATOM}title", f"{ATOM}subtitle", f"{ATOM}name"):
                    assert element.get("type") in (None, "text") and not len(element), (path, element.tag)

            parsed = feedparser.parse(xml)
            assert not parsed.bozo, parsed.bozo_exception
            for entry in parsed.entries:
                # Titles and authors are plain text: a reader shows their characters, markup or not.
                assert entry.title_detail.type == "text/plain"
                html = [detail for detail in (*entry.get("content", ()), entry.get("summary_detail")) if detail]
                assert html
                for detail in html:
                    value = detail.value
                    assert detail.type == "text/html", detail
                    assert "<script" not in value.lower(), (path, value)
                    assert not re.search(r"<[^>]*\son\w+\s*=", value, re.I), (path, value)
                    assert not re.search(r"<[^>]*javascript:", value, re.I), (path, value)
                    assert_inert(value, path)


def test_no_script_runs_when_a_feed_is_opened(server, hostile, browser):
    context = browser.new_context()
    page = context.new_page()
    fired = watch(page)
    try:
        for slug in hostile:
            page.goto(f"{server.url}/stories/{slug}/feed.atom")
            assert page.locator("script").count() == 0
    finally:
        context.close()
    assert fired == []
