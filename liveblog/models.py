"""The tables: Story, Update, Revision (an update's earlier texts), Event (the append-only
log), Editor, Token, EditorSession, the workflow and follow tables: DeskEvent,
PushSubscription, PushJob, ServerKey, the audience's: AudienceBeat, AudienceMinute, and
readers' polls: Poll, PollChoice, and what else readers and editors say: Callout, Submission
(readers' answers and questions, for the desk only) and DeskMessage (the desk's chat)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint, false
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A moment in UTC, aware on the way in and on the way out, on every database.

    SQLite keeps no zone and hands back naive datetimes; every time we store is UTC, so
    reading one back as UTC here spares every caller from patching it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("a stored time must carry its zone")
        return None if value is None else value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _time(**kw) -> Field:
    return Field(default=None, sa_column=Column(UTCDateTime(), **kw))


def _created() -> Field:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Story(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True, index=True)
    title: str = Field(max_length=300)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default="live", max_length=10)  # live | closed
    image: str | None = Field(default=None, max_length=200)  # media file name
    caption: str = Field(default="", max_length=500)
    credit: str = Field(default="", max_length=200)
    # What its reader pages are written in (i18n.LANGUAGES); None: the site's LIVEBLOG_LANGUAGE.
    language: str | None = Field(default=None, max_length=35)
    created_at: datetime = _created()
    closed_at: datetime | None = _time(nullable=True)


class Update(SQLModel, table=True):
    __table_args__ = (Index("ix_update_story_status_id", "story_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    headline: str = Field(default="", max_length=300)
    author: str = Field(default="", max_length=120)  # the account that posted it (editor or token name)
    # The byline readers see: the author's display name when it was posted ("": `author`).
    byline: str = Field(default="", max_length=120)
    # published: readers see it; draft: a contributor's, awaiting an editor;
    # scheduled: published by the server at publish_at; deleted/rejected: gone from readers.
    status: str = Field(default="published", max_length=12)
    publish_at: datetime | None = _time(nullable=True)
    created_at: datetime = _created()
    edited_at: datetime | None = _time(nullable=True)  # the last change of its text
    edited_by: str = Field(default="", max_length=120)  # the byline of whoever made that change
    # The newest correction note readers are shown, and when it was made.
    correction: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    corrected_at: datetime | None = _time(nullable=True)
    # When it was deleted: the newsroom may restore it within its undo window.
    deleted_at: datetime | None = _time(nullable=True)
    key_event: bool = False
    pinned: bool = False
    # A reader's words this update quotes (a question it answers, or an answer to a callout),
    # and the reader's name when they agreed to it being published ("" otherwise).
    reader_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reader_name: str = Field(default="", max_length=120)
    reader_kind: str = Field(default="", max_length=10)  # "" | question | callout
    # Where a syndicated update came from: the producer story's public URL ("": our own).
    source_url: str = Field(default="", max_length=500)

    @property
    def shown_author(self) -> str:
        """The byline: the display name it was posted under, else the account's name."""
        return self.byline or self.author

    @property
    def updated_by(self) -> str:
        """Who changed its text last, when that is not the byline ("" otherwise)."""
        return self.edited_by if self.edited_by and self.edited_by != self.shown_author else ""


class Revision(SQLModel, table=True):
    """One change of a published update's text: the text as it was before it, who made the
    change, when, and the correction note that came with it. Numbered from 1 per update;
    the update row holds the text as it is now."""

    __table_args__ = (UniqueConstraint("update_id", "number", name="uq_revision_update_number"),)

    id: int | None = Field(default=None, primary_key=True)
    update_id: int = Field(foreign_key="update.id", index=True)
    number: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    headline: str = Field(default="", max_length=300)
    editor: str = Field(default="", max_length=120)  # the account that made the change
    editor_byline: str = Field(default="", max_length=120)  # its display name then
    correction: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = _created()


