"""The store on a temporary SQLite database, without a server: each write and its event in
one transaction, event ids that only increase, closed stories that refuse posts, the
queue's moves, and search."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from liveblog import db
from liveblog.errors import Invalid, UpdateNotFound
from liveblog.models import Event, Update, utcnow
from liveblog.store import Store


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> Path:
    """A database with the migrations applied once; each test gets a copy of its own."""
    path = tmp_path_factory.mktemp("schema") / "empty.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def store(schema, tmp_path):
    shutil.copy(schema, tmp_path / "store.db")
    engine = db.make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    yield Store(engine)
    engine.dispose()


def rows(store: Store, table) -> list:
    with Session(store.engine) as s:
        return list(s.exec(select(table)))


def test_a_post_and_its_event_are_stored_together(store):
    story = store.create_story("Flooding", "The river rises")
    posted = store.add_update(story.value.slug, "Water is *rising*.", "Ada", headline="Rising")
    assert posted.story_id == story.story_id and posted.event_id > story.event_id
    events = store.events_after(story.story_id, story.event_id)
    assert [(e.id, e.kind) for e in events] == [(posted.event_id, "update")]
    data = json.loads(events[0].data)
    assert data["id"] == posted.value.id and data["body_html"] == "<p>Water is <em>rising</em>.</p>\n"


def test_a_write_whose_event_fails_leaves_nothing_behind(store, monkeypatch):
    slug = store.create_story("Flooding").value.slug
    before = (len(rows(store, Update)), len(rows(store, Event)))
    append = store._append

    def append_then_fail(*args):
        append(*args)  # the event row is written in the transaction, then the write fails
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_append", append_then_fail)
    with pytest.raises(RuntimeError):
        store.add_update(slug, "Never half stored.", "Ada")
    assert (len(rows(store, Update)), len(rows(store, Event))) == before


def test_event_ids_only_increase_across_stories_and_kinds(store):
    first, second = store.create_story("One").value.slug, store.create_story("Two").value.slug
    written = [
        store.add_update(first, "a", "Ada"),
        store.add_update(second, "b", "Ada"),
        store.edit_update(first, store.list_updates(first)[0][0].id, body="a, corrected"),
        store.update_story(second, title="Two, renamed"),
        store.delete_update(second, store.list_updates(second)[0][0].id),
    ]
    ids = [w.event_id for w in written]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert store.last_event_ids([written[0].story_id, written[1].story_id]) == {
        written[0].story_id: ids[2], written[1].story_id: ids[4]}


def test_a_change_that_changes_nothing_appends_no_event(store):
    slug = store.create_story("Flooding", "Summary").value.slug
    assert store.update_story(slug, title="Flooding", summary="Summary").event_id is None
    update = store.add_update(slug, "Same", "Ada").value
    assert store.edit_update(slug, update.id, body="Same").event_id is None


def test_a_closed_story_refuses_posts_until_it_is_reopened(store):
    story = store.create_story("Flooding").value
    update = store.add_update(story.slug, "Before closing", "Ada").value
    closed = store.update_story(story.slug, status="closed")
    assert closed.value.closed_at is not None
    last = store.last_event_id(story.id)
    for write in (lambda: store.add_update(story.slug, "After", "Ada"),
                  lambda: store.edit_update(story.slug, update.id, body="Changed"),
                  lambda: store.delete_update(story.slug, update.id)):
        with pytest.raises(Invalid) as refused:
            write()
        assert "closed" in refused.value.errors["story"]
    assert store.last_event_id(story.id) == last  # the closing event stays the last one
    assert store.update_story(story.slug, status="live").value.closed_at is None
    assert store.add_update(story.slug, "Open again", "Ada").event_id > last


def test_one_pinned_update_per_story_and_the_unpinned_one_is_an_edit(store):
    slug = store.create_story("Flooding").value.slug
    first = store.add_update(slug, "First", "Ada", pinned=True)
    second = store.add_update(slug, "Second", "Ada", pinned=True)
    page = store.story_page(slug)
    assert page.pinned.id == second.value.id and not store.get_update(slug, first.value.id).pinned
    kinds = [(e.kind, json.loads(e.data)["id"]) for e in store.events_after(first.story_id, first.event_id)]
    assert kinds == [("edit", first.value.id), ("update", second.value.id)]


def test_slugs_are_made_from_titles_and_kept_unique(store):
    assert store.create_story("Storm Ciarán hits the coast").value.slug == "storm-ciaran-hits-the-coast"
    assert store.create_story("Storm Ciarán hits the coast").value.slug == "storm-ciaran-hits-the-coast-2"
    with pytest.raises(Invalid) as taken:
        store.create_story("Other", slug="storm-ciaran-hits-the-coast")
    assert "slug" in taken.value.errors


def test_a_draft_goes_to_the_desk_log_only_until_published(store):
    story = store.create_story("Flooding").value
    reader_log = store.last_event_id(story.id)
    draft = store.add_update(story.slug, "From the field", "Cass", status="draft", pinned=True)
    assert draft.event_id is None and store.last_event_id(story.id) == reader_log
    assert [u.id for u in store.queued_updates(story.slug, "draft")] == [draft.value.id]
    assert store.list_updates(story.slug)[0] == []
    desk = store.desk_events_after(story.id, 0)
    assert [e.kind for e in desk] == ["draft"] and json.loads(desk[0].data)["id"] == draft.value.id

    published = store.publish_update(story.slug, draft.value.id)
    assert published.event_id > reader_log and published.value.status == "published"
    assert store.story_page(story.slug).pinned.id == draft.value.id  # the pin it asked for is carried out
    assert store.queued_updates(story.slug, "draft") == []
    assert [e.kind for e in store.desk_events_after(story.id, desk[0].id)] == ["published"]  # it left the queue
    with pytest.raises(UpdateNotFound):  # published once: it cannot be published again
        store.publish_update(story.slug, draft.value.id)


def test_scheduled_updates_move_only_from_where_they_may(store):
    slug = store.create_story("Flooding").value.slug
    later = utcnow() + timedelta(hours=1)
    scheduled = store.add_update(slug, "At noon", "Ada", status="scheduled", publish_at=later).value
    assert store.due_updates(utcnow()) == []
    assert store.due_updates(later) == [(slug, scheduled.id)]
    # The scheduler publishes only what is due by the time it gives.
    with pytest.raises(UpdateNotFound):
        store.publish_update(slug, scheduled.id, due_by=utcnow())

    back = store.unschedule_update(slug, scheduled.id).value
    assert back.status == "draft" and back.publish_at is None and back.body == "At noon"
    with pytest.raises(UpdateNotFound):  # a draft is not scheduled: nothing to cancel
        store.unschedule_update(slug, scheduled.id)
    assert store.reject_update(slug, scheduled.id).value.status == "rejected"
    with pytest.raises(UpdateNotFound):
        store.publish_update(slug, scheduled.id)
    assert store.list_updates(slug)[0] == []


def test_search_finds_every_word_stemmed_in_published_updates_only(store):
    slug = store.create_story("Flooding").value.slug
    bridge = store.add_update(slug, "The old **bridge** is closed to traffic.", "Ada", headline="Roads").value
    store.add_update(slug, "Schools are closing early.", "Ada")
    store.add_update(slug, "A draft about the bridge", "Cass", status="draft")
    assert [u.id for u in store.story_page(slug, search="bridge closing").updates] == [bridge.id]
    assert len(store.story_page(slug, search="closed").updates) == 2  # "closing" and "closed" are one stem
    assert [u.id for u in store.story_page(slug, search="roads").updates] == [bridge.id]  # the headline too
    assert [u.id for u in store.story_page(slug, search='"bridge* (closed').updates] == [bridge.id]  # no FTS syntax
    store.edit_update(slug, bridge.id, body="The old crossing is open again.")
    assert store.story_page(slug, search="bridge").updates == []


def test_pages_of_updates_newest_first_with_a_cursor(store):
    slug = store.create_story("Flooding").value.slug
    ids = [store.add_update(slug, f"Update {n}", "Ada").value.id for n in range(5)]
    page, older = store.list_updates(slug, limit=2)
    assert [u.id for u in page] == ids[:-3:-1] and older == ids[3]
    page, older = store.list_updates(slug, before=older, limit=2)
    assert [u.id for u in page] == [ids[2], ids[1]]
    page, older = store.list_updates(slug, before=older, limit=2)
    assert [u.id for u in page] == [ids[0]] and older is None


# -- revisions: every change of a published update's text keeps the text it replaced --------


def test_an_edit_of_the_text_keeps_the_old_text_as_a_revision_in_its_transaction(store, monkeypatch):
    from liveblog.models import Revision

    slug = store.create_story("Corrections").value.slug
    update = store.add_update(slug, "Ten people were hurt.", "alice", headline="Crash", byline="Alice Reporter").value
    assert update.shown_author == "Alice Reporter" and update.edited_at is None

    # The revision is written inside the edit's transaction: a failure appending the
    # event leaves neither the new text nor a revision behind.
    append = store._append

    def append_then_fail(*args):
        append(*args)
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_append", append_then_fail)
    with pytest.raises(RuntimeError):
        store.edit_update(slug, update.id, editor="nadia", editor_byline="Nadia Editor", body="Eleven people.")
    monkeypatch.undo()
    assert rows(store, Revision) == []
    assert store.get_update(slug, update.id).body == "Ten people were hurt."

    edited = store.edit_update(slug, update.id, editor="nadia", editor_byline="Nadia Editor",
                               correction="An earlier version gave the wrong number of injured.",
                               body="Eleven people were hurt.").value
    assert edited.edited_at is not None and edited.edited_by == "Nadia Editor" and edited.updated_by == "Nadia Editor"
    assert edited.correction.startswith("An earlier version") and edited.corrected_at == edited.edited_at
    _, revisions = store.revisions(slug, update.id)
    assert [(r.number, r.body, r.headline, r.editor, r.editor_byline, r.correction) for r in revisions] == [
        (1, "Ten people were hurt.", "Crash", "nadia", "Nadia Editor",
         "An earlier version gave the wrong number of injured.")]

    # A second change without a note: a second revision; the note readers see stays.
    again = store.edit_update(slug, update.id, editor="alice", editor_byline="Alice Reporter",
                              headline="Crash on the A1").value
    assert again.correction.startswith("An earlier version") and again.updated_by == ""
    _, revisions = store.revisions(slug, update.id)
    assert [(r.number, r.body, r.headline, r.correction) for r in revisions][1] == (
        2, "Eleven people were hurt.", "Crash", "")


def test_a_pin_or_key_event_mark_is_no_edit(store):
    from liveblog.models import Revision

    slug = store.create_story("Pins").value.slug
    update = store.add_update(slug, "Roads closed.", "alice").value
    store.edit_update(slug, update.id, pinned=True)
    store.edit_update(slug, update.id, key_event=True)
    store.edit_update(slug, update.id, pinned=False, key_event=False)
    now = store.get_update(slug, update.id)
    assert now.edited_at is None and now.edited_by == "" and rows(store, Revision) == []


def test_a_refused_edit_leaves_no_revision(store):
    from liveblog.errors import Forbidden
    from liveblog.models import Revision

    slug = store.create_story("Refused").value.slug
    update = store.add_update(slug, "Original words.", "alice").value

    def refuse(_update):
        raise Forbidden("not yours")

    with pytest.raises(Forbidden):
        store.edit_update(slug, update.id, refuse, editor="bob", body="Someone else's words.")
    # A correction note with no change of the text to go with it is refused too.
    with pytest.raises(Invalid) as refused:
        store.edit_update(slug, update.id, editor="bob", correction="Nothing changed", body="Original words.")
    assert "correction" in refused.value.errors
    store.update_story(slug, status="closed")
    with pytest.raises(Invalid):
        store.edit_update(slug, update.id, editor="bob", body="After the close.")
    assert rows(store, Revision) == [] and store.get_update(slug, update.id).edited_at is None


def test_drafts_keep_no_history_and_take_no_correction(store):
    from liveblog.models import Revision

    slug = store.create_story("Drafts").value.slug
    draft = store.add_update(slug, "A draft.", "casey", status="draft").value
    store.edit_update(slug, draft.id, editor="casey", body="A better draft.")
    with pytest.raises(Invalid):
        store.edit_update(slug, draft.id, editor="casey", body="Again.", correction="Fixed")
    assert rows(store, Revision) == []
    with pytest.raises(UpdateNotFound):
        store.revisions(slug, draft.id)  # no public history for what readers never saw
