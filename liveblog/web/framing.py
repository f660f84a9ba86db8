"""Who may put our pages in a frame: the one place that decides.

The embed page is made to sit in an iframe on any site, so any origin may frame it.
Every other response refuses framing (clickjacking on the desk's forms, and readers
should not find our story page dressed up inside someone else's).
"""

from __future__ import annotations

import re

EMBEDDABLE = re.compile(r"^/stories/[^/]+/embed/?$")

ANY_FRAME = [(b"content-security-policy", b"frame-ancestors *")]
NO_FRAME = [(b"content-security-policy", b"frame-ancestors 'none'"), (b"x-frame-options", b"DENY")]


def framing_headers(path: str) -> list[tuple[bytes, bytes]]:
    return ANY_FRAME if EMBEDDABLE.match(path) else NO_FRAME


class FramingPolicy:
    """ASGI middleware adding `framing_headers` to every HTTP response's start."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = framing_headers(scope["path"])

        async def send_with_policy(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_policy)
