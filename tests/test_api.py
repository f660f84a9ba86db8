"""The JSON API over HTTP against a real server: every status and shape of SPEC "The write API",
on SQLite and on PostgreSQL."""

import httpx
import pytest

from backing_services import postgres_database
from servers import AppServer, server_env


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, server, tmp_path_factory):
    """The shared server, then one on a new PostgreSQL database: the schema comes from the
    same alembic migrations, and every query runs, on both."""
    if request.param == "sqlite":
        yield server
        return
    tmp = tmp_path_factory.mktemp("pg")
    with postgres_database("api") as url:
        on_postgres = AppServer(tmp, server_env(tmp, LIVEBLOG_DATABASE_URL=url)).start()
        try:
            yield on_postgres
        finally:
            on_postgres.stop()  # before the database is dropped


def test_story_lifecycle_shapes(server):
    story = server.new_story("Storm Ciarán hits the coast", summary="Live updates")
    assert story["slug"] == "storm-ciaran-hits-the-coast"
    assert set(story) == {"slug", "title", "summary", "status", "created_at", "closed_at", "language", "url"}
    assert story["status"] == "live" and story["closed_at"] is None
    assert story["created_at"].endswith("Z")
    assert story["url"].endswith("/stories/storm-ciaran-hits-the-coast")

    listed = httpx.get(server.url + "/api/stories").json()
    assert {**story, "updated_at": story["created_at"]} in listed["stories"]  # the list adds when it last changed
    assert httpx.get(server.url + f"/api/stories/{story['slug']}").json() == story

    closed = server.api("PATCH", f"/api/stories/{story['slug']}", {"status": "closed"}).json()
    assert closed["status"] == "closed" and closed["closed_at"].endswith("Z")


def test_given_slug_and_taken_slug(server):
    assert server.new_story("One", slug="my-story")["slug"] == "my-story"
    r = server.api("POST", "/api/stories", {"title": "Two", "slug": "my-story"})
    assert r.status_code == 422
    assert "slug" in r.json()["errors"]
    # Same title again gets a fresh slug rather than an error.
    assert server.new_story("Slugged twice")["slug"] == "slugged-twice"
    assert server.new_story("Slugged twice")["slug"] == "slugged-twice-2"


def test_update_lifecycle(server):
    slug = server.new_story()["slug"]
    update = server.post(slug, "First *report*", headline="Rain", key_event=True)
    assert set(update) == {"id", "story", "body", "body_html", "headline", "author", "created_at",
                           "edited_at", "key_event", "pinned", "edited_by", "correction", "corrected_at", "reader"}
    assert (update["edited_by"], update["correction"], update["corrected_at"], update["reader"]) == ("", "", None, None)
    assert update["body"] == "First *report*"
    assert update["body_html"] == "<p>First <em>report</em></p>\n"
    assert update["author"] == "Test desk" and update["key_event"] is True and update["edited_at"] is None

    edited = server.api("PATCH", f"/api/stories/{slug}/updates/{update['id']}", {"body": "Corrected", "pinned": True})
    assert edited.status_code == 200
    assert edited.json()["body_html"] == "<p>Corrected</p>\n"
    assert edited.json()["pinned"] is True and edited.json()["edited_at"] is not None

    assert server.api("DELETE", f"/api/stories/{slug}/updates/{update['id']}").status_code == 204
    assert httpx.get(server.url + f"/api/stories/{slug}/updates").json() == {"updates": [], "next": None}
    assert server.api("DELETE", f"/api/stories/{slug}/updates/{update['id']}").status_code == 404


def test_only_one_pinned_update(server):
    slug = server.new_story()["slug"]
    first = server.post(slug, "one", pinned=True)
    second = server.post(slug, "two", pinned=True)
    updates = {u["id"]: u for u in httpx.get(server.url + f"/api/stories/{slug}/updates").json()["updates"]}
    assert updates[first["id"]]["pinned"] is False
    assert updates[second["id"]]["pinned"] is True


def test_updates_are_paged_newest_first(server):
    slug = server.new_story()["slug"]
    ids = [server.post(slug, f"update {n}")["id"] for n in range(7)]
    page = httpx.get(server.url + f"/api/stories/{slug}/updates?limit=3").json()
    assert [u["id"] for u in page["updates"]] == ids[::-1][:3]
    seen = [u["id"] for u in page["updates"]]
    while page["next"]:
        page = httpx.get(page["next"]).json()
        seen += [u["id"] for u in page["updates"]]
    assert seen == ids[::-1]


