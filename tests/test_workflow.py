"""Roles and approval over a real server: a contributor's post is a draft that readers never
see until an editor publishes it; editors see the queue live on the desk stream."""

from datetime import datetime, timedelta, timezone

import httpx
import pytest

TOMORROW = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()


@pytest.fixture(scope="module")
def contributor(server):
    return server.create_token("Casey Contributor", "contributor")


@pytest.fixture(scope="module")
def other_contributor(server):
    return server.create_token("Robin Stringer", "contributor")


def bearer(value):
    return {"Authorization": f"Bearer {value}"}


def reader_updates(server, slug):
    return httpx.get(f"{server.url}/api/stories/{slug}/updates").json()["updates"]


def test_draft_is_invisible_to_readers_until_published(server, contributor, sse):
    slug = server.new_story("Harbour fire")["slug"]
    reader = sse(f"{server.url}/stories/{slug}/events", last_event_id=0)
    desk_reader = sse(f"{server.url}/api/stories/{slug}/desk/events", headers=bearer(server.token)).wait_open()
    assert desk_reader.status == 200
    reader.wait(1)  # the story's own creation event
    opened_with = len(reader.events)

    r = server.api("POST", f"/api/stories/{slug}/updates",
                   {"body": "Smoke seen over **pier 4**.", "headline": "Fire", "key_event": True}, token=contributor)
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["author"] == "Casey Contributor" and draft["publish_at"] is None

    # The desk sees it at once; readers see nothing: not the API, the page or the stream.
    (queued,) = desk_reader.wait(1)
    assert queued.event == "draft" and queued.json["id"] == draft["id"] and queued.json["status"] == "draft"
    assert reader_updates(server, slug) == []
    assert "pier 4" not in httpx.get(f"{server.url}/stories/{slug}").text
    listed = server.api("GET", f"/api/stories/{slug}/drafts").json()["updates"]
    assert [u["id"] for u in listed] == [draft["id"]]
    assert server.api("GET", f"/api/stories/{slug}/drafts", token=None).status_code == 401
    assert httpx.get(f"{server.url}/api/stories/{slug}/desk/events").status_code == 401

    published = server.api("POST", f"/api/stories/{slug}/updates/{draft['id']}/publish")
    assert published.status_code == 200, published.text
    assert "status" not in published.json()  # the SPEC's update shape
    events = reader.wait(opened_with + 1)
    assert [e.event for e in events[opened_with:]] == ["update"]
    assert events[-1].json["id"] == draft["id"] and "pier 4" in events[-1].json["html"]
    assert [e.event for e in desk_reader.wait(2)] == ["draft", "published"]
    assert [u["id"] for u in reader_updates(server, slug)] == [draft["id"]]
    assert server.api("GET", f"/api/stories/{slug}/drafts").json()["updates"] == []
    # Publishing twice is refused: it is no longer a draft.
    assert server.api("POST", f"/api/stories/{slug}/updates/{draft['id']}/publish").status_code == 404

    # A fresh reader replaying the whole log never sees the draft stage.
    replay = sse(f"{server.url}/stories/{slug}/events", last_event_id=0)
    assert [e.event for e in replay.wait(2)] == ["story", "update"]


def test_contributor_limits(server, contributor, other_contributor):
    slug = server.new_story("Council vote")["slug"]
    published = server.post(slug, "The vote is at noon.")
    mine = server.api("POST", f"/api/stories/{slug}/updates", {"body": "Draft one"}, token=contributor).json()
    theirs = server.api("POST", f"/api/stories/{slug}/updates", {"body": "Draft two"}, token=other_contributor).json()

    forbidden = [
        ("POST", "/api/stories", {"title": "A contributor's story"}),
        ("PATCH", f"/api/stories/{slug}", {"status": "closed"}),
        ("POST", f"/api/stories/{slug}/updates", {"body": "Pin me", "pinned": True}),
        ("POST", f"/api/stories/{slug}/updates", {"body": "Later", "publish_at": TOMORROW}),
        ("PATCH", f"/api/stories/{slug}/updates/{published['id']}", {"body": "Changed"}),
        ("PATCH", f"/api/stories/{slug}/updates/{theirs['id']}", {"body": "Changed"}),
        ("PATCH", f"/api/stories/{slug}/updates/{mine['id']}", {"pinned": True}),
        ("DELETE", f"/api/stories/{slug}/updates/{published['id']}", None),
        ("POST", f"/api/stories/{slug}/updates/{mine['id']}/publish", None),
        ("POST", f"/api/stories/{slug}/updates/{mine['id']}/reject", None),
    ]
    for method, path, body in forbidden:
        r = server.api(method, path, body, token=contributor)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["errors"]["request"]

    # Nothing changed for readers or in the story.
    assert [u["body"] for u in reader_updates(server, slug)] == ["The vote is at noon."]
    assert httpx.get(f"{server.url}/api/stories/{slug}").json()["status"] == "live"
    # A contributor may still fix their own draft.
    fixed = server.api("PATCH", f"/api/stories/{slug}/updates/{mine['id']}", {"body": "Draft one, fixed"}, token=contributor)
    assert fixed.status_code == 200 and fixed.json()["body"] == "Draft one, fixed" and fixed.json()["status"] == "draft"


def test_editor_edits_and_rejects_drafts(server, contributor):
    slug = server.new_story("Strike talks")["slug"]
    first = server.api("POST", f"/api/stories/{slug}/updates", {"body": "Talks resume"}, token=contributor).json()
    second = server.api("POST", f"/api/stories/{slug}/updates", {"body": "Rumour"}, token=contributor).json()

    edited = server.api("PATCH", f"/api/stories/{slug}/updates/{first['id']}", {"headline": "Talks", "pinned": True})
    assert edited.status_code == 200 and edited.json()["headline"] == "Talks"
    rejected = server.api("POST", f"/api/stories/{slug}/updates/{second['id']}/reject")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert [u["id"] for u in server.api("GET", f"/api/stories/{slug}/drafts").json()["updates"]] == [first["id"]]
    assert server.api("POST", f"/api/stories/{slug}/updates/{second['id']}/publish").status_code == 404

    server.api("POST", f"/api/stories/{slug}/updates/{first['id']}/publish")
    (shown,) = reader_updates(server, slug)
    assert shown["headline"] == "Talks" and shown["pinned"] is True and shown["edited_at"] is None


def test_editor_can_keep_a_draft_and_bad_input(server):
    slug = server.new_story("Drafting")["slug"]
    r = server.api("POST", f"/api/stories/{slug}/updates", {"body": "Not yet", "draft": True})
    assert r.status_code == 201 and r.json()["status"] == "draft"
    assert reader_updates(server, slug) == []

    both = server.api("POST", f"/api/stories/{slug}/updates",
                      {"body": "x", "draft": True, "publish_at": TOMORROW})
    assert both.status_code == 422 and "publish_at" in both.json()["errors"]
    for bad in ("2001-01-01T00:00:00Z", "2099-01-01T00:00:00Z", TOMORROW[:19], "tomorrow"):
        r = server.api("POST", f"/api/stories/{slug}/updates", {"body": "x", "publish_at": bad})
        assert r.status_code == 422 and "publish_at" in r.json()["errors"], bad
    assert server.api("GET", f"/api/stories/{slug}/drafts").json()["updates"][0]["body"] == "Not yet"
