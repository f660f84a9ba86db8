"""Security headers on every kind of response (pages, static files, JSON, feeds, images,
the event stream, redirects and every error page, 500 included), and in real Chromium:
the story page, the desk and the embed trip no Content-Security-Policy violation during
their normal flows, so the policy takes nothing away from a reader or an editor."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from playwright.sync_api import expect

from desk import Desk, log_in, make_editor, start_story
from servers import server_env
from stand_ins import jpeg

LIVE = 15_000


def policy(response: httpx.Response) -> dict[str, list[str]]:
    directives = [d.split() for d in response.headers["content-security-policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def assert_protected(response: httpx.Response, framed_by: str = "'none'") -> None:
    what = f"{response.request.method} {response.request.url.path} → {response.status_code}"
    csp = policy(response)
    assert csp["script-src"] == ["'self'"], what
    assert "'unsafe-inline'" not in csp.get("default-src", []) + csp.get("style-src", []), what
    assert csp["object-src"] == ["'none'"], what
    assert csp["base-uri"] == ["'none'"], what
    assert csp["form-action"] == ["'self'"], what
    assert csp["worker-src"] == ["'self'"], what
    assert csp["frame-ancestors"] == [framed_by], what
    assert response.headers["x-content-type-options"] == "nosniff", what
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin", what
    if framed_by == "'none'":
        assert response.headers["x-frame-options"] == "DENY", what
    else:
        assert "x-frame-options" not in response.headers, what
    assert len(response.headers.get_list("content-security-policy")) == 1, what


@pytest.fixture(scope="module")
def story(server) -> dict:
    image = server.api("POST", "/api/media", files={"file": ("lead.jpg", jpeg(800, 400), "image/jpeg")}).json()
    story = server.new_story("Headers", summary="Every response", image=image["name"], caption="A lead", credit="Desk")
    server.post(story["slug"], "The first update.")
    return {**story, "media": image["url"]}


def test_pages_static_files_json_feeds_and_images(server, story):
    slug = story["slug"]
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for path in ("/", f"/stories/{slug}", f"/stories/{slug}?key=1", "/login", "/static/live.js",
                     "/static/style.css", "/static/push-sw.js", "/api/stories", f"/api/stories/{slug}/updates",
                     "/api/openapi.json", f"/stories/{slug}/feed.atom", f"/stories/{slug}/key-events.atom",
                     f"/oembed?url={story['url']}", "/healthz", "/push/key", story["media"]):
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code)
            assert_protected(r)
        assert_protected(client.get(f"/stories/{slug}/embed"), framed_by="*")
        assert_protected(client.head(story["media"]))


def test_the_story_page_alone_may_reach_the_embed_providers(server, story):
    """Its consent cards load players and oEmbed answers after a click; no other page needs to."""
    from liveblog import embeds

    csp = policy(httpx.get(story["url"]))
    assert set(csp["frame-src"]) == set(embeds.frame_origins()) and "https://www.youtube-nocookie.com" in csp["frame-src"]
    assert set(csp["connect-src"]) == {"'self'", *embeds.oembed_origins()}
    for path in ("/", f"/stories/{story['slug']}/embed", "/login"):
        csp = policy(httpx.get(server.url + path))
        assert csp["frame-src"] == ["'none'"] and csp["connect-src"] == ["'self'"], path


def test_error_pages_and_redirects(server, story):
    slug = story["slug"]
    with httpx.Client(base_url=server.url, timeout=30) as client:
        answers = [
            client.get("/stories/no-such-story"),  # 404, HTML
            client.get("/api/stories/no-such-story"),  # 404, JSON
            client.get("/static/missing.js"),  # 404 from the static files
            client.get("/nowhere"),  # 404, no route
            client.delete("/"),  # 405
            client.get(f"/stories/{slug}", params={"before": "soon"}),  # 422, HTML
            client.post(f"/api/stories/{slug}/updates", json={"body": ""},
                        headers={"Authorization": f"Bearer {server.token}"}),  # 422, JSON
            client.post(f"/api/stories/{slug}/updates", json={"body": "x"}),  # 401
            client.post(f"/api/stories/{slug}/updates", content=b"x" * (2 * 1024 * 1024),
                        headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}),  # 413
            client.get("/stories/x/events", headers={"Last-Event-ID": "nope"}),  # 400
            client.get("/admin"),  # 303 to the login
        ]
    assert [r.status_code for r in answers] == [404, 404, 404, 404, 405, 422, 422, 401, 413, 400, 303]
    for r in answers:
        assert_protected(r)


def test_the_desk_and_its_json_answers(server, story):
    desk = Desk(server)
    assert desk.login(make_editor(server)).status_code == 303
    answers = [
        desk.http.get("/admin"),
        desk.http.get(f"/admin/stories/{story['slug']}"),
        desk.http.get(f"/admin/stories/{story['slug']}/readers"),
        desk.post(f"/admin/stories/{story['slug']}/updates", {"body": ""}, headers={"Accept": "application/json"}),
        desk.post(f"/admin/stories/{story['slug']}/updates", {"body": "x"}, csrf="forged"),
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 422, 403]
    for r in answers:
        assert_protected(r)


def test_the_event_stream_live_and_ended(server, story, sse):
    reader = sse(f"{server.url}/stories/{story['slug']}/events", last_event_id=0).wait_open()
    assert reader.status == 200
    assert_protected(httpx.Response(200, headers=reader.response_headers, request=httpx.Request("GET", reader.url)))
    closed = server.new_story("Closed at once")["slug"]
    assert server.api("PATCH", f"/api/stories/{closed}", {"status": "closed"}).status_code == 200
    with httpx.Client(base_url=server.url) as client:
        ended = client.get(f"/stories/{closed}/events", headers={"Last-Event-ID": "999999999"})
    assert ended.status_code == 204
    assert_protected(ended)


def test_500_and_429_answers_carry_them_too(start_server, tmp_path, sse):
    """A stored value the code cannot read gives a 500 (outside the app's own middleware);
    a second stream from one address past its limit gives a 429. The 500 closes its
    connection, so the one client's next request still gets its answer."""
    server = start_server(server_env(tmp_path, LIVEBLOG_MAX_STREAMS_PER_ADDRESS="1", LIVEBLOG_STREAM_LIMIT_EXEMPT="none"))
    slug = server.new_story("Broken on disk")["slug"]
    first = sse(f"{server.url}/stories/{slug}/events").wait_open()
    assert first.status == 200
    with httpx.Client(base_url=server.url, timeout=30) as client:
        refused = client.get(f"/stories/{slug}/events")
        assert refused.status_code == 429
        assert_protected(refused)
        with sqlite3.connect(tmp_path / "liveblog.db") as db:
            db.execute("UPDATE story SET created_at = 'not a time' WHERE slug = ?", (slug,))
        for path in (f"/stories/{slug}", f"/api/stories/{slug}"):
            r = client.get(path)
            assert r.status_code == 500, (path, r.status_code, r.text[:200])
            assert "Traceback" not in r.text and r.headers["connection"] == "close"
            assert_protected(r)


# -- in Chromium: no violation during the normal flows ---------------------------

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " in " + location.href);
});
"""


def csp_watch(context) -> list[str]:
    """Every CSP violation in any frame of the context's pages, and console errors that mention one."""
    seen: list[str] = []
    context.add_init_script(REPORT_VIOLATIONS)

    def on_page(page):
        page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text
                or "CSP violation" in m.text else None)
        page.on("pageerror", lambda e: seen.append(f"pageerror: {e}"))

    context.on("page", on_page)
    return seen


