"""Callouts and readers' questions: readers send from the page, editors work the answers.

A reader's form (`POST /stories/{slug}/callouts/{id}/answers`) works without script: a
303 to the callout's own page, which thanks them, or that page again with what they
typed and what is wrong (422). `static/callout.js` sends the same form for JSON and
keeps the reader on the story. What they send is bounded (its size by the input's
limits, a few a minute per address, from our own pages only, and a trap field that
people never see, which bots fill in and are then told "thank you" for nothing) and
goes to the desk alone: the desk's stream says only that something came in, and the
desk reads it, contact details included, from `GET /admin/stories/{slug}/submissions/{id}`.

Editors add a callout under an update, open the story to questions, close either, turn
what a reader sent into an update (their name only with their consent), set it aside,
and export a callout's answers as CSV.
"""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import i18n
from ..auth import DeskSession
from ..errors import CalloutNotFound, ImageRefused, Invalid, NotFound, SubmissionNotFound, wants_json
from ..i18n import Message
from ..inputs import CalloutIn, SubmissionIn, SubmissionUse, parse, read_body, validate, whole_number
from ..models import Callout, Story, Submission, utcnow
from ..newsroom import require_editor
from ..render import iso
from ..templating import render_template
from . import uploads
from .common import MAX_ID, blocking, services
from .common import newsroom as svc_newsroom
from .editor import Form, _refused, desk_answer, desk_url, done, editors_only, read_form
from .from_readers import client_address, same_origin, window
from .reader import page

NOT_FROM_HERE = Message("Answers are taken from this site's own pages only.")
SENT = Message("Thank you: the newsroom has what you sent. Only its editors see it.")
TRAP = "website"  # the field people never see (templates/_callout.html)
CLOSES_IN = (60, 360, 1440, 10080)  # minutes, as the desk's form offers them ("": with the story)


def _too_many(limit: int) -> Message:
    return Message("This address has sent {limit} answers in the last minute; try again shortly.", limit=limit)


def _id(request: Request, name: str, missing: type[Exception]) -> int:
    value = request.path_params[name]
    if value > MAX_ID:
        raise missing(value)
    return value


def _checked(form: Form, name: str) -> bool:
    return form.get(name, "") not in ("", "0", "false")


# -- readers ------------------------------------------------------------------------


def _callout_page(story: Story, callout: Callout, status_code: int = 200, sent: bool = False,
                  values: Form | None = None, errors: dict | None = None) -> Response:
    response = page("callout.html", status_code, language=story.language, story=story, callout=callout, sent=sent,
                    values=values or {}, errors=errors or {}, open=callout.open_at(utcnow(), story.status))
    response.headers["Cache-Control"] = "no-store"
    return response


async def callout_page(request: Request) -> Response:
    """The callout on a page of its own: where a reader without script lands after sending."""
    callout, story = await blocking(services(request).store.callout, request.path_params["slug"],
                                    _id(request, "callout_id", CalloutNotFound))
    return _callout_page(story, callout, sent=request.query_params.get("sent") == "1")


