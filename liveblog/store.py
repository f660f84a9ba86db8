"""Every write (the change and its Event, in one transaction) and every read query.

The functions here are synchronous; the web layer calls them in a worker thread.
A write returns `Written`: what was changed and the last event id it appended,
so the caller announces it only after the commit.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, NamedTuple, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import and_, case, column, delete, func, or_, text, tuple_
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from . import render
from .events import (DeskEntry, DeskSaid, PollCounted, QueueChanged, ReaderEvent, StoryChanged, UpdateDeleted, UpdateEdited, UpdatePosted,
                     encode)
from .errors import Invalid, NotAChoice, PollClosed, PollNotFound, StoryNotFound, TooManyRequests, UpdateNotFound
from .i18n import Message
from .store_callouts import CalloutStore, Written
from .models import (AudienceBeat, AudienceMinute, Callout, ChoiceCount, DeskEvent, DeskMessage, Editor, EditorSession,
                     Event, Poll, PollChoice, PollResult, PushJob, PushSubscription, Revision, ServerKey, Story,
                     SyndicatedUpdate, SyndicationLink, SyndicationToken, Token, Update, utcnow)

T = TypeVar("T")

PAGE_SIZE = 50
KEY_EVENTS_SHOWN = 5  # the story page's box of key events: the newest few, and a link to all
LOG_BATCH = 1000  # log entries read at a time; a shorter read means the end was reached
SUBSCRIPTION_RETRY_SECONDS = 3600  # a cap on push subscriptions frees up as readers unsubscribe

QUEUED = ("draft", "scheduled")  # an update's states before readers see it

# PostgreSQL's search expression; the GIN index of migration 0002 is built on exactly this.
SEARCH_VECTOR = "to_tsvector('english', coalesce(headline, '') || ' ' || body)"


# What followers are told of an event (push.message), kept apart from the store's SQL:
# given the event and its story, the push payload to owe, or None.
PushRule = Callable[[ReaderEvent, Story], "dict[str, str] | None"]


class LoggedEvent(NamedTuple):
    """One entry of a log as it is stored: `data` is the event's JSON, ready to send."""

    id: int
    story_id: int
    kind: str
    data: str
    closes: bool = False


class Audience(NamedTuple):
    """A story's audience now: readers of its page and embed, and the editors on its desk."""

    readers: int
    editors: tuple[str, ...]


@dataclass
class StoryPage:
    story: Story
    pinned: Update | None
    updates: list[Update]
    key_events: list[Update]
    last_event_id: int
    older: int | None  # the `before` cursor for the next page, None on the last page
    key_event_count: int = 0  # all the story's key events, of which `key_events` are the newest
    newest_at: datetime | None = None  # when the newest published update was posted
    polls: dict[int, PollResult] = field(default_factory=dict)  # by update id, for the updates shown
    callouts: dict[int, Callout] = field(default_factory=dict)  # likewise
    questions: Callout | None = None  # the story's readers' questions, while it takes them


def _poll_closed(closed_at: datetime | None, closes_at: datetime, story_status: str, now: datetime) -> bool:
    """A poll takes no more votes once an editor closed it, its time came, or its story closed."""
    return closed_at is not None or closes_at <= now or story_status != "live"


