"""Scheduled updates over real servers: published by the server at their time, once between
several processes, and still published after a restart in between."""

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from servers import server_env


def at(seconds: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat()


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def schedule(server, slug, body, seconds):
    r = server.api("POST", f"/api/stories/{slug}/updates", {"body": body, "publish_at": at(seconds)})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "scheduled"
    return r.json()


def test_scheduled_update_reaches_an_open_reader_at_its_time(server, sse):
    slug = server.new_story("Budget speech")["slug"]
    reader = sse(f"{server.url}/stories/{slug}/events").wait_open()
    update = schedule(server, slug, "The chancellor **rises**.", 2)
    assert httpx.get(f"{server.url}/api/stories/{slug}/updates").json()["updates"] == []
    listed = server.api("GET", f"/api/stories/{slug}/scheduled").json()["updates"]
    assert [u["id"] for u in listed] == [update["id"]] and listed[0]["publish_at"] == update["publish_at"]

    (event,) = reader.wait(1, timeout=20)
    assert event.event == "update" and event.json["id"] == update["id"]
    # Published at its time, not before: its time shown to readers is when it went out.
    assert when(event.json["created_at"]) >= when(update["publish_at"]).replace(microsecond=0)
    assert server.api("GET", f"/api/stories/{slug}/scheduled").json()["updates"] == []


def test_publish_now_cancel_and_reschedule(server, sse):
    slug = server.new_story("Match day")["slug"]
    reader = sse(f"{server.url}/stories/{slug}/events").wait_open()
    now = schedule(server, slug, "Kick-off", 3600)
    later = schedule(server, slug, "Half time", 3600)
    moved = server.api("PATCH", f"/api/stories/{slug}/updates/{later['id']}", {"publish_at": at(7200)})
    assert moved.status_code == 200 and when(moved.json()["publish_at"]) > when(later["publish_at"])

    assert server.api("POST", f"/api/stories/{slug}/updates/{now['id']}/publish").status_code == 200
    (event,) = reader.wait(1)
    assert event.json["id"] == now["id"]

    cancelled = server.api("POST", f"/api/stories/{slug}/updates/{later['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "draft"
    assert cancelled.json()["publish_at"] is None and cancelled.json()["body"] == "Half time"
    assert server.api("GET", f"/api/stories/{slug}/scheduled").json()["updates"] == []
    assert [u["id"] for u in server.api("GET", f"/api/stories/{slug}/drafts").json()["updates"]] == [later["id"]]
    assert server.api("POST", f"/api/stories/{slug}/updates/{later['id']}/cancel").status_code == 404


@pytest.mark.slow
def test_exactly_once_with_two_processes_sharing_the_database(start_server, tmp_path, sse):
    env = server_env(tmp_path)
    first = start_server(env)
    second = start_server(env)
    slug = first.new_story("Two processes")["slug"]
    readers = [sse(f"{s.url}/stories/{slug}/events").wait_open() for s in (first, second)]
    # Several due at the same moment, so both processes' schedulers find them due together.
    ids = {schedule(first, slug, f"Item {n}", 2)["id"] for n in range(6)}

    for reader in readers:
        events = reader.wait(len(ids), timeout=30)
        assert sorted(int(e.json["id"]) for e in events) == sorted(ids)
        assert all(e.event == "update" for e in events)
    # The log holds each publication once, whichever process made it.
    replay = sse(f"{second.url}/stories/{slug}/events", last_event_id=0)
    events = replay.wait(1 + len(ids))
    assert [e.event for e in events] == ["story"] + ["update"] * len(ids)
    for server in (first, second):
        assert "Traceback" not in server.log.read_text()  # neither process failed while racing


@pytest.mark.slow
def test_a_restart_before_the_time_still_publishes(start_server, sse):
    server = start_server()
    slug = server.new_story("Overnight")["slug"]
    # Far enough ahead for a stop and a start on a busy machine (a start takes seconds).
    update = schedule(server, slug, "Polls open", 20)
    server.stop()
    server.start()
    assert datetime.now(timezone.utc) < when(update["publish_at"]), "the restart took longer than the schedule"
    reader = sse(f"{server.url}/stories/{slug}/events").wait_open()
    (event,) = reader.wait(1, timeout=40)
    assert event.event == "update" and event.json["id"] == update["id"]
