"""Where the story goes beyond its page, over HTTP against a real server: the Atom feed
(read by a real feed parser), oEmbed, JSON-LD and share tags, who may frame what, and
the story page's weight."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import quote

import feedparser
import httpx

from static_modules import module_graph


class PageParts(HTMLParser):
    """The parts of a page that machines read: JSON-LD blocks, <meta> and <link> tags."""

    def __init__(self, html: str):
        super().__init__()
        self.jsonld: list[dict] = []
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.sources: list[str] = []
        self._in_jsonld = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_jsonld = True
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs.get("content", "")
        if tag == "link":
            self.links.append(attrs)
        for name in ("src", "href"):
            if tag in ("script", "link", "img", "iframe") and name in attrs:
                self.sources.append(attrs[name])

    def handle_endtag(self, tag):
        self._in_jsonld = False

    def handle_data(self, data):
        if self._in_jsonld:
            self.jsonld.append(json.loads(data))


def feed_of(server, slug: str):
    r = httpx.get(f"{server.url}/stories/{slug}/feed.atom")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


# -- Atom ---------------------------------------------------------------------


def test_atom_feed_is_valid_with_stable_ids_edits_and_deletes(server):
    story = server.new_story("Harbour <storm> & tide", summary="Live: wind & water")
    slug = story["slug"]
    first = server.post(slug, "Ferries **suspended** & <script>alert(1)</script>", headline="Ferries stop")
    second = server.post(slug, "Gusts of 110 km/h at the pier.")
    third = server.post(slug, "To be withdrawn.")

    feed = feed_of(server, slug)
    assert feed.feed.title == "Harbour <storm> & tide"
    assert feed.feed.subtitle == "Live: wind & water"
    assert feed.feed.link == story["url"]
    assert feed.feed.id.startswith("tag:127.0.0.1,") and feed.feed.id.endswith(f":stories/{slug}")
    ids = {e.link.rsplit("-", 1)[1]: e.id for e in feed.entries}
    assert [e.link for e in feed.entries] == [f"{story['url']}#update-{u['id']}" for u in (third, second, first)]
    assert all(i.startswith("tag:") for i in ids.values()) and len(set(ids.values())) == 3
    entry = feed.entries[2]
    assert entry.title == "Ferries stop" and entry.author == "Test desk"
    assert entry.published == first["created_at"] and entry.updated == first["created_at"]
    assert "<strong>suspended</strong> &amp;" in entry.content[0].value
    assert "<script" not in entry.content[0].value
    assert feed.entries[1].title == "Gusts of 110 km/h at the pier."

    server.api("PATCH", f"/api/stories/{slug}/updates/{second['id']}", {"body": "Gusts of 120 km/h at the pier."})
    server.api("DELETE", f"/api/stories/{slug}/updates/{third['id']}")
    edited = server.api("GET", f"/api/stories/{slug}/updates", token=None).json()["updates"][0]

    feed = feed_of(server, slug)
    assert [e.id for e in feed.entries] == [ids[str(second["id"])], ids[str(first["id"])]]
    assert feed.entries[0].updated == edited["edited_at"] >= feed.entries[0].published
    assert "120 km/h" in feed.entries[0].content[0].value
    assert feed.feed.updated == max(e.updated for e in feed.entries)


def test_atom_feed_answers_not_modified_until_something_changes(server):
    slug = server.new_story()["slug"]
    server.post(slug, "one")
    etag = httpx.get(f"{server.url}/stories/{slug}/feed.atom").headers["etag"]
    assert httpx.get(f"{server.url}/stories/{slug}/feed.atom", headers={"If-None-Match": etag}).status_code == 304
    server.post(slug, "two")
    r = httpx.get(f"{server.url}/stories/{slug}/feed.atom", headers={"If-None-Match": etag})
    assert r.status_code == 200 and len(feedparser.parse(r.content).entries) == 2


def test_atom_feed_of_unknown_story_is_404(server):
    assert httpx.get(f"{server.url}/stories/no-such-story/feed.atom").status_code == 404


# -- oEmbed -------------------------------------------------------------------


def test_oembed_rich_with_iframe_and_size_limits(server):
    story = server.new_story("Rail strike")
    r = httpx.get(f"{server.url}/oembed", params={"url": story["url"], "format": "json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    answer = r.json()
    assert {k: answer[k] for k in ("version", "type", "title", "provider_name")} == {
        "version": "1.0", "type": "rich", "title": "Rail strike", "provider_name": "Liveblog"}
    assert answer["html"].startswith(f'<iframe src="{story["url"]}/embed"')
    assert answer["width"] == 600 and answer["height"] == 700

    limited = httpx.get(f"{server.url}/oembed", params={"url": story["url"] + "/embed", "maxwidth": 320,
                                                         "maxheight": 240}).json()
    assert limited["width"] <= 320 and limited["height"] <= 240
    assert 'width="320"' in limited["html"] and 'height="240"' in limited["html"]


def test_oembed_refuses_what_is_not_our_story(server):
    story = server.new_story()
    for url in (f"{server.url}/stories/no-such-story", "https://elsewhere.example/stories/" + story["slug"],
                f"{server.url}/api/stories/{story['slug']}", f"{server.url}/", "javascript:alert(1)"):
        r = httpx.get(f"{server.url}/oembed", params={"url": url})
        assert r.status_code == 404, url
        assert r.json()["errors"]
    assert httpx.get(f"{server.url}/oembed").status_code == 422
    assert httpx.get(f"{server.url}/oembed", params={"url": story["url"], "maxwidth": "wide"}).status_code == 422
    assert httpx.get(f"{server.url}/oembed", params={"url": story["url"], "format": "xml"}).status_code == 501


def test_story_page_has_oembed_discovery_feed_link_and_share_tags(server):
    story = server.new_story("Storm & floods", summary="What we know so far")
    parts = PageParts(httpx.get(story["url"]).text)
    discovery = [link for link in parts.links if link.get("type") == "application/json+oembed"]
    assert len(discovery) == 1
    assert discovery[0]["href"] == f"{server.url}/oembed?url={quote(story['url'], safe='')}"
    assert httpx.get(discovery[0]["href"]).json()["type"] == "rich"
    feed = [link for link in parts.links if link.get("type") == "application/atom+xml"]
    assert feed and httpx.get(feed[0]["href"]).status_code == 200
    assert parts.meta["og:title"] == "Storm & floods"
    assert parts.meta["og:description"] == "What we know so far"
    assert parts.meta["og:url"] == story["url"] and parts.meta["og:type"] == "article"
    assert parts.meta["twitter:card"] == "summary"


# -- structured data ------------------------------------------------------------


def test_json_ld_is_a_live_blog_posting_google_accepts(server):
    story = server.new_story("Election night", summary="Results as they come in")
    slug = story["slug"]
    first = server.post(slug, "Polls have closed. <b>Counting</b> begins.")
    second = server.post(slug, "A" * 200 + " first result", headline="First result: " + "x" * 150)
    server.post(slug, "Withdrawn")
    server.api("DELETE", f"/api/stories/{slug}/updates/{first['id'] + 2}")

    data = PageParts(httpx.get(story["url"]).text).jsonld
    assert len(data) == 1
    posting = data[0]
    assert posting["@context"] == "https://schema.org" and posting["@type"] == "LiveBlogPosting"
    assert posting["headline"] == "Election night" and posting["description"] == "Results as they come in"
    assert posting["url"] == story["url"]
    assert posting["coverageStartTime"] == story["created_at"]
    assert posting["coverageEndTime"] > posting["coverageStartTime"], "while live, when it is expected to end"
    assert posting["publisher"]["name"] == "Liveblog"
    assert posting["publisher"]["logo"]["@type"] == "ImageObject"
    updates = posting["liveBlogUpdate"]
    assert [u["url"] for u in updates] == [f"{story['url']}#update-{u['id']}" for u in (second, first)]
    for update in updates:
        assert update["@type"] == "BlogPosting"
        assert 0 < len(update["headline"]) <= 110
        assert update["datePublished"].endswith("Z") and update["articleBody"]
        assert update["author"] == {"@type": "Person", "name": "Test desk"}
    assert updates[1]["articleBody"] == "Polls have closed. Counting begins."
    assert updates[1]["headline"] == "Polls have closed. Counting begins."
    assert updates[0]["headline"].startswith("First result: x") and updates[0]["headline"].endswith("…")

    closed = server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"}).json()
    posting = PageParts(httpx.get(story["url"]).text).jsonld[0]
    assert posting["coverageEndTime"] == closed["closed_at"]
    assert posting["dateModified"] >= posting["coverageStartTime"]


# -- framing --------------------------------------------------------------------


def test_only_the_embed_may_be_framed(server):
    slug = server.new_story()["slug"]
    embed = httpx.get(f"{server.url}/stories/{slug}/embed")
    assert embed.status_code == 200
    assert "frame-ancestors *" in embed.headers["content-security-policy"].split("; ")
    assert "x-frame-options" not in embed.headers
    for path in ("/", f"/stories/{slug}", f"/stories/{slug}/feed.atom", "/api/stories", "/stories/nope"):
        r = httpx.get(server.url + path)
        assert r.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"].split("; "), path


def test_embed_page_carries_the_live_contract(server):
    slug = server.new_story("Embedded")["slug"]
    ids = [server.post(slug, f"update {n}")["id"] for n in range(12)]
    html = httpx.get(f"{server.url}/stories/{slug}/embed").text
    assert f'data-stream="/stories/{slug}/events"' in html and 'id="updates"' in html
    assert 'id="live-banner"' in html and re.search(r'src="/static/live\.[0-9a-f]{12}\.js"', html)
    shown = [int(i) for i in re.findall(r'id="update-(\d+)"', html)]
    assert shown == ids[::-1][:10], "the embed shows the newest ten"
    assert '<base target="_blank">' in html


# -- weight ---------------------------------------------------------------------


def test_story_page_with_a_full_page_of_updates_stays_under_50_kb(server):
    """The whole page a phone downloads before images: HTML, CSS and JS, no other host,
    counted as it crosses the network (compressed, as every browser asks for it)."""
    story = server.new_story("A busy day", summary="Fifty updates of ordinary length, as on a busy day.")
    slug = story["slug"]
    body = ("Crews are working to restore power to about 2,000 homes east of the river; "
            "the utility says most should be back **by this evening**.")
    with httpx.Client(headers={"Authorization": f"Bearer {server.token}"}) as client:
        for n in range(50):
            update = {"body": body, "headline": f"Update number {n}" if n % 3 == 0 else "", "key_event": n % 10 == 0}
            assert client.post(f"{server.url}/api/stories/{slug}/updates", json=update).status_code == 201
    html = httpx.get(story["url"]).content
    parts = PageParts(html.decode())
    assert len(re.findall(rb'<article class="update', html)) == 50
    local = [s for s in parts.sources if s.startswith("/static/")]
    assert sorted(re.sub(r"\.[0-9a-f]{12}\.", ".", s) for s in local) == [
        "/static/follow.js", "/static/live.js", "/static/style.css"]
    for source in parts.sources:
        assert source.startswith(("/", server.url, "data:")), f"external request: {source}"
    # The page's module scripts load the modules they import: those are downloaded too.
    scripts = module_graph([s for s in local if s.endswith(".js")], lambda path: httpx.get(server.url + path).text)
    assert len(scripts) > 2, scripts
    loaded = [s for s in local if not s.endswith(".js")] + scripts
    responses = [httpx.get(story["url"])] + [httpx.get(server.url + s) for s in loaded]
    # Compressed from 512 bytes up (pagecache.py, assets.py); smaller modules go as they are.
    assert all(r.headers.get("content-encoding") in ("gzip", "br") for r in responses if len(r.content) >= 512)
    sent = sum(r.num_bytes_downloaded for r in responses)
    raw = sum(len(r.content) for r in responses)
    print(f"story page weight: {sent} bytes sent, {raw} bytes uncompressed ({len(html)} HTML, {len(loaded)} files)")
    assert sent < 50 * 1024
