"""The editors' desk: log in and out, the stories, and each story's desk with its forms.

Every form posts to a plain URL and works without JavaScript: success is a 303 back to
the page, an error re-renders it (422) with the message beside the field and what was
typed still in it. `static/desk.js` sends the same forms with `Accept: application/json`
and gets JSON back instead (errors as `{"errors": {field: message}}`), so one handler
serves both. Every change needs the session's CSRF token.

Contributors post drafts and may change only their own; everything readers would see at
once (publishing, scheduling, pinning, deleting, the story itself) is an editor's, and the
handlers refuse it (403) whatever the page showed. Editors work the queue of drafts and
scheduled updates from the same desk; its list follows the desk's own stream
(`GET /api/stories/{slug}/desk/events`, read with the session cookie).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import chart, i18n, media, render
from ..events import StoryChanged, payload
from ..i18n import Message
from ..models import Story, Update, utcnow
from ..newsroom import RESTORE_WINDOW, require_editor, stale_before
from ..templating import render_template, update_html
from ..auth import (
    LOGIN_COOKIE,
    LOGIN_FORM_MAX_AGE,
    SESSION_COOKIE,
    DeskSession,
    LoginThrottle,
    check_csrf,
    check_login_form,
    desk_session,
    login_form,
    session_id,
    set_cookie,
    start_session,
    verify_login,
)
from ..errors import Forbidden, Invalid, TooManyAttempts, Unauthorized, wants_json
from .common import Services, blocking, int_param, newsroom, services
from ..inputs import (MAX_BODY, MAX_HEADLINE, UNREADABLE_FORM, ProfileIn, StoryIn, StoryPatch, UpdateIn, UpdatePatch,
                      read_body, validate)
from . import uploads
from .reader import page

READERS_POLL_SECONDS = 5

Form = dict[str, str]


@dataclass
class FormState:
    """The one form on a page that came back with errors: what was typed, what is wrong."""

    form: str = ""
    values: Form = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    preview: str | None = None

    def value(self, form: str, name: str, default: Any = "") -> Any:
        return self.values.get(name, "") if form == self.form else default

    def checked(self, form: str, name: str, default: bool = False) -> bool:
        return name in self.values if form == self.form else default

    def error(self, form: str, name: str) -> str:
        return self.errors.get(name, "") if form == self.form else ""

    def other_errors(self, form: str, fields: tuple[str, ...]) -> list[str]:
        """Errors about no field of this form (a closed story, say), shown at its top."""
        if form != self.form:
            return []
        return [message for key, message in self.errors.items() if key not in fields]


# -- helpers ------------------------------------------------------------------


MAX_FIELDS = 20


async def read_form(request: Request) -> Form:
    """The posted fields, read within the core's request size cap (413 beyond it).

    Desk forms are sent URL-encoded, by the browser without script and by desk.js alike.
    Decoded strictly, as the API decodes JSON: a byte that is not UTF-8, raw or
    percent-encoded, refuses the form (422) rather than being stored as U+FFFD.
    """
    raw = await read_body(request)
    try:
        fields = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS,
                           encoding="utf-8", errors="strict")
        if any("\x00" in key or "\x00" in value for key, value in fields):
            raise ValueError("NUL in a field, which PostgreSQL cannot store")
        return dict(fields)
    except (UnicodeDecodeError, ValueError):
        raise Invalid({"form": UNREADABLE_FORM}) from None


def local_path(target: str | None, default: str = "/admin") -> str:
    """Only a path on this site may be a redirect target after login."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def no_store(response: Response) -> Response:
    # Desk pages carry a CSRF token and change from second to second: never cache them.
    response.headers["Cache-Control"] = "no-store"
    return response


def done(request: Request, where: str, data: dict[str, Any], status_code: int = 200) -> Response:
    """Success: JSON for the desk's script, else 303 back to the page (POST, then redirect)."""
    if wants_json(request):
        return JSONResponse(data, status_code=status_code)
    return RedirectResponse(where, status_code=303)


def desk_url(slug: str) -> str:
    return f"/admin/stories/{slug}"


