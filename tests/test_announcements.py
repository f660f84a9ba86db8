"""What a screen reader follows on the live story page, in headless Chromium: one polite
live region (#announcer) says briefly what arrived and what changed, nothing else in the
page is live (the clock's ticks, older pages and permalinks say nothing), focus stays on
something sensible when the update it is on changes, and every "Copy link" is named for
its own update."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGE = 50  # the story page shows the newest 50

# Every text the announcer held, in order (a MutationObserver on it), and every change
# inside any live region of the page.
WATCH = """() => {
    window.__said = [];
    window.__liveChanges = 0;
    const announcer = document.getElementById("announcer");
    new MutationObserver(() => {
        if (announcer.textContent) window.__said.push(announcer.textContent);
    }).observe(announcer, { childList: true, characterData: true, subtree: true });
    document.querySelectorAll("[aria-live], [role=status], [role=log], [role=alert]").forEach((region) => {
        new MutationObserver((records) => { window.__liveChanges += records.length; })
            .observe(region, { childList: true, characterData: true, subtree: true, attributes: true });
    });
}"""


def post_many(server, slug: str, bodies) -> list[int]:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.token}"}) as client:
        return [client.post(f"/api/stories/{slug}/updates", json={"body": body}).json()["id"] for body in bodies]


def open_story(page, url: str):
    page.goto(url)
    page.locator("#story[data-connected=yes]").wait_for(state="attached")
    page.evaluate(WATCH)


def said(page) -> list[str]:
    return page.evaluate("window.__said")


def wait_said(page, text: str):
    page.wait_for_function("(text) => window.__said.includes(text)", arg=text)


def test_a_new_update_and_an_edit_are_announced_briefly_once(server, page):
    story = server.new_story("Announced")
    server.post(story["slug"], "Already there when the page opened.")
    open_story(page, story["url"])
    assert page.locator("#updates").get_attribute("aria-live") is None
    live = page.locator("[aria-live]")
    expect(live).to_have_count(1)
    expect(live).to_have_attribute("id", "announcer")
    expect(live).to_have_attribute("aria-atomic", "true")

    update = server.post(story["slug"], "The **bridge** is shut in both directions.", headline="Bridge closed")
    wait_said(page, "Bridge closed — new update")
    server.api("PATCH", f"/api/stories/{story['slug']}/updates/{update['id']}", {"headline": "Bridge reopened"})
    wait_said(page, "Updated: Bridge reopened")
    # No headline: its first twelve words.
    server.post(story["slug"], "One two three four five six seven eight nine ten eleven twelve thirteen fourteen.")
    wait_said(page, "One two three four five six seven eight nine ten eleven twelve… — new update")
    assert said(page) == ["Bridge closed — new update", "Updated: Bridge reopened",
                          "One two three four five six seven eight nine ten eleven twelve… — new update"]
    assert page.locator(f"#update-{update['id']} .headline").inner_text() == "Bridge reopened"


def test_the_replay_on_page_load_is_not_announced(server, page):
    """A page older than the story (as any cache may hand out) replays what it misses,
    silently; what arrives after that is announced."""
    story = server.new_story("Replayed on load")
    missed = server.post(story["slug"], "Posted after this copy of the page was made.", headline="Missed")

    def older_copy(route):
        response = route.fetch()
        html = re.sub(r'data-last-event-id="\d+"', 'data-last-event-id="0"', response.text())
        html = re.sub(rf'<article [^>]*id="update-{missed["id"]}".*?</article>', "", html, flags=re.S)
        route.fulfill(response=response, body=html)

    page.route(story["url"], older_copy)
    page.add_init_script(f"document.addEventListener('DOMContentLoaded', {WATCH})")
    page.goto(story["url"])
    page.locator(f"#update-{missed['id']}").wait_for()
    page.locator("#story[data-connected=yes]").wait_for(state="attached")
    server.post(story["slug"], "Posted while the page is open.", headline="Live")
    wait_said(page, "Live — new update")
    assert said(page) == ["Live — new update"]


def test_updates_arriving_together_are_announced_as_one_count(server, page):
    story = server.new_story("Several at once")
    page.clock.install()
    open_story(page, story["url"])
    page.clock.pause_at("2030-01-01T00:00:00Z")  # the announcer gathers while the clock stands still
    ids = post_many(server, story["slug"], ["First of three.", "Second of three.", "Third of three."])
    for update_id in ids:
        page.locator(f"#update-{update_id}").wait_for()
    assert said(page) == []
    page.clock.run_for(1000)
    wait_said(page, "3 new updates, the latest: Third of three.")
    assert said(page) == ["3 new updates, the latest: Third of three."]


def test_five_minutes_of_clock_change_nothing_in_any_live_region(server, page):
    story = server.new_story("A quiet story")
    update = server.post(story["slug"], "Nothing else happens for a while.")
    page.clock.install()
    open_story(page, story["url"])
    ago = page.locator(f"#update-{update['id']} .ago")
    expect(ago).to_have_text("just now")
    page.clock.fast_forward("05:00")
    expect(ago).to_have_text("5 min ago")  # the relative times did change…
    assert page.evaluate("window.__liveChanges") == 0  # …and no live region heard of it


def test_new_updates_button_is_announced_once_per_count(server, page):
    story = server.new_story("Reading further down")
    post_many(server, story["slug"], [f"Background paragraph {n} with some words." for n in range(12)])
    open_story(page, story["url"])
    page.locator("#updates article.update").nth(8).scroll_into_view_if_needed()
    first = server.post(story["slug"], "Arrived above the reader.", headline="Above")
    wait_said(page, "Above — new update. 1 new update")
    expect(page.locator("#new-updates")).to_have_text("↑ 1 new update")
    server.post(story["slug"], "Also above.", headline="Again")
    wait_said(page, "Again — new update. 2 new updates")
    assert said(page) == ["Above — new update. 1 new update", "Again — new update. 2 new updates"]
    assert page.locator(f"#update-{first['id']}").is_visible()


def test_older_updates_and_permalinks_announce_nothing_and_focus_the_first_loaded(server, page):
    story = server.new_story("A long story", summary="More than a page")
    ids = post_many(server, story["slug"], [f"Update number {n}." for n in range(PAGE + 5)])
    open_story(page, story["url"])
    older = page.locator("#older-link")
    older.focus()
    page.keyboard.press("Enter")
    first_loaded = page.locator(f"#update-{ids[4]}")  # the newest update of the second page
    expect(first_loaded).to_be_focused()
    expect(first_loaded).to_be_in_viewport()
    expect(page.locator("#updates article.update")).to_have_count(PAGE + 5)
    assert page.evaluate("window.__liveChanges") == 0 and said(page) == []

    # A permalink to an update on an older page loads it, silently.
    page.goto(f"{story['url']}#update-{ids[1]}")
    expect(page.locator(f"#update-{ids[1]}")).to_have_class("update targeted")
    expect(page.locator("#announcer")).to_have_text("")


def focused(page) -> str:
    """Where focus is: the id of its update and its class, or its id outside any update."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        const article = el.closest("article.update");
        return article ? article.id + (el === article ? "" : " " + el.className) : el.id;
    }""")


def test_focus_stays_sensible_when_its_update_is_edited_moved_or_removed(server, page):
    story = server.new_story("Focus kept")
    slug = story["slug"]
    older, middle, newer = (server.post(slug, text) for text in ("Oldest one.", "Middle one.", "Newest one."))
    open_story(page, story["url"])

    # Edited: the same control of the replaced update has focus again.
    page.locator(f"#update-{middle['id']} .copy-link").focus()
    server.api("PATCH", f"/api/stories/{slug}/updates/{middle['id']}", {"body": "Middle one, edited."})
    expect(page.locator(f"#update-{middle['id']} .body")).to_have_text("Middle one, edited.")
    assert focused(page) == f"update-{middle['id']} copy-link"

    # Pinned, so moved to the top: still on it.
    page.locator(f"#update-{older['id']} a.permalink").focus()
    server.api("PATCH", f"/api/stories/{slug}/updates/{older['id']}", {"pinned": True})
    expect(page.locator("#updates article.update").first).to_have_id(f"update-{older['id']}")
    assert focused(page) == f"update-{older['id']} permalink"

    # Deleted: the next update takes focus; the last one gone, the heading of the updates.
    page.locator(f"#update-{newer['id']} .copy-link").focus()
    server.api("DELETE", f"/api/stories/{slug}/updates/{newer['id']}")
    expect(page.locator(f"#update-{newer['id']}")).to_have_count(0)
    assert focused(page) == f"update-{middle['id']}"
    server.api("DELETE", f"/api/stories/{slug}/updates/{middle['id']}")
    expect(page.locator(f"#update-{middle['id']}")).to_have_count(0)
    page.locator(f"#update-{older['id']}").focus()
    server.api("DELETE", f"/api/stories/{slug}/updates/{older['id']}")
    expect(page.locator(f"#update-{older['id']}")).to_have_count(0)
    assert focused(page) == "updates-title"


def test_every_copy_link_is_named_for_its_update(server, page):
    story = server.new_story("Named buttons")
    server.post(story["slug"], "The council meets at noon to decide on the closure of the old market hall.")
    server.post(story["slug"], "Short body.", headline="Market hall")
    open_story(page, story["url"])
    server.post(story["slug"], "Arrived live.", headline="Live one")
    page.get_by_role("button", name="Copy link to update: Live one").wait_for()
    names = page.locator("#updates .copy-link").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    assert names == [
        "Copy link to update: Live one",
        "Copy link to update: Market hall",
        "Copy link to update: The council meets at noon to decide on the closure of the…",
    ]
    assert len(set(names)) == len(names)
    expect(page.locator("#updates .copy-link").first).to_have_text("Copy link")
