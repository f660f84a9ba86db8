"""Typed input, checked at the edge: each model turns a request body into values or a 422."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    StrictBool,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from typing_extensions import Annotated

from . import i18n
from .errors import BadJSON, BodyTooSlow, Invalid, NotAChoice, PayloadTooLarge
from .i18n import Message
from .media import MAX_BYTES as MAX_IMAGE_BYTES
from .media import NAME_RE as MEDIA_NAME_RE
from .store import SLUG_RE

MAX_BODY = 50_000
MAX_REQUEST_BYTES = 1024 * 1024
# An image upload: the image itself, its multipart envelope and the caption fields.
MAX_UPLOAD_BYTES = MAX_IMAGE_BYTES + 64 * 1024
# How long a request body may take to arrive (BodyLimit): between two of its parts, and
# in all (an image's 10 MiB over a slow phone connection gets longer).
BODY_IDLE_SECONDS = 20.0
BODY_SECONDS = 60.0
UPLOAD_SECONDS = 300.0
UPLOAD_PATH = "/api/media"
DESK_UPLOAD_PATH = re.compile(r"^/admin/stories/[^/]+/media$")  # the desk's own upload form
ANSWERS_PATH = re.compile(r"^/stories/[^/]+/callouts/[0-9]+/answers$")  # a reader's, with a photo
MAX_HEADLINE = 300
MAX_JSON_DEPTH = 16  # our bodies are two levels deep; far more is an attack on the parser

Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True)]
# A form that is not UTF-8, holds NUL or is not the multipart it says it is (422).
UNREADABLE_FORM = Message("This form could not be read; reload the page and send it again.")


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def changes(self) -> dict:
        return self.model_dump(exclude_unset=True)


def _title_given(value: str | None) -> str | None:
    if value is not None and not value:
        raise ValueError(Message("The story needs a title"))
    return value


def _body_given(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError(Message("The update needs some text"))
    return value


def _media_name(value: str | None) -> str | None:
    if value and not MEDIA_NAME_RE.match(value):
        raise ValueError("use the 'name' that POST /api/media answered with, like '3f2a…-1600x900.jpg'")
    return value


def _language(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return i18n.known(value)
    except i18n.UnknownLanguage as exc:
        raise ValueError(str(exc)) from None


Caption = Annotated[Text, StringConstraints(max_length=500)]
Language = Annotated[Text, StringConstraints(max_length=35)]
Credit = Annotated[Text, StringConstraints(max_length=200)]


class StoryIn(_Input):
    title: Annotated[Text, StringConstraints(max_length=300)]
    summary: Annotated[Text, StringConstraints(max_length=2000)] = ""
    slug: Annotated[Text, StringConstraints(max_length=120)] | None = None
    image: Annotated[Text, StringConstraints(max_length=200)] | None = None
    caption: Caption = ""
    credit: Credit = ""
    language: Language | None = None  # the site's default when not given

    check_image = field_validator("image")(classmethod(lambda cls, v: _media_name(v)))

    check_title = field_validator("title")(classmethod(lambda cls, v: _title_given(v)))
    check_language = field_validator("language")(classmethod(lambda cls, v: _language(v)))

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value and not SLUG_RE.match(value):
            raise ValueError("use lowercase letters, digits and single hyphens, like 'storm-ciaran'")
        return value or None


class StoryPatch(_Input):
    title: Annotated[Text, StringConstraints(max_length=300)] | None = None
    summary: Annotated[Text, StringConstraints(max_length=2000)] | None = None
    status: Literal["live", "closed"] | None = None
    image: Annotated[Text, StringConstraints(max_length=200)] | None = None  # "" removes it
    caption: Caption | None = None
    credit: Credit | None = None
    language: Language | None = None

    check_image = field_validator("image")(classmethod(lambda cls, v: _media_name(v)))
    check_language = field_validator("language")(classmethod(lambda cls, v: _language(v)))
    check_title = field_validator("title")(classmethod(lambda cls, v: _title_given(v)))


Body = Annotated[str, StringConstraints(strict=True, max_length=MAX_BODY)]
Headline = Annotated[Text, StringConstraints(max_length=MAX_HEADLINE)]


MAX_SCHEDULE_AHEAD = timedelta(days=366)


def _ahead(value: datetime, latest: timedelta, outside: Message, passed: Message, too_far: Message,
           earliest: timedelta = timedelta(0)) -> datetime:
    """A moment that must come after `earliest` from now and within `latest`, kept in UTC;
    each way of missing it refused with its own sentence."""
    try:
        value = value.astimezone(timezone.utc)
    except OverflowError:  # 9999-12-31T23:00-05:00 is past the end of the calendar in UTC
        raise ValueError(outside) from None
    now = datetime.now(timezone.utc)
    if value <= now + earliest:
        raise ValueError(passed)
    if value > now + latest:
        raise ValueError(too_far)
    return value


def _publish_at(value: datetime | None) -> datetime | None:
    """A time to publish at: in the future, within a year."""
    if value is None:
        return None
    return _ahead(value, MAX_SCHEDULE_AHEAD,
                  Message("That time is outside the calendar; give a time within a year from now"),
                  Message("That time has passed; give a time in the future, or post without one to publish now"),
                  Message("Schedule at most a year ahead"))


class UpdateIn(_Input):
    body: Body
    headline: Headline = ""
    key_event: StrictBool = False
    pinned: StrictBool = False
    draft: StrictBool = False  # keep it for the desk instead of publishing
    publish_at: AwareDatetime | None = None  # ISO 8601 with its zone: published by the server then

    check_body = field_validator("body")(classmethod(lambda cls, v: _body_given(v)))
    check_publish_at = field_validator("publish_at")(classmethod(lambda cls, v: _publish_at(v)))

    @property
    def status(self) -> str:
        return "draft" if self.draft else "scheduled" if self.publish_at else "published"


MAX_CORRECTION = 500
Correction = Annotated[Text, StringConstraints(max_length=MAX_CORRECTION)]
MAX_DISPLAY_NAME = 120
DisplayName = Annotated[Text, StringConstraints(max_length=MAX_DISPLAY_NAME)]


class UpdatePatch(_Input):
    body: Body | None = None
    headline: Headline | None = None
    key_event: StrictBool | None = None
    pinned: StrictBool | None = None
    publish_at: AwareDatetime | None = None  # moves a scheduled update
    # A note readers are shown with a change of the text ("Corrected 14:05: …"); plain text.
    correction: Correction | None = None

    check_body = field_validator("body")(classmethod(lambda cls, v: _body_given(v)))
    check_publish_at = field_validator("publish_at")(classmethod(lambda cls, v: _publish_at(v)))


_STORY_PATH = re.compile(r"^/stories/[a-z0-9][a-z0-9-]{0,119}$")


def _story_url(value: str) -> str:
    """A producer story's public URL: http(s), a host, and a /stories/{slug} path, nothing else."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query
            or parts.fragment or parts.username or parts.password or not _STORY_PATH.match(parts.path)):
        raise ValueError(Message("Give the story's public address, like https://news.example/stories/the-slug"))
    del port
    return value