def desk_answer(update, slug: str) -> dict[str, Any]:
    """What desk.js is told of an update it changed: what the write API answers, and the
    update's partial to show it with, so it lands in the right list."""
    return {**render.update_answer(update, slug), "html": update_html(update, slug)}


def landing(slug: str, update) -> str:
    """Where a desk without script lands after changing `update`: at it, in whichever list it is now."""
    if update.status == "published":
        return f"{desk_url(slug)}#desk-update-{update.id}"
    if update.status in ("draft", "scheduled"):
        return f"{desk_url(slug)}#queue-update-{update.id}"
    return desk_url(slug)


OFFSET_RE = re.compile(r"^[+-]?\d{1,4}$")
MAX_OFFSET_MINUTES = 18 * 60


def form_time(form: Form, name: str = "publish_at") -> datetime | None:
    """A `datetime-local` field as an aware time, None when left empty.

    The browser sends the wall-clock time as typed, without its zone. desk.js puts the
    zone's offset for that date (minutes east of UTC) in the hidden `tz_offset` field;
    without script it stays empty and the time is read as UTC, which the form says
    beside the field.
    """
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid({name: Message("Give a date and a time, like 2025-03-14T15:30.")}) from None
    if moment.tzinfo is None:
        offset = form.get("tz_offset", "").strip() or "0"
        if not OFFSET_RE.match(offset) or abs(int(offset)) > MAX_OFFSET_MINUTES:
            raise Invalid({name: Message("The time zone of this form could not be read; reload the page and try again.")})
        moment = moment.replace(tzinfo=timezone(timedelta(minutes=int(offset))))
    return moment


def _throttle(request: Request, svc: Services) -> LoginThrottle:
    state = request.app.state
    if not hasattr(state, "login_throttle"):
        state.login_throttle = LoginThrottle(svc.settings.login_window_seconds)
    return state.login_throttle


Handler = Callable[[Request, DeskSession, Form], Awaitable[Response]]


# What a desk's script hears when its session is gone: logging in elsewhere keeps the
# page, and what is typed in it.
SESSION_ENDED = Message("You are not logged in, or your session has ended. Log in again in another tab, then send "
                        "this again.")


