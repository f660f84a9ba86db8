"""`GET /metrics`: the Prometheus text format, localhost only unless a token is set."""

from __future__ import annotations

import re

import httpx

from liveblog import db
from liveblog.broadcast.memory import MemoryBackend
from liveblog.fanout import Hub
from liveblog.metrics import exposition
from liveblog.pagecache import PageCache
from liveblog.store import Store

FAMILIES = {
    "liveblog_info": "gauge",
    "liveblog_readers": "gauge",
    "liveblog_topics": "gauge",
    "liveblog_events_delivered_total": "counter",
    "liveblog_readers_dropped_total": "counter",
    "liveblog_streams_ended_total": "counter",
    "liveblog_broadcast_up": "gauge",
    "liveblog_broadcast_reconnects_total": "counter",
    "liveblog_broadcast_lag_events": "gauge",
    "liveblog_broadcast_lag_seconds": "gauge",
    "liveblog_desk_streams": "gauge",
    "liveblog_grip_answers_total": "counter",
    "liveblog_story_readers_all_processes": "gauge",
    "liveblog_page_cache_entries": "gauge",
    "liveblog_page_cache_bytes": "gauge",
    "liveblog_page_cache_max_bytes": "gauge",
    "liveblog_page_cache_hits_total": "counter",
    "liveblog_page_cache_builds_total": "counter",
    "liveblog_page_cache_evictions_total": "counter",
}
SAMPLE = re.compile(r'^([a-z_]+)(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? -?[0-9.]+(e[+-]?[0-9]+)?$')


def parse(text: str) -> dict[str, float]:
    values, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
        elif line and not line.startswith("#"):
            assert SAMPLE.match(line), f"not a Prometheus sample line: {line!r}"
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    assert types == FAMILIES
    return values


def test_metrics_count_readers_and_deliveries(server, sse):
    before = parse(httpx.get(server.url + "/metrics").text)
    slug = server.new_story("Counted")["slug"]
    reader = sse(server.url + f"/stories/{slug}/events").wait_open()
    server.post(slug, "One")
    reader.wait(1)
    response = httpx.get(server.url + "/metrics")
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    after = parse(response.text)
    assert after["liveblog_readers"] >= 1
    assert after["liveblog_events_delivered_total"] >= before["liveblog_events_delivered_total"] + 1
    assert after["liveblog_broadcast_up"] == 1 and after["liveblog_broadcast_lag_events"] == 0


def test_metrics_are_for_localhost_only_by_default(server):
    # Behind a proxy on this machine the client is the forwarded address (uvicorn trusts 127.0.0.1).
    remote = httpx.get(server.url + "/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert remote.status_code == 403
    assert "LIVEBLOG_METRICS_TOKEN" in remote.text


def test_a_metrics_token_opens_them_to_its_holder_only(start_app_server, tmp_path):
    from servers import server_env

    server = start_app_server(server_env(tmp_path, LIVEBLOG_METRICS_TOKEN="scrape-me"))
    assert httpx.get(server.url + "/metrics").status_code == 403
    assert httpx.get(server.url + "/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    ok = httpx.get(server.url + "/metrics", headers={"Authorization": "Bearer scrape-me", "X-Forwarded-For": "203.0.113.9"})
    assert ok.status_code == 200 and "liveblog_readers" in ok.text


def test_lag_is_what_the_log_holds_beyond_what_was_delivered(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'lag.db'}")
    db.upgrade(engine)
    store = Store(engine)
    story = store.create_story("Lagging").value
    first = store.add_update(story.slug, "one", "Desk")
    second = store.add_update(story.slug, "two", "Desk").value
    third = store.add_update(story.slug, "three", "Desk").value
    count, oldest = store.undelivered({story.id: first.event_id})
    assert count == 2

    def naive(t):
        return t.replace(tzinfo=None)

    # The second update's event: written just after that update, before the third.
    assert naive(second.created_at) <= naive(oldest) <= naive(third.created_at)
    assert store.undelivered({}) == (0, None)

    hub = Hub(store, MemoryBackend())
    hub.stats["lagging"] = 3
    values = parse(exposition(hub, 2, 1.5, PageCache(store, hub.backend)))
    assert values["liveblog_readers_dropped_total"] == 3
    assert values['liveblog_streams_ended_total{reason="lagging"}'] == 3
    assert values["liveblog_broadcast_lag_events"] == 2 and values["liveblog_broadcast_lag_seconds"] == 1.5
