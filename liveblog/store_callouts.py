"""What readers send the newsroom, in SQL: callouts, readers' questions and their answers.

A part of `Store` (its base class), kept apart because nothing here is read by the
readers' side except the callout itself: what a reader sends (`Submission`) is the desk's
alone. Its arrival and its fate append to the desk's log by id only
(`SubmissionChanged`), so the log never holds a reader's contact details, and deleting
the rows after the retention period deletes them everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import delete
from sqlmodel import Session, select

from . import render
from .errors import CalloutClosed, CalloutNotFound, Invalid, SubmissionDealtWith, SubmissionNotFound
from .events import StoryChanged, SubmissionChanged, UpdateEdited, UpdatePosted
from .i18n import Message
from .models import Callout, Story, Submission, Update, utcnow

T = TypeVar("T")

QUESTION, CALLOUT = "question", "callout"  # Update.reader_kind: what the reader's words were


@dataclass(frozen=True)
class Written(Generic[T]):
    """What a write changed, and where each log now ends, for the announcement after the commit."""

    value: T
    story_id: int
    event_id: int | None = None  # the newest readers' event appended, None when none was
    desk_event_id: int | None = None  # the newest desk event appended, None when none was


class CalloutStore:
    """Callouts and submissions; the methods it leans on (`_writing`, `_locked_story`,
    `_append`, `_append_desk_entry`, `_shown`, `_published_update`, `_index`) are `Store`'s."""

    @staticmethod
    def _callouts_of(s: Session, update_ids: list[int]) -> dict[int, Callout]:
        if not update_ids:
            return {}
        return {c.update_id: c for c in s.exec(select(Callout).where(Callout.update_id.in_(update_ids)))}

    @staticmethod
    def _questions_of(s: Session, story: Story) -> Callout | None:
        """The story's readers' questions, while it takes them."""
        return s.exec(select(Callout).where(Callout.story_id == story.id, Callout.update_id.is_(None),
                                            Callout.closed_at.is_(None))).first()

    def add_callout(self, slug: str, update_id: int, prompt: str, wants: str,
                    closes_at: datetime | None) -> Written[Callout]:
        """A callout under a published update: readers see it at once (the update's `edit`)."""
        with self._writing() as s:
            story = self._locked_story(s, slug, live=True)
            update = self._published_update(s, story, update_id)
            if self._callouts_of(s, [update.id]):
                raise Invalid({"prompt": Message("This update has a callout already.")})
            callout = Callout(story_id=story.id, update_id=update.id, prompt=prompt, wants=wants, closes_at=closes_at)
            s.add(callout)
            s.flush()
            event_id = self._append(s, story.id, self._shown(s, story, update, UpdateEdited))
        return Written(callout, story.id, event_id)

    def take_questions(self, slug: str, prompt: str, wants: str) -> Written[Callout]:
        """Open the story to readers' questions (or change what it asks): the page shows the
        form from the `story` event on, which every cached copy of the page follows."""
        with self._writing() as s:
            story = self._locked_story(s, slug, live=True)
            callout = self._questions_of(s, story) or Callout(story_id=story.id)
            callout.prompt, callout.wants = prompt, wants
            s.add(callout)
            s.flush()
            event_id = self._append(s, story.id, StoryChanged.of(story))
        return Written(callout, story.id, event_id)

    def close_callout(self, slug: str, callout_id: int) -> Written[Callout]:
        """No more answers (or questions): the form gives way to a note that it is closed."""
        with self._writing() as s:
            story = self._locked_story(s, slug)
            callout = self._callout_in(s, story, callout_id)
            if callout.closed_at is not None:
                return Written(callout, story.id)
            callout.closed_at = utcnow()
            s.add(callout)
            s.flush()
            if callout.update_id is None:
                event = StoryChanged.of(story)
            else:
                update = s.get(Update, callout.update_id)
                event = self._shown(s, story, update, UpdateEdited) if update.status == "published" else None
            event_id = self._append(s, story.id, event) if event is not None else None
        return Written(callout, story.id, event_id)

    @staticmethod
    def _callout_in(s: Session, story: Story, callout_id: int) -> Callout:
        callout = s.get(Callout, callout_id)
        if callout is None or callout.story_id != story.id:
            raise CalloutNotFound(callout_id)
        return callout

    def callout(self, slug: str, callout_id: int) -> tuple[Callout, Story]:
        story = self.get_story(slug)
        with self._reading() as s:
            return self._callout_in(s, story, callout_id), story

    def callouts(self, story_id: int) -> list[Callout]:
        """Every callout of the story, newest first (the desk's list, with what came in)."""
        with self._reading() as s:
            return list(s.exec(select(Callout).where(Callout.story_id == story_id).order_by(Callout.id.desc())))

    # -- what readers send -------------------------------------------------------------

    def add_submission(self, slug: str, callout_id: int, text: str, name: str, contact: str, consent: bool,
                       address: str, image: str | None = None, now: datetime | None = None) -> Written[Submission]:
        """A reader's answer or question, for the desk: only the fields the callout asked for
        are kept (`image`: the name of their image, stored with the readers' images).
        Refused (409) once it is closed."""
        now = now or utcnow()
        with self._writing() as s:
            story = self._locked_story(s, slug)
            callout = self._callout_in(s, story, callout_id)
            if not callout.open_at(now, story.status):
                raise CalloutClosed()
            asks = callout.asks
            submission = Submission(
                callout_id=callout.id, story_id=story.id, text=text, name=name if "name" in asks else "",
                contact=contact if "contact" in asks else "", consent=consent and "consent" in asks, address=address,
                image=image if "image" in asks else None,
            )
            s.add(submission)
            s.flush()
            desk_event_id = self._append_desk_entry(s, story.id, SubmissionChanged.of(submission, slug))
        return Written(submission, story.id, desk_event_id=desk_event_id)

    def submissions(self, story_id: int, status: str | None = "new",
                    callout_id: int | None = None) -> list[Submission]:
        """What readers sent to the story (one callout's only, with `callout_id`), oldest first."""
        query = select(Submission).where(Submission.story_id == story_id)
        if status is not None:
            query = query.where(Submission.status == status)
        if callout_id is not None:
            query = query.where(Submission.callout_id == callout_id)
        with self._reading() as s:
            return list(s.exec(query.order_by(Submission.id)))

    def submission(self, slug: str, submission_id: int) -> tuple[Submission, Callout]:
        story = self.get_story(slug)
        with self._reading() as s:
            submission = s.get(Submission, submission_id)
            if submission is None or submission.story_id != story.id:
                raise SubmissionNotFound(submission_id)
            return submission, s.get(Callout, submission.callout_id)

    def _new_submission(self, s: Session, story: Story, submission_id: int) -> Submission:
        submission = s.get(Submission, submission_id)
        if submission is None or submission.story_id != story.id:
            raise SubmissionNotFound(submission_id)
        if submission.status != "new":
            raise SubmissionDealtWith()
        return submission

    def use_submission(self, slug: str, submission_id: int, body: str, author: str, byline: str = "",
                       headline: str = "", key_event: bool = False, with_name: bool = False) -> Written[Update]:
        """Publish an update that quotes the reader's words (a question it answers, or an
        answer to a callout), with their name only if they agreed to it; the submission is
        marked used, in the same transaction."""
        with self._writing() as s:
            story = self._locked_story(s, slug, live=True)
            submission = self._new_submission(s, story, submission_id)
            if with_name and not (submission.consent and submission.name):
                raise Invalid({"with_name": Message("The reader did not agree to their name being published.")})
            callout = s.get(Callout, submission.callout_id)
            update = Update(
                story_id=story.id, body=body, body_html=render.markdown_html(body), headline=headline, author=author,
                byline=byline if byline != author else "", key_event=key_event, reader_text=submission.text,
                reader_name=submission.name if with_name else "", reader_kind=QUESTION if callout.questions else CALLOUT,
            )
            s.add(update)
            s.flush()
            self._index(s, update)
            submission.status, submission.update_id = "used", update.id
            s.add(submission)
            s.flush()
            event_id = self._append(s, story.id, self._shown(s, story, update, UpdatePosted))
            desk_event_id = self._append_desk_entry(s, story.id, SubmissionChanged.of(submission, slug))
        return Written(update, story.id, event_id, desk_event_id)

    def dismiss_submission(self, slug: str, submission_id: int) -> Written[Submission]:
        with self._writing() as s:
            story = self._locked_story(s, slug)
            submission = self._new_submission(s, story, submission_id)
            submission.status = "dismissed"
            s.add(submission)
            s.flush()
            desk_event_id = self._append_desk_entry(s, story.id, SubmissionChanged.of(submission, slug))
        return Written(submission, story.id, desk_event_id=desk_event_id)

    def submission_images(self) -> set[str]:
        """The images of every answer still kept (the rest may be deleted)."""
        with self._reading() as s:
            return set(s.exec(select(Submission.image).where(Submission.image.is_not(None))))

    def forget_submissions(self, sent_before: datetime) -> int:
        """Delete what readers sent before `sent_before`, whatever became of it (an update
        that quoted it keeps the words it published). Returns how many went."""
        with self._writing() as s:
            result = s.exec(delete(Submission).where(Submission.created_at < sent_before))
            return result.rowcount or 0
