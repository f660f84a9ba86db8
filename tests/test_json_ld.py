"""The story page's LiveBlogPosting, read from its application/ld+json block: the expected
end of coverage while live, the publisher's logo, and each update's image."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest

from liveblog import render
from liveblog.models import Story, Update
from liveblog.settings import Settings, SettingsError


def posting(url: str) -> dict:
    html = httpx.get(url).text
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_live_coverage_has_an_expected_end_and_closed_its_close(server):
    story = server.new_story("Coverage times")
    server.post(story["slug"], "Under way.")
    data = posting(story["url"])
    assert data["coverageStartTime"] == story["created_at"]
    assert when(data["coverageEndTime"]) == when(story["created_at"]) + timedelta(hours=24)
    server.api("PATCH", f"/api/stories/{story['slug']}", {"status": "closed"})
    closed = server.api("GET", f"/api/stories/{story['slug']}").json()
    assert posting(story["url"])["coverageEndTime"] == closed["closed_at"]


def test_expected_end_is_after_the_newest_update():
    # A story a day and a half old, still live, whose newest update came just now.
    start = datetime.fromisoformat("2026-12-01T08:00:00+00:00")
    newest = start + timedelta(hours=35)
    page = SimpleNamespace(
        story=Story(id=1, slug="s", title="Long story", status="live", created_at=start), pinned=None,
        updates=[Update(id=1, story_id=1, body="x", body_html="<p>x</p>", created_at=newest)], newest_at=newest)
    data = render.live_blog_posting(page, "https://news.example")
    assert when(data["coverageEndTime"]) > newest


def test_publisher_logo_is_an_image_object_that_loads(server):
    story = server.new_story("Logo")
    logo = posting(story["url"])["publisher"]["logo"]
    assert logo["@type"] == "ImageObject" and logo["url"].startswith(server.url + "/static/logo.")
    image = httpx.get(logo["url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"


def test_publisher_logo_setting():
    assert Settings.load(env={"LIVEBLOG_PUBLISHER_LOGO": "https://cdn.example/logo.png"},
                         env_file="").publisher_logo == "https://cdn.example/logo.png"
    with pytest.raises(SettingsError, match="LIVEBLOG_PUBLISHER_LOGO"):
        Settings.load(env={"LIVEBLOG_PUBLISHER_LOGO": "javascript:alert(1)"}, env_file="")


def test_each_update_with_an_image_carries_it(server):
    story = server.new_story("Pictures")
    with_image = server.post(story["slug"], "The bridge at dawn.\n\n![The bridge](https://images.example/bridge.jpg)")
    relative = server.post(story["slug"], '<img src="/media/abc.jpg" alt="Local">')
    plain = server.post(story["slug"], "No picture here.")
    updates = {u["url"].rsplit("-", 1)[1]: u for u in posting(story["url"])["liveBlogUpdate"]}
    assert updates[str(with_image["id"])]["image"] == "https://images.example/bridge.jpg"
    assert updates[str(relative["id"])]["image"] == server.url + "/media/abc.jpg"
    assert "image" not in updates[str(plain["id"])]
