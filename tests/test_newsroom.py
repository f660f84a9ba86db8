"""The newsroom (liveblog/newsroom.py): each command checks the author's role once, writes
through the store, and announces exactly what it appended — or, refused, writes and
announces nothing.

A real store on a temporary SQLite database; the hub is a recorder of announcements, since
what is checked here is what the newsroom tells it (tests/test_stream.py and the browser
tests check what the hub then does)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest

from liveblog.db import make_engine, upgrade
from liveblog.errors import Forbidden, Invalid
from liveblog.inputs import StoryIn, StoryPatch, UpdateIn, UpdatePatch
from liveblog.newsroom import CONTRIBUTOR, Author, Newsroom
from liveblog.store import Store

EDITOR = Author("Erin Editor")
CONTRIB = Author("Casey Contributor", CONTRIBUTOR)


class RecordingHub:
    """Stands where the hub does: records each announcement the newsroom makes."""

    def __init__(self):
        self.announced: list[tuple[str, int, int]] = []

    async def announce(self, story_id: int, event_id: int | None) -> None:
        if event_id is not None:
            self.announced.append(("readers", story_id, event_id))

    async def announce_desk(self, story_id: int, event_id: int | None) -> None:
        if event_id is not None:
            self.announced.append(("desk", story_id, event_id))


@pytest.fixture
def room(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'newsroom.db'}")
    upgrade(engine)
    newsroom = Newsroom(Store(engine), RecordingHub())
    yield newsroom
    engine.dispose()


def run(coro):
    return asyncio.run(coro)


def logs(room: Newsroom, story_id: int) -> tuple[list, list]:
    """Both logs of a story, as stored: (readers' events, desk events)."""
    return room.store.events_after(story_id, 0), room.store.desk_events_after(story_id, 0)


def announced_is_the_end_of_the_log(room: Newsroom, story_id: int) -> None:
    """What the newsroom announced last is the newest event of each log, after its commit."""
    readers, desk = logs(room, story_id)
    for log, events in (("readers", readers), ("desk", desk)):
        told = [event_id for kind, sid, event_id in room.hub.announced if kind == log and sid == story_id]
        assert (told[-1] if told else None) == (events[-1].id if events else None), log


def refused_without_trace(room: Newsroom, story_id: int, command, error=Forbidden) -> None:
    before, announced = logs(room, story_id), list(room.hub.announced)
    with pytest.raises(error):
        run(command)
    assert logs(room, story_id) == before, "a refused command wrote to a log"
    assert room.hub.announced == announced, "a refused command was announced"


def story(room: Newsroom, title: str = "Floods in the valley"):
    return run(room.start_story(EDITOR, StoryIn(title=title)))


def post(room: Newsroom, slug: str, author: Author = EDITOR, **fields):
    return run(room.post(author, slug, UpdateIn(body=fields.pop("body", "Water is rising."), **fields)))


def test_start_story_is_an_editors_and_announces_its_first_event(room):
    refused_without_trace(room, 0, room.start_story(CONTRIB, StoryIn(title="Not mine to start")))
    assert room.store.list_stories() == []
    started = story(room)
    (event,) = room.store.events_after(started.id, 0)
    assert event.kind == "story" and json.loads(event.data)["status"] == "live"
    assert room.hub.announced == [("readers", started.id, event.id)]


def test_change_close_and_reopen_are_an_editors(room):
    s = story(room)
    refused_without_trace(room, s.id, room.change_story(CONTRIB, s.slug, StoryPatch(title="Retitled")))
    refused_without_trace(room, s.id, room.close(CONTRIB, s.slug))
    assert run(room.change_story(EDITOR, s.slug, StoryPatch(title="Retitled"))).title == "Retitled"
    announced_is_the_end_of_the_log(room, s.id)
    closed = run(room.close(EDITOR, s.slug))
    assert closed.status == "closed" and room.store.events_after(s.id, 0)[-1].closes
    announced_is_the_end_of_the_log(room, s.id)
    refused_without_trace(room, s.id, room.reopen(CONTRIB, s.slug))
    assert run(room.reopen(EDITOR, s.slug)).status == "live"
    announced_is_the_end_of_the_log(room, s.id)


def test_an_editors_post_reaches_readers_a_contributors_goes_to_the_desk(room):
    s = story(room)
    published = post(room, s.slug, body="Bridge **closed**.")
    assert published.status == "published"
    assert room.store.events_after(s.id, 0)[-1].kind == "update"
    announced_is_the_end_of_the_log(room, s.id)

    readers_before = room.store.events_after(s.id, 0)
    draft = post(room, s.slug, CONTRIB, body="Seen from the hill: the road is flooded.")
    assert draft.status == "draft"
    assert room.store.events_after(s.id, 0) == readers_before  # nothing new for readers
    assert room.store.desk_events_after(s.id, 0)[-1].kind == "draft"
    announced_is_the_end_of_the_log(room, s.id)


def test_a_contributor_may_not_pin_or_schedule_a_post(room):
    s = story(room)
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    refused_without_trace(room, s.id, room.post(CONTRIB, s.slug, UpdateIn(body="Pin me", pinned=True)))
    refused_without_trace(room, s.id, room.post(CONTRIB, s.slug, UpdateIn(body="Later", publish_at=later)))


def test_edit_a_contributor_may_change_only_their_own_draft(room):
    s = story(room)
    published = post(room, s.slug)
    mine = post(room, s.slug, CONTRIB, body="My draft")
    theirs = post(room, s.slug, Author("Other Contributor", CONTRIBUTOR), body="Their draft")
    for update in (published, theirs):
        refused_without_trace(room, s.id, room.edit(CONTRIB, s.slug, update.id, UpdatePatch(body="Changed")))
    refused_without_trace(room, s.id, room.edit(CONTRIB, s.slug, mine.id, UpdatePatch(pinned=True)))

    assert run(room.edit(CONTRIB, s.slug, mine.id, UpdatePatch(body="My draft, corrected"))).body == "My draft, corrected"
    assert room.store.desk_events_after(s.id, 0)[-1].kind == "draft"
    announced_is_the_end_of_the_log(room, s.id)
    edited = run(room.edit(EDITOR, s.slug, published.id, UpdatePatch(body="Water is still rising.")))
    assert edited.edited_at is not None and room.store.events_after(s.id, 0)[-1].kind == "edit"
    announced_is_the_end_of_the_log(room, s.id)


def test_pin_is_an_editors_and_unpins_the_other(room):
    s = story(room)
    first, second = post(room, s.slug, body="First"), post(room, s.slug, body="Second")
    refused_without_trace(room, s.id, room.pin(CONTRIB, s.slug, first.id))
    run(room.pin(EDITOR, s.slug, first.id))
    run(room.pin(EDITOR, s.slug, second.id))
    edits = [json.loads(e.data) for e in room.store.events_after(s.id, 0) if e.kind == "edit"]
    # The second pin's events: the first unpinned, then the second pinned, both announced.
    assert [(e["id"], e["pinned"]) for e in edits[-2:]] == [(first.id, False), (second.id, True)]
    announced_is_the_end_of_the_log(room, s.id)
    # Neither a pin nor a key-event mark is an edit of what the update says.
    run(room.edit(EDITOR, s.slug, first.id, UpdatePatch(key_event=True)))
    assert all(json.loads(e.data)["edited_at"] is None for e in room.store.events_after(s.id, 0) if e.kind == "edit")


def test_delete_is_an_editors(room):
    s = story(room)
    update = post(room, s.slug)
    refused_without_trace(room, s.id, room.delete(CONTRIB, s.slug, update.id))
    deleted = run(room.delete(EDITOR, s.slug, update.id))
    assert (deleted.id, deleted.status) == (update.id, "deleted") and deleted.deleted_at is not None
    assert room.store.events_after(s.id, 0)[-1].kind == "delete"
    announced_is_the_end_of_the_log(room, s.id)


def test_publish_and_reject_are_an_editors(room):
    s = story(room)
    draft, other = post(room, s.slug, CONTRIB, body="For approval"), post(room, s.slug, CONTRIB, body="No")
    refused_without_trace(room, s.id, room.publish(CONTRIB, s.slug, draft.id))
    refused_without_trace(room, s.id, room.reject(CONTRIB, s.slug, other.id))
    assert run(room.publish(EDITOR, s.slug, draft.id)).status == "published"
    assert room.store.events_after(s.id, 0)[-1].kind == "update"
    assert room.store.desk_events_after(s.id, 0)[-1].kind == "published"
    announced_is_the_end_of_the_log(room, s.id)
    assert run(room.reject(EDITOR, s.slug, other.id)).status == "rejected"
    assert room.store.desk_events_after(s.id, 0)[-1].kind == "rejected"
    announced_is_the_end_of_the_log(room, s.id)


def test_schedule_and_unschedule_are_an_editors(room):
    s = story(room)
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    scheduled = post(room, s.slug, publish_at=soon)
    assert scheduled.status == "scheduled" and room.store.events_after(s.id, 0)[-1].kind == "story"
    later = soon + timedelta(hours=1)
    refused_without_trace(room, s.id, room.schedule(CONTRIB, s.slug, scheduled.id, later))
    refused_without_trace(room, s.id, room.unschedule(CONTRIB, s.slug, scheduled.id))
    refused_without_trace(room, s.id, room.schedule(EDITOR, s.slug, scheduled.id, soon - timedelta(days=1)), Invalid)
    assert run(room.schedule(EDITOR, s.slug, scheduled.id, later)).publish_at == later
    announced_is_the_end_of_the_log(room, s.id)
    assert run(room.unschedule(EDITOR, s.slug, scheduled.id)).status == "draft"
    assert room.store.desk_events_after(s.id, 0)[-1].kind == "draft"
    announced_is_the_end_of_the_log(room, s.id)


def test_publish_due_publishes_what_has_come_due_once(room):
    s = story(room)
    due = post(room, s.slug, publish_at=datetime.now(timezone.utc) + timedelta(seconds=30))
    assert run(room.publish_due()) == 0  # not yet
    at_its_time = datetime.now(timezone.utc) + timedelta(seconds=31)
    assert run(room.publish_due(at_its_time)) == 1
    assert run(room.publish_due(at_its_time)) == 0  # taken once
    (event,) = [e for e in room.store.events_after(s.id, 0) if e.kind == "update"]
    assert json.loads(event.data)["id"] == due.id
    announced_is_the_end_of_the_log(room, s.id)


def test_a_closed_story_refuses_posts_and_announces_nothing(room):
    s = story(room)
    run(room.close(EDITOR, s.slug))
    refused_without_trace(room, s.id, room.post(EDITOR, s.slug, UpdateIn(body="Too late")), Invalid)


def test_an_edit_is_signed_by_its_editor_and_carries_its_correction(room):
    reporter = Author("alice", display_name="Alice Reporter")
    desk = Author("nadia", display_name="Nadia Editor")
    slug = story(room, "Corrections").slug
    update = post(room, slug, reporter, body="The mayor said so.")
    assert update.shown_author == "Alice Reporter" and update.author == "alice"
    edited = run(room.edit(desk, slug, update.id, UpdatePatch(body="The governor said so.",
                                                              correction="It was the governor, not the mayor.")))
    assert (edited.edited_by, edited.updated_by, edited.correction) == (
        "Nadia Editor", "Nadia Editor", "It was the governor, not the mayor.")
    _, revisions = room.store.revisions(slug, update.id)
    assert [(r.editor, r.editor_byline, r.body) for r in revisions] == [("nadia", "Nadia Editor", "The mayor said so.")]
    kind, data = [(e.kind, json.loads(e.data)) for e in room.store.events_after(update.story_id, 0)][-1]
    assert kind == "edit" and data["author"] == "Alice Reporter"
    assert "Updated by Nadia Editor" in data["html"] and "It was the governor, not the mayor." in data["html"]
    assert f'href="/stories/{slug}/updates/{update.id}/history"' in data["html"]
    announced_is_the_end_of_the_log(room, update.story_id)


def test_a_pin_through_the_newsroom_makes_no_revision(room):
    slug = story(room, "Pinned").slug
    update = post(room, slug)
    run(room.pin(EDITOR, slug, update.id))
    run(room.edit(EDITOR, slug, update.id, UpdatePatch(key_event=True)))
    now, revisions = room.store.revisions(slug, update.id)
    assert revisions == [] and now.edited_at is None and now.pinned and now.key_event