def editors_only(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Needs a live session; a POST also needs its CSRF token (403 otherwise, nothing changed)."""

    @wraps(handler)
    async def endpoint(request: Request) -> Response:
        svc = services(request)
        session = await desk_session(request, svc.settings, svc.store)
        if session is None:
            if request.method == "GET" and not wants_json(request):
                return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
            raise Unauthorized(SESSION_ENDED)
        form: Form = {}
        if request.method == "POST":
            form = await read_form(request)
            check_csrf(session.csrf, request, form)
        return no_store(await handler(request, session, form))

    return endpoint


def desk_language(request: Request) -> dict[str, Any]:
    """The desk is in each editor's own language (their browser's, when we speak it),
    and offers every language we ship for a story."""
    return {
        "language": i18n.negotiate(request.headers.get("accept-language")),
        "site_language": i18n.site_default(),
        "languages": [(code, i18n.native_name(code)) for code in i18n.LANGUAGES],
    }


# -- logging in and out -------------------------------------------------------


def _login_page(request: Request, svc: Services, status_code: int = 200, **context) -> Response:
    nonce, token = login_form(request, svc.settings)
    context.setdefault("next", local_path(request.query_params.get("next")))
    context.setdefault("values", {})
    context.setdefault("errors", {})
    response = page("login.html", status_code, login_token=token, **desk_language(request), **context)
    set_cookie(response, svc.settings, LOGIN_COOKIE, nonce, LOGIN_FORM_MAX_AGE)
    return no_store(response)


async def login_form_page(request: Request) -> Response:
    svc = services(request)
    if await desk_session(request, svc.settings, svc.store):
        return RedirectResponse(local_path(request.query_params.get("next")), status_code=303)
    return _login_page(request, svc)


async def login(request: Request) -> Response:
    svc = services(request)
    form = await read_form(request)
    name, password = form.get("name", "").strip(), form.get("password", "")
    kept = {"values": {"name": name}, "next": local_path(form.get("next"))}
    try:
        check_login_form(request, form.get("csrf", ""), svc.settings)
    except Forbidden as exc:
        return _login_page(request, svc, 403, message=exc.message, **kept)
    errors = {}
    if not name:
        errors["name"] = Message("Enter your name.")
    if not password:
        errors["password"] = Message("Enter your password.")
    if errors:
        return _login_page(request, svc, 422, errors=errors, **kept)

    throttle = _throttle(request, svc)
    address = request.client.host if request.client else ""
    try:
        delay, attempt = throttle.attempt(name, address)
    except TooManyAttempts as exc:
        response = _login_page(request, svc, 429, message=exc.message, **kept)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if delay:
        await asyncio.sleep(delay)  # slows guessing; other requests carry on meanwhile
    editor = await blocking(verify_login, svc.store, name, password)
    if editor is None:
        return _login_page(request, svc, 422, errors={"password": Message("That name and password do not match.")}, **kept)
    throttle.succeeded(name, address, attempt)
    response = RedirectResponse(kept["next"], status_code=303)
    await blocking(start_session, response, svc.settings, svc.store, editor, session_id(request, svc.settings))
    return response


async def logout(request: Request) -> Response:
    svc = services(request)
    response = RedirectResponse("/login", status_code=303)
    session = await desk_session(request, svc.settings, svc.store)
    if session is not None:
        check_csrf(session.csrf, request, await read_form(request))
        await blocking(svc.store.end_session, session.id)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=svc.settings.secure_cookies)
    return response


# -- the stories --------------------------------------------------------------


async def _admin_page(request: Request, session: DeskSession, state: FormState, status_code: int = 200) -> Response:
    stories = await blocking(services(request).store.list_stories)
    return page("admin.html", status_code, session=session, stories=stories, state=state, **desk_language(request))


@editors_only
async def admin(request: Request, session: DeskSession, form: Form) -> Response:
    return await _admin_page(request, session, FormState())


@editors_only
async def start_story(request: Request, session: DeskSession, form: Form) -> Response:
    try:
        data = validate(StoryIn, {"title": form.get("title", ""), "summary": form.get("summary", ""),
                                  "slug": form.get("slug", ""), "language": form.get("language") or None})
        story = await newsroom(request).start_story(session.editor, data)
    except Invalid as exc:
        if wants_json(request):
            raise
        return await _admin_page(request, session, FormState("story-new", form, exc.errors), 422)
    return done(request, desk_url(story.slug), {**render.story_json(story), "desk": desk_url(story.slug)}, 201)


# -- the desk -----------------------------------------------------------------


async def _desk_page(
    request: Request, session: DeskSession, state: FormState | None = None, status_code: int = 200
) -> Response:
    svc = services(request)
    slug = request.path_params["slug"]
    before = int_param(request, "before", None)
    story_page = await blocking(svc.store.story_page, slug, before)
    # The desk log's id before the queue is read: the desk's stream replays from it, so a
    # change made meanwhile arrives (twice at worst, which changes nothing).
    desk_last_event_id = await blocking(svc.store.last_desk_event_id, story_page.story.id)
    drafts = await blocking(svc.store.queued_updates, slug, "draft")
    scheduled = await blocking(svc.store.queued_updates, slug, "scheduled")
    deleted = await blocking(svc.store.recently_deleted, slug, utcnow() - RESTORE_WINDOW)
    story_id = story_page.story.id
    chat = await blocking(svc.store.desk_messages, story_id)
    # What readers sent is for editors' eyes (contact details and all), not contributors'.
    is_editor = session.editor.is_editor
    callouts = await blocking(svc.store.callouts, story_id) if is_editor else []
    submissions = await blocking(svc.store.submissions, story_id) if is_editor else []
    return page(
        "desk.html",
        status_code,
        **desk_language(request),
        session=session,
        page=story_page,
        story=story_page.story,
        state=state or FormState(),
        drafts=drafts,
        scheduled=scheduled,
        deleted=deleted,
        undo_until=lambda update: update.deleted_at + RESTORE_WINDOW,
        limits={"body": MAX_BODY, "headline": MAX_HEADLINE},
        restore_seconds=int(RESTORE_WINDOW.total_seconds()),
        desk_last_event_id=desk_last_event_id,
        chat=chat,
        desk_callouts={callout.id: callout for callout in callouts},
        submissions=submissions,
        questions=next((c for c in callouts if c.questions and c.closed_at is None), None),
        poll_seconds=READERS_POLL_SECONDS,
        **await _audience(svc, story_page.story, desk_language(request)["language"], session.editor.byline),
    )


async def _refused(request: Request, session: DeskSession, form_name: str, form: Form, exc: Invalid) -> Response:
    """A desk form with an error: JSON for the script, else the desk again with the form as typed."""
    if wants_json(request):
        raise exc
    return await _desk_page(request, session, FormState(form_name, form, exc.errors), 422)


@editors_only
async def desk(request: Request, session: DeskSession, form: Form) -> Response:
    return await _desk_page(request, session)


async def _preview_html(request: Request, form: Form, author: str = "") -> str:
    """An update as readers would see it, from a form as typed: headline, text, and the
    key-event and pinned badges, through the partial and pipeline stored updates use."""
    body = form.get("body", "")
    if len(body) > MAX_BODY:
        raise Invalid({"body": Message("The update is too long: at most {limit} characters", limit=MAX_BODY)})
    slug = form.get("slug") or request.path_params.get("slug", "")
    language = None
    if slug:
        language = (await blocking(services(request).store.get_story, slug)).language
    update = Update(
        id=0, story_id=0, body=body, body_html=render.markdown_html(body),
        headline=" ".join(form.get("headline", "").split())[:MAX_HEADLINE],
        author=author[:120], key_event="key_event" in form, pinned="pinned" in form or "as_pinned" in form,
    )
    # One preview among the page's updates: no id of its own, no permalink to follow.
    html = update_html(update, slug, language)
    return html.replace(' id="update-0" data-id="0"', "", 1).replace(f' href="/stories/{slug}#update-0"', "", 1)


@editors_only
async def post_update(request: Request, session: DeskSession, form: Form) -> Response:
    slug = request.path_params["slug"]
    if "preview" in form:  # the no-script preview: the desk again, with the form as typed
        try:
            preview = await _preview_html(request, form, session.editor.name)
        except Invalid as exc:
            return await _refused(request, session, "post", form, exc)
        return await _desk_page(request, session, FormState("post", form, preview=preview))
    if not session.editor.is_editor and ("pinned" in form or form.get("publish_at", "").strip()):
        # Refused before the time is read: a contributor's form has no time to check.
        raise Forbidden(Message("Only an editor can pin or schedule an update; yours goes to the editors as a draft."))
    try:
        data = validate(UpdateIn, {
            "body": form.get("body", ""),
            "headline": form.get("headline", ""),
            "key_event": "key_event" in form,
            "pinned": "pinned" in form,
            "publish_at": form_time(form),
        })
        update = await newsroom(request).post(session.editor, slug, data)
    except Invalid as exc:
        return await _refused(request, session, "post", form, exc)
    return done(request, desk_url(slug), desk_answer(update, slug), 201)


@editors_only
async def get_update(request: Request, session: DeskSession, form: Form) -> Response:
    """One update as the write API shows it (with its Markdown), to fill an edit form."""
    slug = request.path_params["slug"]
    update = await blocking(services(request).store.get_update, slug, request.path_params["update_id"])
    return JSONResponse(render.update_json(update, slug))


async def _update_command(request: Request, session: DeskSession, form: Form, form_name: str, command) -> Response:
    """Run a newsroom command on the update in the path, `command(newsroom, author, slug, id)`,
    and answer as every desk form does: 303 or JSON, or the desk again with the error."""
    slug, update_id = request.path_params["slug"], request.path_params["update_id"]
    try:
        update = await command(newsroom(request), session.editor, slug, update_id)
    except Invalid as exc:
        return await _refused(request, session, form_name, form, exc)
    return done(request, landing(slug, update), desk_answer(update, slug))


@editors_only
async def edit_update(request: Request, session: DeskSession, form: Form) -> Response:
    form_name = f"edit-{request.path_params['update_id']}"
    if "preview" in form:  # the no-script preview of an edit: the desk again, the form as typed
        try:
            preview = await _preview_html(request, form)
        except Invalid as exc:
            return await _refused(request, session, form_name, form, exc)
        return await _desk_page(request, session, FormState(form_name, form, preview=preview))
    try:
        fields = {"body": form.get("body", ""), "headline": form.get("headline", ""), "key_event": "key_event" in form}
        if form.get("correction", "").strip():
            fields["correction"] = form["correction"]
        data = validate(UpdatePatch, fields)
    except Invalid as exc:
        return await _refused(request, session, form_name, form, exc)
    return await _update_command(request, session, form, form_name, lambda n, *at: n.edit(*at, data))


@editors_only
async def pin_update(request: Request, session: DeskSession, form: Form) -> Response:
    """Pin or unpin. Pinning unpins the story's other pinned update: without script the
    desk first asks (`replace` confirms); desk.js asks in the page before it sends."""
    pinned = form.get("pinned") == "1"
    if pinned and "replace" not in form and not wants_json(request):
        require_editor(session.editor, "pin an update")
        slug, update_id = request.path_params["slug"], request.path_params["update_id"]
        current = (await blocking(services(request).store.story_page, slug)).pinned
        if current is not None and current.id != update_id:
            label = current.headline or render.plain_text(current.body_html)[:100]
            return await _desk_page(request, session, FormState(f"pin-{update_id}", form, {"replace": label}))
    return await _update_command(request, session, form, "pin", lambda n, *at: n.pin(*at, pinned))


@editors_only
async def delete_update(request: Request, session: DeskSession, form: Form) -> Response:
    slug, update_id = request.path_params["slug"], request.path_params["update_id"]
    try:
        update = await newsroom(request).delete(session.editor, slug, update_id)
    except Invalid as exc:
        return await _refused(request, session, "delete", form, exc)
    # Without script the desk shows "Deleted · Undo" for it at the top of its updates.
    return done(request, f"{desk_url(slug)}#deleted-{update_id}", {
        "id": update_id, "story": slug, "headline": update.headline, "deleted_at": render.iso(update.deleted_at),
        "undo_until": render.iso(update.deleted_at + RESTORE_WINDOW),
    })


@editors_only
async def restore_update(request: Request, session: DeskSession, form: Form) -> Response:
    """Undo a delete, within the newsroom's window: readers get the update back, as posted."""
    return await _update_command(request, session, form, "restore", lambda n, *at: n.restore(*at))


