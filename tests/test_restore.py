"""Undo for a delete: an editor restores a deleted update within five minutes (server-kept
window) and readers get it back live, as posted, in its place; the page, the JSON and the
feeds agree. After the window, or for a contributor, the restore is refused and nothing
changes. Over HTTP against a real server, with the API and the desk's plain forms."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update as sql_update

from liveblog.models import Update
from liveblog.newsroom import RESTORE_WINDOW

from desk import Desk, make_editor, updates

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def names(server) -> dict[str, str]:
    return {"editor": make_editor(server, "Una Undo"), "contributor": make_editor(server, "Cato Stringer", role="contributor")}


def logged_in(server, name: str) -> Desk:
    desk = Desk(server)
    assert desk.login(name).status_code == 303
    return desk


def age_deletion(server, update_id: int, by: timedelta) -> None:
    """Move an update's deletion back in time, as if it had been deleted `by` ago."""
    def act(store):
        with store._writing() as s:
            row = s.get(Update, update_id)
            s.execute(sql_update(Update).where(Update.id == update_id).values(deleted_at=row.deleted_at - by))
    server._on_database(act)


def test_a_deleted_update_comes_back_for_readers_live_and_everywhere(server, names, sse):
    desk = logged_in(server, names["editor"])
    slug = desk.start_story("Undo a delete")
    first = server.post(slug, "The bridge is closed.", headline="Bridge closed", key_event=True)
    second = server.post(slug, "Trains are running again.")
    reader = sse(f"{server.url}/stories/{slug}/events").wait_open()

    r = desk.post(f"/admin/stories/{slug}/updates/{first['id']}/delete", headers=JSON)
    assert r.status_code == 200 and r.json()["headline"] == "Bridge closed" and r.json()["undo_until"]
    deleted = reader.wait(1)[0]
    assert (deleted.event, deleted.json["id"]) == ("delete", first["id"])
    assert [u["id"] for u in updates(server, slug)] == [second["id"]]
    # Without script the desk says "Deleted · Undo" for it.
    page = desk.http.get(f"/admin/stories/{slug}").text
    assert f'id="deleted-{first["id"]}"' in page and f'/updates/{first["id"]}/restore' in page

    r = desk.post(f"/admin/stories/{slug}/updates/{first['id']}/restore")
    assert r.status_code == 303 and r.headers["location"].endswith(f"#desk-update-{first['id']}")
    restored = reader.wait(2)[1]
    assert (restored.event, restored.json["id"]) == ("update", first["id"])
    assert "The bridge is closed." in restored.json["html"]
    # In its place in time (before the second), as posted, in the JSON, the page and both feeds.
    listed = updates(server, slug)
    assert [u["id"] for u in listed] == [second["id"], first["id"]]
    assert listed[1]["created_at"] == first["created_at"] and listed[1]["key_event"] is True
    assert "Bridge closed" in httpx.get(f"{server.url}/stories/{slug}").text
    for feed in ("feed.atom", "key-events.atom"):
        assert "Bridge closed" in httpx.get(f"{server.url}/stories/{slug}/{feed}").text
    assert f'id="deleted-{first["id"]}"' not in desk.http.get(f"/admin/stories/{slug}").text
    # Restored once: a second undo finds nothing deleted.
    assert desk.post(f"/admin/stories/{slug}/updates/{first['id']}/restore", headers=JSON).status_code == 404


def test_the_window_is_the_servers_and_a_contributor_may_not_restore(server, names):
    editor, contributor = logged_in(server, names["editor"]), logged_in(server, names["contributor"])
    slug = editor.start_story("Too late to undo")
    posted = server.post(slug, "A mistake.")
    assert server.api("DELETE", f"/api/stories/{slug}/updates/{posted['id']}").status_code == 204

    r = contributor.post(f"/admin/stories/{slug}/updates/{posted['id']}/restore", headers=JSON)
    assert r.status_code == 403
    token = server.create_token("Cato's tool", "contributor")
    assert server.api("POST", f"/api/stories/{slug}/updates/{posted['id']}/restore", token=token).status_code == 403
    assert updates(server, slug) == []

    age_deletion(server, posted["id"], RESTORE_WINDOW + timedelta(seconds=1))
    r = editor.post(f"/admin/stories/{slug}/updates/{posted['id']}/restore", headers=JSON)
    assert r.status_code == 422 and "too late" in r.json()["errors"]["update"]
    r = editor.post(f"/admin/stories/{slug}/updates/{posted['id']}/restore")  # without script: the desk says so
    assert r.status_code == 422 and re.search(r'id="desk-alert" role="alert">[^<]*too late', r.text)
    assert f'id="deleted-{posted["id"]}"' not in r.text  # the undo is no longer offered
    assert updates(server, slug) == []

    # Within the window the API's editor restores it; an update never deleted is not found.
    again = server.post(slug, "Another one.")
    server.api("DELETE", f"/api/stories/{slug}/updates/{again['id']}")
    r = server.api("POST", f"/api/stories/{slug}/updates/{again['id']}/restore")
    assert r.status_code == 200 and r.json()["body"] == "Another one."
    assert server.api("POST", f"/api/stories/{slug}/updates/{again['id']}/restore").status_code == 404
    assert [u["id"] for u in updates(server, slug)] == [again["id"]]


def test_a_restored_pin_comes_back_unless_another_was_pinned_since(server, names):
    slug = server.new_story("Pinned and deleted")["slug"]
    pinned = server.post(slug, "Read this first.", pinned=True)
    server.api("DELETE", f"/api/stories/{slug}/updates/{pinned['id']}")
    assert server.api("POST", f"/api/stories/{slug}/updates/{pinned['id']}/restore").json()["pinned"] is True

    server.api("DELETE", f"/api/stories/{slug}/updates/{pinned['id']}")
    newer = server.post(slug, "Now this is first.", pinned=True)
    assert server.api("POST", f"/api/stories/{slug}/updates/{pinned['id']}/restore").json()["pinned"] is False
    assert [u["pinned"] for u in updates(server, slug)] == [True, False] and updates(server, slug)[0]["id"] == newer["id"]
