"""The story page and its embed as a newsroom would check them, in headless Chromium: long
words and URLs wrap at phone widths, "Updated N min ago" at the top (outside every live
region), times in one shape with and without script and saying their zone, the embed's
height limit, a dead permalink said so, and blocked notifications said in words."""

from __future__ import annotations

import re
import httpx
import pytest
from playwright.sync_api import expect

from viewports import DESKTOP, NARROW_PHONE, PHONE, no_horizontal_scroll, opened

pytestmark = pytest.mark.browser

LONG_WORD = "Llanfair" + "a" * 292
LONG_URL = "https://example.com/" + "path/" * 56


@pytest.fixture(scope="module")
def long_story(server):
    story = server.new_story("Title" + "x" * 295, summary="Summary " + "y" * 292)
    server.post(story["slug"], f"A word: {LONG_WORD}\n\nA bare address: {LONG_URL}", headline="H" * 300,
                key_event=True)
    return story


@pytest.mark.parametrize("size", [PHONE, NARROW_PHONE], ids=["390", "320"])
def test_long_words_and_urls_wrap_without_horizontal_scroll(server, long_story, contexts, size):
    page = opened(contexts, size)
    for url in (long_story["url"], long_story["url"] + "/embed", server.url + "/"):
        page.goto(url)
        page.locator("body").wait_for()
        assert no_horizontal_scroll(page), url
    # The bare URL is a link, wrapped inside the update.
    page.goto(long_story["url"])
    link = page.locator("#updates .body a", has_text="https://example.com/")
    expect(link).to_have_attribute("href", LONG_URL)
    assert link.bounding_box()["width"] <= size["width"]
    assert not page.script_errors


def test_bare_urls_become_links_through_the_sanitizer(server):
    story = server.new_story("Links")
    update = server.post(story["slug"], "See https://example.org/report and www.example.net, not javascript:alert(1)")
    html = update["body_html"]
    assert '<a href="https://example.org/report" rel="nofollow ugc noopener">https://example.org/report</a>' in html
    assert '<a href="http://www.example.net" rel="nofollow ugc noopener">www.example.net</a>' in html
    assert "javascript:alert(1)" in html and 'href="javascript' not in html


def test_updated_time_without_script_is_absolute(server):
    story = server.new_story("Quiet without script")
    html = httpx.get(story["url"]).text
    assert re.search(r'<span id="story-updated" hidden>', html), "no update yet: nothing to say"
    update = server.post(story["slug"], "Something.")
    html = httpx.get(story["url"]).text
    found = re.search(r'<span id="story-updated"> · Updated <time datetime="([^"]+)">([^<]+)</time></span>', html)
    assert found and found.group(1) == update["created_at"]
    assert found.group(2).endswith(" UTC")


def test_updated_n_min_ago_kept_current_outside_the_live_region(server, contexts):
    story = server.new_story("Clock on the page")
    first = server.post(story["slug"], "First.")
    page = opened(contexts, PHONE)
    page.clock.install()
    page.goto(story["url"])
    page.locator("#story[data-connected=yes]").wait_for(state="attached")
    updated = page.locator("#story-updated")
    expect(updated).to_have_text(re.compile(r"^ · Updated just now$"))
    assert updated.evaluate("el => el.closest('[aria-live], [role=status], [role=log]') === null")
    expect(updated.locator("time")).to_have_attribute("datetime", first["created_at"])
    expect(updated.locator("time")).to_have_attribute("title", re.compile(r"\d\d:\d\d"))
    assert updated.bounding_box()["y"] < PHONE["height"], "at the top of the page"

    second = server.post(story["slug"], "Second.")
    expect(updated.locator("time")).to_have_attribute("datetime", second["created_at"])
    announcer = page.locator("#announcer")
    page.clock.fast_forward("05:00")
    expect(updated).to_have_text(" · Updated 5 min ago")
    assert "min ago" not in (announcer.text_content() or ""), "the clock says nothing in the announcer"
    assert not page.script_errors


def server_times(html: str) -> list[str]:
    return re.findall(r"<time datetime=\"[^\"]+\">([^<]+)</time>", html)