async def _change_story(request: Request, session: DeskSession, form: Form, form_name: str, changes: dict) -> Response:
    slug = request.path_params["slug"]
    try:
        data = validate(StoryPatch, changes)
        story = await newsroom(request).change_story(session.editor, slug, data)
    except Invalid as exc:
        return await _refused(request, session, form_name, form, exc)
    return done(request, desk_url(slug), payload(StoryChanged.of(story)))


@editors_only
async def edit_story(request: Request, session: DeskSession, form: Form) -> Response:
    changes = {"title": form.get("title", ""), "summary": form.get("summary", ""), "language": form.get("language") or None}
    if "image" in form:  # the lead image, as uploaded from this form (or taken away)
        image = "" if "remove_image" in form else form["image"].strip() or None
        if image and not media.exists(services(request).settings.media_dir, image):
            error = Invalid({"file": Message("That image is not on this server; upload it again.")})
            return await _refused(request, session, "story", form, error)
        changes.update(image=image, caption=form.get("caption", ""), credit=form.get("credit", ""))
    return await _change_story(request, session, form, "story", changes)


@editors_only
async def story_status(request: Request, session: DeskSession, form: Form) -> Response:
    """Close or reopen. Closing asks what becomes of the scheduled updates (`scheduled`:
    publish, cancel or keep), since kept ones whose time passes go out at the reopening."""
    if form.get("status") != "closed":
        return await _change_story(request, session, form, "status", {"status": form.get("status", "")})
    slug = request.path_params["slug"]
    require_editor(session.editor, "close or reopen a story")
    try:
        choice = form.get("scheduled", "")
        if not choice:
            waiting = await blocking(services(request).store.queued_updates, slug, "scheduled")
            if waiting:
                raise Invalid({"scheduled": Message(
                    "This story has scheduled updates: say whether to publish them now, cancel them, or keep them "
                    "for when it reopens.")})
            choice = "keep"
        story = await newsroom(request).close(session.editor, slug, choice)
    except Invalid as exc:
        return await _refused(request, session, "status", form, exc)
    return done(request, desk_url(slug), payload(StoryChanged.of(story)))


