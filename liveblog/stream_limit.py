"""How many live streams one client address may hold open in this process at once.

Every open stream is a socket, so one client opening streams without end could take
all of a process's file descriptors and shut everyone else out. Each address gets
`limit` streams; the next is refused with 429 and `Retry-After` (the page's client
retries with backoff, and gets in once one of its own streams has ended).

The limit is per process (it guards that process's descriptors) and per address as
uvicorn reports it, which is the forwarded client address behind a trusted proxy.
Loopback is exempt by default: a local proxy that does not forward the client's
address, or a benchmark, is not one client. It wraps the stream endpoint, so the hot
path is untouched: a dict look-up per stream opened, nothing per event.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address

from .errors import TooManyRequests

RETRY_AFTER_SECONDS = 30  # streams last minutes: a slot rarely frees sooner


class Slots:
    """How many streams each key (an address, a credential) holds open now, up to `limit`."""

    def __init__(self, limit: int, holder: str):
        self.limit = limit  # 0: no limit
        self.holder = holder  # who a key is, for the refusal: "This address", "This login"
        self.open: dict[str, int] = {}  # key → streams open now (no entry at zero)

    def take(self, key: str) -> str | None:
        """Count one more stream for `key`; raise TooManyRequests past the limit.

        Returns what to `give` back when the stream ends (None when not counted).
        """
        if not self.limit:
            return None
        count = self.open.get(key, 0)
        if count >= self.limit:
            raise TooManyRequests(
                f"{self.holder} already has {count} live streams open here; close some and retry.",
                retry_after=RETRY_AFTER_SECONDS,
            )
        self.open[key] = count + 1
        return key

    def give(self, key: str | None) -> None:
        if key is None:
            return
        count = self.open.pop(key, 1) - 1
        if count > 0:
            self.open[key] = count


class StreamLimit:
    """Wraps a stream endpoint (an ASGI app): counts each stream from admission to its end."""

    def __init__(self, app, limit: int, exempt: tuple[IPv4Network | IPv6Network, ...] = ()):
        self.app = app
        self.exempt = exempt
        self.slots = Slots(limit, "This address")

    @property
    def open(self) -> dict[str, int]:
        return self.slots.open

    async def __call__(self, scope, receive, send) -> None:
        counted = self.admit(scope)
        try:
            await self.app(scope, receive, send)
        finally:
            self.slots.give(counted)

    def _applies_to(self, address: str) -> bool:
        try:
            ip = ip_address(address)
        except ValueError:  # no IP (a Unix socket): a local proxy
            return False
        ip = getattr(ip, "ipv4_mapped", None) or ip
        return not any(ip in net for net in self.exempt)

    def admit(self, scope) -> str | None:
        """Count a new stream from the scope's client (None when it is not counted)."""
        client = scope.get("client")
        address = client[0] if client else ""
        if not self.slots.limit or not self._applies_to(address):
            return None
        return self.slots.take(address)

    def release(self, address: str | None) -> None:
        self.slots.give(address)
