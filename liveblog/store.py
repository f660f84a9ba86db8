"""Every write (the change and its Event, in one transaction) and every read query.

The functions here are synchronous; the web layer calls them in a worker thread.
A write returns `Written`: what was changed and the last event id it appended,
so the caller announces it only after the commit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import func, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from . import render
from .errors import Invalid, StoryNotFound, UpdateNotFound
from .models import Editor, Event, Story, Token, Update, utcnow

T = TypeVar("T")

PAGE_SIZE = 50


@dataclass(frozen=True)
class Written(Generic[T]):
    value: T
    story_id: int
    event_id: int | None  # the newest event appended, None when nothing changed


class LoggedEvent(NamedTuple):
    id: int
    story_id: int
    kind: str
    data: str


@dataclass
class StoryPage:
    story: Story
    pinned: Update | None
    updates: list[Update]
    key_events: list[Update]
    last_event_id: int
    older: int | None  # the `before` cursor for the next page, None on the last page


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-") or "story"


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine
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

    def _append(self, session: Session, story_id: int, kind: str, data: dict[str, Any]) -> int:
        event = Event(story_id=story_id, kind=kind, data=render.compact_json(data))
        session.add(event)
        session.flush()
        return event.id

    def _locked_story(self, session: Session, slug: str, live: bool = False) -> Story:
        """The story row, locked until commit: its events commit in id order (PostgreSQL).

        With `live`, a closed story is refused: its closing event stays the last one.
        """
        story = session.exec(select(Story).where(Story.slug == slug).with_for_update()).first()
        if story is None:
            raise StoryNotFound(slug)
        if live and story.status != "live":
            raise Invalid({"story": "This story is closed; reopen it to post or change updates."})
        return story

    def events_after(self, story_id: int, after: int, limit: int = 1000) -> list[LoggedEvent]:
        with self._reading() as s:
            rows = s.exec(
                select(Event.id, Event.story_id, Event.kind, Event.data)
                .where(Event.story_id == story_id, Event.id > after)
                .order_by(Event.id)
                .limit(limit)
            ).all()
        return [LoggedEvent(*row) for row in rows]

    def latest_events(self, story_id: int, limit: int) -> list[LoggedEvent]:
        """The story's newest `limit` events, oldest first."""
        with self._reading() as s:
            rows = s.exec(
                select(Event.id, Event.story_id, Event.kind, Event.data)
                .where(Event.story_id == story_id)
                .order_by(Event.id.desc())
                .limit(limit)
            ).all()
        return [LoggedEvent(*row) for row in reversed(rows)]

    def last_event_id(self, story_id: int) -> int:
        with self._reading() as s:
            return s.exec(select(func.max(Event.id)).where(Event.story_id == story_id)).one() or 0

    def last_event_ids(self, story_ids: list[int]) -> dict[int, int]:
        with self._reading() as s:
            rows = s.exec(
                select(Event.story_id, func.max(Event.id)).where(Event.story_id.in_(story_ids)).group_by(Event.story_id)
            ).all()
        return dict(rows)

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
                event_id = self._append(s, story.id, "story", render.story_event_data(story))
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
            event_id = self._append(s, story.id, "story", render.story_event_data(story))
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

    # -- updates -------------------------------------------------------------

    def add_update(
        self,
        slug: str,
        body: str,
        author: str,
        headline: str = "",
        key_event: bool = False,
        pinned: bool = False,
    ) -> Written[Update]:
        with self._writing() as s:
            story = self._locked_story(s, slug, live=True)
            update = Update(
                story_id=story.id,
                body=body,
                body_html=render.markdown_html(body),
                headline=headline,
                author=author,
                key_event=key_event,
                pinned=False,
            )
            s.add(update)
            s.flush()
            if pinned:
                self._pin(s, story, update)
            event_id = self._append(s, story.id, "update", render.update_event_data(update, slug))
        return Written(update, story.id, event_id)

    def _pin(self, s: Session, story: Story, update: Update) -> int | None:
        """Pin `update`, unpinning the story's other pinned one (with an edit event for it)."""
        event_id = None
        for other in s.exec(select(Update).where(Update.story_id == story.id, Update.pinned, Update.id != update.id)):
            other.pinned = False
            s.add(other)
            s.flush()
            if other.status == "published":
                event_id = self._append(s, story.id, "edit", render.update_event_data(other, story.slug))
        update.pinned = True
        s.add(update)
        s.flush()
        return event_id

    def _published_update(self, s: Session, story: Story, update_id: int) -> Update:
        update = s.get(Update, update_id)
        if update is None or update.story_id != story.id or update.status != "published":
            raise UpdateNotFound(update_id)
        return update

    def edit_update(self, slug: str, update_id: int, **changes: Any) -> Written[Update]:
        with self._writing() as s:
            story = self._locked_story(s, slug, live=True)
            update = self._published_update(s, story, update_id)
            changes = {k: v for k, v in changes.items() if v is not None and getattr(update, k) != v}
            if not changes:
                return Written(update, story.id, None)
            pin = changes.pop("pinned", None)
            if "body" in changes:
                update.body_html = render.markdown_html(changes["body"])
            for key, value in changes.items():
                setattr(update, key, value)
            update.edited_at = utcnow()
            if pin is True:
                self._pin(s, story, update)
            elif pin is False:
                update.pinned = False
            s.add(update)
            s.flush()
            event_id = self._append(s, story.id, "edit", render.update_event_data(update, slug))
        return Written(update, story.id, event_id)

    def delete_update(self, slug: str, update_id: int) -> Written[int]:
        with self._writing() as s:
            story = self._locked_story(s, slug, live=True)
            update = self._published_update(s, story, update_id)
            update.status = "deleted"
            update.pinned = False
            s.add(update)
            event_id = self._append(s, story.id, "delete", {"id": update.id, "story": slug})
        return Written(update_id, story.id, event_id)

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

    def story_page(self, slug: str, before: int | None = None) -> StoryPage:
        story = self.get_story(slug)
        # The event id first: whatever is read after it is at least as new, and the
        # page's client replays from it (applying an event twice changes nothing).
        last_event_id = self.last_event_id(story.id)
        with self._reading() as s:
            pinned = None if before else s.exec(self._published(story.id).where(Update.pinned)).first()
            query = self._published(story.id)
            if pinned is not None:
                query = query.where(Update.id != pinned.id)
            rows = list(s.exec(self._before(s, query, before).limit(PAGE_SIZE + 1)))
            key_events = list(
                s.exec(self._published(story.id).where(Update.key_event).order_by(Update.created_at.desc()).limit(20))
            )
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        return StoryPage(story, pinned, rows, key_events, last_event_id, rows[-1].id if more and rows else None)

    # -- editors and tokens --------------------------------------------------

    def create_editor(self, name: str, password_hash: str, role: str = "editor") -> Editor:
        try:
            with self._writing() as s:
                editor = s.exec(select(Editor).where(Editor.name == name)).first() or Editor(name=name, password_hash="")
                editor.password_hash = password_hash
                editor.role = role
                s.add(editor)
        except IntegrityError:
            raise Invalid({"name": f"{name!r} is taken."}) from None
        return editor

    def get_editor(self, name: str) -> Editor | None:
        with self._reading() as s:
            return s.exec(select(Editor).where(Editor.name == name)).first()

    def create_token(self, name: str, role: str = "editor") -> str:
        token = secrets.token_urlsafe(32)
        with self._writing() as s:
            s.add(Token(name=name, digest=token_digest(token), role=role))
        return token

    def token_owner(self, token: str) -> Token | None:
        with self._reading() as s:
            return s.exec(select(Token).where(Token.digest == token_digest(token))).first()

    def ping(self) -> None:
        with self._reading() as s:
            s.exec(select(1)).one()