def test_read_api_is_open_to_other_origins(server):
    slug = server.new_story()["slug"]
    for path in ("/api/stories", f"/api/stories/{slug}", f"/api/stories/{slug}/updates"):
        r = httpx.get(server.url + path, headers={"Origin": "https://elsewhere.example"})
        assert r.headers["access-control-allow-origin"] == "*"


def test_writes_need_a_valid_token(server):
    slug = server.new_story()["slug"]
    for token in (None, "not-a-token"):
        r = server.api("POST", f"/api/stories/{slug}/updates", {"body": "x"}, token=token)
        assert r.status_code == 401
        assert "errors" in r.json()
    r = httpx.post(server.url + "/api/stories", json={"title": "x"}, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    assert httpx.get(server.url + f"/api/stories/{slug}/updates").json()["updates"] == []


def test_a_new_token_works_at_once(server):
    slug = server.new_story()["slug"]
    fresh = server.cli("create-token", "Wire bot").stdout.strip().splitlines()[-1]
    r = server.api("POST", f"/api/stories/{slug}/updates", {"body": "from the bot"}, token=fresh)
    assert r.status_code == 201 and r.json()["author"] == "Wire bot"


def test_bad_input_is_422_with_field_errors_and_changes_nothing(server):
    slug = server.new_story()["slug"]
    kept = server.post(slug, "kept")
    cases = [
        ({}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 50_001}, "body"),
        ({"body": 12}, "body"),
        ({"body": "ok", "key_event": "yes"}, "key_event"),
        ({"body": "ok", "colour": "red"}, "colour"),
    ]
    for payload, field in cases:
        r = server.api("POST", f"/api/stories/{slug}/updates", payload)
        assert r.status_code == 422, payload
        assert field in r.json()["errors"], (payload, r.json())
    r = server.api("PATCH", f"/api/stories/{slug}/updates/{kept['id']}", {"body": ""})
    assert r.status_code == 422 and "body" in r.json()["errors"]
    r = server.api("POST", "/api/stories", {"title": ""})
    assert r.status_code == 422 and "title" in r.json()["errors"]
    r = server.api("PATCH", f"/api/stories/{slug}", {"status": "archived"})
    assert r.status_code == 422 and "status" in r.json()["errors"]
    updates = httpx.get(server.url + f"/api/stories/{slug}/updates").json()["updates"]
    assert [(u["id"], u["body"]) for u in updates] == [(kept["id"], "kept")]


def test_body_of_exactly_the_limit_is_accepted(server):
    slug = server.new_story()["slug"]
    assert len(server.post(slug, "x" * 50_000)["body"]) == 50_000


def test_malformed_json_is_a_clear_4xx(server):
    slug = server.new_story()["slug"]
    r = httpx.post(server.url + f"/api/stories/{slug}/updates", content=b"{not json",
                   headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"})
    assert r.status_code == 400
    assert "JSON" in r.json()["errors"]["body"]
    assert "Traceback" not in r.text


def test_unknown_story_or_update_is_404(server):
    slug = server.new_story()["slug"]
    assert server.api("POST", "/api/stories/nope/updates", {"body": "x"}).status_code == 404
    assert server.api("PATCH", f"/api/stories/{slug}/updates/999", {"body": "x"}).status_code == 404
    assert server.api("PATCH", "/api/stories/nope", {"title": "x"}).status_code == 404
    assert httpx.get(server.url + "/api/stories/nope").status_code == 404
    assert httpx.get(server.url + "/api/stories/nope/updates").status_code == 404
    assert "errors" in httpx.get(server.url + "/api/stories/nope").json()


def test_closed_story_refuses_new_updates_until_reopened(server):
    slug = server.new_story()["slug"]
    server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"})
    r = server.api("POST", f"/api/stories/{slug}/updates", {"body": "late"})
    assert r.status_code == 422 and "story" in r.json()["errors"]
    server.api("PATCH", f"/api/stories/{slug}", {"status": "live"})
    assert server.post(slug, "back again")["body"] == "back again"


def test_bad_query_parameters(server):
    slug = server.new_story()["slug"]
    for query in ("limit=0", "limit=abc", "limit=100000", "before=-1", "before=x"):
        r = httpx.get(server.url + f"/api/stories/{slug}/updates?{query}")
        assert r.status_code == 422, query
        assert r.json()["errors"]


def test_healthz(server):
    r = httpx.get(server.url + "/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_wrong_method_says_which_are_allowed(server):
    r = httpx.delete(server.url + "/api/stories")
    assert r.status_code == 405
    assert "GET" in r.headers["allow"]