class Event(SQLModel, table=True):
    """One change a reader must see. `data` is the stream's JSON, rendered once at write time."""

    __table_args__ = (Index("ix_event_story_id_id", "story_id", "id"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id")
    kind: str = Field(max_length=10)  # update | edit | delete | story
    data: str = Field(sa_column=Column(Text, nullable=False))
    # A `story` event that closes the story, so the hub knows its stream ends here without
    # reading the JSON back.
    closes: bool = Field(default=False, sa_column=Column(sa.Boolean, nullable=False, server_default=false()))
    created_at: datetime = _created()


class Editor(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True, index=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(default="editor", max_length=12)  # editor | contributor
    display_name: str = Field(default="", max_length=120)  # the byline; "": the name
    created_at: datetime = _created()


class Token(SQLModel, table=True):
    """A write-API token; only its SHA-256 is kept."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    digest: str = Field(max_length=64, unique=True, index=True)
    role: str = Field(default="editor", max_length=12)
    display_name: str = Field(default="", max_length=120)  # the byline; "": the name
    created_at: datetime = _created()


class EditorSession(SQLModel, table=True):
    """A logged-in desk session; deleting the row logs it out everywhere."""

    id: str = Field(primary_key=True, max_length=64)
    editor_id: int = Field(foreign_key="editor.id")
    csrf: str = Field(max_length=64)
    created_at: datetime = _created()


class DeskEvent(SQLModel, table=True):
    """One change to a story's queue of drafts and scheduled updates, for the desk only.

    Kept apart from `Event` on purpose: the reader stream and its replay read every row of
    `event`, so drafts never reaching that table is what keeps them from readers.
    `kind` is the status the update moved to: draft, scheduled, published or rejected.
    """

    __table_args__ = (Index("ix_deskevent_story_id_id", "story_id", "id"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id")
    kind: str = Field(max_length=10)
    data: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _created()


class PushSubscription(SQLModel, table=True):
    """A reader's browser asking to be told of a story's key events and its close (Web Push)."""

    __table_args__ = (UniqueConstraint("story_id", "endpoint", name="uq_pushsubscription_story_endpoint"),)

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id", index=True)
    endpoint: str = Field(sa_column=Column(Text, nullable=False))
    p256dh: str = Field(max_length=100)
    auth: str = Field(max_length=40)
    # The client address it came from: subscriptions are capped per address.
    address: str = Field(default="", max_length=45, index=True)
    # Sends that failed in a row (not a 404/410, which ends it at once); past
    # push.MAX_FAILURES the subscription is dropped.
    failures: int = Field(default=0)
    created_at: datetime = _created()


class PushJob(SQLModel, table=True):
    """A push owed to a story's subscribers, written in the same transaction as its event.

    Whichever process claims it (a conditional UPDATE) sends it, then deletes it: a push
    is neither lost to a crash after the commit nor sent by two processes.
    """

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id")
    event_id: int
    payload: str = Field(sa_column=Column(Text, nullable=False))
    claimed_at: datetime | None = _time(nullable=True)
    created_at: datetime = _created()


class ServerKey(SQLModel, table=True):
    """Keys the server makes once and keeps for good (the VAPID key pair), shared by every process."""

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _created()


class AudienceBeat(SQLModel, table=True):
    """What one server process has open of one story now, written every few seconds.

    `readers`: its story-page and embed streams; `editors`: the display names of those
    with the story's desk stream open, as a JSON list. Summed over the processes whose
    row is fresh (audience.py), it is the story's audience across every process.
    """

    __table_args__ = (Index("ix_audiencebeat_story_id_beat_at", "story_id", "beat_at"),)

    process: str = Field(primary_key=True, max_length=40)
    story_id: int = Field(foreign_key="story.id", primary_key=True)
    readers: int = Field(default=0)
    editors: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    beat_at: datetime = _created()


class AudienceMinute(SQLModel, table=True):
    """A story's readers in one minute: the peak of the summed count (the desk's chart)."""

    story_id: int = Field(foreign_key="story.id", primary_key=True)
    minute: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    peak: int = Field(default=0)


class Poll(SQLModel, table=True):
    """A question readers vote on, shown as the update `update_id`. Open until `closes_at`
    or until an editor closes it; `closed_at` is set once it is closed (by either), which
    freezes its counts."""

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id", index=True)
    update_id: int = Field(foreign_key="update.id", unique=True)
    question: str = Field(max_length=300)
    closes_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = _time(nullable=True)
    created_at: datetime = _created()


class PollChoice(SQLModel, table=True):
    """One answer of a poll and its count: a vote is one UPDATE of `votes`."""

    __table_args__ = (UniqueConstraint("poll_id", "position", name="uq_pollchoice_poll_position"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    position: int
    label: str = Field(max_length=100)
    votes: int = Field(default=0)


@dataclass(frozen=True)
class ChoiceCount:
    id: int
    label: str
    votes: int


@dataclass(frozen=True)
class PollResult:
    """A poll as readers see it: its choices with their counts, read in one go."""

    id: int
    update_id: int
    slug: str
    question: str
    choices: tuple[ChoiceCount, ...]
    closes_at: datetime
    closed: bool

    @property
    def total(self) -> int:
        return sum(choice.votes for choice in self.choices)

    def share(self, choice: ChoiceCount) -> int:
        """The choice's share of the votes, in whole percent."""
        return round(100 * choice.votes / self.total) if self.total else 0


class Callout(SQLModel, table=True):
    """An editor's request to readers, answered from the page: under the update `update_id`
    ("Were you there? Send us your photos"), or with no update the story's own "Ask our
    reporters" (its readers' questions). Open until `closes_at` (None: until the story
    closes) or until an editor closes it (`closed_at`)."""

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id", index=True)
    update_id: int | None = Field(default=None, foreign_key="update.id", unique=True)
    prompt: str = Field(max_length=500)
    wants: str = Field(default="text", max_length=60)  # the fields asked for, comma-separated
    closes_at: datetime | None = _time(nullable=True)
    closed_at: datetime | None = _time(nullable=True)
    created_at: datetime = _created()

    @property
    def asks(self) -> tuple[str, ...]:
        return tuple(name for name in self.wants.split(",") if name)

    @property
    def questions(self) -> bool:
        """The story's readers' questions, rather than a callout under an update."""
        return self.update_id is None

    def open_at(self, now: datetime, story_status: str) -> bool:
        return story_status == "live" and self.closed_at is None and (self.closes_at is None or now < self.closes_at)


class Submission(SQLModel, table=True):
    """What a reader sent to a callout (or a question): for the desk only, never in a log.

    Its contact and address are for editors alone; the whole row is deleted after the
    retention the operator sets (LIVEBLOG_SUBMISSION_DAYS). `status`: new, used (it became
    the update `update_id`) or dismissed."""

    __table_args__ = (Index("ix_submission_story_id_created_at", "story_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    callout_id: int = Field(foreign_key="callout.id", index=True)
    story_id: int = Field(foreign_key="story.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    name: str = Field(default="", max_length=120)
    contact: str = Field(default="", max_length=200)
    image: str | None = Field(default=None, max_length=200)  # media file name
    consent: bool = False  # to publishing the name with the words
    address: str = Field(default="", max_length=45)
    status: str = Field(default="new", max_length=10)
    update_id: int | None = Field(default=None, foreign_key="update.id")
    created_at: datetime = _created()


class DeskMessage(SQLModel, table=True):
    """One line of a story's desk chat: between its editors, never in the readers' log."""

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id", index=True)
    author: str = Field(max_length=120)  # the account
    byline: str = Field(default="", max_length=120)  # its display name then
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _created()
class SyndicationToken(SQLModel, table=True):
    """A token a producer issues for one of its stories: whoever holds it may follow that
    story's stream from another instance. Only its SHA-256 is kept, like `Token`'s."""

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id", index=True)
    name: str = Field(default="", max_length=120)
    digest: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = _created()


class SyndicationLink(SQLModel, table=True):
    """A consumer story following a producer's story: its URL, the token the producer
    issued, whether new updates wait for an editor's approval, and the last producer event
    applied (written in the same transaction as the change it caused)."""

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="story.id", index=True)
    url: str = Field(max_length=500)
    token: str = Field(max_length=200)
    approval: bool = False
    last_event_id: int = Field(default=0)
    # The process following it now, and when it last said so (one process follows each link).
    claimed_by: str = Field(default="", max_length=64)
    claimed_at: datetime | None = _time(nullable=True)
    created_at: datetime = _created()


class SyndicatedUpdate(SQLModel, table=True):
    """Which consumer update a producer's update became, per link: a repeat never posts twice."""

    __table_args__ = (UniqueConstraint("link_id", "producer_update_id", name="uq_syndicatedupdate_link_producer"),)
    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="syndicationlink.id", index=True)
    producer_update_id: int
    update_id: int = Field(foreign_key="update.id")