def _aware(moment: datetime) -> datetime:
    """An aggregate's time, read as UTC like every stored time (models.UTCDateTime)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-") or "story"


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Store(CalloutStore):
    def __init__(self, engine: Engine, push_rule: PushRule | None = None):
        self.engine = engine
        self.push_rule = push_rule
        self.sqlite = engine.dialect.name == "sqlite"
        # On SQLite this engine opens its transactions with BEGIN IMMEDIATE (see db.py).
        self._write_engine = engine.execution_options(liveblog_write=True)

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with Session(self._write_engine, expire_on_commit=False) as session:
            with session.begin():
                yield session

    # -- the log -------------------------------------------------------------

    def _append(self, session: Session, story_id: int, event: ReaderEvent) -> int:
        row = Event(story_id=story_id, kind=event.kind, data=encode(event), closes=event.closes)
        session.add(row)
        session.flush()
        self._owe_push(session, story_id, row.id, event)
        return row.id

    def _owe_push(self, session: Session, story_id: int, event_id: int, event: ReaderEvent) -> None:
        """A push job, in the event's own transaction, when the event is one followers are told of."""
        if self.push_rule is None:
            return
        message = self.push_rule(event, session.get(Story, story_id))
        if message is None:
            return
        followed = session.exec(select(PushSubscription.id).where(PushSubscription.story_id == story_id).limit(1))
        if followed.first() is not None:
            session.add(PushJob(story_id=story_id, event_id=event_id, payload=render.compact_json(message)))

    def _append_desk(self, session: Session, story: Story, update: Update) -> int:
        """A change to the queue of drafts and scheduled updates: the desk's log, never the readers'."""
        return self._append_desk_entry(session, story.id, QueueChanged.of(update, story.slug, story.language))

    @staticmethod
    def _append_desk_entry(session: Session, story_id: int, entry: DeskEntry) -> int:
        event = DeskEvent(story_id=story_id, kind=entry.kind, data=encode(entry))
        session.add(event)
        session.flush()
        return event.id

    def desk_events_after(self, story_id: int, after: int, limit: int = LOG_BATCH) -> list[LoggedEvent]:
        return self._log_after(DeskEvent, story_id, after, limit)

    def last_desk_event_id(self, story_id: int) -> int:
        with self._reading() as s:
            return s.exec(select(func.max(DeskEvent.id)).where(DeskEvent.story_id == story_id)).one() or 0

    def _locked_story(self, session: Session, slug: str, live: bool = False) -> Story:
        """The story row, locked until commit: its events commit in id order (PostgreSQL).

        With `live`, a closed story is refused: its closing event stays the last one.
        """
        story = session.exec(select(Story).where(Story.slug == slug).with_for_update()).first()
        if story is None:
            raise StoryNotFound(slug)
        if live and story.status != "live":
            raise Invalid({"story": Message("This story is closed; reopen it to post or change updates.")})
        return story

    def events_after(self, story_id: int, after: int, limit: int = LOG_BATCH) -> list[LoggedEvent]:
        return self._log_after(Event, story_id, after, limit)

    @staticmethod
    def _columns(log) -> tuple:
        columns = (log.id, log.story_id, log.kind, log.data)
        return (*columns, log.closes) if log is Event else columns

    def _log_after(self, log, story_id: int, after: int, limit: int) -> list[LoggedEvent]:
        """A story's entries in `log` (the readers' Event log or the desk's) after id `after`, in order."""
        with self._reading() as s:
            rows = s.exec(
                select(*self._columns(log))
                .where(log.story_id == story_id, log.id > after)
                .order_by(log.id)
                .limit(limit)
            ).all()
        return [LoggedEvent(*row) for row in rows]

    def latest_events(self, story_id: int, limit: int, desk: bool = False) -> list[LoggedEvent]:
        """The story's newest `limit` events (of the desk's log with `desk`), oldest first."""
        log = DeskEvent if desk else Event
        with self._reading() as s:
            rows = s.exec(
                select(*self._columns(log)).where(log.story_id == story_id).order_by(log.id.desc()).limit(limit)
            ).all()
        return [LoggedEvent(*row) for row in reversed(rows)]

    def events_upto(self, story_id: int, upto: int, limit: int) -> list[tuple[LoggedEvent, datetime]]:
        """The story's newest `limit` events with id ≤ `upto`, oldest first, each with when it was written."""
        with self._reading() as s:
            rows = s.exec(
                select(*self._columns(Event), Event.created_at)
                .where(Event.story_id == story_id, Event.id <= upto)
                .order_by(Event.id.desc())
                .limit(limit)
            ).all()
        return [(LoggedEvent(*row), created_at) for *row, created_at in reversed(rows)]

    def last_event_id(self, story_id: int) -> int:
        with self._reading() as s:
            return s.exec(select(func.max(Event.id)).where(Event.story_id == story_id)).one() or 0

    def last_event_ids(self, story_ids: list[int], desk: bool = False) -> dict[int, int]:
        """Where each story's log ends (the readers' log, or with `desk` the desk's)."""
        log = DeskEvent if desk else Event
        with self._reading() as s:
            rows = s.exec(
                select(log.story_id, func.max(log.id)).where(log.story_id.in_(story_ids)).group_by(log.story_id)
            ).all()
        return dict(rows)

    def undelivered(self, marks: dict[int, int]) -> tuple[int, datetime | None]:
        """How many events are newer than `marks` (story id → last id delivered), and when
        the oldest of them was written: how far a process is behind the log."""
        if not marks:
            return 0, None
        with self._reading() as s:
            count, oldest = s.exec(
                select(func.count(Event.id), func.min(Event.created_at)).where(
                    or_(*(and_(Event.story_id == story_id, Event.id > last) for story_id, last in marks.items()))
                )
            ).one()
        return count, oldest

    # -- stories -------------------------------------------------------------

    def create_story(self, title: str, summary: str = "", slug: str | None = None, **image: Any) -> Written[Story]:
        try:
            with self._writing() as s:
                if slug:
                    if s.exec(select(Story.id).where(Story.slug == slug)).first() is not None:
                        raise Invalid({"slug": f"{slug!r} is already taken by another story."})
                else:
                    slug = self._free_slug(s, slugify(title))
                story = Story(slug=slug, title=title, summary=summary, **image)
                s.add(story)
                s.flush()
                event_id = self._append(s, story.id, StoryChanged.of(story))
        except IntegrityError:
            raise Invalid({"slug": f"{slug!r} is already taken by another story."}) from None
        return Written(story, story.id, event_id)

    def _free_slug(self, s: Session, base: str) -> str:
        taken = set(s.exec(select(Story.slug).where(Story.slug.startswith(base))).all())
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        return slug

    def update_story(self, slug: str, **changes: Any) -> Written[Story]:
        with self._writing() as s:
            story = self._locked_story(s, slug)
            changes = {k: v for k, v in changes.items() if v is not None and getattr(story, k) != v}
            if not changes:
                return Written(story, story.id, None)
            if "status" in changes:
                story.closed_at = utcnow() if changes["status"] == "closed" else None
            for key, value in changes.items():
                setattr(story, key, value)
            s.add(story)
            s.flush()
            event_id = self._append(s, story.id, StoryChanged.of(story))
        return Written(story, story.id, event_id)

    def get_story(self, slug: str) -> Story:
        with self._reading() as s:
            story = s.exec(select(Story).where(Story.slug == slug)).first()
        if story is None:
            raise StoryNotFound(slug)
        return story

    def list_stories(self) -> list[Story]:
        with self._reading() as s:
            return list(
                s.exec(select(Story).order_by((Story.status == "live").desc(), Story.created_at.desc(), Story.id.desc()))
            )

    def list_stories_with_times(self) -> list[tuple[Story, datetime]]:
        """The stories as `list_stories` orders them, each with when it last changed for a
        reader: its close, else its newest published update, else its start."""
        with self._reading() as s:
            stories = list(
                s.exec(select(Story).order_by((Story.status == "live").desc(), Story.created_at.desc(), Story.id.desc()))
            )
            newest = self._newest_times(s, [story.id for story in stories])
        return [(story, story.closed_at if story.status == "closed" and story.closed_at
                 else newest.get(story.id, story.created_at)) for story in stories]

    # -- updates -------------------------------------------------------------

    def add_update(
        self,
        slug: str,
        body: str,
        author: str,
        headline: str = "",
        byline: str = "",
        key_event: bool = False,
        pinned: bool = False,
        status: str = "published",
        publish_at: datetime | None = None,
    ) -> Written[Update]:
        """A new update: published at once, or queued as a draft or for `publish_at`.

        A queued update appends to the desk's log only; its `pinned` is kept as a wish,
        carried out when it is published.
        """
        with self._writing() as s:
            story = self._locked_story(s, slug, live=True)
            update = Update(
                story_id=story.id,
                body=body,
                body_html=render.markdown_html(body),
                headline=headline,
                author=author,
                byline=byline if byline != author else "",
                key_event=key_event,
                pinned=pinned and status in QUEUED,
                status=status,
                publish_at=publish_at,
            )
            s.add(update)
            s.flush()
            self._index(s, update)
            if status in QUEUED:
                desk_event_id = self._append_desk(s, story, update)
                return Written(update, story.id, desk_event_id=desk_event_id)
            if pinned:
                self._pin(s, story, update)
            event_id = self._append(s, story.id, self._shown(s, story, update, UpdatePosted))
        return Written(update, story.id, event_id)

    def _pin(self, s: Session, story: Story, update: Update) -> int | None:
        """Pin `update`, unpinning the story's other pinned one (with an edit event for it)."""
        event_id = None
        others = select(Update).where(
            Update.story_id == story.id, Update.status == "published", Update.pinned, Update.id != update.id
        )
        for other in s.exec(others):
            other.pinned = False
            s.add(other)
            s.flush()
            if other.status == "published":
                event_id = self._append(s, story.id, self._shown(s, story, other, UpdateEdited))
        update.pinned = True
        s.add(update)
        s.flush()
        return event_id

    def _published_update(self, s: Session, story: Story, update_id: int) -> Update:
        update = s.get(Update, update_id)
        if update is None or update.story_id != story.id or update.status != "published":
            raise UpdateNotFound(update_id)
        return update

    def edit_update(
        self, slug: str, update_id: int, guard: Callable[[Update], None] | None = None,
        editor: str = "", editor_byline: str = "", correction: str | None = None, **changes: Any
    ) -> Written[Update]:
        """Change a published update (readers see an `edit`) or a queued one (the desk sees it).

        `guard` sees the update as it is, under the story's lock, and may refuse the change
        by raising (the newsroom's rule of who may change what).
        `publish_at` moves a scheduled update to another time.
        A change of a published update's text keeps the text it replaces as a `Revision`,
        in this transaction, with who made it (`editor`, shown as `editor_byline`) and the
        `correction` note readers are shown with it.
        """
        correction = correction or ""
        with self._writing() as s:
            story = self._locked_story(s, slug, live=True)
            update = s.get(Update, update_id)
            if update is None or update.story_id != story.id or update.status not in ("published", *QUEUED):
                raise UpdateNotFound(update_id)
            if guard is not None:
                guard(update)
            if changes.get("publish_at") is not None and update.status != "scheduled":
                raise Invalid({"publish_at": Message("Only a scheduled update can be moved to another time.")})
            changes = {k: v for k, v in changes.items() if v is not None and getattr(update, k) != v}
            rewritten = "body" in changes or "headline" in changes
            if correction and not (rewritten and update.status == "published"):
                raise Invalid({"correction": Message(
                    "A correction note goes with a change to a published update's text; change the text it corrects.")})
            if not changes:
                return Written(update, story.id, None)
            if "body" in changes:
                update.body_html = render.markdown_html(changes["body"])
            if update.status in QUEUED:
                for key, value in changes.items():
                    setattr(update, key, value)
                s.add(update)
                s.flush()
                if "body" in changes or "headline" in changes:
                    self._index(s, update)
                desk_event_id = self._append_desk(s, story, update)
                return Written(update, story.id, desk_event_id=desk_event_id)
            pin = changes.pop("pinned", None)
            if rewritten:
                self._keep_revision(s, update, editor, editor_byline, correction)
            for key, value in changes.items():
                setattr(update, key, value)
            if rewritten:
                self._index(s, update)
                # Readers see "edited" for a change of what it says; a pin or a key-event
                # mark changes where it shows, not what it says.
                update.edited_at = utcnow()
                update.edited_by = editor_byline or editor
                if correction:
                    update.correction, update.corrected_at = correction, update.edited_at
            if pin is True:
                self._pin(s, story, update)
            elif pin is False:
                update.pinned = False
            s.add(update)
            s.flush()
            event_id = self._append(s, story.id, self._shown(s, story, update, UpdateEdited))
        return Written(update, story.id, event_id)

    @staticmethod
    def _keep_revision(s: Session, update: Update, editor: str, editor_byline: str, correction: str) -> None:
        """The text `update` has now, kept before it is changed (the story's lock numbers them)."""
        count = s.exec(select(func.count()).select_from(Revision).where(Revision.update_id == update.id)).one()
        s.add(Revision(update_id=update.id, number=count + 1, body=update.body, headline=update.headline,
                       editor=editor, editor_byline=editor_byline or editor, correction=correction))

    def revisions(self, slug: str, update_id: int) -> tuple[Update, list[Revision]]:
        """A published update and its revisions, oldest first (none: never changed)."""
        story = self.get_story(slug)
        with self._reading() as s:
            update = self._published_update(s, story, update_id)
            rows = list(s.exec(select(Revision).where(Revision.update_id == update.id).order_by(Revision.number)))
        return update, rows

    def delete_update(self, slug: str, update_id: int) -> Written[Update]:
        """Take a published update off readers' pages. The row stays (status deleted, with
        its time, and its pin as it was) so that `restore_update` can bring it back."""
        with self._writing() as s:
            story = self._locked_story(s, slug, live=True)
            update = self._published_update(s, story, update_id)
            update.status = "deleted"
            update.deleted_at = utcnow()
            s.add(update)
            event_id = self._append(s, story.id, UpdateDeleted(update.id, slug))
        return Written(update, story.id, event_id)

    def restore_update(self, slug: str, update_id: int, deleted_since: datetime) -> Written[Update]:
        """Bring back an update deleted at `deleted_since` or later: readers get its `update`
        event again, in its place in time. Its pin comes back unless another update has
        been pinned since."""
        with self._writing() as s:
            story = self._locked_story(s, slug, live=True)
            update = s.get(Update, update_id)
            if update is None or update.story_id != story.id or update.status != "deleted":
                raise UpdateNotFound(update_id)
            if update.deleted_at is None or update.deleted_at < deleted_since:
                raise Invalid({"update": Message("It is too late to undo this deletion; post the update again instead.")})
            update.status = "published"
            update.deleted_at = None
            if update.pinned:
                pinned = s.exec(self._published(story.id).where(Update.pinned, Update.id != update.id)).first()
                update.pinned = pinned is None
            s.add(update)
            s.flush()
            event_id = self._append(s, story.id, self._shown(s, story, update, UpdatePosted))
        return Written(update, story.id, event_id)

    def recently_deleted(self, slug: str, deleted_since: datetime) -> list[Update]:
        """Updates deleted at `deleted_since` or later, newest deletion first (the desk's undo)."""
        story = self.get_story(slug)
        with self._reading() as s:
            return list(s.exec(
                select(Update)
                .where(Update.story_id == story.id, Update.status == "deleted", Update.deleted_at >= deleted_since)
                .order_by(Update.deleted_at.desc(), Update.id.desc())
            ))

    def _published(self, story_id: int):
        return select(Update).where(Update.story_id == story_id, Update.status == "published")

    def _before(self, s: Session, query, before: int | None):
        order = (Update.created_at.desc(), Update.id.desc())
        if before is not None:
            cursor = s.get(Update, before)
            if cursor is not None:
                query = query.where(tuple_(Update.created_at, Update.id) < tuple_(cursor.created_at, cursor.id))
        return query.order_by(*order)

    def list_updates(self, slug: str, before: int | None = None, limit: int = PAGE_SIZE) -> tuple[list[Update], int | None]:
        """Newest first; the second value is the `before` cursor of the next page, if any."""
        story = self.get_story(slug)
        with self._reading() as s:
            rows = list(s.exec(self._before(s, self._published(story.id), before).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (rows[-1].id if more and rows else None)

    def get_update(self, slug: str, update_id: int) -> Update:
        story = self.get_story(slug)
        with self._reading() as s:
            return self._published_update(s, story, update_id)

    def story_page(
        self, slug: str, before: int | None = None, key_only: bool = False, search: str | None = None
    ) -> StoryPage:
        """The page's updates: all of them, or only key events, or only those matching `search`.

        A filtered page lists the pinned update in its place in time, if it matches.
        """
        story = self.get_story(slug)
        # The event id first: whatever is read after it is at least as new, and the
        # page's client replays from it (applying an event twice changes nothing).
        last_event_id = self.last_event_id(story.id)
        filtered = key_only or search is not None
        with self._reading() as s:
            pinned = None if before or filtered else s.exec(self._published(story.id).where(Update.pinned)).first()
            query = self._published(story.id)
            if key_only:
                query = query.where(Update.key_event)
            if search is not None:
                query = query.where(self._matching(search))
            if pinned is not None:
                query = query.where(Update.id != pinned.id)
            rows = list(s.exec(self._before(s, query, before).limit(PAGE_SIZE + 1)))
            key_events = list(s.exec(self._before(s, self._published(story.id).where(Update.key_event), None)
                                     .limit(KEY_EVENTS_SHOWN)))
            key_event_count = s.exec(
                select(func.count()).select_from(Update).where(
                    Update.story_id == story.id, Update.status == "published", Update.key_event)
            ).one()
            newest_at = self._newest_times(s, [story.id]).get(story.id)
            more = len(rows) > PAGE_SIZE
            rows = rows[:PAGE_SIZE]
            shown = [u.id for u in (pinned, *rows) if u is not None]
            polls = self._polls_of(s, story, shown)
            callouts = self._callouts_of(s, shown)
            questions = self._questions_of(s, story)
        return StoryPage(story, pinned, rows, key_events, last_event_id, rows[-1].id if more and rows else None,
                         key_event_count, newest_at, polls, callouts, questions)

    def _newest_times(self, s: Session, story_ids: list[int]) -> dict[int, datetime]:
        """Each story's newest published update's time (stories without one are left out)."""
        if not story_ids:
            return {}
        rows = s.exec(select(Update.story_id, func.max(Update.created_at))
                      .where(Update.story_id.in_(story_ids), Update.status == "published")
                      .group_by(Update.story_id))
        return {story_id: _aware(newest) for story_id, newest in rows}

    def key_events(self, slug: str, limit: int = 50) -> tuple[Story, list[Update]]:
        story = self.get_story(slug)
        with self._reading() as s:
            query = self._published(story.id).where(Update.key_event)
            return story, list(s.exec(self._before(s, query, None).limit(limit)))

    # -- polls -----------------------------------------------------------------
    #
    # A poll is an update (its body the question) with a `poll` row and a row per choice
    # holding that choice's count. A vote is one conditional UPDATE of a count and writes no
    # event; `poll_counted` appends the counts as they are (a `poll` event), which the
    # newsroom asks for at most once a second per poll, and once more when the poll closes.

    @staticmethod
    def _polls_of(s: Session, story: Story, update_ids: list[int]) -> dict[int, PollResult]:
        """The polls among `update_ids`, by update id, with their counts as they are now."""
        if not update_ids:
            return {}
        polls = list(s.exec(select(Poll).where(Poll.update_id.in_(update_ids))))
        if not polls:
            return {}
        choices: dict[int, list[ChoiceCount]] = {poll.id: [] for poll in polls}
        rows = s.exec(select(PollChoice).where(PollChoice.poll_id.in_(list(choices))).order_by(PollChoice.position))
        for choice in rows:
            choices[choice.poll_id].append(ChoiceCount(choice.id, choice.label, choice.votes))
        now = utcnow()
        return {
            poll.update_id: PollResult(
                poll.id, poll.update_id, story.slug, poll.question, tuple(choices[poll.id]), poll.closes_at,
                closed=_poll_closed(poll.closed_at, poll.closes_at, story.status, now),
            )
            for poll in polls
        }

    def _poll_of(self, s: Session, story: Story, update_id: int) -> PollResult | None:
        return self._polls_of(s, story, [update_id]).get(update_id)

    def _shown(self, s: Session, story: Story, update: Update, as_event: type[UpdatePosted]) -> UpdatePosted:
        """The update's `update` (or `edit`) event, with its poll and its callout, if it has them."""
        return as_event.of(update, story.slug, story.language, self._poll_of(s, story, update.id),
                           self._callouts_of(s, [update.id]).get(update.id))

    def add_poll(
        self, slug: str, question: str, choices: list[str], closes_at: datetime, author: str, byline: str = "",
        key_event: bool = False,
    ) -> Written[PollResult]:
        """A poll, published at once as an update whose text is the question."""
        with self._writing() as s:
            story = self._locked_story(s, slug, live=True)
            body = re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~])", r"\\\1", question)
            update = Update(story_id=story.id, body=body, body_html=render.markdown_html(body), author=author,
                            byline=byline if byline != author else "", key_event=key_event)
            s.add(update)
            s.flush()
            self._index(s, update)
            poll = Poll(story_id=story.id, update_id=update.id, question=question, closes_at=closes_at)
            s.add(poll)
            s.flush()
            for position, label in enumerate(choices):
                s.add(PollChoice(poll_id=poll.id, position=position, label=label))
            s.flush()
            result = self._poll_of(s, story, update.id)
            event_id = self._append(s, story.id, UpdatePosted.of(update, slug, story.language, result))
        return Written(result, story.id, event_id)

    def poll(self, slug: str, poll_id: int) -> PollResult:
        story = self.get_story(slug)
        with self._reading() as s:
            poll = s.get(Poll, poll_id)
            if poll is None or poll.story_id != story.id or s.get(Update, poll.update_id).status != "published":
                raise PollNotFound(poll_id)  # a deleted update takes its poll with it
            return self._poll_of(s, story, poll.update_id)

    def vote(self, slug: str, poll_id: int, choice_id: int, now: datetime | None = None) -> tuple[PollResult, str | None]:
        """Count one vote: a single UPDATE, which counts only for an open poll of a live story;
        then, in the same transaction, the counts as they now are (one indexed read), with
        the story's language. SQLAlchemy Core, not the ORM: this is the hot path of a busy poll.

        Nothing counted: 404 for a poll or choice that is not there, 409 for a closed poll.
        """
        now = now or utcnow()
        poll, story, choice, update = Poll.__table__.c, Story.__table__.c, PollChoice.__table__.c, Update.__table__.c
        open_poll = (
            select(poll.id)
            .select_from(Poll.__table__.join(Story.__table__, story.id == poll.story_id)
                         .join(Update.__table__, update.id == poll.update_id))
            .where(poll.id == poll_id, story.slug == slug, story.status == "live", poll.closed_at.is_(None),
                   poll.closes_at > now, update.status == "published")
        )
        with self._write_engine.begin() as connection:
            counted = connection.execute(
                sql_update(PollChoice.__table__)
                .where(choice.id == choice_id, choice.poll_id == poll_id, choice.poll_id.in_(open_poll))
                .values(votes=choice.votes + 1)
            ).rowcount
            if counted:
                return self._counted(connection, poll_id)
        found = self.poll(slug, poll_id)  # 404 for a poll not there
        if found.closed:
            raise PollClosed(poll_id)
        raise NotAChoice()

    @staticmethod
    def _counted(connection, poll_id: int) -> tuple[PollResult, str | None]:
        poll, story, choice = Poll.__table__.c, Story.__table__.c, PollChoice.__table__.c
        rows = connection.execute(
            select(poll.update_id, story.slug, story.status, story.language, poll.question, poll.closes_at,
                   poll.closed_at, choice.id, choice.label, choice.votes)
            .select_from(Poll.__table__.join(Story.__table__, story.id == poll.story_id)
                         .join(PollChoice.__table__, choice.poll_id == poll.id))
            .where(poll.id == poll_id).order_by(choice.position)
        ).all()
        update_id, slug, status, language, question, closes_at, closed_at = rows[0][:7]
        closed = _poll_closed(closed_at, closes_at, status, utcnow())
        choices = tuple(ChoiceCount(row[7], row[8], row[9]) for row in rows)
        return PollResult(poll_id, update_id, slug, question, choices, closes_at, closed), language

    def poll_counted(self, poll_id: int, close: bool = False, due_by: datetime | None = None) -> Written[PollResult | None]:
        """Append the poll's counts as they are now (a `poll` event), closing it first with `close`.

        Closing is conditional (`closed_at IS NULL`, and with `due_by` only if its time has
        come), so of several processes one closes it; the others get None and append
        nothing. A story that has closed takes no more events: its close was the last.
        """
        with self._writing() as s:
            poll = s.get(Poll, poll_id)
            if poll is None:
                raise PollNotFound(poll_id)
            story = s.exec(select(Story).where(Story.id == poll.story_id).with_for_update()).one()
            if story.status != "live" or s.get(Update, poll.update_id).status != "published":
                return Written(None, story.id)
            if close:
                if poll.closed_at is not None or (due_by is not None and poll.closes_at > due_by):
                    return Written(None, story.id)
                poll.closed_at = utcnow()
                s.add(poll)
                s.flush()
            result = self._poll_of(s, story, poll.update_id)
            event_id = self._append(s, story.id, PollCounted.of(result, story.language))
        return Written(result, story.id, event_id)

    def due_polls(self, now: datetime, limit: int = 100) -> list[int]:
        """Open polls whose closing time has come (of live stories)."""
        with self._reading() as s:
            rows = s.exec(
                select(Poll.id).join(Story, Story.id == Poll.story_id).join(Update, Update.id == Poll.update_id)
                .where(Poll.closed_at.is_(None), Poll.closes_at <= now, Story.status == "live",
                       Update.status == "published")
                .order_by(Poll.closes_at).limit(limit)
            ).all()
        return list(rows)

    # -- search ----------------------------------------------------------------

    def _index(self, s: Session, update: Update) -> None:
        """Keep SQLite's FTS5 table in step, in the write's own transaction (PostgreSQL
        indexes the columns themselves). Every status is indexed; searches ask for published."""
        if not self.sqlite:
            return
        s.execute(text("DELETE FROM update_fts WHERE rowid = :id"), {"id": update.id})
        s.execute(
            text("INSERT INTO update_fts (rowid, headline, body) VALUES (:id, :headline, :body)"),
            {"id": update.id, "headline": update.headline, "body": render.plain_text(update.body_html)},
        )

    def _matching(self, search: str):
        """A WHERE clause: updates holding every word of `search` (stemmed, in English)."""
        words = re.findall(r"\w+", search)
        if self.sqlite:
            # Each word quoted: what a reader types is never read as FTS5 query syntax.
            query = " ".join('"%s"' % word for word in words) or '""'
            found = text("SELECT rowid FROM update_fts WHERE update_fts MATCH :query").bindparams(query=query)
            return Update.id.in_(found.columns(column("rowid")))
        return text(f"{SEARCH_VECTOR} @@ plainto_tsquery('english', :query)").bindparams(query=" ".join(words))

    # -- the desk's queue: drafts and scheduled updates --------------------------

    def queued_updates(self, slug: str, status: str) -> list[Update]:
        """Drafts in the order they came in; scheduled updates in the order they will go out."""
        story = self.get_story(slug)
        order = (Update.publish_at, Update.id) if status == "scheduled" else (Update.created_at, Update.id)
        with self._reading() as s:
            return list(s.exec(select(Update).where(Update.story_id == story.id, Update.status == status).order_by(*order)))

    def _move(self, s: Session, story: Story, update_id: int, to: str, when=(), **values: Any) -> tuple[Update, int]:
        """Move a queued update to the status `to`, if it is still in a state it may leave
        (a conditional UPDATE, so of two processes or editors only one wins), and log it
        in the desk's log (whose new id is the second value)."""
        sources = {"published": QUEUED, "rejected": QUEUED, "draft": ("scheduled",)}[to]
        claim = (
            sql_update(Update)
            .where(Update.id == update_id, Update.story_id == story.id, Update.status.in_(sources), *when)
            .values(status=to, **values)
            .execution_options(synchronize_session=False)
        )
        if s.execute(claim).rowcount != 1:
            raise UpdateNotFound(update_id)
        update = s.get(Update, update_id)
        s.refresh(update)
        return update, self._append_desk(s, story, update)

    def publish_update(self, slug: str, update_id: int, due_by: datetime | None = None) -> Written[Update]:
        """Publish a draft or scheduled update now; readers get its `update` event.

        With `due_by` (the scheduler), only a scheduled update due by then is published.
        Its time becomes the moment readers see it, and a pin it asked for is carried out.
        """
        when = (Update.status == "scheduled", Update.publish_at <= due_by) if due_by else ()
        with self._writing() as s:
            story = self._locked_story(s, slug, live=True)
            update, desk_event_id = self._move(
                s, story, update_id, "published", when, created_at=utcnow(), edited_at=None
            )
            if update.pinned:
                update.pinned = False
                self._pin(s, story, update)
            event_id = self._append(s, story.id, self._shown(s, story, update, UpdatePosted))
        return Written(update, story.id, event_id, desk_event_id)

    def reject_update(self, slug: str, update_id: int) -> Written[Update]:
        with self._writing() as s:
            story = self._locked_story(s, slug)
            update, desk_event_id = self._move(s, story, update_id, "rejected")
        return Written(update, story.id, desk_event_id=desk_event_id)

    def unschedule_update(self, slug: str, update_id: int) -> Written[Update]:
        """Cancel a scheduled update: it goes back among the drafts, nothing of it lost."""
        with self._writing() as s:
            story = self._locked_story(s, slug)
            update, desk_event_id = self._move(s, story, update_id, "draft", publish_at=None)
        return Written(update, story.id, desk_event_id=desk_event_id)

    def due_updates(self, now: datetime, limit: int = 100) -> list[tuple[str, int]]:
        """(slug, update id) of scheduled updates due by `now`, in live stories: a closed
        story's wait until it is reopened."""
        with self._reading() as s:
            rows = s.exec(
                select(Story.slug, Update.id)
                .join(Story, Story.id == Update.story_id)
                .where(Update.status == "scheduled", Update.publish_at <= now, Story.status == "live")
                .order_by(Update.publish_at, Update.id)
                .limit(limit)
            ).all()
        return [tuple(row) for row in rows]

    # -- push subscriptions and the pushes owed to them ------------------------

    def subscribe(
        self, slug: str, endpoint: str, p256dh: str, auth: str, address: str = "",
        per_address: int = 0, per_story: int = 0,
    ) -> PushSubscription:
        """Keep a browser's push subscription to a story; the same endpoint again replaces its keys.

        A new one is refused (429) when `address` already holds `per_address` subscriptions
        or the story has `per_story` (0: no cap; an empty address counts against none).
        """
        story = self.get_story(slug)
        for _attempt in range(2):
            try:
                with self._writing() as s:
                    sub = s.exec(
                        select(PushSubscription).where(
                            PushSubscription.story_id == story.id, PushSubscription.endpoint == endpoint
                        )
                    ).first()
                    if sub is None:
                        self._check_subscription_caps(s, story.id, address, per_address, per_story)
                        sub = PushSubscription(story_id=story.id, endpoint=endpoint, p256dh="", auth="", address=address)
                    sub.p256dh, sub.auth = p256dh, auth
                    s.add(sub)
                return sub
            except IntegrityError:  # the same browser subscribing twice at once
                continue
        raise Invalid({"endpoint": Message("This subscription is being saved already.")})

    def _check_subscription_caps(self, s: Session, story_id: int, address: str, per_address: int, per_story: int) -> None:
        if not self.sqlite:
            # SQLite writes one transaction at a time; PostgreSQL would let subscriptions
            # arriving at once all pass the same count. Locks of the story and the address
            # (always taken in this order, till commit) make them count one by one.
            for key in (f"push-story:{story_id}", f"push-address:{address}"):
                s.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})

        def count(*where) -> int:
            return s.exec(select(func.count()).select_from(PushSubscription).where(*where)).one()

        if address and per_address and count(PushSubscription.address == address) >= per_address:
            raise TooManyRequests(
                Message("This address already has {limit} push subscriptions; unsubscribe from some first.", limit=per_address),
                retry_after=SUBSCRIPTION_RETRY_SECONDS,
            )
        if per_story and count(PushSubscription.story_id == story_id) >= per_story:
            raise TooManyRequests(Message("This story has as many push subscribers as it can take."),
                                  retry_after=SUBSCRIPTION_RETRY_SECONDS)

    def unsubscribe(self, slug: str, endpoint: str) -> bool:
        story = self.get_story(slug)
        with self._writing() as s:
            gone = s.execute(
                delete(PushSubscription).where(PushSubscription.story_id == story.id, PushSubscription.endpoint == endpoint)
            )
        return gone.rowcount > 0

    def subscriptions(self, story_id: int) -> list[PushSubscription]:
        with self._reading() as s:
            return list(s.exec(select(PushSubscription).where(PushSubscription.story_id == story_id)))

    def push_results(self, delivered: list[int], failed: list[int], gone: list[int], max_failures: int) -> int:
        """Record one job's sends: a delivery clears a subscription's failures, a failure adds
        one; a subscription the push service called gone (404/410), or one failing its
        `max_failures`th time in a row, is deleted. Returns how many were deleted."""
        with self._writing() as s:
            if delivered:
                s.execute(sql_update(PushSubscription).where(PushSubscription.id.in_(delivered)).values(failures=0))
            if failed:
                s.execute(sql_update(PushSubscription).where(PushSubscription.id.in_(failed))
                          .values(failures=PushSubscription.failures + 1))
            ended = delete(PushSubscription).where(
                or_(PushSubscription.id.in_(gone), and_(PushSubscription.id.in_(failed),
                                                        PushSubscription.failures >= max_failures))
            )
            return s.execute(ended).rowcount

    def claim_push_jobs(self, now: datetime, stale_before: datetime, limit: int = 20) -> list[PushJob]:
        """Push jobs this process now owns: unclaimed ones, or ones whose claimer went quiet
        (it died mid-send) before `stale_before`. One conditional UPDATE per job decides."""
        claimable = or_(PushJob.claimed_at.is_(None), PushJob.claimed_at < stale_before)
        with self._reading() as s:
            candidates = list(s.exec(select(PushJob).where(claimable).order_by(PushJob.id).limit(limit)))
        claimed = []
        for job in candidates:
            with self._writing() as s:
                won = s.execute(
                    sql_update(PushJob)
                    .where(PushJob.id == job.id, claimable)
                    .values(claimed_at=now)
                    .execution_options(synchronize_session=False)
                )
            if won.rowcount == 1:
                claimed.append(job)
        return claimed

    def finish_push_job(self, job_id: int) -> None:
        with self._writing() as s:
            s.execute(delete(PushJob).where(PushJob.id == job_id))

    # -- the audience: each process's beat, and the readers per minute ------------

    def _upsert(self, s: Session, table, values: dict[str, Any], keys: tuple[str, ...], changes: dict[str, Any]) -> None:
        """INSERT … ON CONFLICT (keys) DO UPDATE, in SQLite's or PostgreSQL's words."""
        if self.sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        statement = insert(table.__table__).values(**values)
        fresh = {name: change(statement.excluded) for name, change in changes.items()}
        s.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=fresh))

    def beat(self, process: str, now: datetime, stale_before: datetime,
             open_here: dict[int, tuple[int, list[str]]]) -> dict[int, Audience]:
        """One process's beat: what it has open of each story (readers, editors' names) replaces
        its last; rows of processes gone quiet (older than `stale_before`) are deleted; each
        story's minute keeps the peak of the sum. Returns each of those stories' audience
        summed over every process."""
        minute = now.replace(second=0, microsecond=0)
        with self._writing() as s:
            s.execute(delete(AudienceBeat).where(or_(
                AudienceBeat.beat_at < stale_before,
                and_(AudienceBeat.process == process, AudienceBeat.story_id.not_in(list(open_here) or [0])))))
            for story_id, (readers, editors) in open_here.items():
                self._upsert(s, AudienceBeat, {"process": process, "story_id": story_id, "readers": readers,
                                               "editors": render.compact_json(editors), "beat_at": now},
                             ("process", "story_id"),
                             {"readers": lambda new: new.readers, "editors": lambda new: new.editors,
                              "beat_at": lambda new: new.beat_at})
            audience = self._audience(s, list(open_here), stale_before)
            for story_id, now_open in audience.items():
                self._upsert(s, AudienceMinute, {"story_id": story_id, "minute": minute, "peak": now_open.readers},
                             ("story_id", "minute"),
                             {"peak": lambda new: case((new.peak > AudienceMinute.peak, new.peak),
                                                       else_=AudienceMinute.peak)})
            return audience

    @staticmethod
    def _audience(s: Session, story_ids: list[int], stale_before: datetime, but: str = "") -> dict[int, Audience]:
        found = {story_id: Audience(0, ()) for story_id in story_ids}
        if not story_ids:
            return found
        rows = s.exec(select(AudienceBeat.story_id, AudienceBeat.readers, AudienceBeat.editors)
                      .where(AudienceBeat.story_id.in_(story_ids), AudienceBeat.beat_at >= stale_before,
                             AudienceBeat.process != but))
        readers: dict[int, int] = dict.fromkeys(story_ids, 0)
        editors: dict[int, set[str]] = {story_id: set() for story_id in story_ids}
        for story_id, count, names in rows:
            readers[story_id] += count
            editors[story_id].update(json.loads(names))
        for story_id in story_ids:
            found[story_id] = Audience(readers[story_id], tuple(sorted(editors[story_id], key=str.casefold)))
        return found

    def audience(self, story_id: int, stale_before: datetime, but: str = "") -> Audience:
        """A story's readers and desk editors now, summed over every process with a fresh beat
        (but the process `but`, which counts its own)."""
        with self._reading() as s:
            return self._audience(s, [story_id], stale_before, but)[story_id]

    def audience_minutes(self, story_id: int) -> list[tuple[datetime, int]]:
        """(minute, peak readers) of every minute the story was counted in, oldest first."""
        with self._reading() as s:
            rows = s.exec(select(AudienceMinute.minute, AudienceMinute.peak)
                          .where(AudienceMinute.story_id == story_id).order_by(AudienceMinute.minute))
            return [(minute, peak) for minute, peak in rows]

    # -- keys the server keeps ---------------------------------------------------

    def server_key(self, name: str, make: Callable[[], str]) -> str:
        """The key called `name`, made by `make` the first time; every process gets the same one."""
        with self._reading() as s:
            key = s.get(ServerKey, name)
        if key is not None:
            return key.value
        try:
            with self._writing() as s:
                s.add(ServerKey(name=name, value=make()))
        except IntegrityError:
            pass  # another process made it first: use theirs
        with self._reading() as s:
            return s.get(ServerKey, name).value

    # -- the desk's chat ---------------------------------------------------------------

    def add_desk_message(self, slug: str, author: str, byline: str, text: str) -> Written[DeskMessage]:
        """A line of the story's desk chat: the desk's log only (open or closed, the desk
        may talk)."""
        with self._writing() as s:
            story = self._locked_story(s, slug)
            message = DeskMessage(story_id=story.id, author=author, byline=byline if byline != author else "", text=text)
            s.add(message)
            s.flush()
            desk_event_id = self._append_desk_entry(s, story.id, DeskSaid.of(message, slug, story.language))
        return Written(message, story.id, desk_event_id=desk_event_id)

    def desk_messages(self, story_id: int, limit: int = 100) -> list[DeskMessage]:
        """The chat's newest lines, oldest first."""
        with self._reading() as s:
            rows = list(s.exec(select(DeskMessage).where(DeskMessage.story_id == story_id)
                               .order_by(DeskMessage.id.desc()).limit(limit)))
        return rows[::-1]

    # -- editors and tokens --------------------------------------------------

    def create_editor(self, name: str, password_hash: str, role: str = "editor", reset: bool = False,
                      display_name: str | None = None) -> Editor:
        """A new editor; one of that name already there is refused, or with `reset` given
        this password and role (and `display_name`, when given)."""
        try:
            with self._writing() as s:
                editor = s.exec(select(Editor).where(Editor.name == name)).first()
                if editor is not None and not reset:
                    raise Invalid({"name": f"{name!r} is already an editor; reset their password with --reset."})
                editor = editor or Editor(name=name, password_hash="")
                editor.password_hash = password_hash
                editor.role = role
                if display_name is not None:
                    editor.display_name = display_name
                s.add(editor)
        except IntegrityError:
            raise Invalid({"name": f"{name!r} is taken."}) from None
        return editor

    def set_display_name(self, editor_id: int, display_name: str) -> Editor:
        """An editor's byline from now on (updates already posted keep the one they had)."""
        with self._writing() as s:
            editor = s.get(Editor, editor_id)
            if editor is None:
                raise Invalid({"display_name": Message("This account no longer exists.")})
            editor.display_name = display_name
            s.add(editor)
        return editor

    def get_editor(self, name: str) -> Editor | None:
        with self._reading() as s:
            return s.exec(select(Editor).where(Editor.name == name)).first()

    # -- desk sessions -------------------------------------------------------

    def create_session(self, editor_id: int, max_age: timedelta, replaces: str | None = None) -> EditorSession:
        """A new session with its own CSRF token; the one it `replaces` (and any expired) go."""
        session = EditorSession(id=secrets.token_urlsafe(32), editor_id=editor_id, csrf=secrets.token_urlsafe(32))
        with self._writing() as s:
            s.exec(delete(EditorSession).where(EditorSession.created_at < utcnow() - max_age))
            if replaces:
                s.exec(delete(EditorSession).where(EditorSession.id == replaces))
            s.add(session)
        return session

    def session_editor(self, session_id: str, max_age: timedelta) -> tuple[EditorSession, Editor] | None:
        """The session and its editor, unless it was ended or is older than `max_age`."""
        with self._reading() as s:
            row = s.exec(
                select(EditorSession, Editor)
                .join(Editor, Editor.id == EditorSession.editor_id)
                .where(EditorSession.id == session_id)
            ).first()
        if row is None:
            return None
        if row[0].created_at < utcnow() - max_age:
            return None
        return row[0], row[1]

    def end_session(self, session_id: str) -> None:
        with self._writing() as s:
            s.exec(delete(EditorSession).where(EditorSession.id == session_id))

    def create_token(self, name: str, role: str = "editor", display_name: str = "") -> str:
        token = secrets.token_urlsafe(32)
        with self._writing() as s:
            s.add(Token(name=name, digest=token_digest(token), role=role, display_name=display_name))
        return token

    def token_owner(self, token: str) -> Token | None:
        with self._reading() as s:
            return s.exec(select(Token).where(Token.digest == token_digest(token))).first()

    # -- syndication: this story followed by another instance, or following one's ------

    def create_syndication_token(self, slug: str, name: str = "") -> str:
        """A token for one story's stream; only its digest is kept."""
        token = secrets.token_urlsafe(32)
        with self._writing() as s:
            story = self._locked_story(s, slug)
            s.add(SyndicationToken(story_id=story.id, name=name, digest=token_digest(token)))
        return token

    def syndication_token_story(self, token: str) -> int | None:
        """The id of the story a syndication token was issued for, None for no such token."""
        with self._reading() as s:
            row = s.exec(select(SyndicationToken).where(SyndicationToken.digest == token_digest(token))).first()
            return row.story_id if row else None

    def add_link(self, slug: str, url: str, token: str, approval: bool) -> Written[SyndicationLink]:
        """This story follows the producer story at `url` (nothing readers see changes yet)."""
        with self._writing() as s:
            story = self._locked_story(s, slug)
            taken = s.exec(select(SyndicationLink).where(SyndicationLink.story_id == story.id,
                                                         SyndicationLink.url == url)).first()
            if taken is not None:
                raise Invalid({"url": Message("This story already follows that story.")})
            link = SyndicationLink(story_id=story.id, url=url, token=token, approval=approval)
            s.add(link)
            s.flush()
        return Written(link, story.id)

    def link(self, link_id: int) -> SyndicationLink | None:
        with self._reading() as s:
            return s.get(SyndicationLink, link_id)

    def links(self, slug: str | None = None) -> list[SyndicationLink]:
        """Every link (or one story's), oldest first."""
        with self._reading() as s:
            query = select(SyndicationLink).order_by(SyndicationLink.id)
            if slug is not None:
                query = query.join(Story, Story.id == SyndicationLink.story_id).where(Story.slug == slug)
            return list(s.exec(query))

    def claim_link(self, link_id: int, process: str, now: datetime, stale_before: datetime) -> bool:
        """Take (or keep) the following of a link for `process`: one process follows each.
        Another process's claim counts until it is older than `stale_before`."""
        with self._writing() as s:
            done = s.exec(sql_update(SyndicationLink).where(
                SyndicationLink.id == link_id,
                or_(SyndicationLink.claimed_by == process, SyndicationLink.claimed_by == "",
                    SyndicationLink.claimed_at.is_(None), SyndicationLink.claimed_at < stale_before),
            ).values(claimed_by=process, claimed_at=now))
            return done.rowcount == 1

    def release_link(self, link_id: int, process: str) -> None:
        with self._writing() as s:
            s.exec(sql_update(SyndicationLink).where(SyndicationLink.id == link_id, SyndicationLink.claimed_by == process)
                   .values(claimed_by="", claimed_at=None))

    def syndicate(self, link_id: int, event_id: int, kind: str, data: dict[str, Any]) -> Written[Update | None]:
        """Apply one producer event to the link's story, and note its id, in one transaction.

        An event at or before the link's last one is skipped (a replay after a restart),
        and a producer update already mapped is never posted again. The producer's HTML is
        sanitized again here, with the same rules as our own updates'.
        """
        with self._writing() as s:
            link = s.get(SyndicationLink, link_id)
            if link is None:
                return Written(None, 0)
            story = s.exec(select(Story).where(Story.id == link.story_id).with_for_update()).one()
            s.refresh(link)
            if event_id <= link.last_event_id:
                return Written(None, story.id)
            link.last_event_id = event_id
            s.add(link)
            if story.status != "live" or kind not in ("update", "edit", "delete"):
                return Written(None, story.id)  # a closed story takes no changes; its editors decide
            try:
                producer_id = int(data["id"])
            except (KeyError, TypeError, ValueError):
                return Written(None, story.id)  # a frame we cannot use: read, and passed over
            mapped = s.exec(select(SyndicatedUpdate).where(SyndicatedUpdate.link_id == link.id,
                                                           SyndicatedUpdate.producer_update_id == producer_id)).first()
            update = s.get(Update, mapped.update_id) if mapped else None
            html = render.clean_html(str(data.get("body_html", "")))
            headline = str(data.get("headline", ""))[:300]
            if kind == "update":
                if update is not None and update.status == "deleted" and update.deleted_at is not None:
                    # The producer restored it (its `update` again): so do we, as it was.
                    update.status, update.deleted_at = "published", None
                    s.add(update)
                    s.flush()
                    return Written(update, story.id, self._append(s, story.id, self._shown(s, story, update, UpdatePosted)))
                if update is not None:
                    return Written(None, story.id)
                update = Update(story_id=story.id, body=render.plain_text(html), body_html=html, headline=headline,
                                author=f"syndication:{urlsplit(link.url).netloc}"[:120],
                                byline=str(data.get("author", ""))[:120],
                                key_event=bool(data.get("key_event")), source_url=link.url[:500],
                                status="draft" if link.approval else "published")
                s.add(update)
                s.flush()
                s.add(SyndicatedUpdate(link_id=link.id, producer_update_id=producer_id, update_id=update.id))
                self._index(s, update)
                if link.approval:
                    return Written(update, story.id, desk_event_id=self._append_desk(s, story, update))
                return Written(update, story.id, self._append(s, story.id, self._shown(s, story, update, UpdatePosted)))
            if update is None or update.status not in ("published", "draft"):
                return Written(None, story.id)
            if kind == "edit":
                if update.status == "published" and (update.body_html != html or update.headline != headline):
                    self._keep_revision(s, update, update.author, "", "")
                    update.edited_at = utcnow()
                update.body_html, update.body, update.headline = html, render.plain_text(html), headline
                update.key_event = bool(data.get("key_event"))
                s.add(update)
                s.flush()
                self._index(s, update)
            elif update.status == "published":
                update.status, update.deleted_at = "deleted", utcnow()
                s.add(update)
                return Written(update, story.id, self._append(s, story.id, UpdateDeleted(update.id, story.slug)))
            else:
                update.status = "rejected"
                s.add(update)
                s.flush()
            if update.status == "published":
                return Written(update, story.id, self._append(s, story.id, self._shown(s, story, update, UpdateEdited)))
            return Written(update, story.id, desk_event_id=self._append_desk(s, story, update))

    def ping(self) -> None:
        with self._reading() as s:
            s.exec(select(1)).one()
