"""The key events box on the story page: the newest five with their times, "Show all N key
events" (a link to the key-events view without script, opened in place with it), none on
that view itself, and no longer than it was when key events arrive live."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from viewports import DESKTOP, PHONE, opened

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def eight_key_events(server):
    story = server.new_story("Election night", summary="Results as they come in")
    keys = []
    for n in range(8):
        server.post(story["slug"], f"Count under way in district {n}.")
        keys.append(server.post(story["slug"], f"District {n} declares.", headline=f"District {n} result",
                                key_event=True))
    return story, keys


def test_without_script_the_newest_five_with_times_and_a_link_to_all(server, eight_key_events):
    story, keys = eight_key_events
    html = httpx.get(story["url"]).text
    box = re.search(r'<nav class="key-events".*?</nav>', html, re.S).group(0)
    items = re.findall(r'<li data-id="(\d+)"><time datetime="[^"]+">([^<]+)</time> <a href="#update-\d+"', box)
    assert [int(i) for i, _ in items] == [k["id"] for k in keys[::-1][:5]], "the newest five, newest first"
    assert all(time.endswith(" UTC") for _, time in items)
    assert "<ol" not in box, "not numbered"
    link = re.search(r'<a href="([^"]+)" id="all-key-events">([^<]+)</a>', box)
    assert link.groups() == (f"/stories/{story['slug']}?key=1", "Show all 8 key events")

    # The key-events view is the list of key events: no box repeating it.
    key_view = httpx.get(story["url"] + "?key=1").text
    assert 'class="key-events"' not in key_view and 'id="all-key-events"' not in key_view


def test_a_story_with_few_key_events_has_no_show_all(server):
    story = server.new_story("A quiet day")
    server.post(story["slug"], "One thing happened.", key_event=True)
    html = httpx.get(story["url"]).text
    assert re.search(r'id="all-key-events" hidden', html)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_box_is_compact_and_opens_all_in_place(server, eight_key_events, contexts, size):
    story, keys = eight_key_events
    page = opened(contexts, size)
    page.goto(story["url"])
    page.locator("#story[data-connected=yes]").wait_for(state="attached")
    box = page.locator("nav.key-events")
    items = box.locator("li")
    expect(items).to_have_count(5)
    expect(items.first.locator("time")).to_have_text(re.compile(r"\d\d:\d\d"))
    expect(items.first.get_by_role("link")).to_have_text("District 7 result")
    # Well short of a phone's screen: the first update shows below it.
    assert box.bounding_box()["height"] < size["height"] / 2
    if size is PHONE:
        expect(page.locator("#updates article.update").first).to_be_in_viewport()

    show_all = page.get_by_role("link", name="Show all 8 key events")
    show_all.click()
    expect(items).to_have_count(8)
    expect(show_all).to_be_hidden()
    assert page.url == story["url"], "opened in place, not on another page"
    assert items.evaluate_all("els => els.map(e => Number(e.dataset.id))") == [k["id"] for k in keys[::-1]]
    # Each is still a link to its update on this page.
    items.last.get_by_role("link").click()
    expect(page.locator(f"#update-{keys[0]['id']}")).to_be_in_viewport()
    assert not page.script_errors


def test_key_events_arriving_live_keep_the_box_at_five(server, contexts):
    story = server.new_story("Storm landfall")
    for n in range(5):
        server.post(story["slug"], f"Warning {n} issued.", headline=f"Warning {n}", key_event=True)
    page = opened(contexts, PHONE)
    page.goto(story["url"])
    page.locator("#story[data-connected=yes]").wait_for(state="attached")
    items = page.locator("#key-events li")
    expect(items).to_have_count(5)
    expect(page.locator("#all-key-events")).to_be_hidden()

    for n in range(5, 8):
        server.post(story["slug"], f"Warning {n} issued.", headline=f"Warning {n}", key_event=True)
    expect(items.first.get_by_role("link")).to_have_text("Warning 7")
    expect(items).to_have_count(5)
    expect(page.get_by_role("link", name="Show all 8 key events")).to_be_visible()
    expect(items.first.locator("time")).to_have_text(re.compile(r"\d\d:\d\d"))

    # A key event unmarked leaves the box, and the count with it.
    newest = int(items.first.get_attribute("data-id"))
    server.api("PATCH", f"/api/stories/{story['slug']}/updates/{newest}", {"key_event": False})
    expect(page.get_by_role("link", name="Show all 7 key events")).to_be_visible()
    expect(items.first.get_by_role("link")).to_have_text("Warning 6")
    assert not page.script_errors
