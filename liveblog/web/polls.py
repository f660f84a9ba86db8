"""Polls: an editor posts one (API), readers vote (a form that works without script, or
JSON), and anyone reads the counts (API, the poll's page).

A vote is a reader's, with no account: the browser's signed cookie (`liveblog_polls`,
signed with the app's secret like the desk's session) says which polls it has voted in,
so it cannot vote in one twice, and each client address may cast only so many votes a
minute (`LIVEBLOG_MAX_VOTES_PER_ADDRESS`, per process). The form may be posted from
anywhere by nature, so a vote must come from our own pages (`Origin`, `Sec-Fetch-Site`).
Votes are counted by the newsroom and told to readers in counted `poll` events (tally.py).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl

from itsdangerous import BadSignature, TimestampSigner
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import AlreadyVoted, Invalid, NotAChoice, PollNotFound, wants_json
from ..auth import DeskSession, token_author
from ..i18n import Message
from ..inputs import PollIn, VoteIn, parse, parse_request, read_body, validate, whole_number
from ..models import PollResult, utcnow
from ..render import iso
from ..settings import Settings
from ..templating import poll_results_html
from .common import MAX_ID, api_json, base_url, blocking, services
from .common import newsroom as svc_newsroom
from .editor import Form, _refused, desk_url, done, editors_only
from .from_readers import client_address, same_origin, window
from .reader import page

VOTES_COOKIE = "liveblog_polls"
VOTES_MAX_AGE = 90 * 24 * 3600  # longer than any poll stays open
VOTES_KEPT = 50  # the polls a cookie remembers, newest last (they close within a month)


def poll_json(poll: PollResult, base: str) -> dict:
    return {
        "id": poll.id, "update": poll.update_id, "story": poll.slug, "question": poll.question,
        "choices": [{"id": c.id, "label": c.label, "votes": c.votes} for c in poll.choices],
        "total": poll.total, "closed": poll.closed, "closes_at": iso(poll.closes_at),
        "url": f"{base}/stories/{poll.slug}/polls/{poll.id}",
        "votes_url": f"{base}/stories/{poll.slug}/polls/{poll.id}/votes",
    }


# -- the browser's votes: a signed cookie -----------------------------------------


def _signer(settings: Settings) -> TimestampSigner:
    return TimestampSigner(settings.secret_key, salt="liveblog.polls")


def votes_of(request: Request, settings: Settings) -> dict[int, int]:
    """poll id → the choice this browser voted for; {} for no cookie or a forged one."""
    raw = request.cookies.get(VOTES_COOKIE)
    if not raw:
        return {}
    try:
        value = _signer(settings).unsign(raw, max_age=VOTES_MAX_AGE).decode()
    except BadSignature:
        return {}
    votes = {}
    for pair in value.split("-"):
        poll, _, choice = pair.partition("_")
        if poll.isascii() and poll.isdigit() and choice.isascii() and choice.isdigit():
            votes[int(poll)] = int(choice)
    return votes


def _remember(response: Response, settings: Settings, votes: dict[int, int]) -> None:
    kept = list(votes.items())[-VOTES_KEPT:]
    value = _signer(settings).sign("-".join(f"{p}_{c}" for p, c in kept)).decode()
    # Readable by poll.js (it shows the results of polls this browser voted in); the
    # signature is what the server believes, not the value.
    response.set_cookie(VOTES_COOKIE, value, max_age=VOTES_MAX_AGE, path="/", httponly=False, samesite="lax",
                        secure=settings.secure_cookies)


# -- who may vote ------------------------------------------------------------------


NOT_FROM_HERE = Message("Votes are taken from this site's own pages only.")


def _too_many(limit: int) -> Message:
    return Message("This address has cast {limit} votes in the last minute; try again shortly.", limit=limit)


async def _vote_input(request: Request) -> VoteIn:
    raw = await read_body(request)
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        return parse(VoteIn, raw)
    try:
        fields = dict(parse_qsl(raw.decode("utf-8", errors="strict"), strict_parsing=bool(raw)))
    except (UnicodeDecodeError, ValueError):
        raise NotAChoice() from None
    if "choice" not in fields:
        raise NotAChoice()
    return validate(VoteIn, fields)


# -- routes ------------------------------------------------------------------------


def _ids(request: Request) -> tuple[str, int]:
    poll_id = request.path_params["poll_id"]
    if poll_id > MAX_ID:
        raise PollNotFound(poll_id)
    return request.path_params["slug"], poll_id


async def vote(request: Request) -> Response:
    """One reader's vote. JSON asked for: the counts as they are now, with the results'
    HTML; otherwise 303 to the poll's page, which shows them (no script needed)."""
    svc = services(request)
    slug, poll_id = _ids(request)
    same_origin(request, NOT_FROM_HERE)
    data = await _vote_input(request)
    votes = votes_of(request, svc.settings)
    if poll_id in votes:
        raise AlreadyVoted()
    window(request, "vote_limit", _too_many).take(client_address(request), svc.settings.max_votes_per_address)
    poll, language = await svc.newsroom.vote(slug, poll_id, data.choice)
    votes[poll_id] = data.choice
    if wants_json(request):
        response: Response = JSONResponse({**poll_json(poll, base_url(request)), "voted": data.choice,
                                           "html": poll_results_html(poll, language)}, status_code=201)
    else:
        response = RedirectResponse(f"/stories/{slug}/polls/{poll_id}", status_code=303)
    _remember(response, svc.settings, votes)
    return response


