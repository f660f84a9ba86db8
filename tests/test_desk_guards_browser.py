"""What keeps the desk from surprising an editor, in real headless Chromium: pinning asks
before it replaces the pinned update; leaving with unsaved text asks first (not after a
submit), and a draft keeps every field over a reload; a closed story's refused controls
are off, at load and live when another editor closes it, with a note why; an old field
error goes once the field is changed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from desk import LIVE, log_in, make_editor

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def name(server) -> str:
    return make_editor(server, "Gia Guard")


def open_desk(page, server, name: str, slug: str) -> None:
    log_in(page, server, name)
    page.goto(f"{server.url}/admin/stories/{slug}")
    expect(page.locator("#desk")).to_have_attribute("data-connected", "yes", timeout=LIVE)


def test_pinning_asks_before_it_replaces_the_pinned_update(server, name, page):
    slug = server.new_story("Two pins")["slug"]
    server.post(slug, "The old pin.", headline="Evacuation routes", pinned=True)
    server.post(slug, "Read this instead.")
    open_desk(page, server, name, slug)
    asked: list[str] = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    newer = page.locator("#desk-updates .desk-item", has_text="Read this instead")
    page.once("dialog", lambda d: answer(d, False))
    newer.get_by_role("button", name="Pin").click()
    expect(newer.get_by_role("button", name="Pin")).to_be_enabled()
    assert asked == ["This replaces the pinned update: Evacuation routes"]
    expect(page.locator('#desk-updates .desk-item[data-pinned="yes"]')).to_contain_text("The old pin")

    page.once("dialog", lambda d: answer(d, True))
    newer.get_by_role("button", name="Pin").click()
    expect(newer.get_by_role("button", name="Unpin")).to_be_visible(timeout=LIVE)
    expect(page.locator('#desk-updates .desk-item[data-pinned="yes"]')).to_have_count(1)
    assert len(asked) == 2
    # Pinning when nothing else is pinned asks nothing.
    newer.get_by_role("button", name="Unpin").click()
    expect(page.locator('#desk-updates .desk-item[data-pinned="yes"]')).to_have_count(0, timeout=LIVE)
    page.locator("#desk-updates .desk-item", has_text="The old pin").get_by_role("button", name="Pin").click()
    expect(page.locator('#desk-updates .desk-item[data-pinned="yes"]')).to_contain_text("The old pin", timeout=LIVE)
    assert len(asked) == 2


def test_leaving_with_unsaved_text_asks_and_a_draft_keeps_every_field(server, name, page):
    slug = server.new_story("Unsaved text")["slug"]
    open_desk(page, server, name, slug)
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))

    later = (datetime.now(timezone.utc) + timedelta(days=2)).replace(second=30, microsecond=0)
    wall = page.evaluate("(iso) => { const d = new Date(iso); const p = (n) => String(n).padStart(2, '0');"
                         " return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:"
                         "${p(d.getMinutes())}:${p(d.getSeconds())}`; }", later.isoformat())
    page.locator("#post-body").fill("Half-written update.")
    page.locator("#post-key-event").check()
    page.locator("#post-pinned").check()
    page.locator("#post-publish-at").fill(wall)
    expect(page.locator("#draft-status")).to_have_text("Draft kept in this browser")
    page.reload()
    assert asked == ["beforeunload"]
    expect(page.locator("#draft-status")).to_have_text("Draft restored from this browser")
    expect(page.locator("#post-body")).to_have_value("Half-written update.")
    expect(page.locator("#post-key-event")).to_be_checked()
    expect(page.locator("#post-pinned")).to_be_checked()
    expect(page.locator("#post-publish-at")).to_have_value(wall)
    expect(page.get_by_role("button", name="Schedule update")).to_be_visible()

    # An edit form typed in and closed again counts too.
    page.locator("#post-body").fill("")  # typed away: the draft goes
    page.locator("#post-publish-at").fill("")
    page.locator("#post-key-event").uncheck()
    page.locator("#post-pinned").uncheck()
    expect(page.locator("#draft-status")).to_have_text("")
    server.post(slug, "Stored text.")
    item = page.locator("#desk-updates .desk-item", has_text="Stored text")
    expect(item).to_be_visible(timeout=LIVE)
    item.get_by_text("Edit", exact=True).click()
    item.locator("textarea[name=body]").fill("Stored text, changed.")
    item.get_by_text("Edit", exact=True).click()
    page.reload()
    assert asked == ["beforeunload", "beforeunload"]

    # Not after a submit: the form is sent, then the page may go without asking.
    expect(page.locator("#desk")).to_have_attribute("data-connected", "yes", timeout=LIVE)
    page.locator("#post-body").fill("Sent at once.")
    page.get_by_role("button", name="Post update").click()
    expect(page.locator("#post-body")).to_have_value("")
    page.reload()
    assert asked == ["beforeunload", "beforeunload"]


def test_a_closed_story_turns_off_what_it_refuses_at_load_and_live(server, name, contexts):
    slug = server.new_story("Closing soon")["slug"]
    server.post(slug, "Published before the close.")
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    server.post(slug, "Scheduled before the close.", publish_at=tomorrow)
    mine, other = contexts().new_page(), contexts().new_page()
    for page in (mine, other):
        open_desk(page, server, name, slug)
    published = mine.locator("#desk-updates .desk-item", has_text="Published before")
    scheduled = mine.locator("#scheduled .queue-item", has_text="Scheduled before")
    expect(mine.get_by_role("button", name="Post update")).to_be_enabled()
    expect(mine.locator("#closed-note")).to_be_hidden()

    # Another editor closes it: the close form lists the scheduled update and asks.
    other.get_by_text("Close the story…").click()
    expect(other.locator("#close-scheduled-list")).to_contain_text("Scheduled before the close.")
    other.get_by_label("Keep them for when it reopens").check()
    other.get_by_role("button", name="Close the story").click()

    def refused(page) -> None:
        expect(page.locator("#closed-note")).to_be_visible(timeout=LIVE)
        expect(page.get_by_role("button", name="Post update")).to_be_disabled()
        expect(page.locator('#post-form [data-upload="post"]')).to_be_disabled()
        expect(page.locator("#post-body")).to_be_editable()  # what is typed stays, and may be copied
        item = page.locator("#desk-updates .desk-item", has_text="Published before")
        expect(item.get_by_role("button", name="Pin")).to_be_disabled()
        item.get_by_text("Delete", exact=True).click()
        expect(item.get_by_role("button", name="Yes, delete it")).to_be_disabled()
        queued = page.locator("#scheduled .queue-item", has_text="Scheduled before")
        expect(queued.get_by_role("button", name="Publish now")).to_be_disabled()
        expect(queued.get_by_role("button", name="Cancel")).to_be_enabled()  # a closed story still takes that

    refused(mine)
    assert published.count() == 1 and scheduled.count() == 1
    mine.reload()  # and so at load
    refused(mine)

    # Reopened: everything is back on, live.
    other.get_by_role("button", name="Reopen the story").click()
    expect(mine.locator("#closed-note")).to_be_hidden(timeout=LIVE)
    expect(mine.get_by_role("button", name="Post update")).to_be_enabled()
    expect(published.get_by_role("button", name="Pin")).to_be_enabled()


def test_a_field_error_goes_once_the_field_is_changed(server, name, page):
    slug = server.new_story("Errors that go")["slug"]
    open_desk(page, server, name, slug)
    page.locator("#post-body").fill("Too late for this time.")
    page.locator("#post-publish-at").fill("2020-01-01T09:00:00")
    page.get_by_role("button", name="Schedule update").click()
    error = page.locator("#post-publish_at-error")
    expect(error).to_contain_text("That time has passed")
    expect(page.locator("#post-publish-at")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#post-body")).to_have_value("Too late for this time.")
    page.locator("#post-publish-at").fill("")
    expect(error).to_be_hidden()
    expect(page.locator("#post-publish-at")).not_to_have_attribute("aria-invalid", "true")
    # Any field: the text's own error goes once something is typed.
    page.locator("#post-body").fill("   ")
    page.get_by_role("button", name="Post update").click()
    expect(page.locator("#post-body-error")).to_have_text("The update needs some text")
    page.locator("#post-body").fill("Now with text.")
    expect(page.locator("#post-body-error")).to_be_hidden()


def test_an_edit_form_fills_though_the_first_reads_fail_and_says_so_when_none_succeeds(server, name, page):
    """An update that arrived live has its Markdown read when its edit form opens; a busy
    server's answer is tried again, and a form that could not be filled says so."""
    slug = server.new_story("Refill")["slug"]
    open_desk(page, server, name, slug)
    failing = {"left": 1}

    def busy_at_first(route) -> None:
        if route.request.method == "GET" and failing["left"] > 0:
            failing["left"] -= 1
            route.fulfill(status=503, body="busy")
        else:
            route.continue_()

    page.route(f"**/admin/stories/{slug}/updates/*", busy_at_first)
    first = server.post(slug, "The **ferry** runs again.")
    item = page.locator(f'.desk-item[data-id="{first["id"]}"]')
    item.get_by_text("Edit", exact=True).click()
    expect(item.locator("textarea[name=body]")).to_have_value("The **ferry** runs again.", timeout=LIVE)
    expect(item.locator(".desk-note")).to_be_hidden()

    failing["left"] = 10
    second = server.post(slug, "The bridge stays shut.")
    item = page.locator(f'.desk-item[data-id="{second["id"]}"]')
    item.get_by_text("Edit", exact=True).click()
    expect(item.locator(".desk-note")).to_have_text(
        "This update’s text could not be loaded: close the edit form and open it again.", timeout=LIVE)
    body = item.locator("textarea[name=body]")
    expect(body).to_have_value("")
    expect(body).to_be_editable()
    item.get_by_text("Edit", exact=True).click()  # closed
    failing["left"] = 0
    item.get_by_text("Edit", exact=True).click()  # and open again: read this time
    expect(body).to_have_value("The bridge stays shut.", timeout=LIVE)
    expect(item.locator(".desk-note")).to_be_hidden()
