"""What a reader sees in real headless Chromium: the page keeps itself current without a reload."""

import re
from datetime import datetime, timedelta, timezone

import pytest

pytestmark = pytest.mark.browser

WAIT_MS = 15_000


@pytest.fixture
def reader_page(browser):
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


def open_story(page, server, slug):
    page.goto(f"{server.url}/stories/{slug}")
    page.wait_for_selector('#story[data-connected="yes"]', timeout=WAIT_MS)
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads


def test_new_update_edit_delete_and_close_without_reload(server, reader_page):
    page = reader_page
    slug = server.new_story("Wildfire near the ridge")["slug"]
    first = server.post(slug, "Crews are on scene.")
    open_story(page, server, slug)
    assert page.locator("#live-banner").is_visible()

    update = server.post(slug, "Evacuation **ordered** for the east side.", headline="Evacuation", key_event=True)
    card = page.locator(f"#update-{update['id']}")
    card.wait_for(timeout=WAIT_MS)
    assert card.locator("strong").inner_text() == "ordered"
    # newest first, above the older update
    ids = page.eval_on_selector_all("#updates article.update", "els => els.map(e => e.id)")
    assert ids == [f"update-{update['id']}", f"update-{first['id']}"]
    page.locator("#key-events a", has_text="Evacuation").wait_for(timeout=WAIT_MS)

    server.api("PATCH", f"/api/stories/{slug}/updates/{first['id']}", {"body": "Crews **arrived**."})
    page.locator(f"#update-{first['id']} strong", has_text="arrived").wait_for(timeout=WAIT_MS)
    server.api("DELETE", f"/api/stories/{slug}/updates/{update['id']}")
    card.wait_for(state="detached", timeout=WAIT_MS)
    assert page.locator("#key-events a", has_text="Evacuation").count() == 0

    server.api("PATCH", f"/api/stories/{slug}", {"status": "closed", "title": "Wildfire contained"})
    page.locator("#live-banner").wait_for(state="detached", timeout=WAIT_MS)
    assert page.locator("#story-title").inner_text() == "Wildfire contained"
    assert page.evaluate("window.__sameDocument") is True


def test_the_live_dot_pulses_a_few_times_and_again_when_an_update_arrives(server, contexts):
    """Not for ever: a page left open for hours would be redrawn all that time."""
    page = contexts(reduced_motion="no-preference").new_page()
    slug = server.new_story("Pulse")["slug"]
    open_story(page, server, slug)
    dot = page.locator("#live-banner .live-dot")
    assert dot.evaluate("d => getComputedStyle(d).animationIterationCount") == "3"
    # Past its last pulse (finished here rather than waited for): it rests.
    assert dot.evaluate("d => { const [a] = d.getAnimations(); a.finish(); return a.playState; }") == "finished"
    server.post(slug, "Something happened.")
    page.locator("#updates article.update").wait_for(timeout=WAIT_MS)
    assert dot.evaluate("d => d.getAnimations().map(a => a.playState)") == ["running"]


def test_times_are_shown_in_the_readers_zone(server, reader_page):
    slug = server.new_story("Zones")["slug"]
    update = server.post(slug, "What time is it?")
    open_story(page := reader_page, server, slug)
    shown = page.locator(f"#update-{update['id']} header time").inner_text()
    utc = datetime.fromisoformat(update["created_at"].replace("Z", "+00:00"))
    tokyo = utc.astimezone(timezone(timedelta(hours=9)))
    assert re.search(tokyo.strftime("%H:%M"), shown), shown


def test_page_resumes_after_the_server_restarts(start_server, browser):
    """A reader's page survives the server going away: it reconnects and gets what it missed."""
    server = start_server()
    slug = server.new_story("Restart")["slug"]
    context = browser.new_context()
    page = context.new_page()
    try:
        open_story(page, server, slug)
        server.stop()
        page.wait_for_selector('#story[data-connected="no"]', timeout=WAIT_MS)
        server.start()
        missed = server.post(slug, "Posted while the reader was away.")
        page.locator(f"#update-{missed['id']}").wait_for(timeout=30_000)
        assert page.evaluate("window.__sameDocument") is True
    finally:
        context.close()


