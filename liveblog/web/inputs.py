"""Typed input, checked at the edge: each model turns a request body into values or a 422."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints, ValidationError, field_validator
from typing_extensions import Annotated

from ..errors import Invalid, LiveblogError
from ..media import NAME_RE as MEDIA_NAME_RE
from ..store import SLUG_RE

MAX_BODY = 50_000
MAX_REQUEST_BYTES = 1024 * 1024

Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def changes(self) -> dict:
        return self.model_dump(exclude_unset=True)


def _title_given(value: str | None) -> str | None:
    if value is not None and not value:
        raise ValueError("The story needs a title")
    return value


def _body_given(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("The update needs some text")
    return value


def _media_name(value: str | None) -> str | None:
    if value and not MEDIA_NAME_RE.match(value):
        raise ValueError("use the 'name' that POST /api/media answered with, like '3f2a…-1600x900.jpg'")
    return value


Caption = Annotated[Text, StringConstraints(max_length=500)]
Credit = Annotated[Text, StringConstraints(max_length=200)]


class StoryIn(_Input):
    title: Annotated[Text, StringConstraints(max_length=300)]
    summary: Annotated[Text, StringConstraints(max_length=2000)] = ""
    slug: Annotated[Text, StringConstraints(max_length=120)] | None = None
    image: Annotated[Text, StringConstraints(max_length=200)] | None = None
    caption: Caption = ""
    credit: Credit = ""

    check_image = field_validator("image")(classmethod(lambda cls, v: _media_name(v)))

    check_title = field_validator("title")(classmethod(lambda cls, v: _title_given(v)))

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

    check_image = field_validator("image")(classmethod(lambda cls, v: _media_name(v)))
    check_title = field_validator("title")(classmethod(lambda cls, v: _title_given(v)))


Body = Annotated[str, StringConstraints(strict=True, max_length=MAX_BODY)]
Headline = Annotated[Text, StringConstraints(max_length=300)]


class UpdateIn(_Input):
    body: Body
    headline: Headline = ""
    key_event: StrictBool = False
    pinned: StrictBool = False

    check_body = field_validator("body")(classmethod(lambda cls, v: _body_given(v)))


class UpdatePatch(_Input):
    body: Body | None = None
    headline: Headline | None = None
    key_event: StrictBool | None = None
    pinned: StrictBool | None = None

    check_body = field_validator("body")(classmethod(lambda cls, v: _body_given(v)))


class PayloadTooLarge(LiveblogError):
    status_code = 413


class BadJSON(LiveblogError):
    status_code = 400


def field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "body"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "string_too_long" and field == "body":
            message = f"The update is too long: at most {MAX_BODY:,} characters"
        elif error["type"] == "extra_forbidden":
            message = "is not a field this call takes"
        errors.setdefault(field, message)
    return errors


async def read_body(request, limit: int = MAX_REQUEST_BYTES) -> bytes:
    """The request body, refused (413) as soon as it is known to pass `limit`, before it is all read."""
    too_large = PayloadTooLarge(f"The request is larger than {limit // 1024} KiB.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def parse_request(request, model: type[_Input]):
    return parse(model, await read_body(request))


def parse(model: type[_Input], raw: bytes):
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJSON(f"The body is not valid JSON: {exc}", {"body": f"not valid JSON: {exc}"}) from None
    if not isinstance(data, dict):
        raise Invalid({"body": "send a JSON object"})
    return validate(model, data)


def validate(model: type[_Input], data: dict):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(field_errors(exc)) from None