@editors_only
async def set_byline(request: Request, session: DeskSession, form: Form) -> Response:
    """The editor's own display name (the desk's "Your byline"), then back to the desk."""
    slug = request.path_params["slug"]
    try:
        data = validate(ProfileIn, {"display_name": " ".join(form.get("display_name", "").split())})
        await newsroom(request).set_display_name(session.editor_id, data.display_name)
    except Invalid as exc:
        return await _refused(request, session, "profile", form, exc)
    return done(request, desk_url(slug), {"display_name": data.display_name})


# -- the queue: drafts and scheduled updates --------------------------------------


def _queue_form(request: Request) -> str:
    return f"queue-{request.path_params['update_id']}"


@editors_only
async def publish_update(request: Request, session: DeskSession, form: Form) -> Response:
    return await _update_command(request, session, form, _queue_form(request), lambda n, *at: n.publish(*at))


@editors_only
async def reject_update(request: Request, session: DeskSession, form: Form) -> Response:
    return await _update_command(request, session, form, _queue_form(request), lambda n, *at: n.reject(*at))


@editors_only
async def cancel_update(request: Request, session: DeskSession, form: Form) -> Response:
    return await _update_command(request, session, form, _queue_form(request), lambda n, *at: n.unschedule(*at))


@editors_only
async def schedule_update(request: Request, session: DeskSession, form: Form) -> Response:
    """Move a scheduled update to another time (the desk's "change time" form)."""
    form_name = f"schedule-{request.path_params['update_id']}"
    try:
        publish_at = form_time(form)
        if publish_at is None:
            raise Invalid({"publish_at": Message("Give the new time, or publish it now.")})
    except Invalid as exc:
        return await _refused(request, session, form_name, form, exc)
    command = lambda n, *at: n.schedule(*at, publish_at)  # noqa: E731
    return await _update_command(request, session, form, form_name, command)


