"""Roles and the queue on the desk, over HTTP against a real server, without JavaScript:
a contributor's post is a draft and everything else they try is refused (403, nothing
changed); an editor publishes, rejects, schedules, reschedules and cancels with plain
forms (POST, then 303; an error comes back beside its field with the text kept); the
desk's queue stream opens with the session cookie."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from desk import Desk, make_editor, textarea, updates

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def names(server) -> dict[str, str]:
    """An editor and two contributors for the module (each costs a slow hash)."""
    return {
        "editor": make_editor(server, "Wren Editor"),
        "contributor": make_editor(server, "Cass Contributor", role="contributor"),
        "other": make_editor(server, "Remy Stringer", role="contributor"),
    }


def logged_in(server, name: str) -> Desk:
    desk = Desk(server)
    assert desk.login(name).status_code == 303
    return desk


@pytest.fixture
def editor(server, names) -> Desk:
    return logged_in(server, names["editor"])


@pytest.fixture
def contributor(server, names) -> Desk:
    return logged_in(server, names["contributor"])


def queue(server, slug: str, which: str) -> list[dict]:
    r = server.api("GET", f"/api/stories/{slug}/{which}")
    assert r.status_code == 200, r.text
    return r.json()["updates"]


def story(server, slug: str) -> dict:
    return httpx.get(f"{server.url}/api/stories/{slug}").json()


def wall_clock(moment: datetime) -> str:
    """What a datetime-local field sends: the time as typed, no zone."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def in_hours(hours: float) -> datetime:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).replace(microsecond=0)


