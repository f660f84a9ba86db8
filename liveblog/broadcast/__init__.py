"""Broadcast backends, chosen by the scheme of LIVEBLOG_BROADCAST_URL."""

from __future__ import annotations

from importlib import import_module
from urllib.parse import urlsplit

from .base import RESYNC, Backend, Notice

__all__ = ["Backend", "Notice", "RESYNC", "backend_for"]

# Every scheme of settings.BROADCAST_SCHEMES, mapped to "module:class" (imported on use).
BACKENDS = {
    "memory": ".memory:MemoryBackend",
    "postgresql": ".postgres:PostgresBackend",
    "postgres": ".postgres:PostgresBackend",
    "redis": ".redis:RedisBackend",
    "rediss": ".redis:RedisBackend",
    "sqlite": ".sqlite:SQLiteBackend",
}


def backend_for(url: str) -> Backend:
    scheme = urlsplit(url).scheme
    try:
        module, _, name = BACKENDS[scheme].partition(":")
    except KeyError:
        raise ValueError(f"no broadcast backend for {scheme!r} URLs (known: {', '.join(sorted(BACKENDS))})") from None
    return getattr(import_module(module, __name__), name)(url)
