"""Corrections in the open, over HTTP against the shared server: a correction note on an
edit (API and desk), the byline of whoever changed it, the public history page and its
diff (escaped), the revisions JSON, the Atom entry, and display names as bylines; then in
Chromium, a correction arriving live on an open story page."""

from __future__ import annotations

import json
import re
from itertools import count
from xml.etree import ElementTree as ET

import httpx
import pytest

from desk import Desk, make_editor

ATOM = "{http://www.w3.org/2005/Atom}"
WAIT_MS = 15_000
_tokens = count(1)


def token(server, display_name: str = "") -> str:
    return server.create_token(f"bot-{next(_tokens)}", display_name=display_name)


def patch(server, slug: str, update_id: int, body: dict, by: str | None = None) -> httpx.Response:
    return server.api("PATCH", f"/api/stories/{slug}/updates/{update_id}", body, token=by or "default")


def test_a_correction_through_the_api_shows_on_the_page_and_in_the_history(server):
    reporter = token(server, "Alice Reporter")
    nadia = token(server, "Nadia Editor")
    slug = server.new_story("Bridge collapse")["slug"]
    posted = server.api("POST", f"/api/stories/{slug}/updates", {"body": "Ten people were hurt.",
                                                                  "headline": "Injuries"}, token=reporter).json()
    assert posted["author"] == "Alice Reporter" and posted["correction"] == "" and posted["corrected_at"] is None

    r = patch(server, slug, posted["id"], {"body": "Eleven people were hurt.",
                                           "correction": "An earlier version gave the wrong number."}, nadia)
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["author"] == "Alice Reporter" and edited["edited_by"] == "Nadia Editor"
    assert edited["correction"] == "An earlier version gave the wrong number."
    assert edited["corrected_at"] == edited["edited_at"]

    page = httpx.get(f"{server.url}/stories/{slug}").text
    card = re.search(rf'<article[^>]*id="update-{posted["id"]}".*?</article>', page, re.S).group(0)
    assert re.search(r'<p class="correction">Corrected <time datetime="[^"]+Z">[^<]+</time>: '
                     r'An earlier version gave the wrong number\.</p>', card)
    assert "Updated by Nadia Editor" in card and '<span class="author">Alice Reporter</span>' in card
    history_url = f"/stories/{slug}/updates/{posted['id']}/history"
    assert f'href="{history_url}"' in card

    history = httpx.get(server.url + history_url)
    assert history.status_code == 200 and history.headers["content-type"].startswith("text/html")
    assert "<del>Ten</del><ins>Eleven</ins> people were hurt." in history.text
    assert "Correction note: An earlier version gave the wrong number." in history.text
    assert re.search(r"Changed <time[^>]*>[^<]+</time> by Nadia Editor", history.text)
    assert re.search(r"Posted <time[^>]*>[^<]+</time> by Alice Reporter", history.text)

    revisions = httpx.get(f"{server.url}/api/stories/{slug}/updates/{posted['id']}/revisions")
    assert revisions.status_code == 200 and revisions.headers["access-control-allow-origin"] == "*"
    data = revisions.json()
    assert data["update"]["body"] == "Eleven people were hurt."
    assert [(v["number"], v["body"], v["headline"], v["editor"], v["correction"]) for v in data["revisions"]] == [
        (1, "Ten people were hurt.", "Injuries", "Nadia Editor", "An earlier version gave the wrong number.")]


def test_the_history_is_never_stale_after_another_edit(server):
    slug = server.new_story("Cached history")["slug"]
    update = server.post(slug, "First words.")
    history_url = f"{server.url}/stories/{slug}/updates/{update['id']}/history"
    assert "No earlier version of this update is kept." in httpx.get(history_url).text
    patch(server, slug, update["id"], {"body": "Second words."})
    assert "<del>First</del><ins>Second</ins> words." in httpx.get(history_url).text
    patch(server, slug, update["id"], {"body": "Third words.", "correction": "Third time lucky."})
    again = httpx.get(history_url).text
    assert "<del>Second</del><ins>Third</ins> words." in again and "Third time lucky." in again
    assert len(httpx.get(history_url.replace("/stories/", "/api/stories/").replace("/history", "/revisions"))
               .json()["revisions"]) == 2


