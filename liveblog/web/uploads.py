"""Images: `POST /api/media` (upload, behind a Bearer token) and `GET /media/{name}`.

Checking, re-encoding and storing belong to `liveblog.media`; this module only reads the
request (within its size limit, which `inputs.BodyLimit` enforces) and answers.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .. import media
from ..auth import token_author
from ..errors import Invalid, NotFound, PayloadTooLarge, TooManyRequests
from ..i18n import Message
from ..inputs import UNREADABLE_FORM, read_body
from .common import api_json, base_url, blocking, services

FILE_RE = re.compile(r"^[0-9a-f]{24}-(\d{1,5}x\d{1,5}|\d{1,5}w)\.(jpg|png)$")
CACHE_FOREVER = {"Cache-Control": "public, max-age=31536000, immutable"}  # nosniff: web/headers.py, on every response


class ReencodeSlots:
    """At most `at_once` images re-encoded at a time in this process; `waiting` more may
    wait their turn (up to `wait_seconds`), and any beyond are refused with a 429 at once.

    Re-encoding holds tens of megabytes and a core for a second or more. Waiting happens
    here on the event loop, not in a worker thread, so queued uploads never take the
    threads every other request's database calls run in.
    """

    def __init__(self, at_once: int = 2, waiting: int = 8, wait_seconds: float = 30):
        self.slots = asyncio.Semaphore(at_once)
        self.max_waiting = waiting
        self.wait_seconds = wait_seconds
        self.waiting = 0

    @asynccontextmanager
    async def turn(self):
        if self.slots.locked() and self.waiting >= self.max_waiting:
            raise _busy()
        self.waiting += 1
        try:
            await asyncio.wait_for(self.slots.acquire(), self.wait_seconds)
        except asyncio.TimeoutError:
            raise _busy() from None
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self.slots.release()


def _busy() -> TooManyRequests:
    return TooManyRequests(Message("Other images are being processed; send this one again in a moment."), RETRY_SECONDS)


RETRY_SECONDS = 5
REENCODES = ReencodeSlots()


async def image_body(request: Request) -> bytes:
    """The upload, within `inputs.MAX_UPLOAD_BYTES` (inputs.BodyLimit), refused as the image's 413."""
    try:
        return await read_body(request)
    except PayloadTooLarge:
        raise media.too_large() from None


class _StrictParts(MultiPartParser):
    """Starlette's multipart parser, reading text fields as strictly as every other form:
    one that is not UTF-8 (which Starlette would read as Latin-1) or that holds NUL
    (which PostgreSQL cannot store) refuses the form."""

    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is not None:
            return super().on_part_end()
        try:
            value = part.data.decode("utf-8")
        except UnicodeDecodeError:
            raise MultiPartException("a field is not UTF-8") from None
        if "\x00" in value:
            raise MultiPartException("a field holds NUL")
        self.items.append((part.field_name, value))


async def read_parts(request: Request, body: bytes, max_fields: int = 20) -> FormData:
    """A multipart body already read (within its cap): its fields and at most one file.
    A desk form sent whole by its upload button has a dozen fields; the API's has four."""
    async def stream():
        yield body

    parser = _StrictParts(request.headers, stream(), max_files=1, max_fields=max_fields)
    try:
        return await parser.parse()
    except MultiPartException:
        raise Invalid({"form": UNREADABLE_FORM}) from None


def _field(form, name: str, limit: int) -> str:
    value = form.get(name) or ""
    if not isinstance(value, str):
        raise Invalid({name: Message("must be text")})
    value = " ".join(value.split())
    if len(value) > limit:
        raise Invalid({name: Message("at most {limit} characters", limit=limit)})
    return value


@dataclass
class Upload:
    """A multipart upload as read: its text fields (as sent), and the image's bytes."""

    fields: dict[str, str]
    data: bytes | None = None
    refused: media.ImageRefused | None = None  # why the image cannot be kept, checked later

    def described(self, name: str, base: str) -> dict:
        alt, caption, credit = (_field(self.fields, "alt", 500), _field(self.fields, "caption", 500),
                                _field(self.fields, "credit", 200))
        return media.describe(name, base, alt, caption, credit)


async def read_upload(request: Request) -> Upload:
    """The multipart form of an upload: every text field, and the bytes of `file`.

    The fields are read even when the image is refused (no file, not an image field), so a
    form sent with it keeps what was typed; `refused` says why. A body over the cap or not
    multipart is refused at once (nothing of it could be read)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise media.ImageRefused("Send the image as multipart/form-data, in a field named 'file'.")
    form = await read_parts(request, await image_body(request))
    try:
        fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
        file = form.get("file")
        if file is None or isinstance(file, str) or not file.filename:
            return Upload(fields, refused=media.ImageRefused(Message("Attach the image in a field named 'file'.")))
        return Upload(fields, await file.read())
    finally:
        await form.close()


async def save(request: Request, upload: Upload) -> str:
    """Check, re-encode and store the upload's image (ImageRefused otherwise); its name."""
    for name, limit in (("alt", 500), ("caption", 500), ("credit", 200)):
        _field(upload.fields, name, limit)
    if upload.refused is not None:
        raise upload.refused
    return await reencoded(upload.data, services(request).settings.media_dir)


async def reencoded(data: bytes, media_dir) -> str:
    """Check, re-encode and store an image in `media_dir`, in its turn (REENCODES)."""
    async with REENCODES.turn():
        return await blocking(media.save_image, data, media_dir)


async def upload(request: Request) -> Response:
    """Multipart `file` (and optional `alt`, `caption`, `credit` for the pasteable snippet)."""
    await token_author(request, services(request).store)
    received = await read_upload(request)
    name = await save(request, received)
    return api_json(received.described(name, base_url(request)), 201)


async def serve(request: Request) -> Response:
    name = request.path_params["name"]
    path = services(request).settings.media_dir / name
    if not FILE_RE.match(name) or not path.is_file():
        raise NotFound("No such image.")
    return FileResponse(path, headers=CACHE_FOREVER)


routes = [
    Route("/api/media", upload, methods=["POST"]),
    Route("/media/{name}", serve, methods=["GET", "HEAD"]),
]