def test_a_story_closed_by_mistake_and_reopened_gets_its_banner_back(server, page):
    """Closed, then reopened at once: the open page drops the banner, shows it again (cloned
    from the page's own template of it) and keeps following the story."""
    slug = server.new_story("Closed by mistake")["slug"]
    open_story(page, server, slug)
    page.evaluate("""() => {
        window.__bannerDropped = false;
        new MutationObserver(() => {
            if (!document.getElementById("live-banner")) window.__bannerDropped = true;
        }).observe(document.getElementById("story"), { childList: true });
    }""")
    server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"})
    server.api("PATCH", f"/api/stories/{slug}", {"status": "live"})
    page.wait_for_function("() => window.__bannerDropped && document.getElementById('live-banner') !== null", timeout=WAIT_MS)
    banner = page.locator("#live-banner")
    assert banner.is_visible() and "Developing story" in banner.inner_text()
    assert page.locator("#closed-note").count() == 0
    update = server.post(slug, "Still developing.")
    page.locator(f"#update-{update['id']}").wait_for(timeout=WAIT_MS)
    assert page.evaluate("window.__sameDocument") is True


def test_a_story_closed_while_open_shows_the_closed_note_at_once(server, browser):
    """The story page (in English) and the embed (in Arabic) show, without a reload, the
    closed note a reload shows, with its time; the follow control goes."""
    story = server.new_story("Closing time")
    embedded = server.new_story("إغلاق التغطية", language="ar")
    context = browser.new_context(locale="en-GB", timezone_id="Asia/Tokyo")
    try:
        page, embed = context.new_page(), context.new_page()
        open_story(page, server, story["slug"])
        embed.goto(f"{server.url}/stories/{embedded['slug']}/embed")
        embed.wait_for_selector('#story[data-connected="yes"]', timeout=WAIT_MS)
        follow = page.locator("#follow-push")
        follow.wait_for(timeout=WAIT_MS)

        for closing in (story, embedded):
            server.api("PATCH", f"/api/stories/{closing['slug']}", {"status": "closed"})
        notes = []
        for tab in (page, embed):
            tab.locator("#closed-note time").wait_for(timeout=WAIT_MS)
            assert tab.locator("#live-banner").count() == 0
            notes.append(tab.locator("#closed-note").inner_text())
        follow.wait_for(state="detached", timeout=WAIT_MS)
        assert page.evaluate("window.__sameDocument") is True

        for tab, note in zip((page, embed), notes):
            tab.reload()
            assert tab.locator("#closed-note").inner_text() == note
        assert notes[0].startswith("This story is no longer being updated (closed ")
        assert notes[1].startswith("انتهت هذه التغطية (أُغلقت في ")
        assert page.locator("#follow-push").count() == 0
    finally:
        context.close()


def test_a_lost_connection_shows_reconnecting_then_what_was_caught_up(start_app_server, browser):
    """The server goes away: the banner says, quietly, that the page is reconnecting; posts
    made meanwhile are replayed once it is back, and the banner says how many."""
    server = start_app_server()
    slug = server.new_story("Patchy signal")["slug"]
    context = browser.new_context()
    try:
        page = context.new_page()
        open_story(page, server, slug)
        banner = page.locator("#live-banner")
        assert "this page updates itself" in banner.inner_text()
        # Kept away from the stream until the posts are in, so that they come as a replay.
        page.route("**/events?*", lambda route: route.abort())
        server.stop(abrupt=True)
        page.locator("#live-banner.reconnecting .connection", has_text="Reconnecting…").wait_for(timeout=WAIT_MS)
        page.locator("#announcer", has_text="Reconnecting…").wait_for(timeout=WAIT_MS)
        server.start()
        missed = [server.post(slug, f"Posted while the reader was away, number {n}.") for n in (1, 2)]
        page.unroute("**/events?*")
        page.locator("#live-banner .connection", has_text="Live · 2 updates caught up").wait_for(timeout=30_000)
        assert "reconnecting" not in banner.get_attribute("class")
        for update in missed:
            assert page.locator(f"#update-{update['id']}").is_visible()
        # The catching up is said once, not each replayed update.
        page.locator("#announcer", has_text="Live · 2 updates caught up").wait_for(timeout=WAIT_MS)
        assert page.evaluate("window.__sameDocument") is True
    finally:
        context.close()


def test_without_script_the_banner_asks_for_a_reload(server, browser):
    story = server.new_story("No script here")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(story["url"])
        banner = page.locator("#live-banner")
        assert banner.inner_text() == "Developing story — reload the page for the latest updates."
    finally:
        context.close()
    page = browser.new_page()
    try:
        open_story(page, server, story["slug"])
        assert page.locator("#live-banner").inner_text() == "Developing story — this page updates itself as news comes in."
    finally:
        page.close()
