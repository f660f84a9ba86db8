"""The page cache (liveblog/pagecache.py, web/cached.py) over a real server: every reader
response is built once per change, answered from memory until the next event and changed
by it, validated by its ETag, and the desk is never kept by anyone."""

from __future__ import annotations

import brotli
import gzip
import re

import httpx
import pytest

from liveblog.broadcast.memory import MemoryBackend
from liveblog.pagecache import PageCache, make_entry

from backing_services import postgres_database
from servers import server_env, server_starter, wait_until
from desk import Desk, make_editor


def figures(server) -> dict[str, float]:
    text = httpx.get(server.url + "/metrics", timeout=10).raise_for_status().text
    return {name: float(value) for name, _, value in
            (line.rpartition(" ") for line in text.splitlines() if line.startswith("liveblog_page_cache"))}


def reader_urls(server, slug: str, story_url: str) -> list[str]:
    return [f"/stories/{slug}", f"/stories/{slug}?key=1", f"/stories/{slug}/embed", f"/stories/{slug}/feed.atom",
            f"/stories/{slug}/key-events.atom", f"/api/stories/{slug}", f"/api/stories/{slug}/updates",
            "/oembed?" + httpx.QueryParams(url=story_url).__str__()]


def get(server, path: str, **headers) -> httpx.Response:
    return httpx.get(server.url + path, headers=headers, timeout=30)


def last_event_id(page: str) -> int:
    return int(re.search(r'data-last-event-id="(\d+)"', page).group(1))


def test_a_page_is_built_once_and_then_served_from_memory_until_the_next_event(server):
    story = server.new_story("Built once")
    slug = story["slug"]
    server.post(slug, "The first update.", key_event=True)
    urls = reader_urls(server, slug, story["url"])
    first = {url: get(server, url) for url in urls}
    assert all(r.status_code == 200 for r in first.values()), {u: r.status_code for u, r in first.items()}
    before = figures(server)
    again = {url: get(server, url) for url in urls}
    after = figures(server)
    for url in urls:
        assert again[url].content == first[url].content, url
        assert again[url].headers["etag"] == first[url].headers["etag"], url
    assert after["liveblog_page_cache_builds_total"] == before["liveblog_page_cache_builds_total"]
    assert after["liveblog_page_cache_hits_total"] >= before["liveblog_page_cache_hits_total"] + len(urls)
    assert 0 < after["liveblog_page_cache_bytes"] <= after["liveblog_page_cache_max_bytes"]


def test_the_cached_page_changes_on_each_kind_of_event_and_not_before(server):
    story = server.new_story("Every kind of change")
    slug = story["slug"]
    first = server.post(slug, "Roads are closed.")
    second = server.post(slug, "Schools are open.")
    path = f"/stories/{slug}"
    shown = get(server, path)

    def change(what, check):
        nonlocal shown
        assert get(server, path).content == shown.content, "the page changed without an event"
        what()
        now = get(server, path)
        assert now.headers["etag"] != shown.headers["etag"]
        assert last_event_id(now.text) > last_event_id(shown.text)
        assert check(now.text), now.text
        shown = now

    change(lambda: server.post(slug, "A bridge is shut."), lambda page: "A bridge is shut." in page)
    change(lambda: server.api("PATCH", f"/api/stories/{slug}/updates/{first['id']}", {"body": "Roads reopen."}),
           lambda page: "Roads reopen." in page and "Roads are closed." not in page)
    change(lambda: server.api("DELETE", f"/api/stories/{slug}/updates/{second['id']}"),
           lambda page: "Schools are open." not in page)
    change(lambda: server.api("PATCH", f"/api/stories/{slug}/updates/{first['id']}", {"pinned": True}),
           lambda page: re.search(r'class="update[^"]*pinned', page) is not None)
    change(lambda: server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"}),
           lambda page: 'data-status="closed"' in page)


def test_every_reader_url_follows_the_next_event(server):
    story = server.new_story("Every URL")
    slug = story["slug"]
    server.post(slug, "Before.", key_event=True)
    urls = reader_urls(server, slug, story["url"])
    old = {url: get(server, url) for url in urls}
    server.api("PATCH", f"/api/stories/{slug}", {"title": "Every URL, renamed"})
    for url in urls:
        now = get(server, url)
        assert now.headers["etag"] != old[url].headers["etag"], url
        assert url.endswith("/updates") or "Every URL, renamed" in now.text, url


def test_if_none_match_gives_304_with_the_same_etag_until_the_next_event(server):
    story = server.new_story("Validators")
    slug = story["slug"]
    server.post(slug, "One.", key_event=True)
    for url in reader_urls(server, slug, story["url"]):
        for encoding in ("br", "gzip", "identity"):
            full = get(server, url, **{"Accept-Encoding": encoding})
            etag = full.headers["etag"]
            assert re.fullmatch(r'"\d+(-br|-gzip)?"', etag), etag
            for _ in range(2):
                unchanged = get(server, url, **{"Accept-Encoding": encoding, "If-None-Match": etag})
                assert unchanged.status_code == 304, url
                assert unchanged.headers["etag"] == etag and unchanged.content == b""
    server.post(slug, "Two.", key_event=True)
    for url in reader_urls(server, slug, story["url"]):
        assert get(server, url, **{"If-None-Match": etag}).status_code == 200, url


