"""A whole desk session in real headless Chromium, with a reader's page open beside it:
post (with its character count and a preview showing the headline and badges), edit (with
its own preview), schedule, publish, cancel, upload an image into a post, delete and undo.
No script error and no console error on either page; the reader's page shows the result."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from playwright.sync_api import expect

from desk import LIVE, assert_not_reloaded, log_in, make_editor, mark_no_reload, start_story
from stand_ins import jpeg

pytestmark = pytest.mark.browser


def watched(page) -> list[str]:
    """Every script error and console error the page reports, kept for the end of the test."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    return errors


def test_a_whole_desk_session_reaches_the_reader(server, contexts):
    desk = contexts(timezone_id="UTC").new_page()
    reader = contexts().new_page()
    desk_errors, reader_errors = watched(desk), watched(reader)
    log_in(desk, server, make_editor(server, "Sam Session"))
    slug = start_story(desk, "Storm over the estuary")
    expect(desk.locator("#desk")).to_have_attribute("data-queue-connected", "yes", timeout=LIVE)
    reader.goto(f"{server.url}/stories/{slug}")
    expect(reader.locator("#story")).to_have_attribute("data-connected", "yes", timeout=LIVE)
    mark_no_reload(desk, reader)
    story = reader.locator("#updates")

    # Post: the count follows the typing; the preview is the update as readers will see it.
    desk.locator("#post-headline").fill("Ferry suspended")
    desk.locator("#post-body").fill("The **ferry** is suspended until the wind drops.")
    desk.locator("#post-key-event").check()
    expect(desk.locator("#post-body + .char-count")).to_have_text("48 of 50,000 characters")
    expect(desk.locator("#preview .headline")).to_have_text("Ferry suspended")
    expect(desk.locator("#preview .badge.key")).to_be_visible()
    expect(desk.locator("#preview-body strong")).to_have_text("ferry")
    desk.get_by_role("button", name="Post update").click()
    expect(story.locator("article.update", has_text="suspended until the wind drops")).to_be_visible(timeout=LIVE)
    first = story.locator("article.update").first  # followed by its id from here on
    first = story.locator(f"#{first.get_attribute('id')}")
    expect(first.locator(".badge.key")).to_be_visible()
    expect(desk.locator("#preview")).to_be_hidden()

    # Edit, with the edit's own preview.
    item = desk.locator("#desk-updates .desk-item", has_text="suspended until")
    # Arrived live, its edit form holds nothing yet: read-only until opened and read, so
    # nothing typed at once is lost or saved over the stored headline and key event.
    expect(item.locator("textarea[name=body]")).not_to_be_editable()
    item.get_by_text("Edit", exact=True).click()
    item.locator("textarea[name=body]").fill("The **ferry** is suspended until Thursday.")
    expect(item.locator("input[name=headline]")).to_have_value("Ferry suspended")
    expect(item.locator(".preview .body strong")).to_have_text("ferry")
    expect(item.locator(".preview .badge.key")).to_be_visible()
    item.get_by_role("button", name="Save changes").click()
    expect(first).to_contain_text("until Thursday", timeout=LIVE)
    expect(item.locator(".preview")).to_be_hidden()

    # Schedule one, then publish it now; schedule another, then cancel it.
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    for body in ("Schools reopen on Friday.", "The bridge reopens at dawn."):
        desk.locator("#post-body").fill(body)
        desk.locator("#post-publish-at").fill(tomorrow)
        desk.get_by_role("button", name="Schedule update").click()
        expect(desk.locator("#scheduled .queue-item", has_text=body)).to_be_visible(timeout=LIVE)
    desk.locator("#scheduled .queue-item", has_text="Schools").get_by_role("button", name="Publish now").click()
    expect(story.locator("article.update", has_text="Schools reopen")).to_be_visible(timeout=LIVE)
    desk.locator("#scheduled .queue-item", has_text="bridge").get_by_role("button", name="Cancel").click()
    expect(desk.locator("#drafts .queue-item", has_text="bridge reopens")).to_be_visible(timeout=LIVE)
    expect(desk.locator("#scheduled .queue-item")).to_have_count(0)

    # Upload an image into a post: its snippet goes where the cursor is; readers get the figure.
    desk.locator("#post-body").fill("Waves over the sea wall.")
    desk.get_by_text("Add an image to the text").click()
    desk.locator("#post-file").set_input_files({"name": "wall.jpg", "mimeType": "image/jpeg", "buffer": jpeg(800, 500)})
    desk.locator("#post-alt").fill("Waves breaking over the sea wall")
    desk.locator("#post-caption").fill("The sea wall at noon")
    desk.get_by_role("button", name="Upload and add to the text").click()
    expect(desk.locator("#post-body")).to_have_value(
        re.compile(r"^Waves over the sea wall\.\n\n<figure><img src=\"/media/[0-9a-f]{24}-800x500\.jpg\""))
    expect(desk.locator("#post-alt")).to_have_value("")
    expect(desk.locator("#preview img")).to_have_attribute("alt", "Waves breaking over the sea wall")
    desk.get_by_role("button", name="Post update").click()
    figure = story.locator("article.update figure", has_text="The sea wall at noon")
    expect(figure).to_be_visible(timeout=LIVE)
    expect(figure.locator("img")).to_have_attribute("alt", "Waves breaking over the sea wall")

    # Delete, then undo: readers lose it, then get it back in its place.
    doomed = desk.locator("#desk-updates .desk-item", has_text="until Thursday")
    doomed.get_by_text("Delete", exact=True).click()
    doomed.get_by_role("button", name="Yes, delete it").click()
    expect(first).to_have_count(0, timeout=LIVE)
    undo = desk.locator("#desk-deleted .deleted-item", has_text="Ferry suspended")
    expect(undo).to_contain_text("Deleted")
    expect(undo.get_by_role("button", name="Undo")).to_be_focused()
    undo.get_by_role("button", name="Undo").click()
    expect(first).to_be_visible(timeout=LIVE)
    expect(story.locator("article.update").last).to_contain_text("until Thursday")  # the oldest, still last
    expect(undo).to_have_count(0)
    expect(desk.locator("#desk-updates .desk-item", has_text="until Thursday")).to_be_visible(timeout=LIVE)

    # The story's lead image, from its settings form: readers opening the page get it.
    desk.get_by_text("Lead image", exact=True).click()
    desk.locator("#story-file").set_input_files({"name": "dusk.jpg", "mimeType": "image/jpeg", "buffer": jpeg(1200, 700)})
    desk.get_by_role("button", name="Upload and use as the lead image").click()
    expect(desk.locator("#story-image-shown img")).to_be_visible()
    expect(desk.locator("#story-image")).to_have_value(re.compile(r"^[0-9a-f]{24}-1200x700\.jpg$"))
    desk.locator("#story-caption").fill("The estuary at dusk")
    desk.get_by_role("button", name="Save the story’s settings").click()
    expect(desk.locator("#story-form")).not_to_have_attribute("aria-busy", "true")
    page = httpx.get(f"{server.url}/stories/{slug}").text
    assert '<figure class="lead">' in page and 'alt="The estuary at dusk"' in page

    assert_not_reloaded(desk, reader)
    assert desk_errors == [] and reader_errors == []
