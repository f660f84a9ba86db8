"""Closing a story that has scheduled updates asks what becomes of them (they would go out
the moment it reopens): publish them now, cancel them (back among the drafts), or keep
them. Without script, over HTTP: the close form lists them, and closing without a choice
is refused beside it with nothing changed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from desk import Desk, make_editor, updates

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def editor(server) -> Desk:
    desk = Desk(server)
    assert desk.login(make_editor(server, "Clo Closer")).status_code == 303
    return desk


def later(hours: float = 2) -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).replace(microsecond=0).isoformat()


def queue(server, slug: str, which: str) -> list[dict]:
    return server.api("GET", f"/api/stories/{slug}/{which}").json()["updates"]


def status(server, slug: str) -> str:
    return httpx.get(f"{server.url}/api/stories/{slug}").json()["status"]


def with_scheduled(server, title: str) -> tuple[str, dict]:
    slug = server.new_story(title)["slug"]
    return slug, server.post(slug, "The inquiry reports at noon.", headline="Inquiry report", publish_at=later())


def test_the_close_form_lists_them_and_a_choice_is_needed(server, editor):
    slug, scheduled = with_scheduled(server, "Close with a schedule")
    page = editor.http.get(f"/admin/stories/{slug}").text
    assert "Inquiry report" in page.split('id="close-scheduled-list"')[1].split("</ul>")[0]
    r = editor.post(f"/admin/stories/{slug}/status", {"status": "closed"})
    assert r.status_code == 422 and 'id="status-scheduled-error"' in r.text and "scheduled updates" in r.text
    assert status(server, slug) == "live" and [u["id"] for u in queue(server, slug, "scheduled")] == [scheduled["id"]]
    r = editor.post(f"/admin/stories/{slug}/status", {"status": "closed", "scheduled": "later"}, headers=JSON)
    assert r.status_code == 422 and "scheduled" in r.json()["errors"]
    assert status(server, slug) == "live"


def test_publish_them_now_then_close(server, editor):
    slug, scheduled = with_scheduled(server, "Close and publish")
    r = editor.post(f"/admin/stories/{slug}/status", {"status": "closed", "scheduled": "publish"})
    assert r.status_code == 303 and status(server, slug) == "closed"
    assert [u["id"] for u in updates(server, slug)] == [scheduled["id"]] and queue(server, slug, "scheduled") == []


def test_cancel_them_then_close(server, editor):
    slug, scheduled = with_scheduled(server, "Close and cancel")
    r = editor.post(f"/admin/stories/{slug}/status", {"status": "closed", "scheduled": "cancel"}, headers=JSON)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert updates(server, slug) == [] and queue(server, slug, "scheduled") == []
    assert [u["id"] for u in queue(server, slug, "drafts")] == [scheduled["id"]]


def test_keep_them_for_the_reopening(server, editor):
    slug, scheduled = with_scheduled(server, "Close and keep")
    r = editor.post(f"/admin/stories/{slug}/status", {"status": "closed", "scheduled": "keep"})
    assert r.status_code == 303 and status(server, slug) == "closed"
    assert [u["id"] for u in queue(server, slug, "scheduled")] == [scheduled["id"]] and updates(server, slug) == []
    # A story with nothing scheduled closes without being asked; the API's close is unchanged.
    empty = editor.start_story("Nothing scheduled")
    assert editor.post(f"/admin/stories/{empty}/status", {"status": "closed"}).status_code == 303
    other, _ = with_scheduled(server, "Closed by the API")
    assert server.api("PATCH", f"/api/stories/{other}", {"status": "closed"}).status_code == 200
    assert len(queue(server, other, "scheduled")) == 1
