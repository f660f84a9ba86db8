"""Reader pages as a browser without JavaScript gets them: everything is in the HTML."""

import json
import re
from html.parser import HTMLParser

import httpx


class JSONLD(HTMLParser):
    def __init__(self):
        super().__init__()
        self.blocks, self._in = [], False

    def handle_starttag(self, tag, attrs):
        self._in = tag == "script" and dict(attrs).get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in:
            self.blocks.append(json.loads(data))
            self._in = False


def page(server, path):
    r = httpx.get(server.url + path)
    assert r.status_code == 200, r.text
    return r.text


def test_index_lists_live_before_closed_newest_first(server):
    old_live = server.new_story("Old live story")["slug"]
    closed = server.new_story("Closed story")["slug"]
    new_live = server.new_story("New live story")["slug"]
    server.api("PATCH", f"/api/stories/{closed}", {"status": "closed"})
    html = page(server, "/")
    positions = [html.index(f'href="/stories/{slug}"') for slug in (new_live, old_live, closed)]
    assert positions == sorted(positions)


def test_story_page_without_javascript(server):
    slug = server.new_story("Election night", summary="Results as they come in")["slug"]
    first = server.post(slug, "Polls have closed.", headline="Polls close", key_event=True)
    pinned = server.post(slug, "Turnout is **high**.", pinned=True)
    last = server.post(slug, "First results are in <script>alert(1)</script>")
    html = page(server, f"/stories/{slug}")
    assert "<h1" in html and "Election night" in html and "Results as they come in" in html
    assert 'id="live-banner"' in html and "Developing story" in html
    # pinned first, then newest first
    order = [html.index(f'id="update-{u["id"]}"') for u in (pinned, last, first)]
    assert order == sorted(order)
    assert '<a href="#update-%d" dir="auto">Polls close</a>' % first["id"] in html  # key events list
    assert "<strong>high</strong>" in html
    assert "<script>alert(1)" not in html
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">', html)
    events = httpx.get(f"{server.url}/api/stories/{slug}/updates").json()
    assert events["updates"]
    last_event = re.search(r'data-last-event-id="(\d+)"', html).group(1)
    assert int(last_event) > 0


def test_closed_story_has_no_banner(server):
    slug = server.new_story("Over now")["slug"]
    server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"})
    html = page(server, f"/stories/{slug}")
    assert 'id="live-banner"' not in html
    assert "no longer being updated" in html


def test_newest_fifty_then_older_link(server):
    slug = server.new_story("Long story")["slug"]
    ids = [server.post(slug, f"update number {n}")["id"] for n in range(55)]
    html = page(server, f"/stories/{slug}")
    shown = [int(i) for i in re.findall(r'<article class="update[^"]*" id="update-(\d+)"', html)]
    assert shown == ids[::-1][:50]
    older = re.search(r'href="(/stories/[^"]+\?before=\d+)"[^>]*>Older updates', html).group(1)
    rest = page(server, older.replace("&amp;", "&"))
    shown_older = [int(i) for i in re.findall(r'<article class="update[^"]*" id="update-(\d+)"', rest)]
    assert shown_older == ids[::-1][50:]
    assert "Older updates" not in rest


def test_live_blog_posting_json_ld(server):
    slug = server.new_story("Structured", summary="For search engines")["slug"]
    update = server.post(slug, "Something happened </script><script>alert(1)</script>", headline="Big news")
    parser = JSONLD()
    parser.feed(page(server, f"/stories/{slug}"))
    (data,) = parser.blocks
    assert data["@type"] == "LiveBlogPosting"
    assert data["headline"] == "Structured"
    assert data["coverageStartTime"].endswith("Z")
    assert data["coverageEndTime"] > data["coverageStartTime"]  # while live, the expected end
    (item,) = data["liveBlogUpdate"]
    assert item["@type"] == "BlogPosting" and item["headline"] == "Big news"
    assert item["datePublished"] == update["created_at"]
    assert item["articleBody"].startswith("Something happened")

    server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"})
    parser = JSONLD()
    parser.feed(page(server, f"/stories/{slug}"))
    assert parser.blocks[0]["coverageEndTime"].endswith("Z")


def test_unknown_story_page_is_a_404_page(server):
    r = httpx.get(server.url + "/stories/nothing-here")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"] and "Not found" in r.text
    assert httpx.get(server.url + "/stories/x?before=abc").status_code in (404, 422)