@editors_only
async def preview(request: Request, session: DeskSession, form: Form) -> Response:
    """A form's live preview (`body`, `headline`, `key_event`, `pinned`, the story's `slug`),
    by the very partial and pipeline that render stored updates."""
    return JSONResponse({"html": await _preview_html(request, form, form.get("author", ""))})


async def upload_image(request: Request) -> Response:
    """An image from the desk: the API's checks (size, type, pixels, re-encoding), then its
    snippet in the post form's text (`?for=post`), or the story's lead image (`?for=story`).

    Without script the whole form is sent here (multipart, by its upload button): the desk
    comes back with everything typed in it, the snippet added or the error beside the file.
    desk.js sends the image and its fields alone and gets the image described in JSON."""
    svc = services(request)
    session = await desk_session(request, svc.settings, svc.store)
    if session is None:
        raise Unauthorized(SESSION_ENDED)
    target = "story" if request.query_params.get("for") == "story" else "post"
    fields: Form = {}
    try:
        received = await uploads.read_upload(request)
        fields = {key: value for key, value in received.fields.items() if key not in ("upload",)}
        check_csrf(session.csrf, request, received.fields)
        if target == "story":
            require_editor(session.editor, "change a story")
        name = await uploads.save(request, received)
    except Invalid as exc:
        if wants_json(request):
            raise
        return no_store(await _desk_page(request, session, FormState(target, fields, exc.errors), exc.status_code))
    described = received.described(name, "")  # root-relative: pages and feeds make it whole
    if wants_json(request):
        return no_store(JSONResponse(described, status_code=201))
    if target == "story":
        fields["image"] = name
    else:
        body = fields.get("body", "").rstrip()
        fields["body"] = (body + "\n\n" if body else "") + described["html"]
        for key in ("alt", "caption", "credit"):
            fields.pop(key, None)
    return no_store(await _desk_page(request, session, FormState(target, fields)))


