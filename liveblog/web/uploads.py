"""Images: `POST /api/media` (upload, behind a Bearer token) and `GET /media/{name}`.

Checking, re-encoding and storing belong to `liveblog.media`; this module only reads the
request within its size limit and answers.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .. import media
from ..auth import token_author
from ..errors import Invalid, NotFound
from .common import api_json, base_url, blocking, services

# The multipart envelope and the caption fields come on top of the image itself.
MAX_REQUEST = media.MAX_BYTES + 64 * 1024
# Past this we stop reading and let the connection close; below it the client gets to
# finish sending, so it can read our 413 rather than a reset.
DRAIN_LIMIT = 4 * media.MAX_BYTES

FILE_RE = re.compile(r"^[0-9a-f]{24}-(\d{1,5}x\d{1,5}|\d{1,5}w)\.(jpg|png)$")
CACHE_FOREVER = {"Cache-Control": "public, max-age=31536000, immutable"}  # nosniff: web/headers.py, on every response


async def _body_within(request: Request) -> bytes:
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total <= MAX_REQUEST:
            chunks.append(chunk)
        elif total > DRAIN_LIMIT:
            break
    if total > MAX_REQUEST:
        raise media.ImageRefused(f"The image is too large: at most {media.MAX_BYTES // (1024 * 1024)} MB.", 413)
    return b"".join(chunks)


async def _form(request: Request, body: bytes):
    async def replay():
        return {"type": "http.request", "body": body, "more_body": False}

    return await Request(request.scope, replay).form(max_files=1, max_fields=10)


def _field(form, name: str, limit: int) -> str:
    value = form.get(name) or ""
    if not isinstance(value, str):
        raise Invalid({name: "must be text"})
    value = " ".join(value.split())
    if len(value) > limit:
        raise Invalid({name: f"at most {limit} characters"})
    return value


async def upload(request: Request) -> Response:
    """Multipart `file` (and optional `alt`, `caption`, `credit` for the pasteable snippet)."""
    svc = services(request)
    await token_author(request, svc.store)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise media.ImageRefused("Send the image as multipart/form-data, in a field named 'file'.")
    form = await _form(request, await _body_within(request))
    try:
        file = form.get("file")
        if file is None or isinstance(file, str):
            raise media.ImageRefused("Attach the image in a field named 'file'.")
        alt, caption, credit = _field(form, "alt", 500), _field(form, "caption", 500), _field(form, "credit", 200)
        data = await file.read()
    finally:
        await form.close()
    name = await blocking(media.save_image, data, svc.settings.media_dir)
    return api_json(media.describe(name, base_url(request), alt, caption, credit), 201)


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