@pytest.mark.parametrize("language", ["en", "fr", "de", "uk"])
def test_one_time_format_with_and_without_script(server, contexts, language):
    story = server.new_story("Times", language=language)
    server.post(story["slug"], "An update.", key_event=True)
    without = server_times(httpx.get(story["url"]).text)
    assert without and all(t.endswith(" UTC") for t in without)

    # In a browser in UTC, the script writes exactly what the server wrote.
    page = opened(contexts, DESKTOP, timezone_id="UTC")
    page.goto(story["url"])
    page.locator("#story[data-connected=yes]").wait_for(state="attached")
    shown = page.locator("#updates time, .meta time:not(.ago), #key-events time").all_text_contents()
    assert set(shown) <= set(without), (shown, without)

    # Elsewhere, the same shape in the reader's zone, saying which.
    page = opened(contexts, DESKTOP, timezone_id="Europe/Berlin")
    page.goto(story["url"])
    page.locator("#story[data-connected=yes]").wait_for(state="attached")
    berlin = page.locator("#updates a.permalink time").first.text_content()
    assert not berlin.endswith("UTC") and berlin != without[0]
    def shape(text: str) -> str:  # the digits and the zone aside
        return re.sub(r"\d+", "#", re.sub(r"(\d\d:\d\d).*$", r"\1", text))
    assert shape(berlin) == shape(without[0]), (berlin, without[0])
    assert not page.script_errors


def test_embed_is_at_most_its_height_with_read_more(server, contexts):
    story = server.new_story("Tall embed")
    for n in range(10):
        server.post(story["slug"], "\n\n".join(f"Paragraph {p} of update {n}." for p in range(6)))
    assert "embed-h-800" in httpx.get(story["url"] + "/embed").text, "800 px unless asked"
    assert "embed-h-2000" in httpx.get(story["url"] + "/embed?height=99999").text, "within bounds"
    assert "embed-h-300" in httpx.get(story["url"] + "/embed?height=10").text
    assert httpx.get(story["url"] + "/embed?height=tall").status_code == 422
    for size, height in ((PHONE, 800), (DESKTOP, 400)):
        page = opened(contexts, size)
        page.goto(story["url"] + f"/embed?height={height}")
        page.locator("#story[data-connected=yes]").wait_for(state="attached")
        assert page.evaluate("document.documentElement.getBoundingClientRect().height") <= height
        more = page.get_by_role("link", name="Read more")
        expect(more).to_be_in_viewport()
        expect(more).to_have_attribute("href", story["url"])
        expect(page.locator(".embed-clip")).to_have_class(re.compile(r"\bclipped\b"))
        assert not page.script_errors


def test_dead_permalink_says_the_update_is_gone(server, contexts):
    story = server.new_story("Permalinks that died")
    with httpx.Client(headers={"Authorization": f"Bearer {server.token}"}) as client:
        ids = [client.post(f"{server.url}/api/stories/{story['slug']}/updates", json={"body": f"U {n}"}).json()["id"]
               for n in range(55)]
    server.api("DELETE", f"/api/stories/{story['slug']}/updates/{ids[1]}")
    assert httpx.get(f"{server.url}/api/stories/{story['slug']}/updates/{ids[1]}").status_code == 404
    assert httpx.get(f"{server.url}/api/stories/{story['slug']}/updates/{ids[2]}").json()["id"] == ids[2]
    page = opened(contexts, PHONE)
    older: list[str] = []
    page.on("request", lambda r: older.append(r.url) if "before=" in r.url else None)
    for dead in (999999, ids[1]):
        page.goto(f"{story['url']}#update-{dead}")
        note = page.locator("#gone-update")
        expect(note).to_have_text("This update is no longer available.")
        expect(note).to_be_in_viewport()
        expect(note).to_be_focused()
    assert not older, "no older pages loaded looking for it"
    # A live permalink on an older page still reaches its update, and the note goes.
    page.goto(f"{story['url']}#update-{ids[2]}")
    expect(page.locator(f"#update-{ids[2]}")).to_be_in_viewport()
    expect(page.locator("#gone-update")).to_have_count(0)
    assert not page.script_errors


@pytest.mark.parametrize("setting", ["denied", "granted"])
def test_blocked_notifications_are_said_beside_the_follow_control(server, full_contexts, setting):
    """In the whole browser: the headless shell has no notification permission to grant."""
    story = server.new_story("Follow me")
    page = opened(full_contexts, PHONE)
    cdp = page.context.new_cdp_session(page)
    # What the reader chose in the browser's own prompt or settings, for this context.
    context_id = cdp.send("Target.getTargetInfo")["targetInfo"]["browserContextId"]
    cdp.send("Browser.setPermission", {"permission": {"name": "notifications"}, "setting": setting,
                                        "origin": server.url, "browserContextId": context_id})
    page.goto(story["url"])
    button = page.locator("#follow-push")
    expect(button).to_have_text("Notify me of key events")
    note = page.locator("#push-blocked")
    if setting == "denied":
        expect(note).to_be_visible()
        expect(note).to_have_text("Notifications are blocked for this site")
        assert note.evaluate("el => el.previousElementSibling.id") == "follow-push"
    else:
        expect(note).to_have_count(0)
    assert not page.script_errors