async def poll_page(request: Request) -> Response:
    """The poll on a page of its own: where a vote without script lands, with the results."""
    svc = services(request)
    slug, poll_id = _ids(request)
    poll = await blocking(svc.store.poll, slug, poll_id)
    story = await blocking(svc.store.get_story, slug)
    voted = poll_id in votes_of(request, svc.settings)
    return page("poll.html", language=story.language, story=story, poll=poll, voted=voted)


async def get_poll(request: Request) -> Response:
    poll = await blocking(services(request).store.poll, *_ids(request))
    return api_json(poll_json(poll, base_url(request)))


async def create_poll(request: Request) -> Response:
    svc = services(request)
    author = await token_author(request, svc.store)
    data = await parse_request(request, PollIn)
    poll = await svc.newsroom.post_poll(author, request.path_params["slug"], data)
    return api_json(poll_json(poll, base_url(request)), 201)


async def close_poll(request: Request) -> Response:
    svc = services(request)
    author = await token_author(request, svc.store)
    poll = await svc.newsroom.close_poll(author, *_ids(request))
    return api_json(poll_json(poll, base_url(request)))


DESK_CLOSES_IN = (15, 60, 360, 1440, 10080)  # minutes, as the desk's form offers them


@editors_only
async def desk_poll(request: Request, session: DeskSession, form: Form) -> Response:
    """The desk's "Add a poll": 303 back to the desk, or the desk again with the form as typed."""
    slug = request.path_params["slug"]
    try:
        closes_in = whole_number(form.get("closes_in", ""))
        if closes_in not in DESK_CLOSES_IN:
            raise Invalid({"closes_in": Message("Choose when voting closes.")})
        choices = [form[f"choice_{n}"].strip() for n in range(1, 7) if form.get(f"choice_{n}", "").strip()]
        try:
            data = validate(PollIn, {"question": form.get("question", ""), "choices": choices,
                                     "closes_at": utcnow() + timedelta(minutes=closes_in)})
        except Invalid as exc:
            raise Invalid({key.split(".")[0]: message for key, message in exc.errors.items()}) from None
        poll = await svc_newsroom(request).post_poll(session.editor, slug, data)
    except Invalid as exc:
        return await _refused(request, session, "poll", form, exc)
    return done(request, f"{desk_url(slug)}#desk-update-{poll.update_id}", poll_json(poll, base_url(request)), 201)


@editors_only
async def desk_close_poll(request: Request, session: DeskSession, form: Form) -> Response:
    """The desk's "Close poll": the result is final, and readers get it at once."""
    slug, poll_id = _ids(request)
    poll = await svc_newsroom(request).close_poll(session.editor, slug, poll_id)
    return done(request, f"{desk_url(slug)}#desk-update-{poll.update_id}", poll_json(poll, base_url(request)))


routes = [
    Route("/admin/stories/{slug}/polls", desk_poll, methods=["POST"]),
    Route("/admin/stories/{slug}/polls/{poll_id:int}/close", desk_close_poll, methods=["POST"]),
    Route("/api/stories/{slug}/polls", create_poll, methods=["POST"]),
    Route("/api/stories/{slug}/polls/{poll_id:int}", get_poll, methods=["GET"]),
    Route("/api/stories/{slug}/polls/{poll_id:int}/close", close_poll, methods=["POST"]),
    Route("/stories/{slug}/polls/{poll_id:int}", poll_page, methods=["GET"]),
    Route("/stories/{slug}/polls/{poll_id:int}/votes", vote, methods=["POST"]),
]
