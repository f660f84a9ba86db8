"""Syndication between two real servers: a consumer story follows a producer's story
through the producer's own stream (with `Last-Event-ID` resume), each update marked with
its source, once; a consumer stopped mid-story catches up exactly; approval holds the
producer's updates among the drafts; bad input is refused with nothing stored changed."""

from __future__ import annotations

import signal

import httpx
import pytest
from sqlalchemy import text

from tests.servers import AppServer, Server, free_port, server_env, wait_until


@pytest.fixture
def pair(tmp_path):
    """A producer and a consumer, each an in-process server on its own database."""
    (tmp_path / "p").mkdir()
    (tmp_path / "c").mkdir()
    producer = AppServer(tmp_path / "p", server_env(tmp_path / "p")).start()
    consumer = AppServer(tmp_path / "c", server_env(tmp_path / "c")).start()
    yield producer, consumer
    consumer.stop(abrupt=True)
    producer.stop(abrupt=True)


def issue(producer, slug) -> str:
    r = producer.api("POST", f"/api/stories/{slug}/syndication-tokens", {"name": "Partner desk"})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def follow(consumer, slug, url, token, approval=False) -> dict:
    r = consumer.api("POST", f"/api/stories/{slug}/sources", {"url": url, "token": token, "approval": approval})
    assert r.status_code == 201, r.text
    return r.json()


def shown(server, slug) -> list[tuple[str, str]]:
    """What a reader of the consumer's read API sees: (text, source) of each update, newest first."""
    r = httpx.get(f"{server.url}/api/stories/{slug}/updates")
    assert r.status_code == 200, r.text
    return [(u["body_html"].strip(), u.get("source", "")) for u in r.json()["updates"]]


def linked(producer, consumer, approval=False):
    theirs = producer.new_story("Storm on the coast")["slug"]
    ours = consumer.new_story("Storm: partner coverage")["slug"]
    url = f"{producer.url}/stories/{theirs}"
    follow(consumer, ours, url, issue(producer, theirs), approval)
    return theirs, ours, url


def test_updates_edits_and_deletes_appear_once_marked_with_their_source(pair):
    producer, consumer = pair
    theirs, ours, url = linked(producer, consumer)
    first = producer.post(theirs, "Wind at **90 km/h**.")
    second = producer.post(theirs, "Ferries <script>alert(1)</script>cancelled.")
    producer.post(theirs, "Schools closed.")
    assert producer.api("PATCH", f"/api/stories/{theirs}/updates/{first['id']}", {"body": "Wind at 110 km/h."}).status_code == 200
    assert producer.api("DELETE", f"/api/stories/{theirs}/updates/{second['id']}").status_code == 204
    want = [("<p>Schools closed.</p>", url), ("<p>Wind at 110 km/h.</p>", url)]
    wait_until(lambda: shown(consumer, ours) == want, timeout=15, what="the consumer to show the producer's story")
    page = httpx.get(f"{consumer.url}/stories/{ours}").text
    assert page.count(f"From {url}") == 2 and "alert(1)" not in page
    # One more change goes through, and nothing before it is posted twice.
    producer.post(theirs, "Power is back.")
    wait_until(lambda: len(shown(consumer, ours)) == 3, timeout=15, what="the next update")
    assert shown(consumer, ours)[1:] == want
    # A delete the producer undoes brings the update back here too.
    assert producer.api("POST", f"/api/stories/{theirs}/updates/{second['id']}/restore").status_code == 200
    wait_until(lambda: len(shown(consumer, ours)) == 4, timeout=15, what="the restored update")
    assert ("<p>Ferries cancelled.</p>", url) in shown(consumer, ours)