def _json_sent(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip() == "application/json"


def _submission_input(form: Form) -> SubmissionIn:
    return validate(SubmissionIn, {"text": form.get("text", ""), "name": form.get("name", ""),
                                   "contact": form.get("contact", ""), "consent": _checked(form, "consent")})


async def _answer_form(request: Request) -> tuple[Form, bytes | None]:
    """The answer's fields, and the bytes of its image when one was chosen: a form with a
    file field comes as multipart (within the image's cap), any other URL-encoded."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await read_form(request), None
    with _photo_field():
        body = await uploads.image_body(request)
    parts = await uploads.read_parts(request, body, max_fields=12)
    try:
        fields = {key: value for key, value in parts.multi_items() if isinstance(value, str)}
        file = parts.get("image")
        image = await file.read() if file is not None and not isinstance(file, str) and file.filename else None
    finally:
        await parts.close()
    return fields, image or None


async def _reader_image(svc, slug: str, callout_id: int, image: bytes | None) -> str | None:
    """The reader's image checked, re-encoded and kept among the readers' images (the
    desk's checks: size, type, pixels, one re-encode at a time), when the callout asks for
    one and is open; its name. Refused under the field `image`."""
    if image is None:
        return None
    callout, story = await blocking(svc.store.callout, slug, callout_id)
    if "image" not in callout.asks or not callout.open_at(utcnow(), story.status):
        return None  # not asked for, or the answer is refused as closed
    with _photo_field():
        return await uploads.reencoded(image, svc.settings.reader_media_dir)


@contextmanager
def _photo_field():
    """An image refused (the desk's checks, which name the field `file`) under the name of
    the reader's field, `image`."""
    try:
        yield
    except ImageRefused as exc:
        raise ImageRefused(exc.errors["file"], exc.status_code, field="image") from None


async def send(request: Request) -> Response:
    """A reader's answer or question, for the desk only."""
    svc = services(request)
    slug, callout_id = request.path_params["slug"], _id(request, "callout_id", CalloutNotFound)
    same_origin(request, NOT_FROM_HERE)
    address = client_address(request)
    window(request, "submission_limit", _too_many).take(address, svc.settings.max_submissions_per_address)
    # callout.js and API callers may send JSON; a browser without script sends the form.
    form: Form = {}
    try:
        if _json_sent(request):
            data, trapped, image = parse(SubmissionIn, await read_body(request)), False, None
        else:
            form, image = await _answer_form(request)
            data, trapped = _submission_input(form), bool(form.get(TRAP, "").strip())
        if not trapped:
            image_name = await _reader_image(svc, slug, callout_id, image)
            await svc.newsroom.send(slug, callout_id, data, address, image_name)
    except Invalid as exc:
        if wants_json(request) or not form:
            raise
        callout, story = await blocking(svc.store.callout, slug, callout_id)
        return _callout_page(story, callout, exc.status_code, values=form, errors=exc.errors)
    if wants_json(request):
        language = i18n.negotiate(request.headers.get("accept-language"))
        return JSONResponse({"sent": True, "message": i18n.said(SENT, language)}, status_code=201)
    return RedirectResponse(f"/stories/{slug}/callouts/{callout_id}?sent=1", status_code=303)


# -- the desk -------------------------------------------------------------------------


def _callout_input(form: Form, closes: bool = True) -> CalloutIn:
    wants = [name for name in ("name", "contact", "consent", "image") if _checked(form, f"want_{name}")]
    closes_at = None
    if closes and form.get("closes_in", ""):
        closes_in = whole_number(form["closes_in"])
        if closes_in not in CLOSES_IN:
            raise Invalid({"closes_in": Message("Choose when the callout closes.")})
        closes_at = utcnow() + timedelta(minutes=closes_in)
    return validate(CalloutIn, {"prompt": form.get("prompt", ""), "wants": wants, "closes_at": closes_at})


def callout_json(callout: Callout) -> dict:
    return {"id": callout.id, "update": callout.update_id, "prompt": callout.prompt, "wants": list(callout.asks),
            "closes_at": iso(callout.closes_at), "closed": callout.closed_at is not None}


@editors_only
async def add_callout(request: Request, session: DeskSession, form: Form) -> Response:
    """The desk's "Add a callout" under a published update."""
    slug, update_id = request.path_params["slug"], request.path_params["update_id"]
    form_name = f"callout-{update_id}"
    try:
        callout = await svc_newsroom(request).add_callout(session.editor, slug, update_id, _callout_input(form))
    except Invalid as exc:
        return await _refused(request, session, form_name, form, exc)
    return done(request, f"{desk_url(slug)}#desk-update-{update_id}", callout_json(callout), 201)


@editors_only
async def take_questions(request: Request, session: DeskSession, form: Form) -> Response:
    """The desk's "Take readers' questions" (or a change of what it asks)."""
    slug = request.path_params["slug"]
    try:
        callout = await svc_newsroom(request).take_questions(session.editor, slug, _callout_input(form, closes=False))
    except Invalid as exc:
        return await _refused(request, session, "questions", form, exc)
    return done(request, f"{desk_url(slug)}#from-readers", callout_json(callout))


@editors_only
async def close_callout(request: Request, session: DeskSession, form: Form) -> Response:
    slug = request.path_params["slug"]
    callout = await svc_newsroom(request).close_callout(session.editor, slug,
                                                        _id(request, "callout_id", CalloutNotFound))
    return done(request, f"{desk_url(slug)}#from-readers", callout_json(callout))


def submission_html(submission: Submission, callout: Callout, slug: str, csrf: str, language: str) -> str:
    return render_template("_desk_submission.html", language=language, submission=submission, callout=callout,
                           slug=slug, csrf=csrf, state=None)


@editors_only
async def get_submission(request: Request, session: DeskSession, form: Form) -> Response:
    """For the desk's script, when its stream says something came in: the item to show."""
    require_editor(session.editor, "read what readers sent")
    slug = request.path_params["slug"]
    submission, callout = await blocking(services(request).store.submission, slug,
                                         _id(request, "submission_id", SubmissionNotFound))
    language = i18n.negotiate(request.headers.get("accept-language"))
    return JSONResponse({"id": submission.id, "callout": callout.id, "status": submission.status,
                         "html": submission_html(submission, callout, slug, session.csrf, language)})


@editors_only
async def submission_image(request: Request, session: DeskSession, form: Form) -> Response:
    """The image a reader sent, for the desk alone (never cached on the way)."""
    require_editor(session.editor, "read what readers sent")
    svc = services(request)
    submission, _ = await blocking(svc.store.submission, request.path_params["slug"],
                                   _id(request, "submission_id", SubmissionNotFound))
    path = svc.settings.reader_media_dir / (submission.image or "")
    if not submission.image or not path.is_file():
        raise NotFound(Message("This reader sent no photo."))
    return FileResponse(path)  # never cached: web/headers.py, as for every desk URL


@editors_only
async def use_submission(request: Request, session: DeskSession, form: Form) -> Response:
    """Publish an update quoting what the reader sent."""
    slug = request.path_params["slug"]
    submission_id = _id(request, "submission_id", SubmissionNotFound)
    try:
        data = validate(SubmissionUse, {"body": form.get("body", ""), "headline": form.get("headline", ""),
                                        "key_event": _checked(form, "key_event"),
                                        "with_name": _checked(form, "with_name"),
                                        "with_image": _checked(form, "with_image"),
                                        "image_alt": form.get("image_alt", ""),
                                        "image_caption": form.get("image_caption", "")})
        update = await svc_newsroom(request).use_submission(session.editor, slug, submission_id, data)
    except Invalid as exc:
        return await _refused(request, session, f"use-{submission_id}", form, exc)
    return done(request, f"{desk_url(slug)}#desk-update-{update.id}",
                {**desk_answer(update, slug), "submission": submission_id}, 201)


@editors_only
async def dismiss_submission(request: Request, session: DeskSession, form: Form) -> Response:
    slug = request.path_params["slug"]
    submission = await svc_newsroom(request).dismiss_submission(
        session.editor, slug, _id(request, "submission_id", SubmissionNotFound))
    return done(request, f"{desk_url(slug)}#from-readers", {"id": submission.id, "status": submission.status})


CSV_COLUMNS = ("id", "sent_at", "status", "text", "name", "contact", "consent", "image", "update")


def _cell(value: str) -> str:
    """A cell a spreadsheet will not run: text that starts like a formula is quoted."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@editors_only
async def answers_csv(request: Request, session: DeskSession, form: Form) -> Response:
    """Everything readers sent to one callout (or as questions), for the newsroom's own use."""
    require_editor(session.editor, "export what readers sent")
    store = services(request).store
    slug = request.path_params["slug"]
    callout, story = await blocking(store.callout, slug, _id(request, "callout_id", CalloutNotFound))
    rows = await blocking(store.submissions, story.id, None, callout.id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([row.id, iso(row.created_at), row.status, _cell(row.text), _cell(row.name), _cell(row.contact),
                         "yes" if row.consent else "no", row.image or "", row.update_id or ""])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{slug}-callout-{callout.id}.csv"'})


CALLOUT = "/admin/stories/{slug}/callouts/{callout_id:int}"
SUBMISSION = "/admin/stories/{slug}/submissions/{submission_id:int}"

routes = [
    Route("/stories/{slug}/callouts/{callout_id:int}", callout_page, methods=["GET"]),
    Route("/stories/{slug}/callouts/{callout_id:int}/answers", send, methods=["POST"]),
    Route("/admin/stories/{slug}/updates/{update_id:int}/callout", add_callout, methods=["POST"]),
    Route("/admin/stories/{slug}/questions", take_questions, methods=["POST"]),
    Route(CALLOUT + "/close", close_callout, methods=["POST"]),
    Route(CALLOUT + "/answers.csv", answers_csv, methods=["GET"]),
    Route(SUBMISSION, get_submission, methods=["GET"]),
    Route(SUBMISSION + "/image", submission_image, methods=["GET"]),
    Route(SUBMISSION + "/use", use_submission, methods=["POST"]),
    Route(SUBMISSION + "/dismiss", dismiss_submission, methods=["POST"]),
]
