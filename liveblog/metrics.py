"""`GET /metrics`: this process's figures in the Prometheus text format.

Each process answers for itself (scrape every process, or every worker through its
own port): readers connected, frames delivered, readers dropped for falling behind,
how far behind the log this process is (`broadcast lag`), and the page cache's size,
hits and builds; and, for the stories open here, their readers summed over every process
(from the last audience beat, audience.py). Served to localhost
only, unless `LIVEBLOG_METRICS_TOKEN` is set, when it is served to any client that
sends `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
import os
from datetime import datetime, timezone

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .fanout import Hub
from .pagecache import PageCache
from .web.common import blocking, services

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LOCAL_CLIENTS = {"127.0.0.1", "::1", "localhost"}


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def exposition(hub: Hub, lag_events: int, lag_seconds: float, pages: PageCache | None = None) -> str:
    """The text format: a HELP and TYPE line before each family's samples."""
    scheme = hub.backend.url.split(":", 1)[0]
    families = [
        ("liveblog_info", "gauge", "This process: its pid and broadcast backend.",
         [(f'{{pid="{os.getpid()}",broadcast="{_label(scheme)}"}}', 1)]),
        ("liveblog_readers", "gauge", "Readers connected to this process.", [("", hub.readers)]),
        ("liveblog_desk_streams", "gauge", "Desk streams (the queue of drafts) open in this process.",
         [("", hub.desk_readers)]),
        ("liveblog_topics", "gauge", "Stories with readers (or recently read) in this process.", [("", len(hub.topics))]),
        ("liveblog_events_delivered_total", "counter", "Event frames written to readers by this process.",
         [("", hub.delivered)]),
        ("liveblog_readers_dropped_total", "counter", "Readers disconnected for falling behind.",
         [("", hub.stats.get("lagging", 0))]),
        ("liveblog_streams_ended_total", "counter", "Streams that ended, by why.",
         [(f'{{reason="{reason}"}}', hub.stats.get(reason, 0)) for reason in ("end", "gone", "lagging")]),
        ("liveblog_grip_answers_total", "counter",
         "Streams handed to the engine (hold) and its requests for what a held stream missed (recovery).",
         [(f'{{kind="{kind}"}}', hub.stats.get(f"grip_{kind}", 0)) for kind in ("hold", "recovery")]),
        ("liveblog_story_readers_all_processes", "gauge",
         "Readers of each story open here, summed over every process at the last audience beat.",
         [(f'{{story="{_label(slug)}"}}', readers) for slug, readers in hub.audience_by_slug()]),
        ("liveblog_broadcast_up", "gauge", "1 while the broadcast connection is up.", [("", int(hub.backend.connected))]),
        ("liveblog_broadcast_reconnects_total", "counter", "Times the broadcast connection was lost and made again.",
         [("", hub.backend.reconnects)]),
        ("liveblog_broadcast_lag_events", "gauge", "Events in the log not yet delivered by this process.",
         [("", lag_events)]),
        ("liveblog_broadcast_lag_seconds", "gauge", "Age of the oldest event not yet delivered by this process.",
         [("", round(lag_seconds, 3))]),
    ]
    if pages is not None:
        families += [
            ("liveblog_page_cache_entries", "gauge", "Reader responses kept ready in memory.", [("", len(pages.entries))]),
            ("liveblog_page_cache_bytes", "gauge", "Bytes they take, every encoding counted.", [("", pages.size)]),
            ("liveblog_page_cache_max_bytes", "gauge", "The most they may take; least recently used go first.",
             [("", pages.max_bytes)]),
            ("liveblog_page_cache_hits_total", "counter", "Reader requests answered from memory.",
             [("", pages.stats.hits)]),
            ("liveblog_page_cache_builds_total", "counter", "Reader responses rendered (once per change and variant).",
             [("", pages.stats.builds)]),
            ("liveblog_page_cache_evictions_total", "counter", "Responses let go to stay within the size.",
             [("", pages.stats.evictions)]),
        ]
    lines = []
    for name, kind, help_text, samples in families:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        lines += [f"{name}{labels} {value}" for labels, value in samples]
    return "\n".join(lines) + "\n"


def _allowed(request: Request, token: str) -> bool:
    if token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    return request.client is not None and request.client.host in LOCAL_CLIENTS


async def metrics(request: Request) -> Response:
    svc = services(request)
    if not _allowed(request, svc.settings.metrics_token):
        why = "a valid LIVEBLOG_METRICS_TOKEN" if svc.settings.metrics_token else "localhost, or set LIVEBLOG_METRICS_TOKEN"
        return PlainTextResponse(f"Metrics are served only to {why}.\n", status_code=403)
    hub = svc.hub
    lag_events, oldest = await blocking(svc.store.undelivered, {t.story_id: t.last_id for t in hub.topics.values()})
    lag_seconds = 0.0
    if oldest is not None:
        lag_seconds = max(0.0, (datetime.now(timezone.utc) - oldest).total_seconds())
    return PlainTextResponse(exposition(hub, lag_events, lag_seconds, svc.pages), media_type=CONTENT_TYPE)


routes = [Route("/metrics", metrics, methods=["GET"])]
