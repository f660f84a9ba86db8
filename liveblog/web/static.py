"""`GET /static/{name}`: the shipped static files from memory (assets.py), ahead of the router.

A hashed name is cached forever; a plain one is revalidated (`no-cache`, its ETag).
Anything else falls through to the router, whose answer is the usual 404 page.
"""

from __future__ import annotations

from ..assets import IMMUTABLE, REVALIDATE, Assets
from ..pagecache import choose_encoding, request_headers

PREFIX = "/static/"


def answer(assets: Assets, scope, security_headers) -> tuple[dict, dict] | None:
    """The messages answering a GET or HEAD of a static file, or None when there is no such file."""
    asset = assets.by_name.get(scope["path"][len(PREFIX):])
    if asset is None:
        return None
    accept_encoding, if_none_match = request_headers(scope)
    lifetime = IMMUTABLE if scope["path"] == PREFIX + asset.hashed else REVALIDATE
    common = [(b"etag", asset.etag), (b"cache-control", lifetime), *security_headers]
    if len(asset.bodies) > 1:
        common.append((b"vary", b"Accept-Encoding"))
    if if_none_match and asset.etag in [tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")]:
        return {"type": "http.response.start", "status": 304, "headers": common}, {"type": "http.response.body"}
    encoding = choose_encoding(accept_encoding, asset.bodies)
    body = asset.bodies[encoding]
    headers = [(b"content-type", asset.media_type), (b"content-length", b"%d" % len(body)), *common]
    if encoding:
        headers.append((b"content-encoding", encoding.encode()))
    return ({"type": "http.response.start", "status": 200, "headers": headers},
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