def test_reader_responses_say_how_long_caches_may_keep_them_and_how_to_purge_them(server):
    story = server.new_story("Lifetimes")
    slug = story["slug"]
    for url in reader_urls(server, slug, story["url"]):
        headers = get(server, url).headers
        assert headers["cache-control"] == "public, max-age=0, s-maxage=5, stale-while-revalidate=30", url
        assert headers["surrogate-key"] == headers["cache-tag"] == f"story-{slug}", url
        if not url.startswith(f"/stories/{slug}?") and url != f"/stories/{slug}" and not url.endswith("/embed"):
            assert headers["access-control-allow-origin"] == "*", url
    search = get(server, f"/stories/{slug}?q=anything")
    assert search.status_code == 200 and search.headers["cache-control"] == "private, max-age=5"


def test_answers_from_memory_carry_the_same_headers_as_the_first(server):
    """The second request takes the lean path ahead of the middleware: nothing may be missing."""
    story = server.new_story("Same headers")
    slug = story["slug"]
    for url in reader_urls(server, slug, story["url"]):
        first, second = get(server, url), get(server, url)
        drop = {"date", "server"}
        assert {k: v for k, v in first.headers.items() if k not in drop} == \
               {k: v for k, v in second.headers.items() if k not in drop}, url
        assert "content-security-policy" in second.headers and second.headers["x-content-type-options"] == "nosniff"


def test_each_encoding_is_the_same_page(server):
    slug = server.new_story("Encodings")["slug"]
    server.post(slug, "Compressed once. " * 100)
    path = f"/stories/{slug}"
    with httpx.Client(headers={"Accept-Encoding": "identity"}) as plain:
        identity = plain.get(server.url + path)
    assert "content-encoding" not in identity.headers
    raw = {}
    for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        with httpx.stream("GET", server.url + path, headers={"Accept-Encoding": encoding}) as r:
            assert r.headers["content-encoding"] == encoding and r.headers["vary"] == "Accept-Encoding"
            raw[encoding] = decode(b"".join(r.iter_raw()))
    assert raw["br"] == raw["gzip"] == identity.content
    assert get(server, path, **{"Accept-Encoding": "gzip;q=0, br;q=0"}).headers.get("content-encoding") is None


@pytest.fixture(scope="module")
def desk(server):
    desk = Desk(server)
    assert desk.login(make_editor(server)).status_code == 303
    yield desk
    desk.http.close()


def test_the_desk_and_the_login_are_never_kept(server, desk):
    slug = desk.start_story("At the desk")
    assert "no-store" in httpx.get(server.url + "/login").headers["cache-control"]
    for path in ("/admin", f"/admin/stories/{slug}"):
        r = desk.http.get(path)
        assert r.status_code == 200 and "no-store" in r.headers["cache-control"], path
        assert "public" not in r.headers["cache-control"], path
        assert "etag" not in r.headers and "surrogate-key" not in r.headers
    r = httpx.get(server.url + f"/api/stories/{slug}/drafts", headers={"Authorization": f"Bearer {server.token}"})
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-store"


def test_a_page_kept_by_one_process_changes_when_another_process_posts(tmp_path):
    """Two processes on one PostgreSQL, told of each other's events by its NOTIFY: the
    process that did not take the write learns of it from the broadcast."""
    with postgres_database("pages") as database_url:
        start, started = server_starter(tmp_path)
        try:
            env = server_env(tmp_path, LIVEBLOG_DATABASE_URL=database_url)
            writer, reader = start(env=env), start(env=env)
            slug = writer.new_story("Two processes")["slug"]
            writer.post(slug, "Kept by the other process.")
            path = f"/stories/{slug}"
            kept = get(reader, path)
            assert "Kept by the other process." in kept.text
            assert get(reader, path).content == kept.content
            writer.post(slug, "Posted to the writer.")
            # The reader's process hears of it over the broadcast: waited on (polled), with a timeout.
            shown = wait_until(lambda: (r := get(reader, path)) and "Posted to the writer." in r.text and r,
                               timeout=15, what="the other process's page to show the new update")
            assert shown.headers["etag"] != kept.headers["etag"]
        finally:
            for server in started:
                server.stop()  # before the database is dropped


# -- the cache itself, without a server -----------------------------------------


def test_memory_stays_within_its_size_the_least_recently_used_going_first():
    cache = PageCache(store=None, backend=MemoryBackend(), max_bytes=3200)
    entries = {n: make_entry(1, n, bytes([n]) * 1000, "text/plain", {}) for n in range(1, 5)}
    for n in (1, 2):
        cache._put(("page", n), entries[n])
    assert cache.size <= 3200
    cache.entries.move_to_end(("page", 1))  # used lately
    cache._put(("page", 3), entries[3])
    cache._put(("page", 4), entries[4])
    assert ("page", 1) in cache.entries and ("page", 2) not in cache.entries
    assert cache.size <= cache.max_bytes and cache.stats.evictions >= 1


def test_a_story_id_is_trusted_only_while_notices_keep_coming():
    from liveblog.broadcast import RESYNC, Notice

    backend = MemoryBackend()
    cache = PageCache(store=None, backend=backend)
    cache.notice(Notice(7, 40))
    cache.notice(Notice(7, 39))  # late and older: never steps back
    assert cache.trusted(7) == 40
    backend.connected = False
    assert cache.trusted(7) is None, "with the broadcast down a notice may be missed: ask the log"
    backend.connected = True
    cache.notice(RESYNC)
    assert cache.trusted(7) is None