@pytest.mark.browser
def test_story_page_flows_trip_no_violation(provider, start_server, browser, tmp_path):  # noqa: F811
    """Load, live updates, key events, rich embeds after consent (player iframe and oEmbed
    answer), the follow button registering its service worker, and a search."""
    origin, providers = provider
    server = start_server(server_env(tmp_path, LIVEBLOG_OEMBED_PROVIDERS=str(providers)))
    image = server.api("POST", "/api/media", files={"file": ("lead.jpg", jpeg(900, 500), "image/jpeg")}).json()
    slug = server.new_story("Harbour storm", summary="Live", image=image["name"], caption="The wall", credit="Desk")["slug"]
    server.post(slug, "The post:\n\nhttps://standin.example/post/1")
    server.post(slug, "[The video](https://framer.example/v/42)", key_event=True, headline="Video")

    context = browser.new_context(permissions=["notifications"])
    seen = csp_watch(context)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/stories/{slug}")
        page.wait_for_selector('#story[data-connected="yes"]', timeout=LIVE)
        live = server.post(slug, "Ferries **suspended**; https://example.com", key_event=True, headline="Ferries")
        page.locator(f"#update-{live['id']}").wait_for(timeout=LIVE)
        page.locator(f'#key-events li[data-id="{live["id"]}"]').wait_for(timeout=LIVE)

        page.click('.embed-card[data-provider="Standin"] .embed-load')
        page.frame_locator('.embed-card[data-provider="Standin"] iframe').locator("#standin").wait_for()
        page.click('.embed-card[data-provider="Framer"] .embed-load')
        page.frame_locator('.embed-card[data-provider="Framer"] iframe').locator("text=The stand-in player").wait_for()

        page.click("#follow-push")
        page.wait_for_function("() => navigator.serviceWorker.getRegistration('/static/')"
                               ".then(r => !!(r && (r.active || r.installing || r.waiting)))")
        page.fill("#search-q", "Ferries")
        page.click(".search button")
        page.wait_for_selector("#filter-note")
    finally:
        context.close()
    assert seen == []


