"""The reader's place on the story page, in headless Chromium: the "N new updates" button
instead of a jump, permalinks that reach older pages, copy-link, relative times kept current."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import httpx
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGE = 50  # the story page shows the newest 50


def post_many(server, slug: str, bodies) -> list[int]:
    """Posts through one connection (a fresh client per call costs more than the post)."""
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.token}"}) as client:
        return [client.post(f"/api/stories/{slug}/updates", json={"body": body}).json()["id"] for body in bodies]


@pytest.fixture(scope="module")
def busy_story(server):
    """A story with more updates than one page holds."""
    story = server.new_story("A long day of news", summary="More updates than fit on one page")
    ids = post_many(server, story["slug"],
                    [f"Update number {n}: the council met again and said more." for n in range(PAGE + 12)])
    return story, ids


def open_story(page, url: str):
    page.goto(url)
    page.locator("#story[data-connected=yes]").wait_for(state="attached")


def test_permalink_beyond_the_first_page_opens_at_that_update(server, busy_story, page):
    story, ids = busy_story
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    oldest_but_two = ids[2]
    assert oldest_but_two not in ids[-PAGE:], "the update is not on the first page"

    page.goto(f"{story['url']}#update-{oldest_but_two}")
    target = page.locator(f"#update-{oldest_but_two}")
    expect(target).to_be_in_viewport()
    expect(target).to_have_class("update targeted")
    expect(target).to_contain_text("Update number 2:")
    # Everything came from our own server: no fonts, scripts or trackers from elsewhere.
    assert requests and all(u.startswith(server.url) or u.startswith("data:") for u in requests), requests

    # Older updates were loaded into the same list, in order, with nothing twice.
    shown = page.locator("#updates article.update").evaluate_all("els => els.map(e => Number(e.dataset.id))")
    assert shown == ids[::-1]
    expect(page.locator("#older-link")).to_have_count(0)


def test_copy_link_copies_the_permalink(server, busy_story, browser):  # noqa: F811
    story, ids = busy_story
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        tab = context.new_page()
        open_story(tab, story["url"])
        article = tab.locator(f"#update-{ids[-1]}")
        article.get_by_role("button", name="Copy link").click()
        expect(article.locator(".copy-link")).to_have_text("Copied")
        assert tab.evaluate("navigator.clipboard.readText()") == f"{story['url']}#update-{ids[-1]}"
    finally:
        context.close()


def test_key_event_link_to_an_older_page_loads_it(server, page):
    story = server.new_story("Key events reach back")
    key = server.post(story["slug"], "The first key moment", key_event=True, headline="It began")
    post_many(server, story["slug"], [f"Filler {n}" for n in range(PAGE + 1)])
    open_story(page, story["url"])
    expect(page.locator(f"#update-{key['id']}")).to_have_count(0)
    page.locator("#key-events").get_by_role("link", name="It began").click()
    expect(page.locator(f"#update-{key['id']}")).to_be_in_viewport()


def test_new_updates_button_when_scrolled_down_and_not_at_the_top(server, busy_story, page):
    story, ids = busy_story
    open_story(page, story["url"])
    button = page.locator("#new-updates")

    # At the top: the update simply appears first, no button.
    at_top = server.post(story["slug"], "Arrives while the reader is at the top.")
    expect(page.locator("#updates article.update").first).to_have_id(f"update-{at_top['id']}")
    expect(page.locator(f"#update-{at_top['id']}")).to_be_in_viewport()
    expect(button).to_be_hidden()

    # Scrolled down into older updates: the page holds still, the button counts.
    reading = page.locator(f"#update-{ids[30]}")
    reading.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -100)")
    top_before = reading.evaluate("el => el.getBoundingClientRect().top")
    first = server.post(story["slug"], "First arrival while scrolled down.")
    page.locator(f"#update-{first['id']}").wait_for(state="attached")
    expect(button).to_be_visible()
    expect(button).to_have_text("↑ 1 new update")
    second = server.post(story["slug"], "Second arrival while scrolled down.")
    page.locator(f"#update-{second['id']}").wait_for(state="attached")
    expect(button).to_have_text("↑ 2 new updates")
    assert reading.evaluate("el => el.getBoundingClientRect().top") == pytest.approx(top_before, abs=1), (
        "what the reader was reading must not move")
    expect(page.locator(f"#update-{second['id']}")).not_to_be_in_viewport()

    button.click()
    expect(page.locator(f"#update-{second['id']}")).to_be_in_viewport()
    expect(button).to_be_hidden()


def test_times_in_the_readers_zone_with_relative_times_kept_current(server, browser):  # noqa: F811
    story = server.new_story("Clock check")
    update = server.post(story["slug"], "What time is it?")
    created = datetime.fromisoformat(update["created_at"].replace("Z", "+00:00"))
    context = browser.new_context(locale="en-GB", timezone_id="Asia/Tokyo")
    try:
        tab = context.new_page()
        tab.clock.install(time=datetime.now(timezone.utc))
        open_story(tab, story["url"])
        article = tab.locator(f"#update-{update['id']}")
        tokyo = created.astimezone(ZoneInfo("Asia/Tokyo"))
        # In the page's language (English), the reader's zone, saying which.
        expect(article.locator("header time")).to_have_text(f"{tokyo:%b} {tokyo.day}, {tokyo:%H:%M} GMT+9")
        expect(article.locator(".ago")).to_have_text("just now")
        tab.clock.fast_forward(int(timedelta(minutes=3, seconds=20).total_seconds() * 1000))
        expect(article.locator(".ago")).to_have_text("3 min ago")
        tab.clock.fast_forward(int(timedelta(hours=2).total_seconds() * 1000))
        expect(article.locator(".ago")).to_have_text("2 hr ago")
    finally:
        context.close()