def test_a_consumer_stopped_mid_story_catches_up_every_change_once(pair, tmp_path):
    producer, consumer = pair
    theirs, ours, url = linked(producer, consumer)
    a = producer.post(theirs, "One.")
    b = producer.post(theirs, "Two.")
    wait_until(lambda: len(shown(consumer, ours)) == 2, timeout=15, what="the first two updates")
    consumer.stop()
    producer.api("PATCH", f"/api/stories/{theirs}/updates/{a['id']}", {"body": "One, corrected."})
    producer.api("DELETE", f"/api/stories/{theirs}/updates/{b['id']}")
    producer.post(theirs, "Three.")
    producer.post(theirs, "Four.")
    again = AppServer(consumer.cwd, consumer.env).start()  # the same database, a new process
    try:
        want = [("<p>Four.</p>", url), ("<p>Three.</p>", url), ("<p>One, corrected.</p>", url)]
        wait_until(lambda: shown(again, ours) == want, timeout=15, what="the consumer to catch up")
        producer.post(theirs, "Five.")
        wait_until(lambda: len(shown(again, ours)) == 4, timeout=15, what="the live update after it")
        assert shown(again, ours)[1:] == want

        def mapped(store):
            with store.engine.connect() as c:
                return c.execute(text("SELECT count(*), count(DISTINCT producer_update_id) FROM syndicatedupdate")).one()
        assert tuple(again._on_database(mapped)) == (5, 5)
    finally:
        again.stop(abrupt=True)


def test_with_approval_producer_updates_wait_among_the_drafts(pair):
    producer, consumer = pair
    theirs, ours, url = linked(producer, consumer, approval=True)
    producer.post(theirs, "Held for the desk.")

    def queued():
        def read(store):
            return [(u.id, u.source_url) for u in store.queued_updates(ours, "draft")]
        return consumer._on_database(read)

    wait_until(lambda: queued(), timeout=15, what="the draft")
    [(draft_id, source)] = queued()
    assert source == url and shown(consumer, ours) == []
    r = consumer.api("GET", f"/api/stories/{ours}/drafts")
    assert r.status_code == 200 and "Held for the desk." in r.text, r.text
    r = consumer.api("POST", f"/api/stories/{ours}/updates/{draft_id}/publish")
    assert r.status_code == 200, r.text
    assert shown(consumer, ours) == [("<p>Held for the desk.</p>", url)]


JSON = {"Accept": "application/json"}


def _stored(server):
    def read(store):
        with store.engine.connect() as c:
            return tuple(c.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                         for t in ("syndicationlink", "syndicationtoken", '"update"', "event"))
    return server._on_database(read)