@pytest.mark.browser
def test_desk_flows_trip_no_violation(server, browser):
    """Log in, start a story, preview and post, edit and pin an update that arrived live, reload."""
    editor = make_editor(server)
    context = browser.new_context()
    seen = csp_watch(context)
    page = context.new_page()
    try:
        log_in(page, server, editor)
        slug = start_story(page, "Desk under its policy")
        expect(page.locator("#desk")).to_have_attribute("data-connected", "yes", timeout=LIVE)
        page.locator("#post-body").fill("A **first** update from the desk.")
        expect(page.locator("#preview-body strong")).to_have_text("first")
        page.get_by_role("button", name="Post update").click()
        server.post(slug, "An update from the API arrives live.")
        arrived = page.locator(".desk-item", has_text="arrives live")
        arrived.get_by_text("Edit", exact=True).click(timeout=LIVE)
        expect(arrived.locator("textarea[name=body]")).to_have_value("An update from the API arrives live.")
        arrived.locator("textarea[name=body]").fill("An edited update.")
        arrived.get_by_role("button", name="Save changes").click()
        edited = page.locator(".desk-item", has_text="An edited update.")
        edited.get_by_role("button", name="Pin").click(timeout=LIVE)
        expect(edited.get_by_role("button", name="Unpin")).to_be_visible(timeout=LIVE)
        page.goto(f"{server.url}/admin/stories/{slug}")
        expect(page.locator("#desk")).to_have_attribute("data-connected", "yes", timeout=LIVE)
    finally:
        context.close()
    assert seen == []


@pytest.mark.browser
def test_embed_on_another_site_trips_no_violation(server, third_party_site, browser):  # noqa: F811
    story = server.new_story("Embedded under its policy")
    server.post(story["slug"], "Ferries are suspended.")
    site = third_party_site(f"""<!doctype html><html><body><h1>Partner news</h1>
<script async src="{server.url}/static/embed.js" data-story="{story['slug']}"></script></body></html>""")
    context = browser.new_context()
    seen = csp_watch(context)
    page = context.new_page()
    try:
        page.goto(site)
        inside = page.frame_locator(f'iframe[data-liveblog-embed="{story["slug"]}"]')
        inside.locator("#story[data-connected=yes]").wait_for(state="attached", timeout=LIVE)
        update = server.post(story["slug"], "Trains are running again.", headline="Trains")
        inside.locator(f"#update-{update['id']}").wait_for(timeout=LIVE)
    finally:
        context.close()
    assert seen == []
