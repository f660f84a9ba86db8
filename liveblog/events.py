"""The events of a story's two logs: each kind, with its payload as a typed dataclass.

The readers' log (`models.Event`, streamed to everyone, SPEC's four kinds):

    StoryChanged   "story"   started, retitled, closed or reopened
    UpdatePosted   "update"  an update readers see for the first time
    UpdateEdited   "edit"    a published update changed
    UpdateDeleted  "delete"  a published update taken down
    PollCounted    "poll"    a poll's counts: at most one a second per poll and process,
                             however many votes came in, and a last one when it closes

The desk's log (`models.DeskEvent`, for editors only): `QueueChanged`, whose kind is
the status a queued update moved to (draft, scheduled, published, rejected);
`DeskSaid` ("chat"), a line of the desk's chat; and `SubmissionChanged` ("submission"),
a reader's answer or question arrived or was used or dismissed: it names the submission
only, since what readers send is deleted after a while and the log is kept. Beside it,
the desk's stream carries `DeskPresence` ("presence"), which is in no log: who has the
story's desk open now, from every process's audience beat (audience.py).

An event is built from the rows it describes, once, at write time; `encode` gives the
one line of JSON that the log keeps and every stream sends. `static/kinds.js` names the
same kinds for the scripts (tests/test_events.py keeps the two in step).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Union

from .models import Callout, DeskMessage, PollResult, Story, Submission, Update
from .render import compact_json, iso
from .templating import desk_message_html, poll_results_html, update_html

STORY, UPDATE, EDIT, DELETE, POLL = "story", "update", "edit", "delete", "poll"
READER_KINDS = (STORY, UPDATE, EDIT, DELETE, POLL)

DRAFT, SCHEDULED, PUBLISHED, REJECTED = "draft", "scheduled", "published", "rejected"
DESK_KINDS = (DRAFT, SCHEDULED, PUBLISHED, REJECTED)
CHAT, SUBMISSION = "chat", "submission"
# Sent on the desk's stream beside its log, never stored: who has the story's desk open.
PRESENCE = "presence"


@dataclass(frozen=True)
class StoryChanged:
    """The story was started, or its title, summary or status changed.

    One that says `closed` is the last event of every stream of the story.
    """

    kind: ClassVar[str] = STORY
    slug: str
    title: str
    summary: str
    status: str
    closed_at: str | None

    @property
    def closes(self) -> bool:
        return self.status == "closed"

    @classmethod
    def of(cls, story: Story) -> "StoryChanged":
        return cls(story.slug, story.title, story.summary, story.status, iso(story.closed_at))


@dataclass(frozen=True)
class _UpdateShown:
    """An update as the stream shows it; `html` is the update rendered by the partial the
    page itself uses, so a client inserts it as it is."""

    id: int
    story: str
    html: str
    body_html: str
    headline: str
    author: str
    created_at: str | None
    edited_at: str | None
    key_event: bool
    pinned: bool

    @staticmethod
    def _shown(update: Update, slug: str, language: str | None, poll: PollResult | None = None,
               callout: Callout | None = None) -> tuple:
        """`language`: the story's, which the partial is written in; `poll`: the update's, if
        it is one; `callout`: the one under it, if any."""
        return (
            update.id, slug, update_html(update, slug, language, poll, callout), update.body_html, update.headline, update.shown_author,
            iso(update.created_at), iso(update.edited_at), update.key_event, update.pinned,
        )


@dataclass(frozen=True)
class UpdatePosted(_UpdateShown):
    """An update readers see for the first time: posted, or published from the queue."""

    kind: ClassVar[str] = UPDATE
    closes: ClassVar[bool] = False

    @classmethod
    def of(cls, update: Update, slug: str, language: str | None = None,
           poll: PollResult | None = None, callout: Callout | None = None) -> "UpdatePosted":
        return cls(*cls._shown(update, slug, language, poll, callout))


@dataclass(frozen=True)
class UpdateEdited(UpdatePosted):
    """A published update changed: its text, headline, key-event mark or pin."""

    kind: ClassVar[str] = EDIT


@dataclass(frozen=True)
class UpdateDeleted:
    """A published update was taken down; readers remove it (the log keeps what it said)."""

    kind: ClassVar[str] = DELETE
    closes: ClassVar[bool] = False
    id: int
    story: str


@dataclass(frozen=True)
class PollCounted:
    """A poll's totals as the database held them when the event was written: counted, not
    one event per vote. `html` is the results partial the page shows (in the story's
    language), `counts` the votes of each choice by id, `closed` whether it is final."""

    kind: ClassVar[str] = POLL
    closes: ClassVar[bool] = False
    id: int
    update: int
    story: str
    html: str
    counts: dict[str, int]
    total: int
    closed: bool
    closes_at: str | None

    @classmethod
    def of(cls, poll: PollResult, language: str | None = None) -> "PollCounted":
        return cls(poll.id, poll.update_id, poll.slug, poll_results_html(poll, language),
                   {str(choice.id): choice.votes for choice in poll.choices}, poll.total, poll.closed,
                   iso(poll.closes_at))


ReaderEvent = Union[StoryChanged, UpdatePosted, UpdateEdited, UpdateDeleted, PollCounted]


@dataclass(frozen=True)
class QueueChanged(_UpdateShown):
    """A draft or scheduled update came into the queue, changed in it, or left it.

    For the desk only: it carries the Markdown (`body`) for the edit form, the status
    the update moved to (which is also the event's kind), its time to go out, and the
    account that wrote it (`author_name`; `author` is its byline), whose own draft it is.
    """

    body: str
    status: str
    publish_at: str | None
    author_name: str

    @property
    def kind(self) -> str:
        return self.status

    @classmethod
    def of(cls, update: Update, slug: str, language: str | None = None) -> "QueueChanged":
        return cls(*cls._shown(update, slug, language), update.body, update.status, iso(update.publish_at),
                   update.author)


@dataclass(frozen=True)
class DeskPresence:
    """The display names of the editors with the story's desk open now, on any process."""

    kind: ClassVar[str] = PRESENCE
    editors: list[str]


@dataclass(frozen=True)
class DeskSaid:
    """A line of the story's desk chat, as the desk shows it (its `html` is the partial)."""

    kind: ClassVar[str] = CHAT
    id: int
    story: str
    author: str
    byline: str
    text: str
    html: str
    created_at: str | None

    @classmethod
    def of(cls, message: DeskMessage, slug: str, language: str | None = None) -> "DeskSaid":
        return cls(message.id, slug, message.author, message.byline or message.author, message.text,
                   desk_message_html(message, language), iso(message.created_at))


@dataclass(frozen=True)
class SubmissionChanged:
    """A reader's answer to a callout, or question, came in (`new`), or became an update
    (`used`) or was set aside (`dismissed`). Only its ids: the desk reads the rest, with
    the contact details, from the desk's own endpoint."""

    kind: ClassVar[str] = SUBMISSION
    id: int
    callout: int
    story: str
    status: str

    @classmethod
    def of(cls, submission: Submission, slug: str) -> "SubmissionChanged":
        return cls(submission.id, submission.callout_id, slug, submission.status)


DeskEntry = Union[QueueChanged, DeskSaid, SubmissionChanged]


def payload(event: ReaderEvent | DeskEntry) -> dict[str, Any]:
    return asdict(event)


def encode(event: ReaderEvent | DeskEntry | DeskPresence) -> str:
    """The event's one line of JSON, as the log keeps it and the stream sends it."""
    return compact_json(asdict(event))