def test_an_xss_payload_in_a_revision_stays_text_in_the_history(server):
    slug = server.new_story("Hostile history")["slug"]
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    update = server.post(slug, f"Harmless {payload}", headline=f"H {payload}")
    patch(server, slug, update["id"], {"body": "Cleaned up.", "headline": "Clean",
                                       "correction": f"Removed {payload}"})
    page = httpx.get(f"{server.url}/stories/{slug}/updates/{update['id']}/history").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    story = httpx.get(f"{server.url}/stories/{slug}").text
    assert "Removed &lt;img src=x" in story and "<script>alert" not in story


def test_pins_and_key_events_make_no_history(server):
    slug = server.new_story("Pins are no edit")["slug"]
    update = server.post(slug, "Roads closed.")
    assert patch(server, slug, update["id"], {"pinned": True, "key_event": True}).json()["edited_at"] is None
    assert httpx.get(f"{server.url}/api/stories/{slug}/updates/{update['id']}/revisions").json()["revisions"] == []
    assert "/history" not in httpx.get(f"{server.url}/stories/{slug}").text.split('id="updates"')[1]


@pytest.mark.parametrize("body, field", [
    ({"body": "Changed.", "correction": "x" * 501}, "correction"),
    ({"correction": "A note with no change of the text"}, "correction"),
    ({"body": "Changed.", "correction": 5}, "correction"),
])
def test_a_bad_correction_is_a_422_and_changes_nothing(server, body, field):
    slug = server.new_story("Bad corrections")["slug"]
    update = server.post(slug, "As it was.")
    r = patch(server, slug, update["id"], body)
    assert r.status_code == 422 and field in r.json()["errors"]
    now = httpx.get(f"{server.url}/api/stories/{slug}/updates/{update['id']}/revisions").json()
    assert now["revisions"] == [] and now["update"]["body"] == "As it was."


def test_history_of_an_unknown_deleted_or_draft_update_is_404(server):
    slug = server.new_story("No history")["slug"]
    gone = server.post(slug, "Soon gone.")
    server.api("DELETE", f"/api/stories/{slug}/updates/{gone['id']}")
    draft = server.post(slug, "Not yet.", draft=True)
    for update_id in (gone["id"], draft["id"], 999_999_999):
        for path in (f"/stories/{slug}/updates/{update_id}/history",
                     f"/api/stories/{slug}/updates/{update_id}/revisions"):
            assert httpx.get(server.url + path).status_code == 404, path
    assert httpx.get(f"{server.url}/stories/no-such-story/updates/1/history").status_code == 404


def test_the_atom_entry_carries_the_correction_and_moves_its_updated(server):
    slug = server.new_story("Feed corrections")["slug"]
    update = server.api("POST", f"/api/stories/{slug}/updates", {"body": "The mayor spoke."},
                        token=token(server, "Wire Desk")).json()
    feed_url = f"{server.url}/stories/{slug}/feed.atom"

    def entry():
        feed = ET.fromstring(httpx.get(feed_url).content)
        return feed.find(f"{ATOM}entry")

    before = entry().find(f"{ATOM}updated").text
    assert entry().find(f"{ATOM}author/{ATOM}name").text == "Wire Desk"
    patch(server, slug, update["id"], {"body": "The governor spoke.", "correction": "It was the governor."})
    after = entry()
    assert after.find(f"{ATOM}updated").text >= before
    assert after.find(f"{ATOM}updated").text == patch(server, slug, update["id"], {}).json()["edited_at"]
    content = after.find(f"{ATOM}content").text
    assert "The governor spoke." in content and re.search(r'<p class="correction">Corrected .+ UTC: '
                                                          r"It was the governor\.</p>", content)


