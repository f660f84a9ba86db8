"""Every command that changes a story: who may, the write, and the announcement.

    web/api.py, web/editor.py, web/workflow.py, scheduler.py, demo.py
      └─ Newsroom.post(author, slug, UpdateIn)      (or any command below)
           1. the author's role, checked here, once (403 otherwise, nothing written)
           2. the store writes the change and its event in one transaction, and commits
           3. then, and only then, the hub announces what was appended: to this
              process's readers at once, and through the broadcast to every other

This is the one place that announces (`Hub.announce` and `Hub.announce_desk` are called
from nowhere else), so an update can never be stored and left undelivered, and every
rule of who may do what is read here: contributors write drafts and may change only
their own; everything readers would see at once is an editor's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from anyio import to_thread

from . import media
from .errors import Forbidden, Invalid, LiveblogError, UpdateNotFound
from .fanout import Hub
from .i18n import Message
from .inputs import (CalloutIn, ChatIn, PollIn, SourceIn, StoryIn, StoryPatch, SubmissionIn, SubmissionUse, UpdateIn,
                     UpdatePatch, validate)
from .models import Callout, DeskMessage, PollResult, Story, Submission, SyndicationLink, Update, utcnow
from .store import Audience, Store, Written
from .tally import Tally

T = TypeVar("T")

EDITOR, CONTRIBUTOR = "editor", "contributor"
ROLES = (EDITOR, CONTRIBUTOR)

# How long a deleted update may be brought back ("Deleted · Undo" on the desk).
RESTORE_WINDOW = timedelta(minutes=5)

# What closing a story does with its scheduled updates: publish them first, send them
# back among the drafts, or keep them (any overdue by the reopening then go out at once).
SCHEDULED_ON_CLOSE = ("publish", "cancel", "keep")


@dataclass(frozen=True)
class Author:
    """Who is acting: the account's name, a role (editor or contributor), and the display
    name readers see as the byline ("": the account's name)."""

    name: str
    role: str = EDITOR
    display_name: str = ""

    @property
    def is_editor(self) -> bool:
        return self.role == EDITOR

    @property
    def byline(self) -> str:
        return self.display_name or self.name


def stale_before(now: datetime, every: float) -> datetime:
    """Beats older than this are of processes gone: three intervals missed."""
    return now - timedelta(seconds=3 * every)


def require_editor(author: Author, doing: str) -> None:
    """Everything readers would see at once is an editor's call (403 for a contributor)."""
    if not author.is_editor:
        raise Forbidden(f"Only an editor can {doing}; a contributor's posts go to the desk as drafts.")


def _contributor_may_change(author: Author) -> Callable[[Update], None]:
    """The store's guard for a contributor's edit: their own drafts, nothing else."""

    def guard(update: Update) -> None:
        if update.status != "draft" or update.author != author.name:
            raise Forbidden(Message("A contributor may change only their own drafts; an editor can change this one."))

    return guard


class Newsroom:
    def __init__(self, store: Store, hub: Hub, media_dir: Path = Path("media"),
                 reader_media_dir: Path = Path("media-from-readers")):
        self.store = store
        self.hub = hub
        self.media_dir = media_dir  # images readers see
        self.reader_media_dir = reader_media_dir  # images readers sent, for the desk only
        self.tally = Tally(self.count_poll)

    async def _write(self, fn: Callable[..., Written[T]], *args: Any, **kwargs: Any) -> T:
        """Run one store write in a worker thread, then announce what it appended."""
        written = await to_thread.run_sync(partial(fn, *args, **kwargs))
        await self.hub.announce(written.story_id, written.event_id)
        await self.hub.announce_desk(written.story_id, written.desk_event_id)
        return written.value

    # -- stories ---------------------------------------------------------------

    async def start_story(self, author: Author, data: StoryIn) -> Story:
        require_editor(author, "start a story")
        return await self._write(
            self.store.create_story, data.title, data.summary, data.slug,
            image=data.image, caption=data.caption, credit=data.credit, language=data.language,
        )

    async def change_story(self, author: Author, slug: str, data: StoryPatch) -> Story:
        """Title, summary, lead image, or status: closing or reopening is a change of status."""
        changes = data.changes()
        require_editor(author, "close or reopen a story" if "status" in changes else "change a story")
        return await self._write(self.store.update_story, slug, **changes)

    async def close(self, author: Author, slug: str, scheduled: str = "keep") -> Story:
        """Close the story; its scheduled updates are first published now, or cancelled
        (back among the drafts), or kept for the reopening (`scheduled`)."""
        require_editor(author, "close or reopen a story")
        if scheduled not in SCHEDULED_ON_CLOSE:
            raise Invalid({"scheduled": Message("Say whether to publish, cancel or keep the scheduled updates.")})
        if scheduled != "keep":
            command = self.publish if scheduled == "publish" else self.unschedule
            for update in await to_thread.run_sync(self.store.queued_updates, slug, "scheduled"):
                try:
                    await command(author, slug, update.id)
                except UpdateNotFound:
                    continue  # published or cancelled meanwhile, by the scheduler or another desk
        return await self.change_story(author, slug, StoryPatch(status="closed"))

    async def reopen(self, author: Author, slug: str) -> Story:
        return await self.change_story(author, slug, StoryPatch(status="live"))

    # -- updates ---------------------------------------------------------------

    async def post(self, author: Author, slug: str, data: UpdateIn) -> Update:
        """Published at once by an editor; a draft for the desk when a contributor posts it
        (or an editor asks for `draft`); scheduled when it has a `publish_at`."""
        if not author.is_editor:
            if data.pinned or data.publish_at:
                raise Forbidden(Message("Only an editor can pin or schedule an update; yours goes to the editors as a draft."))
            data = data.model_copy(update={"draft": True})
        if data.draft and data.publish_at:
            raise Invalid({"publish_at": Message("A draft has no time to go out; send one or the other.")})
        values = data.model_dump(include={"body", "headline", "key_event", "pinned", "publish_at"})
        return await self._write(self.store.add_update, slug, author=author.name, byline=author.byline,
                                 status=data.status, **values)

    async def edit(self, author: Author, slug: str, update_id: int, data: UpdatePatch) -> Update:
        """Change a published update (readers see an `edit`) or a queued one (the desk sees it).

        A change of a published update's text keeps the text it replaced (its history),
        signed by `author`; `correction`, a note readers are shown, may come with it.
        """
        changes = data.changes()
        guard = None
        if not author.is_editor:
            if "pinned" in changes or "publish_at" in changes:
                raise Forbidden(Message("Only an editor can pin or schedule an update."))
            guard = _contributor_may_change(author)
        return await self._write(self.store.edit_update, slug, update_id, guard,
                                 editor=author.name, editor_byline=author.byline, **changes)

    async def set_display_name(self, editor_id: int, display_name: str) -> None:
        """An editor's own byline, from their desk: what readers see on what they post next.

        Nothing readers see changes at once (posted updates keep their byline), so
        nothing is announced."""
        await to_thread.run_sync(self.store.set_display_name, editor_id, display_name)

    async def pin(self, author: Author, slug: str, update_id: int, pinned: bool = True) -> Update:
        """Pin an update first on the page (unpinning the story's other one), or unpin it."""
        require_editor(author, "pin an update")
        return await self._write(self.store.edit_update, slug, update_id, pinned=pinned)

    async def delete(self, author: Author, slug: str, update_id: int) -> Update:
        """Take an update off readers' pages; it may be restored for RESTORE_WINDOW."""
        require_editor(author, "delete an update")
        return await self._write(self.store.delete_update, slug, update_id)

    async def restore(self, author: Author, slug: str, update_id: int, now: datetime | None = None) -> Update:
        """Undo a delete made within RESTORE_WINDOW: readers get the update again, as posted."""
        require_editor(author, "restore a deleted update")
        since = (now or utcnow()) - RESTORE_WINDOW
        return await self._write(self.store.restore_update, slug, update_id, since)

    # -- the queue: drafts and scheduled updates ---------------------------------

    async def publish(self, author: Author, slug: str, update_id: int) -> Update:
        """Publish a draft, or a scheduled update now: readers get its `update` event."""
        require_editor(author, "publish an update")
        return await self._write(self.store.publish_update, slug, update_id)

    async def reject(self, author: Author, slug: str, update_id: int) -> Update:
        """Turn a draft (or scheduled update) down: it never reaches readers; it is kept, not erased."""
        require_editor(author, "reject an update")
        return await self._write(self.store.reject_update, slug, update_id)

    async def schedule(self, author: Author, slug: str, update_id: int, publish_at: datetime) -> Update:
        """Move a scheduled update to another time (in the future, within a year)."""
        require_editor(author, "schedule an update")
        when = validate(UpdatePatch, {"publish_at": publish_at}).publish_at
        return await self._write(self.store.edit_update, slug, update_id, publish_at=when)

    async def unschedule(self, author: Author, slug: str, update_id: int) -> Update:
        """Cancel a scheduled update: it goes back among the drafts, nothing of it lost."""
        require_editor(author, "cancel a scheduled update")
        return await self._write(self.store.unschedule_update, slug, update_id)

    # -- the audience ----------------------------------------------------------------

    async def beat(self, process: str, open_here: dict[int, tuple[int, list[str]]], every: float,
                   now: datetime | None = None) -> dict[int, Audience]:
        """One process's audience beat (audience.py): what it has open of each story now,
        stored; each of those stories' audience summed over every process, returned.

        Readers see nothing of it, so nothing is announced; the desks are told who is on
        them by the caller (the desk's stream carries that beside its log)."""
        now = now or utcnow()
        return await to_thread.run_sync(self.store.beat, process, now, stale_before(now, every), open_here)

    async def publish_due(self, now: datetime | None = None) -> int:
        """Publish every scheduled update due by `now` that no other process has taken.

        The store's conditional UPDATE lets one process win each; the others, and an update
        an editor published or cancelled meanwhile, are skipped. Returns how many this one did.
        """
        now = now or utcnow()
        published = 0
        for slug, update_id in await to_thread.run_sync(self.store.due_updates, now):
            try:
                await self._write(self.store.publish_update, slug, update_id, due_by=now)
            except LiveblogError:
                continue
            published += 1
        return published

    # -- syndication ---------------------------------------------------------------

    async def issue_syndication_token(self, author: Author, slug: str, name: str = "") -> str:
        """A token another instance uses to follow this story's stream (shown once)."""
        require_editor(author, "let another newsroom follow a story")
        return await to_thread.run_sync(self.store.create_syndication_token, slug, name)

    async def follow_source(self, author: Author, slug: str, data: SourceIn) -> SyndicationLink:
        """This story follows another instance's story: its updates will appear here."""
        require_editor(author, "follow another newsroom's story")
        return await self._write(self.store.add_link, slug, data.url, data.token, data.approval)

    async def syndicate(self, link_id: int, event_id: int, kind: str, data: dict) -> Update | None:
        """One event of a followed producer story, applied here as the syndication author
        (the follower task, syndication.py): the change and the link's last event id in
        one transaction, then announced like any other."""
        return await self._write(self.store.syndicate, link_id, event_id, kind, data)

    # -- polls -----------------------------------------------------------------

    async def post_poll(self, author: Author, slug: str, data: PollIn) -> PollResult:
        """A poll, published at once as an update: readers see it, so it is an editor's."""
        require_editor(author, "post a poll")
        return await self._write(self.store.add_poll, slug, data.question, data.choices, data.closes_at,
                                 author=author.name, byline=author.byline, key_event=data.key_event)

    async def vote(self, slug: str, poll_id: int, choice_id: int) -> tuple[PollResult, str | None]:
        """A reader's vote: counted at once (one UPDATE), told to readers by the tally's next
        `poll` event, not by an event of its own. Returns the counts after it, and the
        story's language."""
        counted = await to_thread.run_sync(self.store.vote, slug, poll_id, choice_id)
        self.tally.mark(poll_id)
        return counted

    async def count_poll(self, poll_id: int) -> PollResult | None:
        """Append the poll's totals as a `poll` event (the tally asks, at most once a second)."""
        return await self._write(self.store.poll_counted, poll_id)

    async def close_poll(self, author: Author, slug: str, poll_id: int) -> PollResult:
        """Close a poll now: its counts are final, and readers get them in a last `poll` event."""
        require_editor(author, "close a poll")
        poll = await to_thread.run_sync(self.store.poll, slug, poll_id)
        closed = await self._write(self.store.poll_counted, poll.id, close=True)
        return closed or await to_thread.run_sync(self.store.poll, slug, poll_id)

    async def close_due_polls(self, now: datetime | None = None) -> int:
        """Close every poll whose time has come (the scheduler, each second); of several
        processes one closes each. Returns how many this one closed."""
        now = now or utcnow()
        closed = 0
        for poll_id in await to_thread.run_sync(self.store.due_polls, now):
            try:
                if await self._write(self.store.poll_counted, poll_id, close=True, due_by=now) is not None:
                    closed += 1
            except LiveblogError:
                continue
        return closed

    # -- what readers send: callouts and questions -----------------------------------

    async def add_callout(self, author: Author, slug: str, update_id: int, data: CalloutIn) -> Callout:
        """A callout under a published update ("Were you there?"): readers see its form at once."""
        require_editor(author, "add a callout")
        return await self._write(self.store.add_callout, slug, update_id, data.prompt, data.fields, data.closes_at)

    async def take_questions(self, author: Author, slug: str, data: CalloutIn) -> Callout:
        """Open the story to readers' questions ("Ask our reporters"), or change what it asks."""
        require_editor(author, "take readers' questions")
        return await self._write(self.store.take_questions, slug, data.prompt, data.fields)

    async def close_callout(self, author: Author, slug: str, callout_id: int) -> Callout:
        """A callout, or the story's questions, takes no more: readers see that it closed."""
        require_editor(author, "close a callout")
        return await self._write(self.store.close_callout, slug, callout_id)

    async def send(self, slug: str, callout_id: int, data: SubmissionIn, address: str,
                   image: str | None = None) -> Submission:
        """A reader's answer or question: to the desk only (no author; the web layer has
        bounded it by size, rate and trap field, and stored its image, checked and
        re-encoded, among the readers' images)."""
        return await self._write(self.store.add_submission, slug, callout_id, data.text, data.name, data.contact,
                                 data.consent, address, image)

    async def use_submission(self, author: Author, slug: str, submission_id: int, data: SubmissionUse) -> Update:
        """Publish what a reader sent, quoted in an update with the editor's words; with
        their image, it is copied among the images readers see first, then shown in the
        update with the editor's description."""
        require_editor(author, "publish a reader's words")
        body = data.body
        if data.with_image:
            submission, _ = await to_thread.run_sync(self.store.submission, slug, submission_id)
            if not submission.image:
                raise Invalid({"with_image": Message("This reader sent no photo.")})
            await to_thread.run_sync(media.publish, submission.image, self.reader_media_dir, self.media_dir)
            figure = media.describe(submission.image, "", data.image_alt, data.image_caption)["html"]
            body = f"{body.rstrip()}\n\n{figure}"
        return await self._write(self.store.use_submission, slug, submission_id, body, author.name,
                                 author.byline, data.headline, data.key_event, data.with_name)

    async def dismiss_submission(self, author: Author, slug: str, submission_id: int) -> Submission:
        require_editor(author, "set a reader's words aside")
        return await self._write(self.store.dismiss_submission, slug, submission_id)

    async def forget_submissions(self, keep_days: int, now: datetime | None = None) -> int:
        """Delete what readers sent more than `keep_days` ago (the scheduler, now and then)."""
        before = (now or utcnow()) - timedelta(days=keep_days)
        gone = await to_thread.run_sync(self.store.forget_submissions, before)
        in_use = await to_thread.run_sync(self.store.submission_images)
        await to_thread.run_sync(media.forget_unused, self.reader_media_dir, before.timestamp(), in_use)
        return gone

    # -- the desk's chat ---------------------------------------------------------------

    async def say_on_desk(self, author: Author, slug: str, data: ChatIn) -> DeskMessage:
        """A line in the story's desk chat, for its editors and contributors: never readers'."""
        return await self._write(self.store.add_desk_message, slug, author.name, author.byline, data.text)
