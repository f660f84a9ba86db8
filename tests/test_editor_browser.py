"""The desk in real headless Chromium: two editors and a reader on one story, live, with
script and without it; a failing post and a reload lose nothing that was typed."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from desk import LIVE, assert_not_reloaded, log_in, make_editor, mark_no_reload, start_story

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def editors(server) -> tuple[str, str]:
    return make_editor(server, "Ada Byline"), make_editor(server, "Grace Byline")


def item(page: Page, text: str):
    return page.locator(".desk-item", has_text=text)


def test_two_editors_and_a_reader_see_every_change_live(server, editors, contexts):
    ada, grace = editors
    desk_a = contexts().new_page()
    log_in(desk_a, server, ada)
    slug = start_story(desk_a, "Flooding on the river road")

    reader = contexts().new_page()
    reader.goto(f"{server.url}/stories/{slug}")
    desk_b = contexts().new_page()
    log_in(desk_b, server, grace)
    desk_b.goto(f"{server.url}/admin/stories/{slug}")
    expect(reader.locator("#story")).to_have_attribute("data-connected", "yes", timeout=LIVE)
    for desk in (desk_a, desk_b):
        expect(desk.locator("#desk")).to_have_attribute("data-connected", "yes", timeout=LIVE)
    mark_no_reload(desk_a, desk_b, reader)

    # Post, with the server's preview on the way.
    desk_a.get_by_label("Headline").first.fill("Road closed")
    desk_a.locator("#post-body").fill("The river road is **closed** at the bridge.")
    expect(desk_a.locator("#preview-body strong")).to_have_text("closed")
    desk_a.get_by_role("button", name="Post update").click()
    expect(desk_a.locator("#post-body")).to_have_value("")
    expect(desk_a.get_by_label("Headline").first).to_have_value("")
    for page in (reader, desk_b, desk_a):
        expect(page.locator("article.update", has_text="closed at the bridge")).to_be_visible(timeout=LIVE)
    expect(reader.locator("article.update .headline")).to_have_text("Road closed")
    expect(desk_b.locator(".desk-item .author")).to_have_text(ada)

    # Edit in place, from the other desk (its form fills from the server: it arrived live).
    edited = item(desk_b, "closed at the bridge")
    edited.get_by_text("Edit", exact=True).click()
    body = edited.locator("textarea[name=body]")
    expect(body).to_have_value("The river road is **closed** at the bridge.")
    body.fill("The river road is **closed** at the old bridge.")
    edited.get_by_role("button", name="Save changes").click()
    # The answer to the save takes the edit's preview (the same words) away; the stream may
    # bring the edit before it.
    expect(edited.locator("[data-preview-for]")).to_be_hidden(timeout=LIVE)
    for page in (reader, desk_a, desk_b):
        expect(page.locator("article.update", has_text="closed at the old bridge")).to_be_visible(timeout=LIVE)
        expect(page.locator("article.update .edited")).to_be_visible()

    # A second update, then pin the first: it goes to the top everywhere.
    desk_a.locator("#post-body").fill("Buses are being diverted.")
    desk_a.get_by_role("button", name="Post update").click()
    expect(reader.locator("article.update").first).to_contain_text("Buses are being diverted", timeout=LIVE)
    item(desk_b, "old bridge").get_by_role("button", name="Pin").click()
    expect(reader.locator("article.update").first).to_contain_text("old bridge", timeout=LIVE)
    expect(reader.locator("article.update.pinned .badge.pin")).to_have_text("Pinned")
    expect(desk_a.locator(".desk-item").first).to_contain_text("old bridge", timeout=LIVE)
    expect(item(desk_a, "old bridge").get_by_role("button", name="Unpin")).to_be_visible()

    # Delete, with its confirm.
    doomed = item(desk_a, "Buses are being diverted")
    doomed.get_by_text("Delete", exact=True).click()
    doomed.get_by_role("button", name="Yes, delete it").click()
    for page in (reader, desk_b, desk_a):
        expect(page.locator("article.update", has_text="Buses are being diverted")).to_have_count(0, timeout=LIVE)

    # The desk counts who has the story open: the reader, not the desks following it.
    expect(desk_a.locator("#reader-count")).to_have_text("1 open now", timeout=LIVE)

    # Title, then close: every open page follows; the reader's banner goes.
    desk_b.locator("#story-title").fill("Flooding on the river road: live")
    desk_b.get_by_role("button", name="Save the story’s settings").click()
    expect(reader.locator("#story-title")).to_have_text("Flooding on the river road: live", timeout=LIVE)
    expect(desk_a.locator("#desk-title")).to_have_text("Flooding on the river road: live", timeout=LIVE)
    expect(reader.locator("#live-banner")).to_be_visible()
    expect(desk_a.locator("#desk-status-closed")).to_be_hidden()
    expect(desk_a.locator("#closed-warning")).to_be_hidden()
    desk_b.get_by_text("Close the story…").click()
    desk_b.get_by_role("button", name="Close the story").click()
    expect(reader.locator("#live-banner")).to_have_count(0, timeout=LIVE)
    expect(desk_a.locator("#desk-status-closed")).to_be_visible(timeout=LIVE)
    expect(desk_a.locator("#desk-status-live")).to_be_hidden()
    expect(desk_a.get_by_role("button", name="Reopen the story")).to_be_visible()
    expect(desk_a.get_by_text("Close the story…")).to_be_hidden()
    expect(desk_a.locator("#closed-warning")).to_be_visible()

    # Reopened from one desk, the other follows (its stream had ended with the close).
    desk_b.get_by_role("button", name="Reopen the story").click()
    expect(desk_a.locator("#desk-status-live")).to_be_visible(timeout=LIVE)
    expect(desk_a.locator("#desk-status-closed")).to_be_hidden()
    desk_a.locator("#post-body").fill("Reopened: the water is rising again.")
    desk_a.get_by_role("button", name="Post update").click()
    expect(desk_b.locator("article.update", has_text="rising again")).to_be_visible(timeout=LIVE)
    assert_not_reloaded(desk_a, desk_b, reader)


def test_the_same_flow_without_javascript(server, editors, contexts):
    ada, _ = editors
    desk = contexts(java_script_enabled=False).new_page()
    log_in(desk, server, ada)
    slug = start_story(desk, "Power cut across the east side")
    desk_url = f"{server.url}/admin/stories/{slug}"
    reader = contexts().new_page()  # a reader with script, to see it all arrive live
    reader.goto(f"{server.url}/stories/{slug}")
    expect(reader.locator("#story")).to_have_attribute("data-connected", "yes", timeout=LIVE)
    mark_no_reload(reader)

    # The Preview button shows the server's rendering, with the text kept.
    desk.locator("#post-body").fill("About *2,000* homes are without power.")
    desk.get_by_role("button", name="Preview").click()
    expect(desk.locator("#preview-body em")).to_have_text("2,000")
    expect(desk.locator("#post-body")).to_have_value("About *2,000* homes are without power.")
    desk.get_by_role("button", name="Post update").click()
    expect(desk).to_have_url(desk_url)
    expect(desk.locator("#post-body")).to_have_value("")
    expect(reader.locator("article.update", has_text="homes are without power")).to_be_visible(timeout=LIVE)

    # An empty body comes back with the message beside it and the headline kept.
    desk.get_by_label("Headline").first.fill("Kept headline")
    desk.get_by_role("button", name="Post update").click()
    expect(desk.locator("#post-body-error")).to_have_text("The update needs some text")
    expect(desk.get_by_label("Headline").first).to_have_value("Kept headline")

    update = item(desk, "homes are without power")
    update.get_by_text("Edit", exact=True).click()
    update.locator("textarea[name=body]").fill("About *3,000* homes are without power.")
    update.get_by_role("button", name="Save changes").click()
    expect(reader.locator("article.update", has_text="3,000")).to_be_visible(timeout=LIVE)

    desk.locator("#post-body").fill("Crews are on their way.")
    desk.get_by_role("button", name="Post update").click()
    item(desk, "3,000").get_by_role("button", name="Pin").click()
    expect(reader.locator("article.update").first).to_contain_text("3,000", timeout=LIVE)
    expect(reader.locator("article.update.pinned")).to_have_count(1)

    doomed = item(desk, "Crews are on their way")
    doomed.get_by_text("Delete", exact=True).click()
    doomed.get_by_role("button", name="Yes, delete it").click()
    expect(desk.locator(".desk-item", has_text="Crews are on their way")).to_have_count(0)
    expect(reader.locator("article.update", has_text="Crews are on their way")).to_have_count(0, timeout=LIVE)

    desk.get_by_text("Close the story…").click()
    desk.get_by_role("button", name="Close the story").click()
    expect(desk.get_by_role("button", name="Reopen the story")).to_be_visible()
    expect(reader.locator("#live-banner")).to_have_count(0, timeout=LIVE)
    assert_not_reloaded(reader)

    desk.get_by_role("button", name="Log out").click()
    expect(desk).to_have_url(server.url + "/login")
    desk.goto(desk_url)
    expect(desk).to_have_url(re.compile(r"/login\?next="))


def test_a_failing_post_keeps_the_typed_text(server, editors, contexts):
    ada, _ = editors
    desk = contexts().new_page()
    log_in(desk, server, ada)
    slug = start_story(desk, "Refused posts")
    expect(desk.locator("#desk")).to_have_attribute("data-connected", "yes", timeout=LIVE)
    mark_no_reload(desk)

    too_long = "word " * 10_001
    desk.locator("#post-body").fill(too_long)
    desk.get_by_role("button", name="Post update").click()
    expect(desk.locator("#post-body-error")).to_have_text("The update is too long: at most 50,000 characters")
    expect(desk.locator("#post-body")).to_have_value(too_long)

    # The connection drops as the editor posts: nothing is lost, and it goes once back.
    desk.locator("#post-body").fill("Sent while offline.")
    desk.context.set_offline(True)
    desk.get_by_role("button", name="Post update").click()
    expect(desk.locator("#post-form [data-error-for=form]")).to_contain_text("connection failed")
    expect(desk.locator("#post-body")).to_have_value("Sent while offline.")
    desk.context.set_offline(False)

    # Another editor closes the story while this one is writing.
    server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"})
    # The desk turns posting off (tests/test_desk_guards_browser.py), the text stays.
    expect(desk.locator("#closed-warning")).to_be_visible(timeout=LIVE)
    expect(desk.get_by_role("button", name="Post update")).to_be_disabled()
    expect(desk.locator("#post-body")).to_have_value("Sent while offline.")
    expect(desk.locator("#post-body")).to_be_editable()
    stored = desk.evaluate(f"localStorage.getItem('liveblog:draft:{slug}')")
    assert "Sent while offline." in stored

    server.api("PATCH", f"/api/stories/{slug}", {"status": "live"})
    expect(desk.locator("#desk-status-live")).to_be_visible(timeout=LIVE)
    desk.get_by_role("button", name="Post update").click()
    expect(desk.locator("#post-body")).to_have_value("")
    assert [u["body"] for u in httpx.get(f"{server.url}/api/stories/{slug}/updates").json()["updates"]] == [
        "Sent while offline."
    ]
    assert_not_reloaded(desk)


def test_a_draft_survives_a_reload_until_the_server_stores_it(server, editors, contexts):
    ada, _ = editors
    desk = contexts().new_page()
    log_in(desk, server, ada)
    start_story(desk, "Drafts")
    desk.get_by_label("Headline").first.fill("Half-written headline")
    desk.locator("#post-body").fill("A sentence the editor has not posted yet")
    desk.reload()
    expect(desk.locator("#post-body")).to_have_value("A sentence the editor has not posted yet")
    expect(desk.get_by_label("Headline").first).to_have_value("Half-written headline")
    expect(desk.locator("#draft-status")).to_have_text("Draft restored from this browser")

    desk.get_by_role("button", name="Post update").click()
    # The stream may show the update before the post's own answer is in: the form and its
    # preview empty (and the draft goes) with that answer.
    expect(desk.locator("#post-body")).to_have_value("", timeout=LIVE)
    expect(desk.locator("article.update", has_text="not posted yet")).to_be_visible(timeout=LIVE)
    desk.reload()
    expect(desk.locator("#post-body")).to_have_value("")
    expect(desk.get_by_label("Headline").first).to_have_value("")


def test_an_open_edit_keeps_its_text_when_another_editor_changes_or_deletes_the_update(server, editors, contexts):
    ada, _ = editors
    desk = contexts().new_page()
    log_in(desk, server, ada)
    slug = start_story(desk, "Edit conflicts")
    first = server.post(slug, "Original wording")
    second = server.post(slug, "Second original")
    desk.reload()
    expect(desk.locator("#desk")).to_have_attribute("data-connected", "yes", timeout=LIVE)

    mine = item(desk, "Original wording")
    mine.get_by_text("Edit", exact=True).click()
    mine.locator("textarea[name=body]").fill("My careful correction")
    server.api("PATCH", f"/api/stories/{slug}/updates/{first['id']}", {"body": "Their quick fix"})
    expect(desk.locator("article.update", has_text="Their quick fix")).to_be_visible(timeout=LIVE)
    holder = desk.locator(f"#desk-update-{first['id']}")
    expect(holder.locator(".desk-note")).to_contain_text("Someone else changed this update")
    expect(holder.locator("textarea[name=body]")).to_have_value("My careful correction")

    other = item(desk, "Second original")
    other.get_by_text("Edit", exact=True).click()
    other.locator("textarea[name=body]").fill("Words nobody else has seen")
    server.api("DELETE", f"/api/stories/{slug}/updates/{second['id']}")
    gone = desk.locator(f"#desk-update-{second['id']}")
    expect(gone.locator(".desk-note")).to_contain_text("Another editor deleted this update", timeout=LIVE)
    expect(gone.locator("textarea[name=body]")).to_have_value("Words nobody else has seen")
    expect(gone.locator("article.update")).to_have_count(0)

    holder.get_by_role("button", name="Save changes").click()
    expect(holder.locator("[data-preview-for]")).to_be_hidden(timeout=LIVE)  # the save's answer is in
    expect(desk.locator("article.update", has_text="My careful correction")).to_be_visible(timeout=LIVE)
    expect(holder.locator(".desk-note")).to_be_hidden()
