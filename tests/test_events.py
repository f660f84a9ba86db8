"""The typed events (liveblog/events.py): each kind's payload is the SPEC's shape, encoded
once as one line of JSON."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from liveblog import events
from liveblog.models import ChoiceCount, PollResult, Story, Update

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def an_update(**fields) -> Update:
    values = dict(id=7, story_id=1, body="Ferries **suspended**.", body_html="<p>Ferries <strong>suspended</strong>.</p>\n",
                  headline="Ferries", author="Erin", created_at=NOON, key_event=True)
    return Update(**{**values, **fields})


def test_the_reader_kinds_are_the_specs_four_and_the_poll():
    assert events.READER_KINDS == ("story", "update", "edit", "delete", "poll")
    assert [cls.kind for cls in (events.StoryChanged, events.UpdatePosted, events.UpdateEdited, events.UpdateDeleted,
                                 events.PollCounted)] == list(events.READER_KINDS)


def test_a_poll_event_carries_the_totals_and_the_results_partial():
    poll = PollResult(3, 7, "storm", "Open the bridge?", (ChoiceCount(11, "Yes", 3), ChoiceCount(12, "No", 1)),
                      NOON, closed=False)
    data = json.loads(events.encode(events.PollCounted.of(poll)))
    assert list(data) == ["id", "update", "story", "html", "counts", "total", "closed", "closes_at"]
    assert data["counts"] == {"11": 3, "12": 1} and data["total"] == 4 and data["closed"] is False
    assert data["closes_at"] == "2026-12-01T12:00:00Z"
    assert "75% · 3 votes" in data["html"] and "25% · 1 vote" in data["html"]
    closed = json.loads(events.encode(events.PollCounted.of(PollResult(*list(poll.__dict__.values())[:-1], True))))
    assert closed["closed"] is True and "this poll has closed" in closed["html"]


def test_an_update_event_carries_the_specs_fields_and_the_pages_partial():
    posted = events.UpdatePosted.of(an_update(), "storm")
    data = json.loads(events.encode(posted))
    assert list(data) == ["id", "story", "html", "body_html", "headline", "author", "created_at", "edited_at",
                          "key_event", "pinned"]
    assert data["id"] == 7 and data["story"] == "storm" and data["created_at"] == "2026-12-01T12:00:00Z"
    assert 'id="update-7"' in data["html"] and "<strong>suspended</strong>" in data["html"]
    assert "body" not in data  # readers get the HTML, not the Markdown
    edited = events.UpdateEdited.of(an_update(edited_at=NOON), "storm")
    assert edited.kind == "edit" and json.loads(events.encode(edited))["edited_at"] == "2026-12-01T12:00:00Z"


def test_a_delete_says_only_which_update():
    assert json.loads(events.encode(events.UpdateDeleted(7, "storm"))) == {"id": 7, "story": "storm"}


def test_a_story_event_closes_only_when_it_says_closed():
    story = Story(id=1, slug="storm", title="Storm", summary="", status="live", created_at=NOON)
    live = events.StoryChanged.of(story)
    assert json.loads(events.encode(live)) == {"slug": "storm", "title": "Storm", "summary": "", "status": "live",
                                               "closed_at": None}
    assert not live.closes
    story.status, story.closed_at = "closed", NOON
    assert events.StoryChanged.of(story).closes
    assert not events.UpdatePosted.closes and not events.UpdateDeleted.closes


def test_a_queue_event_is_kind_of_the_status_it_moved_to_and_keeps_the_markdown():
    queued = events.QueueChanged.of(an_update(status="scheduled", publish_at=NOON), "storm")
    assert queued.kind == "scheduled" and queued.kind in events.DESK_KINDS
    data = json.loads(events.encode(queued))
    assert data["body"] == "Ferries **suspended**." and data["publish_at"] == "2026-12-01T12:00:00Z"


def test_encoding_is_one_line_and_keeps_every_script():
    posted = events.UpdatePosted.of(an_update(body_html="<p>سلام\nline</p>", headline="עדכון"), "storm")
    line = events.encode(posted)
    assert "\n" not in line and "עדכון" in line and "سلام" in line
