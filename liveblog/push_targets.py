"""Where pushes may go: the push services' hosts (data, like the oEmbed providers), and
the addresses the sender may connect to.

A browser's push subscription names the URL the server will POST to, so a reader could
name any URL. Three checks keep the server from being aimed at anything but a push service:

1. when subscribing: the endpoint is `https://` on a host of the allow-list (shipped in
   `data/push_services.json`; `LIVEBLOG_PUSH_SERVICES` names a file used instead), on
   port 443 unless the entry names a port, with no user name or password in it;
2. when sending: the host is resolved, and every address it resolves to must be global
   (not loopback, private, link-local, multicast, reserved or shared) — or in a network
   the operator lists in `LIVEBLOG_PUSH_PRIVATE_NETWORKS` (default: none);
3. the sender connects to the very address it checked (DNS cannot answer differently in
   between) and follows no redirect (push.py).
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from functools import cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from pathlib import Path
from urllib.parse import urlsplit

Networks = tuple[IPv4Network | IPv6Network, ...]  # as settings.py reads them (it imports this module)

SHIPPED = Path(__file__).resolve().parent / "data" / "push_services.json"


class NotAPushService(ValueError):
    """The endpoint is not one the server pushes to; the message says why."""


@cache
def load(path: Path | None = None) -> tuple[str, ...]:
    """The allow-list: host names, `*.` wildcards for any subdomain, optionally `:port`."""
    path = Path(path or SHIPPED)
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the push services from {path}: {exc}") from None
    if not isinstance(entries, list) or not all(isinstance(e, str) and e.strip() for e in entries):
        raise ValueError(f"{path} must be a JSON list of host names, like [\"fcm.googleapis.com\"]")
    return tuple(e.strip().lower() for e in entries)


@dataclass(frozen=True)
class Target:
    host: str
    port: int


def _entry_matches(entry: str, host: str, port: int) -> bool:
    pattern, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
    if int(entry_port or 443) != port:
        return False
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def target(endpoint: str, allowed: tuple[str, ...]) -> Target:
    """The host and port `endpoint` would be sent to; NotAPushService unless it is allowed."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port or 443
    except ValueError:
        raise NotAPushService("is not a URL") from None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme != "https" or not host:
        raise NotAPushService("must be the https:// address of a push service")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise NotAPushService("must not carry a user name or password")
    if not any(_entry_matches(entry, host, port) for entry in allowed):
        raise NotAPushService(f"{host} is not a push service this server sends to")
    return Target(host, port)


def reachable(address: IPv4Address | IPv6Address, private_networks: Networks) -> bool:
    """Whether the sender may connect to `address`: a global unicast one, or one the operator allowed."""
    address = getattr(address, "ipv4_mapped", None) or address
    if any(address in net for net in private_networks):
        return True
    return address.is_global and not address.is_multicast


async def resolve(loop, host: str, port: int, private_networks: Networks) -> str:
    """The address to connect to for `host`: resolved once, every answer checked.

    Raises NotAPushService when any answer is not reachable: a name that resolves to an
    internal address among public ones is refused whole, not used in part.
    """
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise NotAPushService(f"{host} does not resolve: {exc}") from None
    addresses = [ip_address(info[4][0].split("%")[0]) for info in infos]
    refused = [str(a) for a in addresses if not reachable(a, private_networks)]
    if not addresses or refused:
        raise NotAPushService(f"{host} resolves to an address pushes may not go to ({', '.join(refused)})")
    return str(addresses[0])
