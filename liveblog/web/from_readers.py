"""What every form a reader may send without an account goes through: it must come from
our own pages, and each client address may send only so many a minute.

Polls' votes and what readers send to callouts and questions share these; the counts
are kept in each process's memory (a restart forgets them, which only lets a few more in).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from ipaddress import ip_address
from urllib.parse import urlsplit

from starlette.requests import Request

from ..errors import Forbidden, TooManyRequests
from ..i18n import Message
from .common import services

WINDOW_SECONDS = 60.0


def client_address(request: Request) -> str:
    """The client address a limit counts against; "" (no limit) for an exempt one, such
    as a local proxy that does not pass the client's address on (as for streams)."""
    address = request.client.host if request.client else ""
    try:
        ip = ip_address(address)
    except ValueError:
        return ""
    ip = getattr(ip, "ipv4_mapped", None) or ip
    return "" if any(ip in net for net in services(request).settings.stream_limit_exempt) else str(ip)


def same_origin(request: Request, refusal: Message) -> None:
    """Refuse (403) what another site's page sent: browsers say where a POST came from."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise Forbidden(refusal)
    origin = request.headers.get("origin")
    if origin is None:
        return  # not a browser's cross-site form: those say their origin
    ours = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    public = services(request).settings.public_url
    if public:
        parts = urlsplit(public)
        ours.add(f"{parts.scheme}://{parts.netloc}")
    if origin not in ours:
        raise Forbidden(refusal)


class AddressWindow:
    """How many times each client address did something in the last minute, in this
    process's memory; `refusal(limit)` is the 429's message past the limit."""

    MAX_KEYS = 100_000

    def __init__(self, refusal: Callable[[int], Message], clock=time.monotonic):
        self.refusal = refusal
        self.clock = clock
        self._times: dict[str, deque[float]] = {}

    def take(self, address: str, limit: int) -> None:
        if not address or not limit:
            return
        now = self.clock()
        if len(self._times) > self.MAX_KEYS:
            for key in [k for k, times in self._times.items() if not times or times[-1] <= now - WINDOW_SECONDS]:
                del self._times[key]
        times = self._times.setdefault(address, deque())
        while times and times[0] <= now - WINDOW_SECONDS:
            times.popleft()
        if len(times) >= limit:
            raise TooManyRequests(self.refusal(limit), retry_after=int(times[0] + WINDOW_SECONDS - now) + 1)
        times.append(now)


def window(request: Request, name: str, refusal: Callable[[int], Message]) -> AddressWindow:
    """The app's one `AddressWindow` called `name`, made on first use."""
    state = request.app.state
    if not hasattr(state, name):
        setattr(state, name, AddressWindow(refusal))
    return getattr(state, name)
