"""Callouts, readers' questions and the desk's chat in real headless Chromium: a reader's
answer, sent from the story page, reaches an editor's desk live (contact details and
all) and not another reader's page; a reader typing an answer keeps it while the stream
changes the update around the form; an editor turns it into an update that every
reader gets live; a line of the desk's chat reaches a second editor's desk at once."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from desk import LIVE, Desk, assert_not_reloaded, log_in, make_editor, mark_no_reload
from stand_ins import jpeg

pytestmark = pytest.mark.browser

# An image is on screen before its bytes are in: wait for them (decode() throws if they never come).
LOADED_WIDTH = "img => img.decode().then(() => img.naturalWidth)"


def reader(contexts, server, slug):
    page = contexts().new_page()
    page.set_default_timeout(LIVE)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/stories/{slug}")
    page.wait_for_selector('#story[data-connected="yes"]')
    return page, errors


def desk_page(contexts, server, slug, name):
    page = contexts().new_page()
    page.set_default_timeout(LIVE)
    log_in(page, server, name)
    page.goto(f"{server.url}/admin/stories/{slug}")
    page.wait_for_selector('#desk[data-queue-connected="yes"]')
    return page


def test_an_answer_from_the_page_reaches_the_desk_live_and_becomes_an_update(server, contexts):
    editor = make_editor(server)
    slug = server.new_story("Flooding in the old town")["slug"]
    update = server.post(slug, "Water is rising in the market square.")
    desk_http = Desk(server)
    desk_http.login(editor)
    r = desk_http.post(f"/admin/stories/{slug}/updates/{update['id']}/callout",
                       {"prompt": "Are you in the old town? Tell us what you see.", "want_name": "1",
                        "want_contact": "1", "want_consent": "1", "want_image": "1"}, headers={"Accept": "application/json"})
    assert r.status_code == 201, r.text
    desk = desk_page(contexts, server, slug, editor)
    answering, errors = reader(contexts, server, slug)
    watching, _ = reader(contexts, server, slug)
    mark_no_reload(desk, answering, watching)

    form = answering.locator(f"#update-{update['id']} form[data-callout-form]")
    form.get_by_label("Your answer").fill("The water is at the doors of the bakery.")
    form.get_by_label("Your name").fill("Marta")
    form.get_by_label("Your photo").set_input_files(
        {"name": "bakery.jpg", "mimeType": "image/jpeg", "buffer": jpeg(800, 600)})
    # An edit of the update re-renders it, form and all, while the reader is typing.
    server.api("PATCH", f"/api/stories/{slug}/updates/{update['id']}", {"body": "Water is rising fast."})
    answering.locator(f"#update-{update['id']} .body", has_text="rising fast").wait_for()
    expect(form.get_by_label("Your answer")).to_have_value("The water is at the doors of the bakery.")
    expect(form.get_by_label("Your name")).to_have_value("Marta")
    assert form.get_by_label("Your photo").evaluate("field => field.files[0].name") == "bakery.jpg"
    form.get_by_label("How we can reach you").fill("marta@example.org")
    form.get_by_label("The newsroom may publish my name with my words").check()
    form.get_by_role("button", name="Send").click()
    expect(answering.locator(f"#update-{update['id']} .callout-sent")).to_contain_text("Thank you")

    item = desk.locator("#submissions li.submission", has_text="doors of the bakery")
    expect(item).to_contain_text("marta@example.org")
    expect(item).to_contain_text("Marta")
    expect(item.get_by_role("img", name="The photo the reader sent")).to_be_visible()
    assert item.get_by_role("img").evaluate(LOADED_WIDTH) == 800
    assert "bakery" not in watching.content() and "marta@example.org" not in answering.content()

    item.get_by_text("Publish in an update").click()
    item.get_by_label("Text").fill("Readers in the old town tell us the water has reached the shops.")
    item.get_by_label("With the reader’s name").check()
    item.get_by_label("With the reader’s photo").check()
    item.get_by_label("Describe the photo").fill("Flood water at the door of a bakery")
    item.get_by_role("button", name="Publish").click()
    expect(desk.locator("#submissions li.submission")).to_have_count(0)
    quoted = watching.locator("article.update .reader-words", has_text="doors of the bakery")
    expect(quoted).to_contain_text("A reader writes: Marta")
    photo = watching.get_by_role("img", name="Flood water at the door of a bakery")
    expect(photo).to_be_visible()
    assert photo.evaluate(LOADED_WIDTH) > 0
    assert photo.evaluate("img => new URL(img.currentSrc).pathname").startswith("/media/")
    assert "marta@example.org" not in watching.content()
    assert_not_reloaded(desk, answering, watching)
    assert errors == []


def test_the_desk_chat_reaches_a_second_editor_at_once(server, contexts):
    ada, grace = make_editor(server, display_name="Ada"), make_editor(server, display_name="Grace")
    slug = server.new_story("Budget day")["slug"]
    first = desk_page(contexts, server, slug, ada)
    second = desk_page(contexts, server, slug, grace)
    looking, _ = reader(contexts, server, slug)
    mark_no_reload(first, second)
    first.get_by_label("Message").fill("Grace, can you check the deficit figure?")
    first.get_by_role("button", name="Send to the desk").click()
    line = second.locator("#chat-lines li", has_text="check the deficit figure")
    expect(line).to_contain_text("Ada")
    expect(first.get_by_label("Message")).to_have_value("")
    expect(first.locator("#chat-lines li")).to_have_count(1)
    assert "deficit figure" not in looking.content()
    assert "deficit figure" not in httpx.get(f"{server.url}/stories/{slug}").text
    assert_not_reloaded(first, second)