StoryUrl = Annotated[Text, StringConstraints(max_length=500)]
SyndicationTokenText = Annotated[Text, StringConstraints(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]


class SourceIn(_Input):
    """Follow another instance's story: its URL, the token its editors issued, and whether
    its new updates wait for an editor here (drafts) or are published at once."""

    url: StoryUrl
    token: SyndicationTokenText
    approval: StrictBool = False

    check_url = field_validator("url")(classmethod(lambda cls, v: _story_url(v)))


class SyndicationTokenIn(_Input):
    name: Annotated[Text, StringConstraints(max_length=120)] = ""


MAX_QUESTION = 300
MAX_CHOICE = 100
MIN_CHOICES, MAX_CHOICES = 2, 6
MIN_POLL_OPEN = timedelta(minutes=1)
MAX_POLL_OPEN = timedelta(days=31)
Question = Annotated[Text, StringConstraints(min_length=1, max_length=MAX_QUESTION)]
Choice = Annotated[Text, StringConstraints(min_length=1, max_length=MAX_CHOICE)]


class PollIn(_Input):
    """A poll, posted as an update: a question, 2–6 different choices, and when it closes
    (a moment with its zone, at least a minute and at most a month ahead)."""

    question: Question
    choices: list[Choice]
    closes_at: AwareDatetime
    key_event: StrictBool = False

    @field_validator("choices")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if not MIN_CHOICES <= len(value) <= MAX_CHOICES:
            raise ValueError(Message("Give from {least} to {most} choices", least=MIN_CHOICES, most=MAX_CHOICES))
        if len({choice.casefold() for choice in value}) != len(value):
            raise ValueError(Message("Each choice must be different from the others"))
        return value

    @field_validator("closes_at")
    @classmethod
    def _closes(cls, value: datetime) -> datetime:
        return _ahead(value, MAX_POLL_OPEN,
                      Message("That time is outside the calendar; give a time within a month from now"),
                      Message("Give a closing time at least a minute from now"),
                      Message("A poll may stay open for at most a month"), earliest=MIN_POLL_OPEN)


class VoteIn(_Input):
    """A reader's vote: the id of one of the poll's choices (a form field, or JSON)."""

    model_config = ConfigDict(extra="ignore")  # a form may carry its button's name

    choice: int

    @field_validator("choice", mode="before")
    @classmethod
    def _whole(cls, value):
        number = whole_number(value) if isinstance(value, str) else value
        if isinstance(number, bool) or not isinstance(number, int) or not 0 < number < 2**62:
            raise ValueError(NotAChoice.SAID)
        return number


# -- what readers send, and the desk's chat ------------------------------------------

MAX_PROMPT = 500
MAX_READER_TEXT = 5000
MAX_READER_NAME = 120
MAX_CONTACT = 200
MAX_CHAT = 2000
MAX_IMAGE_TEXT = 500  # an image's description (alt) and caption
# What a callout may ask for: the reader's words are always asked for.
CALLOUT_FIELDS = ("text", "name", "contact", "consent", "image")
MAX_CALLOUT_OPEN = timedelta(days=31)


def _said_something(value: str) -> str:
    if not value:
        raise ValueError(Message("Write something first"))
    return value


class CalloutIn(_Input):
    """An editor's callout under an update, or the story's readers' questions: what it
    asks, which fields (besides the reader's words), and when it closes (None: with the story)."""

    prompt: Annotated[Text, StringConstraints(max_length=MAX_PROMPT)]
    wants: list[Literal["name", "contact", "consent", "image"]] = []
    closes_at: AwareDatetime | None = None

    check_prompt = field_validator("prompt")(classmethod(lambda cls, v: _said_something(v)))

    @field_validator("closes_at")
    @classmethod
    def _closes(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return _ahead(value, MAX_CALLOUT_OPEN,
                      Message("That time is outside the calendar; give a time within a month from now"),
                      Message("That time has passed; give a time in the future"),
                      Message("A callout may stay open for at most a month"))

    @property
    def fields(self) -> str:
        return ",".join(["text", *(name for name in CALLOUT_FIELDS[1:] if name in self.wants)])


class SubmissionIn(_Input):
    """What a reader sends to a callout or asks: their words, and what else it asked for."""

    model_config = ConfigDict(extra="ignore")  # a form carries its button, and the trap field

    text: Annotated[Text, StringConstraints(max_length=MAX_READER_TEXT)]
    name: Annotated[Text, StringConstraints(max_length=MAX_READER_NAME)] = ""
    contact: Annotated[Text, StringConstraints(max_length=MAX_CONTACT)] = ""
    consent: StrictBool = False

    check_text = field_validator("text")(classmethod(lambda cls, v: _said_something(v)))


class SubmissionUse(_Input):
    """An editor turning a reader's words into an update: the update's own text (an answer,
    or what the newsroom says of it), and whether to print the reader's name (only ever
    with their consent)."""

    body: Body
    headline: Headline = ""
    key_event: StrictBool = False
    with_name: StrictBool = False
    with_image: StrictBool = False
    image_alt: Annotated[Text, StringConstraints(max_length=MAX_IMAGE_TEXT)] = ""
    image_caption: Annotated[Text, StringConstraints(max_length=MAX_IMAGE_TEXT)] = ""

    check_body = field_validator("body")(classmethod(lambda cls, v: _body_given(v)))

    @field_validator("image_alt")
    @classmethod
    def _described(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("with_image") and not value:
            raise ValueError(Message("Describe the photo for readers who cannot see it"))
        return value


class ChatIn(_Input):
    text: Annotated[Text, StringConstraints(max_length=MAX_CHAT)]

    check_text = field_validator("text")(classmethod(lambda cls, v: _said_something(v)))


class ProfileIn(_Input):
    """An editor's own display name, from the desk ("": their account's name)."""

    display_name: DisplayName


def _b64url(value: str, length: int, what: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} must be base64url") from None
    if len(raw) != length or (length == 65 and raw[0] != 4):
        raise ValueError(f"{what} is not a valid key")
    return value


class PushKeys(_Input):
    p256dh: Annotated[str, StringConstraints(strict=True, max_length=100)]
    auth: Annotated[str, StringConstraints(strict=True, max_length=40)]

    check_p256dh = field_validator("p256dh")(classmethod(lambda cls, v: _b64url(v, 65, "p256dh")))
    check_auth = field_validator("auth")(classmethod(lambda cls, v: _b64url(v, 16, "auth")))


class SubscriptionIn(_Input):
    """A browser's PushSubscription, as `JSON.stringify(subscription)` gives it."""

    model_config = ConfigDict(extra="ignore")  # browsers add expirationTime and may add more

    endpoint: Annotated[str, StringConstraints(strict=True, max_length=1000)]
    keys: PushKeys

    @field_validator("endpoint")
    @classmethod
    def _https(cls, value: str) -> str:
        # Push services are reached over https only; the server POSTs to this address.
        if not value.startswith("https://") or len(value) < 12:
            raise ValueError("must be the https:// address of a push service")
        return value


class UnsubscribeIn(_Input):
    model_config = ConfigDict(extra="ignore")

    endpoint: Annotated[str, StringConstraints(strict=True, max_length=1000)]


# pydantic's own refusals a desk's form can meet, as sentences the catalogs translate
# (each of pydantic's error types, with the values of its context it names).
_TRUE_OR_FALSE = Message("must be true or false")
_WHOLE_NUMBER = Message("must be a whole number")
_DATE_AND_TIME = Message("must be a date and time, like 2025-03-14T15:30:00Z")
_PYDANTIC_MESSAGES = {
    "string_too_long": lambda ctx: Message("at most {limit} characters", limit=ctx["max_length"]),
    "string_too_short": lambda ctx: Message("at least {limit} characters", limit=ctx["min_length"]),
    "missing": lambda ctx: Message("is required"),
    "string_type": lambda ctx: Message("must be text"),
    "bool_type": lambda ctx: _TRUE_OR_FALSE,
    "bool_parsing": lambda ctx: _TRUE_OR_FALSE,
    "int_type": lambda ctx: _WHOLE_NUMBER,
    "int_parsing": lambda ctx: _WHOLE_NUMBER,
    "datetime_type": lambda ctx: _DATE_AND_TIME,
    "datetime_parsing": lambda ctx: _DATE_AND_TIME,
    "datetime_from_date_parsing": lambda ctx: _DATE_AND_TIME,
    "extra_forbidden": lambda ctx: Message("is not a field this call takes"),
}


def field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "body"
        ctx = error.get("ctx") or {}
        raised = ctx.get("error")
        if isinstance(raised, ValueError) and raised.args and isinstance(raised.args[0], Message):
            message = raised.args[0]  # ours, from a validator above
        elif error["type"] == "string_too_long" and field == "body":
            message = Message("The update is too long: at most {limit} characters", limit=MAX_BODY)
        elif error["type"] in _PYDANTIC_MESSAGES:
            message = _PYDANTIC_MESSAGES[error["type"]](ctx)
        else:
            message = error["msg"].removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


def is_upload(path: str, content_type: bytes = b"") -> bool:
    """A request that may carry an image, which gets the larger cap: the API's upload, a
    desk's, or a reader's answer to a callout sent as multipart (its other forms keep the
    small cap)."""
    if path == UPLOAD_PATH or DESK_UPLOAD_PATH.match(path) is not None:
        return True
    return content_type.startswith(b"multipart/form-data") and ANSWERS_PATH.match(path) is not None


def whole_number(raw: str) -> int | None:
    """`raw` as a whole number when it is written in ASCII digits, else None.

    `str.isdigit` is true of '²' (which int() refuses) and of '١٢' (which it reads as 12):
    a number in a URL or a form is plain digits or it is refused.
    """
    if raw.isascii() and raw.isdigit():
        return int(raw)
    return None


class BodyLimit:
    """Caps every request body before it is read, on every route: the same 413 for all;
    and bounds the time it may take to arrive: 408.

    An ASGI wrapper around the application's routes: the `receive` it hands on refuses a
    body whose Content-Length is over the cap before reading any of it, and one sent in
    chunks as soon as the bytes received pass the cap. A handler that never reads its body
    never pays for it: uvicorn drops what arrives after the answer, without keeping it.
    Image uploads (`is_upload`) get their own, larger cap.

    While a body is incomplete, each part must come within BODY_IDLE_SECONDS of the one
    before and the whole within BODY_SECONDS (UPLOAD_SECONDS for an image): without this a
    client trickling a form a byte at a time holds its handler (and a database-backed
    session) for good. Once the body is in, `receive` is left alone: it then only waits
    for the client to go away, which may rightly take as long as a response does.
    """

    def __init__(self, app, limit: int = MAX_REQUEST_BYTES, upload_limit: int = MAX_UPLOAD_BYTES):
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = next((value for name, value in scope["headers"] if name == b"content-type"), b"")
        upload = is_upload(scope["path"], content_type.lower())
        limit = self.upload_limit if upload else self.limit
        allowed = UPLOAD_SECONDS if upload else BODY_SECONDS
        deadline = asyncio.get_running_loop().time() + allowed
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), b"")
        received = 0
        complete = False

        async def capped_receive():
            nonlocal received, complete
            if complete:
                return await receive()
            if declared.isdigit() and int(declared) > limit:
                raise PayloadTooLarge(limit)
            left = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), max(min(BODY_IDLE_SECONDS, left), 0))
            except TimeoutError:
                raise BodyTooSlow(BODY_IDLE_SECONDS if left > BODY_IDLE_SECONDS else allowed) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(limit)
                complete = not message.get("more_body", False)
            else:
                complete = True
            return message

        await self.app(scope, capped_receive, send)


async def read_body(request) -> bytes:
    """The request body; `BodyLimit` has capped it (413) before any of it is read."""
    return await request.body()


async def parse_request(request, model: type[_Input]):
    return parse(model, await read_body(request))


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _check_tree(data) -> None:
    """Refuse (400) JSON nested deeper than MAX_JSON_DEPTH, or text holding NUL, which
    PostgreSQL cannot store; walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            raise BadJSON("The body holds a NUL character (\\u0000), which no field may contain.",
                          {"body": "no field may contain a NUL character (\\u0000)"})
        if isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)


def parse(model: type[_Input], raw: bytes):
    try:
        data = json.loads(raw or b"null", parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJSON(f"The body is not valid JSON: {exc}", {"body": f"not valid JSON: {exc}"}) from None
    if not isinstance(data, dict):
        raise Invalid({"body": "send a JSON object"})
    _check_tree(data)
    return validate(model, data)


def _too_deep() -> "BadJSON":
    message = f"The body nests more than {MAX_JSON_DEPTH} levels deep; send the fields this call takes."
    return BadJSON(message, {"body": message})


def validate(model: type[_Input], data: dict):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(field_errors(exc)) from None
