"""The typed input models of liveblog/inputs.py: what each accepts, what it makes of it,
and the field errors (a 422's body) for what it refuses."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from liveblog.errors import BadJSON, Invalid
from liveblog.inputs import (MAX_BODY, StoryIn, StoryPatch, SubscriptionIn, UnsubscribeIn, UpdateIn,
                             UpdatePatch, parse, validate)

IMAGE = "0123456789abcdef01234567-1600x900.jpg"
SOON = datetime.now(timezone.utc) + timedelta(hours=1)


def refused(model, data) -> dict[str, str]:
    with pytest.raises(Invalid) as bad:
        validate(model, data)
    assert bad.value.status_code == 422
    return bad.value.errors


def key(length: int, first: int = 4) -> str:
    return base64.urlsafe_b64encode(bytes([first]) + bytes(length - 1)).decode().rstrip("=")


def test_a_story_is_trimmed_and_its_slug_and_image_checked():
    story = validate(StoryIn, {"title": "  Flooding  ", "summary": " So far ", "slug": "flood-2024", "image": IMAGE})
    assert (story.title, story.summary, story.slug, story.image) == ("Flooding", "So far", "flood-2024", IMAGE)
    assert validate(StoryIn, {"title": "Flooding", "slug": ""}).slug is None  # no slug: one is made from the title
    assert refused(StoryIn, {"title": "   "}) == {"title": "The story needs a title"}
    assert refused(StoryIn, {}) == {"title": "is required"}
    assert "lowercase letters" in refused(StoryIn, {"title": "x", "slug": "Flood 2024"})["slug"]
    assert "POST /api/media" in refused(StoryIn, {"title": "x", "image": "../../etc/passwd"})["image"]
    assert "300" in refused(StoryIn, {"title": "x" * 301})["title"]
    assert refused(StoryIn, {"title": 7}) == {"title": "must be text"}  # strict: no number turned into text


def test_unknown_fields_are_refused_by_name():
    assert refused(StoryIn, {"title": "x", "colour": "red"}) == {"colour": "is not a field this call takes"}
    assert refused(UpdateIn, {"body": "x", "author": "me"}) == {"author": "is not a field this call takes"}


def test_a_story_patch_holds_only_what_was_sent():
    patch = validate(StoryPatch, {"status": "closed", "image": ""})
    assert patch.changes() == {"status": "closed", "image": ""}  # "" removes the image
    assert "live" in refused(StoryPatch, {"status": "archived"})["status"]
    assert refused(StoryPatch, {"title": ""}) == {"title": "The story needs a title"}
    assert validate(StoryPatch, {}).changes() == {}


def test_an_update_and_its_status():
    update = validate(UpdateIn, {"body": "Water is rising.", "headline": " Rising ", "key_event": True})
    assert (update.body, update.headline, update.key_event, update.pinned, update.status) == (
        "Water is rising.", "Rising", True, False, "published")
    assert validate(UpdateIn, {"body": "x", "draft": True}).status == "draft"
    assert validate(UpdateIn, {"body": "x", "publish_at": SOON.isoformat()}).status == "scheduled"
    assert validate(UpdateIn, {"body": "  Kept as typed  "}).body == "  Kept as typed  "  # Markdown keeps its spaces
    assert refused(UpdateIn, {"body": " \n "}) == {"body": "The update needs some text"}
    assert refused(UpdateIn, {"body": "x" * (MAX_BODY + 1)}) == {"body": f"The update is too long: at most {MAX_BODY:,} characters"}
    assert validate(UpdateIn, {"body": "x" * MAX_BODY}).body == "x" * MAX_BODY
    assert refused(UpdateIn, {"body": "x", "key_event": "yes"}) == {"key_event": "must be true or false"}


def test_a_time_to_publish_has_a_zone_is_ahead_and_within_a_year():
    in_berlin = validate(UpdateIn, {"body": "x", "publish_at": SOON.astimezone(timezone(timedelta(hours=2))).isoformat()})
    assert in_berlin.publish_at == SOON and in_berlin.publish_at.tzinfo == timezone.utc
    assert "timezone" in refused(UpdateIn, {"body": "x", "publish_at": SOON.replace(tzinfo=None).isoformat()})["publish_at"]
    past = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    assert refused(UpdateIn, {"body": "x", "publish_at": past})["publish_at"].startswith("That time has passed")
    far = (datetime.now(timezone.utc) + timedelta(days=400)).isoformat()
    assert refused(UpdatePatch, {"publish_at": far}) == {"publish_at": "Schedule at most a year ahead"}


def test_an_update_patch_holds_only_what_was_sent():
    assert validate(UpdatePatch, {"pinned": False}).changes() == {"pinned": False}
    assert refused(UpdatePatch, {"body": ""}) == {"body": "The update needs some text"}


def test_a_push_subscription_as_a_browser_sends_it():
    sent = {"endpoint": "https://push.example/send/abc", "expirationTime": None,
            "keys": {"p256dh": key(65), "auth": key(16, first=0)}}
    subscription = validate(SubscriptionIn, sent)
    assert subscription.endpoint == sent["endpoint"] and subscription.keys.auth == sent["keys"]["auth"]
    assert "https://" in refused(SubscriptionIn, {**sent, "endpoint": "http://push.example/send/abc"})["endpoint"]
    assert refused(SubscriptionIn, {**sent, "keys": {"p256dh": key(65, first=3), "auth": key(16)}}) == {
        "keys.p256dh": "p256dh is not a valid key"}
    assert refused(SubscriptionIn, {**sent, "keys": {"p256dh": key(65), "auth": "a"}}) == {
        "keys.auth": "auth must be base64url"}
    assert refused(SubscriptionIn, {**sent, "keys": {"p256dh": key(65), "auth": key(12)}}) == {
        "keys.auth": "auth is not a valid key"}
    assert validate(UnsubscribeIn, {"endpoint": sent["endpoint"], "keys": {}}).endpoint == sent["endpoint"]


def test_parse_refuses_what_is_not_a_json_object():
    assert parse(UpdateIn, json.dumps({"body": "x"}).encode()).body == "x"
    with pytest.raises(BadJSON) as bad:
        parse(UpdateIn, b"{body: x}")
    assert bad.value.status_code == 400 and bad.value.errors["body"].startswith("not valid JSON")
    with pytest.raises(BadJSON):
        parse(UpdateIn, b"\xff\xfe")
    for raw in (b"", b"[]", b'"text"', b"3"):
        with pytest.raises(Invalid) as not_object:
            parse(UpdateIn, raw)
        assert not_object.value.errors == {"body": "send a JSON object"}
