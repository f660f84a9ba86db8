"""The queue on the desk in real headless Chromium: a contributor's draft reaches an
editor's desk live and no reader; the editor publishes it and the reader's open page shows
it; a post scheduled a few seconds ahead, typed in the editor's own zone, reaches an open
reader page when due and leaves the desk's schedule by itself."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from desk import LIVE, assert_not_reloaded, log_in, make_editor, mark_no_reload, start_story

pytestmark = pytest.mark.browser

ZONE = "America/New_York"  # the editor's browser is not in UTC, so the conversion shows


@pytest.fixture(scope="module")
def people(server) -> dict[str, str]:
    return {"editor": make_editor(server, "Mo Desk"), "contributor": make_editor(server, "Kit Stringer", role="contributor")}


def open_desk(page, server, slug: str) -> None:
    page.goto(f"{server.url}/admin/stories/{slug}")
    expect(page.locator("#desk")).to_have_attribute("data-queue-connected", "yes", timeout=LIVE)


def open_reader(page, server, slug: str) -> None:
    page.goto(f"{server.url}/stories/{slug}")
    expect(page.locator("#story")).to_have_attribute("data-connected", "yes", timeout=LIVE)


def test_a_contributors_draft_reaches_the_editor_live_and_readers_only_once_published(server, people, contexts):
    editor = contexts().new_page()
    log_in(editor, server, people["editor"])
    slug = start_story(editor, "Power cut across the north")
    open_desk(editor, server, slug)
    reader = contexts().new_page()
    open_reader(reader, server, slug)
    contributor = contexts().new_page()
    log_in(contributor, server, people["contributor"])
    open_desk(contributor, server, slug)
    mark_no_reload(editor, reader, contributor)

    expect(contributor.locator("#contributor-note")).to_contain_text("goes to the editors as a draft")
    expect(contributor.locator("#post-pinned")).to_have_count(0)
    expect(contributor.locator("#post-publish-at")).to_have_count(0)
    contributor.locator("#post-headline").fill("Substation fire")
    contributor.locator("#post-body").fill("Crews are at the **Eastfield** substation.")
    contributor.get_by_role("button", name="Send for approval").click()
    expect(contributor.locator("#draft-status")).to_have_text("Sent for approval")
    expect(contributor.locator("#post-body")).to_have_value("")
    mine = contributor.locator("#drafts .queue-item", has_text="Eastfield")
    expect(mine).to_be_visible()
    expect(mine.get_by_role("button", name="Publish")).to_have_count(0)  # not a contributor's call

    # The editor's desk learns of it without a reload, with Publish / Edit / Reject.
    draft = editor.locator("#drafts .queue-item", has_text="Eastfield")
    expect(draft).to_be_visible(timeout=LIVE)
    expect(draft.locator(".author")).to_have_text(people["contributor"])
    expect(draft.get_by_role("button", name="Reject")).to_be_visible()
    expect(draft.get_by_text("Edit", exact=True)).to_be_visible()
    expect(editor.locator("#drafts-count")).to_have_text("1")

    # Readers have nothing: an update the editor publishes afterwards arrives on its own
    # (the stream is in order, so a leaked draft would have come before it).
    editor.locator("#post-body").fill("Trains are running normally.")
    editor.get_by_role("button", name="Post update").click()
    expect(reader.locator("article.update", has_text="Trains are running")).to_be_visible(timeout=LIVE)
    expect(reader.locator("#updates")).not_to_contain_text("Eastfield")

    # The editor corrects it in place, then publishes it: readers see it at once.
    draft.get_by_text("Edit", exact=True).click()
    draft.locator("textarea[name=body]").fill("Crews are at the **Eastfield** substation; 4,000 homes are without power.")
    draft.get_by_role("button", name="Save changes").click()
    expect(draft.locator(".desk-view")).to_contain_text("4,000 homes")
    expect(mine.locator(".desk-view")).to_contain_text("4,000 homes", timeout=LIVE)
    draft.get_by_role("button", name="Publish").click()
    published = reader.locator("article.update", has_text="Eastfield")
    expect(published).to_be_visible(timeout=LIVE)
    expect(published.locator(".headline")).to_have_text("Substation fire")
    expect(published).to_contain_text("4,000 homes")
    expect(published.locator(".author")).to_have_text(people["contributor"])
    for desk in (editor, contributor):
        expect(desk.locator("#drafts .queue-item")).to_have_count(0, timeout=LIVE)
        expect(desk.locator("#desk-updates article.update", has_text="Eastfield")).to_be_visible(timeout=LIVE)
    expect(editor.locator("#drafts-empty")).to_be_visible()
    assert_not_reloaded(editor, reader, contributor)


def test_a_post_scheduled_seconds_ahead_reaches_an_open_reader_page_when_due(server, people, contexts):
    editor = contexts(timezone_id=ZONE, locale="en-GB").new_page()
    log_in(editor, server, people["editor"])
    slug = start_story(editor, "Count on the results")
    open_desk(editor, server, slug)
    second = contexts(timezone_id="UTC", locale="en-GB").new_page()  # another editor's desk, in UTC
    log_in(second, server, people["editor"])
    open_desk(second, server, slug)
    reader = contexts().new_page()
    open_reader(reader, server, slug)
    mark_no_reload(editor, second, reader)

    expect(editor.locator("#post-form [data-zone-hint]")).to_contain_text(ZONE)
    due = (datetime.now(timezone.utc) + timedelta(seconds=6)).replace(microsecond=0)
    wall = due.astimezone(ZoneInfo(ZONE))  # what the editor types: their own clock
    editor.locator("#post-body").fill("The first result is **in**.")
    editor.locator("#post-publish-at").fill(wall.strftime("%Y-%m-%dT%H:%M:%S"))
    editor.get_by_role("button", name="Schedule update").click()
    expect(editor.locator("#draft-status")).to_have_text("Update scheduled")

    # Both desks list it, each at its own clock's time; the reader has nothing yet.
    for desk, zone in ((editor, ZoneInfo(ZONE)), (second, timezone.utc)):
        item = desk.locator("#scheduled .queue-item", has_text="first result")
        expect(item).to_be_visible(timeout=LIVE)
        expect(item.locator(".queue-time")).to_have_attribute("datetime", due.isoformat().replace("+00:00", "Z"))
        expect(item.locator(".queue-time")).to_contain_text(due.astimezone(zone).strftime("%H:%M"))
    expect(reader.locator("#updates")).not_to_contain_text("first result")

    # When it is due the server publishes it: the open reader page shows it without a reload,
    # and it leaves both desks' schedules for their lists of updates.
    expect(reader.locator("article.update", has_text="The first result is in")).to_be_visible(timeout=30_000)
    for desk in (editor, second):
        expect(desk.locator("#scheduled .queue-item")).to_have_count(0, timeout=LIVE)
        expect(desk.locator("#desk-updates article.update", has_text="first result")).to_be_visible(timeout=LIVE)
    assert_not_reloaded(editor, second, reader)


def test_both_queue_counts_follow_a_post_scheduled_cancelled_and_rejected(server, people, page):
    """Each list's count and its "nothing here" line follow every change of the queue,
    and no change of it raises a script error (`page` fails the test on any)."""
    log_in(page, server, people["editor"])
    slug = start_story(page, "Roadworks on the ring road")
    open_desk(page, server, slug)
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    page.locator("#post-body").fill("The **east** lane closes tonight.")
    page.locator("#post-publish-at").fill(tomorrow.strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_role("button", name="Schedule update").click()
    expect(page.locator("#scheduled .queue-item")).to_have_count(1)
    expect(page.locator("#scheduled-count")).to_have_text("1")
    expect(page.locator("#scheduled-empty")).to_be_hidden()
    expect(page.locator("#drafts-count")).to_have_text("0")
    expect(page.locator("#drafts-empty")).to_be_visible()

    # Cancelled: back among the drafts.
    page.locator("#scheduled .queue-item").get_by_role("button", name="Cancel").click()
    expect(page.locator("#drafts .queue-item")).to_have_count(1)
    expect(page.locator("#drafts-count")).to_have_text("1")
    expect(page.locator("#drafts-empty")).to_be_hidden()
    expect(page.locator("#scheduled-count")).to_have_text("0")
    expect(page.locator("#scheduled-empty")).to_be_visible()

    page.locator("#drafts .queue-item").get_by_role("button", name="Reject").click()
    expect(page.locator("#drafts .queue-item")).to_have_count(0)
    expect(page.locator("#drafts-count")).to_have_text("0")
    expect(page.locator("#drafts-empty")).to_be_visible()
