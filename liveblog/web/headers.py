"""Every security header on every response: the one place that decides them.

- `Content-Security-Policy`: scripts only from our own origin (no inline script, no
  `eval`), no plugins, no `<base href>`, forms post only to us, and frame-ancestors:
  the embed page is made to sit in an iframe on any site, so any origin may frame it;
  every other response refuses framing (clickjacking on the desk's forms, and readers
  should not find our story page dressed up inside someone else's).
- The story page alone may also reach the rich-embed providers, after a reader's click
  (`static/consent.js`): their oEmbed endpoints (`connect-src`) and players (`frame-src`),
  both read from the provider data (`embeds.py`). A provider's oEmbed markup is shown in
  a sandboxed `srcdoc` frame, which inherits this policy: its own scripts do not run
  there, its markup and images do.
- `X-Content-Type-Options: nosniff`, `Referrer-Policy` and (except on the embed)
  `X-Frame-Options: DENY` for browsers that predate frame-ancestors.
- `Cache-Control: private, no-store` on every response that does not say how it may be
  kept: caching is opted into by the routes made for it (reader pages, feeds and the read
  API through the page cache, static files, media), so the desk, the login and anything
  else behind a session can never land in a shared cache.

It wraps the whole application, outside Starlette's error middleware, so 500 pages get
the headers too. The headers are built once at start-up; a request costs a path match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EMBEDDABLE = re.compile(r"^/stories/[^/]+/embed/?$")
STORY_PAGE = re.compile(r"^/stories/[^/]+/?$")

BASE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    # Updates may show images from any host (the sanitizer allows http(s) images); the
    # favicon is a data: URL. An image runs no script.
    "img-src": ["*", "data:"],
    "connect-src": ["'self'"],
    "frame-src": ["'none'"],
    "worker-src": ["'self'"],  # the push service worker, static/push-sw.js
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
}

NOT_KEPT = (b"cache-control", b"private, no-store")

ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


def content_security_policy(frame_ancestors: str, frame_src: Iterable[str] = (), connect_src: Iterable[str] = ()) -> str:
    policy = {name: list(sources) for name, sources in BASE_POLICY.items()}
    if frame_src:
        policy["frame-src"] = sorted(set(frame_src))
    policy["connect-src"] += sorted(set(connect_src))
    policy["frame-ancestors"] = [frame_ancestors]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())


# What every response but the story page and the embed carries; the event stream, which is
# served ahead of the middleware (stream.py), adds these itself.
PLAIN = [
    (b"content-security-policy", content_security_policy("'none'").encode()),
    (b"x-frame-options", b"DENY"),
    *ALWAYS,
]


class SecurityHeaders:
    """ASGI wrapper adding the security headers to every HTTP response's start.

    `frame_src` and `connect_src` are the embed providers' origins, allowed on the story
    page only.
    """

    def __init__(self, app, frame_src: Iterable[str] = (), connect_src: Iterable[str] = ()):
        self.app = app
        csp = b"content-security-policy"
        self.embed = [(csp, content_security_policy("*").encode()), *ALWAYS]
        self.story = [
            (csp, content_security_policy("'none'", frame_src, connect_src).encode()),
            (b"x-frame-options", b"DENY"),
            *ALWAYS,
        ]
        self.other = PLAIN

    def headers_for(self, path: str) -> list[tuple[bytes, bytes]]:
        if EMBEDDABLE.match(path):
            return self.embed
        if STORY_PAGE.match(path):
            return self.story
        return self.other

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self.headers_for(scope["path"])

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                given = message.get("headers", ())
                kept = () if any(name.lower() == b"cache-control" for name, _ in given) else (NOT_KEPT,)
                message = {**message, "headers": [*given, *headers, *kept]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