def _key_event_title(update: Update) -> str:
    if update.headline:
        return update.headline
    words = update.body.split()
    return " ".join(words[:12]) + (" …" if len(words) > 12 else "")


async def _audience(svc: Services, story: Story, language: str, me: str | None = None) -> dict[str, Any]:
    """The story's audience for the desk: readers now and who is on its desk, over every
    process (the others' fresh beats and this process's own count, as it is this moment),
    and the chart of its readers per minute."""
    others = await blocking(svc.store.audience, story.id, stale_before(utcnow(), svc.settings.audience_seconds),
                            svc.hub.process)
    readers = others.readers + svc.hub.story_readers(story.id)
    editors = set(others.editors) | svc.hub.story_editors(story.id) | ({me} if me else set())
    minutes = await blocking(svc.store.audience_minutes, story.id)
    _, key_events = await blocking(svc.store.key_events, story.slug, 200)
    ticks = [(update.created_at, _key_event_title(update)) for update in key_events]
    version = hashlib.blake2s(repr((minutes, ticks, readers)).encode(), digest_size=8).hexdigest()
    return {
        "readers": readers,
        "editors": sorted(editors, key=str.casefold),
        "chart": chart.build(minutes, sorted(ticks), language),
        "chart_version": version,
    }


@editors_only
async def story_readers(request: Request, session: DeskSession, form: Form) -> Response:
    """What the desk polls: the story's readers now (every process's), who is on its desk,
    where its log is, and the audience chart when it changed since `?chart=` (its version)."""
    svc = services(request)
    story = await blocking(svc.store.get_story, request.path_params["slug"])
    last_event_id = await blocking(svc.store.last_event_id, story.id)
    language = desk_language(request)["language"]
    audience = await _audience(svc, story, language)
    fresh = request.query_params.get("chart") != audience["chart_version"]
    return JSONResponse({
        "readers": audience["readers"],
        "readers_text": render_template("_reader_count.html", language, readers=audience["readers"]).strip(),
        "editors": audience["editors"],
        "chart": render_template("_audience.html", language, **audience).strip() if fresh else None,
        "chart_version": audience["chart_version"],
        "status": story.status,
        "last_event_id": last_event_id,
    })


routes = [
    Route("/login", login_form_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/admin", admin, methods=["GET"]),
    Route("/admin/stories", start_story, methods=["POST"]),
    Route("/admin/preview", preview, methods=["POST"]),
    Route("/admin/stories/{slug}", desk, methods=["GET"]),
    Route("/admin/stories/{slug}", edit_story, methods=["POST"]),
    Route("/admin/stories/{slug}/status", story_status, methods=["POST"]),
    Route("/admin/stories/{slug}/readers", story_readers, methods=["GET"]),
    Route("/admin/stories/{slug}/profile", set_byline, methods=["POST"]),
    Route("/admin/stories/{slug}/updates", post_update, methods=["POST"]),
    Route("/admin/stories/{slug}/updates/{update_id:int}", get_update, methods=["GET"]),
    Route("/admin/stories/{slug}/updates/{update_id:int}", edit_update, methods=["POST"]),
    Route("/admin/stories/{slug}/updates/{update_id:int}/pin", pin_update, methods=["POST"]),
    Route("/admin/stories/{slug}/updates/{update_id:int}/delete", delete_update, methods=["POST"]),
    Route("/admin/stories/{slug}/updates/{update_id:int}/restore", restore_update, methods=["POST"]),
    Route("/admin/stories/{slug}/media", upload_image, methods=["POST"]),
    Route("/admin/stories/{slug}/updates/{update_id:int}/publish", publish_update, methods=["POST"]),
    Route("/admin/stories/{slug}/updates/{update_id:int}/reject", reject_update, methods=["POST"]),
    Route("/admin/stories/{slug}/updates/{update_id:int}/cancel", cancel_update, methods=["POST"]),
    Route("/admin/stories/{slug}/updates/{update_id:int}/schedule", schedule_update, methods=["POST"]),
]
