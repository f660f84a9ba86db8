"""The index: each story's time labelled ("Updated …" while live, "Closed …" once closed),
and kept current without a reload by polling /api/stories with its ETag."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from viewports import DESKTOP, PHONE, opened


def item(html: str, slug: str) -> str:
    return re.search(rf'<li class="story-item [a-z]+" data-slug="{slug}">.*?</li>', html, re.S).group(0)


def test_index_labels_each_storys_time(server):
    live = server.new_story("Index: still going")
    update = server.post(live["slug"], "Latest news.")
    closed = server.new_story("Index: all over")
    server.api("PATCH", f"/api/stories/{closed['slug']}", {"status": "closed"})
    closed_at = server.api("GET", f"/api/stories/{closed['slug']}").json()["closed_at"]
    html = httpx.get(server.url + "/").text
    assert re.search(rf'Updated <time datetime="{update["created_at"]}">[^<]+ UTC</time>', item(html, live["slug"]))
    assert re.search(rf'Closed <time datetime="{closed_at}">[^<]+ UTC</time>', item(html, closed["slug"]))


def test_stories_api_has_times_and_answers_304_to_its_etag(server):
    story = server.new_story("Index: polled")
    first = httpx.get(server.url + "/api/stories")
    tag = first.headers["etag"]
    listed = next(s for s in first.json()["stories"] if s["slug"] == story["slug"])
    assert listed["updated_at"] == story["created_at"], "no update yet: its start"
    again = httpx.get(server.url + "/api/stories", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    update = server.post(story["slug"], "Now there is news.")
    listed = next(s for s in httpx.get(server.url + "/api/stories").json()["stories"] if s["slug"] == story["slug"])
    assert listed["updated_at"] == update["created_at"], "its newest update"
    server.api("PATCH", f"/api/stories/{story['slug']}", {"status": "closed"})
    changed = httpx.get(server.url + "/api/stories", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    listed = next(s for s in changed.json()["stories"] if s["slug"] == story["slug"])
    assert listed["status"] == "closed" and listed["updated_at"] == listed["closed_at"]


@pytest.mark.browser
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_index_shows_new_and_closed_stories_without_reload(server, contexts, size):
    going = server.new_story("Index live: will close")
    page = opened(contexts, size)
    page.clock.install()
    page.goto(server.url + "/")
    page.evaluate("document.body.dataset.loaded = 'yes'")
    row = page.locator(f'li[data-slug="{going["slug"]}"]')
    expect(row.locator(".story-time")).to_have_text(re.compile(r"^Updated .*\d\d:\d\d"))

    fresh = server.new_story("Index live: just started", summary="A new story")
    server.api("PATCH", f"/api/stories/{going['slug']}", {"status": "closed"})
    with page.expect_response(lambda r: r.url.endswith("/api/stories")) as first_poll:
        page.clock.fast_forward("00:31")
    assert first_poll.value.status == 200
    new_row = page.locator(f'li[data-slug="{fresh["slug"]}"]')
    expect(new_row.get_by_role("link", name="Index live: just started")).to_have_attribute(
        "href", f"/stories/{fresh['slug']}")
    expect(new_row.locator(".badge")).to_have_text("Live")
    expect(new_row.locator("p")).to_have_text("A new story")
    expect(row.locator(".badge")).to_have_text("Closed")
    expect(row.locator(".story-time")).to_have_text(re.compile(r"^Closed .*\d\d:\d\d"))
    # Live stories first: the new one is above every closed one.
    slugs = page.locator("#stories li").evaluate_all("els => els.map(e => [e.dataset.slug, e.className])")
    first_closed = next(n for n, (_, cls) in enumerate(slugs) if "closed" in cls)
    assert [s for s, _ in slugs].index(fresh["slug"]) < first_closed

    # Nothing changed: the next poll is a 304, and the page is as it was (not reloaded).
    with page.expect_response(lambda r: r.url.endswith("/api/stories")) as next_poll:
        page.clock.fast_forward("00:31")
    assert next_poll.value.status == 304
    assert page.evaluate("document.body.dataset.loaded") == "yes"
    expect(new_row.locator(".badge")).to_have_text("Live")
    assert not page.script_errors