def test_display_names_are_the_bylines_in_json_ld_and_the_api(server):
    slug = server.new_story("Bylines")["slug"]
    plain = server.post(slug, "By the default token.")  # no display name: the account's name
    named = server.api("POST", f"/api/stories/{slug}/updates", {"body": "By a named token."},
                       token=token(server, "Nadia Editor")).json()
    assert plain["author"] == "Test desk" and named["author"] == "Nadia Editor"
    page = httpx.get(f"{server.url}/stories/{slug}").text
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    authors = {p["articleBody"]: p["author"]["name"] for p in ld["liveBlogUpdate"]}
    assert authors == {"By the default token.": "Test desk", "By a named token.": "Nadia Editor"}
    listed = httpx.get(f"{server.url}/api/stories/{slug}/updates").json()["updates"]
    assert {u["author"] for u in listed} == {"Test desk", "Nadia Editor"}


def test_the_desk_edit_form_sends_a_correction_and_sets_the_byline(server):
    name = make_editor(server, display_name="Nadia Editor")
    desk = Desk(server)
    assert desk.login(name).status_code == 303
    slug = desk.start_story("Desk corrections")
    update = server.post(slug, "The dam held.")
    page = desk.http.get(f"/admin/stories/{slug}").text
    assert f'id="edit-{update["id"]}-correction"' in page and "Correction note (shown to readers)" in page

    r = desk.post(f"/admin/stories/{slug}/updates/{update['id']}",
                  {"body": "The dam partly gave way.", "headline": "", "correction": "The dam did not hold."})
    assert r.status_code == 303
    shown = httpx.get(f"{server.url}/api/stories/{slug}/updates").json()["updates"][0]
    assert (shown["correction"], shown["edited_by"], shown["author"]) == (
        "The dam did not hold.", "Nadia Editor", "Test desk")

    # Too long a note: the desk again, the error beside the field, the text as typed.
    r = desk.post(f"/admin/stories/{slug}/updates/{update['id']}",
                  {"body": "Something else.", "headline": "", "correction": "y" * 501})
    assert r.status_code == 422 and 'id="edit-%d-correction-error"' % update["id"] in r.text
    assert "Something else." in r.text

    # The editor's own byline, from the desk: what they post next carries it.
    r = desk.post(f"/admin/stories/{slug}/profile", {"display_name": "  Nadia   E. Editor "})
    assert r.status_code == 303
    assert 'value="Nadia E. Editor"' in desk.http.get(f"/admin/stories/{slug}").text
    r = desk.post(f"/admin/stories/{slug}/updates", {"body": "Posted from the desk."})
    assert r.status_code == 303
    newest = httpx.get(f"{server.url}/api/stories/{slug}/updates").json()["updates"][0]
    assert newest["author"] == "Nadia E. Editor"
    r = desk.post(f"/admin/stories/{slug}/profile", {"display_name": "z" * 121})
    assert r.status_code == 422 and "profile-display_name-error" in r.text
    r = desk.post(f"/admin/stories/{slug}/profile", {"display_name": "x"}, csrf="forged")
    assert r.status_code == 403


@pytest.mark.browser
def test_a_correction_arrives_live_and_its_history_link_shows_the_diff(server, page):
    nadia = token(server, "Nadia Editor")
    slug = server.new_story("Live correction")["slug"]
    update = server.post(slug, "Two ferries were cancelled.")
    page.goto(f"{server.url}/stories/{slug}")
    page.wait_for_selector('#story[data-connected="yes"]', timeout=WAIT_MS)
    page.evaluate("window.__sameDocument = true")

    patch(server, slug, update["id"], {"body": "Three ferries were cancelled.",
                                       "correction": "An earlier version said two ferries."}, nadia)
    card = page.locator(f"#update-{update['id']}")
    note = card.locator("p.correction")
    note.wait_for(timeout=WAIT_MS)
    assert re.fullmatch(r"Corrected .*\d\d:\d\d( [AP]M)?( \S+)?: An earlier version said two ferries\.", note.inner_text())
    assert note.locator("time").get_attribute("datetime").endswith("Z")
    assert "Updated by Nadia Editor" in card.locator("footer").inner_text()
    assert page.evaluate("window.__sameDocument") is True

    card.get_by_role("link", name="See what changed").click()
    page.wait_for_url(f"**/stories/{slug}/updates/{update['id']}/history", timeout=WAIT_MS)
    revision = page.locator("#revision-1")
    assert revision.locator("del").inner_text() == "Two"
    assert revision.locator("ins").inner_text() == "Three"
    assert "Correction note: An earlier version said two ferries." in revision.inner_text()