def test_bad_input_is_refused_with_a_clear_message_and_nothing_stored(pair):
    producer, consumer = pair
    theirs = producer.new_story("Storm on the coast")["slug"]
    other = producer.new_story("Another story")["slug"]
    token = issue(producer, theirs)
    ours = consumer.new_story("Ours")["slug"]
    before = _stored(consumer)
    good = {"url": f"{producer.url}/stories/{theirs}", "token": token}
    for body, field in [
        ({**good, "url": "ftp://example.com/stories/x"}, "url"),
        ({**good, "url": "https://example.com/blog/x"}, "url"),
        ({**good, "url": "https://example.com/stories/x?y=1"}, "url"),
        ({**good, "url": "not a url"}, "url"),
        ({**good, "token": "short"}, "token"),
        ({**good, "approval": "yes"}, "approval"),
        ({**good, "extra": 1}, "extra"),
    ]:
        r = consumer.api("POST", f"/api/stories/{ours}/sources", body)
        assert r.status_code == 422, (body, r.text)
        assert field in r.text, r.text
    r = consumer.api("POST", f"/api/stories/{ours}/sources", {**good, "url": f"{consumer.url}/stories/{ours}"})
    assert r.status_code == 422 and "itself" in r.text, r.text
    r = consumer.api("POST", "/api/stories/no-such-story/sources", good)
    assert r.status_code == 404 and "no-such-story" in r.text
    r = consumer.api("POST", f"/api/stories/{ours}/sources", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    r = consumer.api("POST", f"/api/stories/{ours}/sources", {**good, "token": "x" * 5_000_000})
    assert r.status_code == 413, r.text[:200]
    r = consumer.api("POST", f"/api/stories/{ours}/sources", good, token="wrong-api-token")
    assert r.status_code == 401, r.text
    assert _stored(consumer) == before
    # On the producer: no token for an unknown story; a wrong token, or another story's, is refused.
    r = producer.api("POST", "/api/stories/no-such-story/syndication-tokens", {})
    assert r.status_code == 404, r.text
    stream = f"{producer.url}/stories/{{}}/events"
    r = httpx.get(stream.format(theirs), headers={"Authorization": "Bearer not-a-token-we-issued", **JSON})
    assert r.status_code == 401 and "syndication token" in r.json()["errors"]["request"], r.text
    r = httpx.get(stream.format(other), headers={"Authorization": f"Bearer {token}", **JSON}, timeout=5)
    assert r.status_code == 403 and "another story" in r.json()["errors"]["request"], r.text
    with httpx.stream("GET", stream.format(theirs), headers={"Authorization": f"Bearer {token}"}) as ok:
        assert ok.status_code == 200


def test_the_cli_issues_a_token_that_opens_its_story_stream_only(pair):
    producer, _ = pair
    slug = producer.new_story("Storm on the coast")["slug"]
    done = producer.cli("create-syndication-token", slug, "--name", "Partner desk")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    with httpx.stream("GET", f"{producer.url}/stories/{slug}/events",
                      headers={"Authorization": f"Bearer {token}", **JSON}) as ok:
        assert ok.status_code == 200
    missing = producer.cli("create-syndication-token", "no-such-story")
    assert missing.returncode == 2 and "no-such-story" in missing.stderr


@pytest.mark.parametrize("url, ok", [
    ("https://news.example/stories/the-slug", True),
    ("http://127.0.0.1:8000/stories/a1", True),
    ("https://news.example/stories/", False),
    ("https://news.example/stories/a/b", False),
    ("https://news.example/stories/UPPER", False),
    ("https://user:pw@news.example/stories/a", False),
    ("https://news.example/stories/a#x", False),
    ("https://news.example:99999/stories/a", False),
    ("javascript:alert(1)//stories/a", False),
    ("//news.example/stories/a", False),
])
def test_a_source_url_is_a_stories_public_address(url, ok):
    from pydantic import ValidationError

    from liveblog.inputs import SourceIn

    data = {"url": url, "token": "t" * 43}
    if ok:
        assert SourceIn.model_validate(data).url == url
    else:
        with pytest.raises(ValidationError, match="public address"):
            SourceIn.model_validate(data)


def test_the_store_cleans_a_producers_html_again_and_applies_an_event_once(tmp_path):
    from liveblog import db
    from liveblog.store import Store

    engine = db.make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    db.upgrade(engine)
    store = Store(engine)
    try:
        slug = store.create_story("Ours").value.slug
        link = store.add_link(slug, "https://p.example/stories/x", "t" * 43, False).value
        hostile = {"id": 7, "body_html": '<p onclick="x()">Hi<script>alert(1)</script></p>', "headline": "H"}
        posted = store.syndicate(link.id, 5, "update", hostile).value
        assert posted.body_html == "<p>Hi</p>" and posted.source_url == "https://p.example/stories/x"
        assert posted.author == "syndication:p.example"
        assert store.syndicate(link.id, 5, "update", hostile).value is None  # the same event again
        assert store.syndicate(link.id, 6, "update", hostile).value is None  # the same update again
        assert [u.id for u in store.list_updates(slug)[0]] == [posted.id]
        assert store.links(slug)[0].last_event_id == 6
        # A frame with no usable update id is passed over, and marked read.
        assert store.syndicate(link.id, 9, "edit", {"id": "x"}).value is None
        assert store.links(slug)[0].last_event_id == 9
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_consumer_process_killed_mid_story_resumes_exactly_once(tmp_path):
    """`liveblog serve` killed outright (no shutdown, its claim left behind): the next
    process takes the link over once the claim is stale, and catches up once."""
    (tmp_path / "p").mkdir()
    (tmp_path / "c").mkdir()
    producer = AppServer(tmp_path / "p", server_env(tmp_path / "p")).start()
    env = server_env(tmp_path / "c")
    consumer = Server(tmp_path / "c", env, free_port()).start()
    again = None
    try:
        theirs, ours, url = linked(producer, consumer)
        a = producer.post(theirs, "One.")
        producer.post(theirs, "Two.")
        wait_until(lambda: len(shown(consumer, ours)) == 2, timeout=15, what="the first two updates")
        consumer.stop(signal.SIGKILL)
        producer.api("PATCH", f"/api/stories/{theirs}/updates/{a['id']}", {"body": "One, corrected."})
        producer.post(theirs, "Three.")
        again = Server(tmp_path / "c", env, free_port()).start()
        want = [("<p>Three.</p>", url), ("<p>Two.</p>", url), ("<p>One, corrected.</p>", url)]
        wait_until(lambda: shown(again, ours) == want, timeout=20, what="the new process to catch up")
    finally:
        if again is not None:
            again.stop()
        consumer.stop(signal.SIGKILL)
        producer.stop(abrupt=True)