def field_error(page: str, form: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{form}-{name}-error"[^>]*>([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


# -- a contributor ---------------------------------------------------------------


def test_a_contributors_post_is_a_draft_and_their_desk_says_so(server, editor, contributor, names):
    slug = editor.start_story("Contributor drafts")
    page = contributor.http.get(f"/admin/stories/{slug}").text
    assert "your update goes to the editors as a draft" in page
    assert ">Send for approval</button>" in page
    for control in ('name="pinned"', 'name="publish_at"', "/pin\"", "/delete\"", "/status\"", 'id="story-form"'):
        assert control not in page, control
    assert "Start the story" not in contributor.http.get("/admin").text

    r = contributor.post(f"/admin/stories/{slug}/updates", {"body": "Sirens near the **docks**.", "headline": "Sirens"})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/stories/{slug}"

    assert updates(server, slug) == []  # readers: nothing
    assert "docks" not in httpx.get(f"{server.url}/stories/{slug}").text
    (draft,) = queue(server, slug, "drafts")
    assert (draft["body"], draft["author"], draft["status"]) == ("Sirens near the **docks**.", names["contributor"], "draft")
    # Both desks list it as waiting; only the editor's has Publish and Reject for it.
    for desk, can_publish in ((editor, True), (contributor, False)):
        page = desk.http.get(f"/admin/stories/{slug}").text
        item = re.search(rf'<li class="desk-item queue-item" id="queue-update-{draft["id"]}".*?</li>', page, re.S).group(0)
        assert "<strong>docks</strong>" in item and f'<span class="author">{names["contributor"]}</span>' in item
        assert ("/publish" in item, "/reject" in item) == (can_publish, can_publish)
        assert 'data-desk-form="edit"' in item  # the editor's, and the contributor's own


def test_a_contributor_is_refused_everything_but_drafts_and_nothing_changes(server, editor, contributor, names):
    slug = editor.start_story("Refusals")
    assert editor.post(f"/admin/stories/{slug}/updates", {"body": "Published by the editor"}).status_code == 303
    published = updates(server, slug)[0]["id"]
    assert editor.post(f"/admin/stories/{slug}/updates", {"body": "Due later",
                                                          "publish_at": wall_clock(in_hours(3))}).status_code == 303
    scheduled = queue(server, slug, "scheduled")[0]["id"]
    other = logged_in(server, names["other"])
    assert other.post(f"/admin/stories/{slug}/updates", {"body": "Someone else's draft"}).status_code == 303
    others_draft = queue(server, slug, "drafts")[0]["id"]

    base = f"/admin/stories/{slug}"
    attempts = [
        (f"{base}/updates", {"body": "Pin me", "pinned": "on"}),
        (f"{base}/updates", {"body": "Schedule me", "publish_at": wall_clock(in_hours(2))}),
        (f"{base}/updates/{published}/pin", {"pinned": "1"}),
        (f"{base}/updates/{published}/delete", {}),
        (f"{base}/updates/{published}", {"body": "Rewritten by a contributor"}),
        (f"{base}/updates/{others_draft}", {"body": "Rewritten by a contributor"}),
        (f"{base}/updates/{others_draft}/publish", {}),
        (f"{base}/updates/{others_draft}/reject", {}),
        (f"{base}/updates/{scheduled}/publish", {}),
        (f"{base}/updates/{scheduled}/cancel", {}),
        (f"{base}/updates/{scheduled}/schedule", {"publish_at": wall_clock(in_hours(5))}),
        (base, {"title": "Retitled by a contributor"}),
        (f"{base}/status", {"status": "closed"}),
        ("/admin/stories", {"title": "A contributor's story"}),
    ]
    before = (updates(server, slug), queue(server, slug, "drafts"), queue(server, slug, "scheduled"), story(server, slug))
    for path, data in attempts:
        r = contributor.post(path, data)
        assert r.status_code == 403, (path, r.status_code)
        assert "editor" in r.text  # says who may
        r = contributor.post(path, data, headers=JSON)
        assert r.status_code == 403 and r.json()["errors"], path
    after = (updates(server, slug), queue(server, slug, "drafts"), queue(server, slug, "scheduled"), story(server, slug))
    assert after == before
    assert "A contributor's story" not in httpx.get(server.url + "/api/stories").text


def test_a_contributor_edits_their_own_draft(server, editor, contributor):
    slug = editor.start_story("Own draft")
    assert contributor.post(f"/admin/stories/{slug}/updates", {"body": "First wording"}).status_code == 303
    draft_id = queue(server, slug, "drafts")[0]["id"]
    r = contributor.post(f"/admin/stories/{slug}/updates/{draft_id}", {"body": "Second wording", "headline": "Better"})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/stories/{slug}#queue-update-{draft_id}"
    (draft,) = queue(server, slug, "drafts")
    assert (draft["body"], draft["headline"], draft["status"]) == ("Second wording", "Better", "draft")
    assert updates(server, slug) == []


# -- an editor's queue, without script -------------------------------------------------


def test_editor_publishes_and_rejects_drafts(server, editor, contributor, names):
    slug = editor.start_story("Publish and reject")
    for body in ("Worth publishing", "Not this one"):
        assert contributor.post(f"/admin/stories/{slug}/updates", {"body": body}).status_code == 303
    good, bad = (d["id"] for d in queue(server, slug, "drafts"))

    r = editor.post(f"/admin/stories/{slug}/updates/{good}/publish")
    assert r.status_code == 303 and r.headers["location"] == f"/admin/stories/{slug}#desk-update-{good}"
    r = editor.post(f"/admin/stories/{slug}/updates/{bad}/reject")
    assert r.status_code == 303 and r.headers["location"] == f"/admin/stories/{slug}"

    assert [(u["id"], u["body"], u["author"]) for u in updates(server, slug)] == [(good, "Worth publishing", names["contributor"])]
    assert queue(server, slug, "drafts") == []
    page = editor.http.get(f"/admin/stories/{slug}").text
    assert 'id="desk-update-%d"' % good in page and "Not this one" not in page
    # Publishing it again finds nothing to publish.
    assert editor.post(f"/admin/stories/{slug}/updates/{good}/publish").status_code == 404


def test_editor_schedules_from_the_post_form_in_utc_or_the_zone_sent(server, editor):
    slug = editor.start_story("Scheduling without script")
    page = editor.http.get(f"/admin/stories/{slug}").text
    assert re.search(r'<label for="post-publish-at">Schedule for <span class="hint">\(<span data-zone-hint>UTC</span>', page)

    at = in_hours(2)
    # No script: nothing in tz_offset, the time typed is UTC, as the form says.
    r = editor.post(f"/admin/stories/{slug}/updates", {"body": "In UTC", "publish_at": wall_clock(at), "tz_offset": ""})
    assert r.status_code == 303
    # desk.js sends the zone's offset: 15:00 typed at UTC+02:00 is 13:00 UTC.
    r = editor.post(f"/admin/stories/{slug}/updates",
                    {"body": "In Berlin summer time", "publish_at": wall_clock(at + timedelta(hours=2)), "tz_offset": "120"})
    assert r.status_code == 303
    scheduled = queue(server, slug, "scheduled")
    assert [(u["body"], u["publish_at"]) for u in scheduled] == [
        ("In UTC", at.isoformat().replace("+00:00", "Z")),
        ("In Berlin summer time", at.isoformat().replace("+00:00", "Z")),
    ]
    assert updates(server, slug) == []

    page = editor.http.get(f"/admin/stories/{slug}").text
    item = re.search(rf'id="queue-update-{scheduled[0]["id"]}".*?</li>', page, re.S).group(0)
    year = "" if at.year == datetime.now(timezone.utc).year else f"{at.year}, "  # the year only when not this one
    assert f"{at:%b} {at.day}, {year}{at:%H:%M} UTC" in item  # the time, in UTC without script
    assert "Publish now" in item and "/cancel" in item and "Change time" in item


def test_a_bad_time_comes_back_beside_the_field_with_everything_typed(server, editor):
    slug = editor.start_story("Bad times")
    body = "Keep **every** word of this."
    for typed, message in (
        (wall_clock(in_hours(-1)), "That time has passed"),
        ("tomorrow at noon", "Give a date and a time"),
        (wall_clock(in_hours(24 * 400)), "Schedule at most a year ahead"),
    ):
        r = editor.post(f"/admin/stories/{slug}/updates", {"body": body, "headline": "Kept", "publish_at": typed})
        assert r.status_code == 422
        assert message in field_error(r.text, "post", "publish_at")
        assert textarea(r.text, "post-body") == body
        assert 'value="Kept"' in r.text and f'value="{typed}"' in r.text
        r = editor.post(f"/admin/stories/{slug}/updates", {"body": body, "publish_at": typed}, headers=JSON)
        assert r.status_code == 422 and message in r.json()["errors"]["publish_at"]
    assert queue(server, slug, "scheduled") == [] and updates(server, slug) == []


def test_editor_moves_publishes_and_cancels_scheduled_updates(server, editor):
    slug = editor.start_story("Scheduled queue")
    for body in ("Move me", "Publish me now", "Cancel me"):
        assert editor.post(f"/admin/stories/{slug}/updates",
                           {"body": body, "publish_at": wall_clock(in_hours(3))}).status_code == 303
    move, now, cancel = (u["id"] for u in queue(server, slug, "scheduled"))

    later = in_hours(6)
    r = editor.post(f"/admin/stories/{slug}/updates/{move}/schedule", {"publish_at": wall_clock(later)})
    assert r.status_code == 303 and r.headers["location"] == f"/admin/stories/{slug}#queue-update-{move}"
    r = editor.post(f"/admin/stories/{slug}/updates/{move}/schedule", {"publish_at": ""})
    assert r.status_code == 422 and "Give the new time" in field_error(r.text, f"schedule-{move}", "publish_at")
    assert editor.post(f"/admin/stories/{slug}/updates/{now}/publish").status_code == 303
    assert editor.post(f"/admin/stories/{slug}/updates/{cancel}/cancel").status_code == 303

    assert [(u["id"], u["publish_at"]) for u in queue(server, slug, "scheduled")] == [
        (move, later.isoformat().replace("+00:00", "Z"))
    ]
    assert [u["id"] for u in updates(server, slug)] == [now]
    assert [(d["id"], d["publish_at"]) for d in queue(server, slug, "drafts")] == [(cancel, None)]


def test_queue_forms_answer_json_for_the_desks_script(server, editor, contributor):
    slug = editor.start_story("Queue over fetch")
    r = contributor.post(f"/admin/stories/{slug}/updates", {"body": "Draft over fetch"}, headers=JSON)
    assert r.status_code == 201
    draft = r.json()
    assert draft["status"] == "draft" and draft["body"] == "Draft over fetch" and 'class="update' in draft["html"]

    r = editor.post(f"/admin/stories/{slug}/updates", {"body": "Scheduled over fetch",
                                                       "publish_at": wall_clock(in_hours(1)), "tz_offset": "0"}, headers=JSON)
    assert r.status_code == 201 and r.json()["status"] == "scheduled"

    r = editor.post(f"/admin/stories/{slug}/updates/{draft['id']}/publish", headers=JSON)
    assert r.status_code == 200
    published = r.json()
    assert "status" not in published and published["id"] == draft["id"] and "Draft over fetch" in published["html"]


def test_queue_forms_need_the_csrf_token(server, editor, contributor):
    slug = editor.start_story("Queue CSRF")
    assert contributor.post(f"/admin/stories/{slug}/updates", {"body": "Waiting"}).status_code == 303
    draft_id = queue(server, slug, "drafts")[0]["id"]
    for action in ("publish", "reject", "cancel", "schedule"):
        r = editor.post(f"/admin/stories/{slug}/updates/{draft_id}/{action}", {"publish_at": wall_clock(in_hours(1))}, csrf="")
        assert r.status_code == 403, action
    assert [d["id"] for d in queue(server, slug, "drafts")] == [draft_id] and updates(server, slug) == []


# -- the desk's queue stream with the session ---------------------------------------------


def test_the_queue_stream_opens_with_a_desk_session(server, editor, contributor, sse):
    slug = editor.start_story("Queue stream by cookie")
    cookie = {"Cookie": f"liveblog_session={contributor.http.cookies['liveblog_session']}"}
    url = f"{server.url}/api/stories/{slug}/desk/events"
    stream = sse(url, headers=cookie).wait_open()
    assert stream.status == 200
    assert contributor.post(f"/admin/stories/{slug}/updates", {"body": "Seen by cookie"}).status_code == 303
    (event,) = stream.wait(1)
    assert event.event == "draft" and event.json["body"] == "Seen by cookie"

    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Cookie": "liveblog_session=forged"}).status_code == 401
    assert contributor.post("/logout").status_code == 303
    assert httpx.get(url, headers=cookie).status_code == 401  # a logged-out session reads nothing
