"""Domain exceptions, and the one place that renders them as HTML or JSON."""

from __future__ import annotations

import logging

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from . import i18n
from .i18n import Message


log = logging.getLogger("liveblog.errors")

UNAVAILABLE_RETRY_SECONDS = 5


class LiveblogError(Exception):
    status_code = 400

    def __init__(self, message: str = "", errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.headers: dict[str, str] = {}  # sent with the error, e.g. Retry-After


class NotFound(LiveblogError):
    status_code = 404


class StoryNotFound(NotFound):
    def __init__(self, slug: str = ""):
        super().__init__(f"No story {slug!r}." if slug else "No such story.")


class UpdateNotFound(NotFound):
    def __init__(self, update_id: int | str = ""):
        super().__init__(f"No update {update_id} in this story.")


class PollNotFound(NotFound):
    def __init__(self, poll_id: int | str = ""):
        super().__init__(f"No poll {poll_id} in this story.")


class CalloutNotFound(NotFound):
    def __init__(self, callout_id: int | str = ""):
        super().__init__(f"No callout {callout_id} in this story.")


class SubmissionNotFound(NotFound):
    def __init__(self, submission_id: int | str = ""):
        super().__init__(f"No reader's answer or question {submission_id} in this story.")


class Conflict(LiveblogError):
    status_code = 409


class PollClosed(Conflict):
    def __init__(self, poll_id: int | str = ""):
        super().__init__(Message("This poll has closed; its result is final."))


class CalloutClosed(Conflict):
    def __init__(self):
        super().__init__(Message("This callout has closed; the newsroom takes no more answers to it."))


class SubmissionDealtWith(Conflict):
    def __init__(self):
        super().__init__(Message("This has been turned into an update or set aside already."))


class AlreadyVoted(Conflict):
    def __init__(self):
        super().__init__(Message("This browser has voted in this poll already."))


class BadEventId(LiveblogError):
    """A `Last-Event-ID` (header or query) that is not an event id."""

    status_code = 400


class Invalid(LiveblogError):
    """Input refused at the edge; `errors` maps each field to what is wrong with it."""

    status_code = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)


class NotAChoice(Invalid):
    """A vote for none of the poll's answers (or for nothing at all)."""

    SAID = Message("Choose one of the poll's answers.")

    def __init__(self):
        super().__init__({"choice": self.SAID})


class Unauthorized(LiveblogError):
    status_code = 401


class Forbidden(LiveblogError):
    status_code = 403



class TooManyRequests(LiveblogError):
    """A per-client limit was reached; `retry_after` says when to try again (seconds)."""

    status_code = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.headers["Retry-After"] = str(retry_after)


class TooManyAttempts(LiveblogError):
    """Login attempts past the throttle's limit (auth.LoginThrottle); `retry_after` in seconds."""

    status_code = 429

    def __init__(self, retry_after: int):
        minutes = max(1, round(retry_after / 60))
        super().__init__(
            Message("Too many failed logins. Try again in about {minutes} min.", minutes=minutes),
            {"name": Message("Too many failed logins; wait a while before trying again.")},
        )
        self.retry_after = retry_after


class NotImplementedFormat(LiveblogError):
    status_code = 501


class UnsupportedMediaType(LiveblogError):
    status_code = 415


class PayloadTooLarge(LiveblogError):
    status_code = 413

    def __init__(self, limit: int):
        super().__init__(Message("The request is larger than {kib} KiB.", kib=limit // 1024))
        self.limit = limit


class BodyTooSlow(LiveblogError):
    status_code = 408

    def __init__(self, seconds: float):
        whole = int(seconds) if seconds == int(seconds) else f"{seconds:g}"  # 20, not "20.0"
        super().__init__(Message("The request body did not arrive in time ({seconds} s); send it again.", seconds=whole))


class BadJSON(LiveblogError):
    status_code = 400


class ImageRefused(Invalid):
    """The upload is not an image we keep; `errors` says why, under its field (`file`)."""

    def __init__(self, message: str, status_code: int = 422, field: str = "file"):
        super().__init__({field: message})
        self.status_code = status_code


def wants_json(request: Request) -> bool:
    """JSON for the API, and for any client that asks for it or sent JSON itself."""
    path = request.url.path
    headers = request.headers
    return (
        path.startswith("/api/")
        or path in ("/oembed", "/healthz")
        or "application/json" in headers.get("accept", "")
        or headers.get("content-type", "").startswith("application/json")
    )


def error_response(
    request: Request,
    status_code: int,
    message: str,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json(request):
        # In the asker's language (a desk's script sends its browser's): errors the
        # catalogs translate are i18n.Messages.
        language = i18n.negotiate(request.headers.get("accept-language"))
        texts = {field: i18n.said(text, language) for field, text in (errors or {"request": message}).items()}
        body: dict = {"errors": texts}
        if status_code >= 500:
            body["status"] = "unavailable"
        headers = {"Access-Control-Allow-Origin": "*", **(headers or {})}
        return JSONResponse(body, status_code=status_code, headers=headers)
    from .templating import render_template  # late: templates load after settings

    html = render_template("error.html", status_code=status_code, message=message, errors=errors or {})
    return HTMLResponse(html, status_code=status_code, headers=headers)


async def handle_liveblog_error(request: Request, exc: LiveblogError) -> Response:
    return error_response(request, exc.status_code, exc.message, exc.errors, exc.headers)


async def handle_http_exception(request: Request, exc) -> Response:
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code)
    return error_response(request, exc.status_code, exc.detail or "", headers=exc.headers)


async def handle_unavailable(request: Request, exc: Exception) -> Response:
    """The database is down or out of connections: an expected outage, not a bug.

    Keyed by class (below), so it is answered here and not re-raised: an outage logs
    one line per request rather than a traceback each.
    """
    log.warning("%s %s: 503, the database is not answering (%s)", request.method, request.url.path, _first_line(exc))
    return error_response(
        request,
        503,
        Message("The database is not answering; please try again in a moment."),
        headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
    )


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    # The server closes the connection after an unhandled exception; saying so keeps the
    # client from sending its next request down a dead kept-alive connection.
    return error_response(
        request, 500, Message("Something went wrong on our side; nothing you sent was lost."), headers={"Connection": "close"}
    )


EXCEPTION_HANDLERS = {
    LiveblogError: handle_liveblog_error,
    # The connection failed or was cut (OperationalError, InterfaceError), or the pool had
    # none free in time (TimeoutError): nothing was committed, the request can be retried.
    OperationalError: handle_unavailable,
    InterfaceError: handle_unavailable,
    PoolTimeout: handle_unavailable,
    ConnectionError: handle_unavailable,
    Exception: handle_unexpected,
}


def handler_for(exc: Exception):
    """The handler EXCEPTION_HANDLERS gives `exc`, for code that runs outside the app's stack."""
    for cls in type(exc).__mro__:
        if cls in EXCEPTION_HANDLERS:
            return EXCEPTION_HANDLERS[cls]
    return handle_unexpected
