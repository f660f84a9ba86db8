"""The desk over HTTP against a real server: sessions, cookies, CSRF, throttling, and
every desk form without JavaScript (POST, then 303; an error re-renders with the text kept)."""

from __future__ import annotations

import html
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from liveblog.auth import LoginThrottle

from desk import PASSWORD, Desk, hidden, make_editor, textarea, updates
from servers import AppServer, server_env, wait_until

@pytest.fixture(scope="module")
def editor(server) -> str:
    """One editor for the module (creating one costs a slow hash)."""
    return make_editor(server)


@pytest.fixture
def desk(server, editor):
    d = Desk(server)
    assert d.login(editor).status_code == 303
    return d


# -- sessions and cookies -----------------------------------------------------


def test_login_sets_a_signed_http_only_lax_session_cookie(server, editor):
    name = editor
    d = Desk(server)
    r = d.login(name)
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("liveblog_session="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert "secure" not in flags  # the public URL is not https here
    page = d.http.get("/admin")
    assert page.status_code == 200 and name in page.text

    # A cookie whose signature does not match is no session at all.
    value = d.http.cookies["liveblog_session"]
    forged = Desk(server)
    forged.http.cookies.set("liveblog_session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert forged.http.get("/admin").status_code == 303


def test_cookies_are_secure_when_the_public_url_is_https(start_app_server, tmp_path):
    name = "Secure editor"
    secure = start_app_server(server_env(tmp_path, LIVEBLOG_PUBLIC_URL="https://news.example"))
    make_editor(secure, name)
    first = httpx.get(secure.url + "/login")
    login_cookie = first.headers["set-cookie"]
    assert "Secure" in login_cookie and "HttpOnly" in login_cookie
    # A browser sends a Secure cookie only over https; here we hand it back ourselves.
    nonce = re.match(r"liveblog_login=([^;]+)", login_cookie).group(1)
    r = httpx.post(secure.url + "/login", data={"name": name, "password": PASSWORD, "csrf": hidden(first.text)},
                   headers={"Cookie": f"liveblog_login={nonce}"})
    assert r.status_code == 303
    session_cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("liveblog_session="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie


def test_wrong_password_or_unknown_name_is_refused_and_keeps_the_name(server, editor):
    name = editor
    for who, password in ((name, "not the password"), ("Nobody here", PASSWORD)):
        d = Desk(server)
        r = d.login(who, password)
        assert r.status_code == 422
        assert "That name and password do not match." in r.text
        assert f'value="{html.escape(who)}"' in r.text  # the name is still in the form
        assert "liveblog_session" not in d.http.cookies
        assert d.http.get("/admin").status_code == 303


def test_pages_need_a_login_and_come_back_after_it(server, desk, editor):
    slug = desk.start_story("Needs a login")
    anonymous = Desk(server)
    r = anonymous.http.get(f"/admin/stories/{slug}")
    assert r.status_code == 303 and r.headers["location"] == f"/login?next=/admin/stories/{slug}"
    r = anonymous.post(f"/admin/stories/{slug}/updates", {"body": "sneaky"}, csrf="")
    assert r.status_code == 401
    r = anonymous.post(f"/admin/stories/{slug}/updates", {"body": "sneaky"}, headers={"Accept": "application/json"})
    assert r.status_code == 401 and "errors" in r.json()
    assert updates(desk.server, slug) == []

    name = editor
    assert anonymous.login(name, next_path=f"/admin/stories/{slug}").headers["location"] == f"/admin/stories/{slug}"
    # Only this site's own paths are followed after login.
    elsewhere = Desk(server)
    assert elsewhere.login(name, next_path="//evil.example/").headers["location"] == "/admin"


def test_logout_ends_the_session_on_the_server(server, desk):
    stolen = desk.http.cookies["liveblog_session"]
    assert desk.post("/logout").status_code == 303
    assert desk.http.get("/admin").status_code == 303
    # The old cookie, replayed from elsewhere, no longer opens the desk.
    replay = httpx.get(server.url + "/admin", cookies={"liveblog_session": stolen})
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")


# -- CSRF -----------------------------------------------------------------------


def test_changes_without_the_sessions_csrf_token_are_refused_and_change_nothing(server, desk, editor):
    slug = desk.start_story("CSRF target")
    kept = desk.post(f"/admin/stories/{slug}/updates", {"body": "kept"})
    assert kept.status_code == 303
    update_id = updates(server, slug)[0]["id"]

    other = Desk(server)  # another session (of the same editor) has a token of its own
    other.login(editor)
    assert other.csrf != desk.csrf
    attempts = [
        (f"/admin/stories/{slug}/updates", {"body": "forged"}),
        (f"/admin/stories/{slug}/updates/{update_id}", {"body": "forged edit"}),
        (f"/admin/stories/{slug}/updates/{update_id}/pin", {"pinned": "1"}),
        (f"/admin/stories/{slug}/updates/{update_id}/delete", {}),
        (f"/admin/stories/{slug}", {"title": "Forged title"}),
        (f"/admin/stories/{slug}/status", {"status": "closed"}),
        ("/admin/stories", {"title": "Forged story"}),
        ("/admin/preview", {"body": "x"}),
    ]
    for path, data in attempts:
        for token in ("", "not-the-token", other.csrf):
            r = desk.post(path, data, csrf=token)
            assert r.status_code == 403, (path, token)
    r = desk.post(f"/admin/stories/{slug}/updates", {"body": "forged"}, csrf="",
                  headers={"Accept": "application/json", "X-CSRF-Token": other.csrf})
    assert r.status_code == 403 and "errors" in r.json()
    # Logging out needs the token too: another site cannot log an editor out.
    assert desk.post("/logout", csrf="").status_code == 403
    assert desk.http.get("/admin").status_code == 200

    assert [(u["body"], u["pinned"]) for u in updates(server, slug)] == [("kept", False)]
    story = httpx.get(f"{server.url}/api/stories/{slug}").json()
    assert story["title"] == "CSRF target" and story["status"] == "live"
    assert "Forged story" not in httpx.get(server.url + "/api/stories").text
    # The header alone (as the desk's script sends it) is accepted.
    r = desk.http.post(f"/admin/stories/{slug}/updates", data={"body": "from script"},
                       headers={"Accept": "application/json", "X-CSRF-Token": desk.csrf})
    assert r.status_code == 201 and r.json()["body_html"] == "<p>from script</p>\n"


def test_the_login_form_needs_its_own_token(server, editor):
    name = editor
    d = Desk(server)
    d.http.get("/login")
    r = d.http.post("/login", data={"name": name, "password": PASSWORD, "csrf": "made-up"})
    assert r.status_code == 403 and "liveblog_session" not in d.http.cookies
    assert "expired" in r.text and f'value="{name}"' in r.text  # a fresh form, the name kept


# -- login throttling (its logic: test_auth.py) ----------------------------------


WINDOW_SECONDS = 15  # long enough that six slowed, hashed failures on a busy machine all still count


@pytest.fixture(scope="module")
def short_window_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("throttle")
    server = AppServer(tmp, server_env(tmp, LIVEBLOG_LOGIN_WINDOW_SECONDS=str(WINDOW_SECONDS))).start()
    server.editors = [make_editor(server), make_editor(server)]
    yield server
    server.stop()


def fail_at_once(server, attempts: list[tuple[str, str]]) -> list[int]:
    """Wrong passwords sent all at once, as (name, client address) pairs; their statuses."""
    def fail(attempt):
        name, address = attempt
        return Desk(server, {"X-Forwarded-For": address}).login(name, "wrong password").status_code

    with ThreadPoolExecutor(len(attempts)) as pool:
        return list(pool.map(fail, attempts))


def test_failures_for_a_name_from_many_addresses_do_not_lock_its_editor_out(short_window_server):
    # Names are public (bylines): wrong passwords for one from six addresses, then from a
    # seventh, must not keep its editor out. They only slow the name down.
    server = short_window_server
    name = server.editors[0]
    attempts = [(name, f"192.0.2.{n + 1}") for n in range(LoginThrottle.PAIR.refuse_after + 1)]
    assert fail_at_once(server, attempts) == [422] * len(attempts)
    d = Desk(server, {"X-Forwarded-For": "192.0.2.200"})
    assert d.login(name).status_code == 303
    assert d.http.get("/admin").status_code == 200


@pytest.mark.slow  # waits out the 15 s window
def test_repeated_failures_for_a_name_from_one_address_are_refused_there_only(short_window_server):
    server = short_window_server
    name, other = server.editors
    attacker = "192.0.2.50"
    limit = LoginThrottle.PAIR.refuse_after
    assert fail_at_once(server, [(name, attacker)] * limit) == [422] * limit
    refused = Desk(server, {"X-Forwarded-For": attacker}).login(name)
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.text and int(refused.headers["retry-after"]) >= 1
    assert 'value="' + name + '"' in refused.text
    # The editor from their own address, and someone else at the same moment, log in as usual.
    assert Desk(server, {"X-Forwarded-For": "192.0.2.51"}).login(name).status_code == 303
    assert Desk(server).login(other).status_code == 303

    def right_password_works():
        d = Desk(server, {"X-Forwarded-For": attacker})
        return d if d.login(name).status_code == 303 else None

    # The window has no event to wait on: try again until it has passed.
    d = wait_until(right_password_works, WINDOW_SECONDS + 15, "the throttle window to pass")
    assert d.http.get("/admin").status_code == 200


def test_repeated_failures_from_an_address_are_refused_for_every_name(short_window_server):
    server = short_window_server
    name = server.editors[1]
    attacker = "198.51.100.7"
    limit = LoginThrottle.ADDRESS.refuse_after
    assert fail_at_once(server, [(f"guess {n}", attacker) for n in range(limit)]) == [422] * limit
    assert Desk(server, {"X-Forwarded-For": attacker}).login(name).status_code == 429
    assert Desk(server, {"X-Forwarded-For": "198.51.100.8"}).login(name).status_code == 303


# -- the forms, without JavaScript ----------------------------------------------


def test_start_a_story_and_its_errors(server, desk):
    slug = desk.start_story("Bridge closed after crash", summary="Live updates", slug="bridge-crash")
    assert slug == "bridge-crash"
    assert httpx.get(f"{server.url}/api/stories/bridge-crash").json()["summary"] == "Live updates"
    assert "Bridge closed after crash" in desk.http.get("/admin").text

    r = desk.post("/admin/stories", {"title": "   ", "summary": "Typed summary", "slug": "typed-slug"})
    assert r.status_code == 422
    assert "The story needs a title" in r.text
    assert "Typed summary</textarea>" in r.text and 'value="typed-slug"' in r.text

    r = desk.post("/admin/stories", {"title": "Another crash", "summary": "Mine", "slug": "bridge-crash"})
    assert r.status_code == 422
    assert "already taken" in r.text and 'value="Another crash"' in r.text

    r = desk.post("/admin/stories", {"title": "Bad slug", "slug": "Not A Slug"})
    assert r.status_code == 422 and "lowercase letters" in r.text
    titles = [s["title"] for s in httpx.get(server.url + "/api/stories").json()["stories"]]
    assert "Another crash" not in titles and "Bad slug" not in titles


def test_post_edit_pin_delete_close_and_reopen_without_javascript(server, desk):
    slug = desk.start_story("Harbour fire")
    base = f"/admin/stories/{slug}"
    r = desk.post(f"{base}/updates", {"body": "Smoke over the *harbour*.", "headline": "Fire", "key_event": "on"})
    assert r.status_code == 303 and r.headers["location"] == base
    [first] = updates(server, slug)
    assert (first["body"], first["headline"], first["key_event"], first["author"]) == (
        "Smoke over the *harbour*.", "Fire", True, desk.http.get("/admin").text.split('class="who">')[1].split("<")[0])
    assert "<em>harbour</em>" in desk.http.get(base).text

    r = desk.post(f"{base}/updates/{first['id']}", {"body": "Smoke over the harbour, corrected.", "headline": ""})
    assert r.status_code == 303 and r.headers["location"] == f"{base}#desk-update-{first['id']}"
    [edited] = updates(server, slug)
    assert edited["body"] == "Smoke over the harbour, corrected." and edited["key_event"] is False
    assert edited["edited_at"] is not None

    desk.post(f"{base}/updates", {"body": "Second"})
    assert desk.post(f"{base}/updates/{first['id']}/pin", {"pinned": "1"}).status_code == 303
    assert {u["body"]: u["pinned"] for u in updates(server, slug)} == {"Second": False, edited["body"]: True}
    page = desk.http.get(base).text
    assert page.index(f'id="desk-update-{first["id"]}"') < page.index('<template')
    assert ">Unpin</button>" in page
    desk.post(f"{base}/updates/{first['id']}/pin", {"pinned": "0"})
    assert not any(u["pinned"] for u in updates(server, slug))

    assert desk.post(f"{base}/updates/{first['id']}/delete").status_code == 303
    assert [u["body"] for u in updates(server, slug)] == ["Second"]
    assert f'id="desk-update-{first["id"]}"' not in desk.http.get(base).text

    r = desk.post(base, {"title": "Harbour fire: live", "summary": "What we know"})
    assert r.status_code == 303
    assert httpx.get(f"{server.url}/api/stories/{slug}").json()["title"] == "Harbour fire: live"

    assert desk.post(f"{base}/status", {"status": "closed"}).status_code == 303
    assert httpx.get(f"{server.url}/api/stories/{slug}").json()["status"] == "closed"
    assert "Reopen the story" in desk.http.get(base).text
    assert desk.post(f"{base}/status", {"status": "live"}).status_code == 303
    assert httpx.get(f"{server.url}/api/stories/{slug}").json()["status"] == "live"


def test_a_refused_post_comes_back_with_the_message_and_the_text(server, desk):
    slug = desk.start_story("Refusals")
    base = f"/admin/stories/{slug}"
    cases = [
        ({"body": "   ", "headline": "My headline"}, "The update needs some text", "My headline"),
        ({"body": "x" * 50_001, "headline": "Long one"}, "The update is too long: at most 50,000 characters", "Long one"),
    ]
    for data, message, headline in cases:
        r = desk.post(f"{base}/updates", {**data, "key_event": "on"})
        assert r.status_code == 422
        assert message in r.text
        assert textarea(r.text, "post-body") == data["body"]
        assert f'value="{headline}"' in r.text
        assert 'name="key_event" id="post-key-event" checked' in r.text
        assert 'id="post-body-error" data-error-for="body" role="alert">' in r.text  # beside the field

    desk.post(f"{base}/status", {"status": "closed"})
    r = desk.post(f"{base}/updates", {"body": "Written while it closed"})
    assert r.status_code == 422 and "This story is closed" in r.text
    assert textarea(r.text, "post-body") == "Written while it closed"
    assert updates(server, slug) == []

    desk.post(f"{base}/status", {"status": "live"})
    desk.post(f"{base}/updates", {"body": "Original"})
    [update] = updates(server, slug)
    r = desk.post(f"{base}/updates/{update['id']}", {"body": "", "headline": "Kept headline"})
    assert r.status_code == 422
    assert "The update needs some text" in r.text and 'value="Kept headline"' in r.text
    assert '<details class="desk-edit" open>' in r.text  # the failing edit form stays open
    assert [u["body"] for u in updates(server, slug)] == ["Original"]

    r = desk.post(base, {"title": "", "summary": "Typed summary"})
    assert r.status_code == 422 and "The story needs a title" in r.text
    assert textarea(r.text, "story-summary") == "Typed summary"


def test_script_requests_get_json_answers(server, desk):
    slug = desk.start_story("JSON answers")
    base = f"/admin/stories/{slug}"
    as_script = {"Accept": "application/json"}
    r = desk.post(f"{base}/updates", {"body": "**Bold**", "pinned": "on"}, headers=as_script)
    assert r.status_code == 201
    created = r.json()
    assert created["pinned"] is True and 'id="update-' in created["html"]
    r = desk.post(f"{base}/updates", {"body": ""}, headers=as_script)
    assert r.status_code == 422 and r.json() == {"errors": {"body": "The update needs some text"}}
    r = desk.http.get(f"{base}/updates/{created['id']}", headers=as_script)
    assert r.json()["body"] == "**Bold**"
    r = desk.post(f"{base}/updates/{created['id']}/delete", headers=as_script)
    assert r.status_code == 200 and (r.json()["id"], r.json()["story"]) == (created["id"], slug)
    r = desk.post("/admin/stories", {"title": "Made by script"}, headers=as_script)
    assert r.status_code == 201 and r.json()["desk"] == "/admin/stories/made-by-script"


def test_oversized_or_unreadable_forms_are_refused_before_anything_changes(server, desk):
    slug = desk.start_story("Oversized")
    r = desk.post(f"/admin/stories/{slug}/updates", {"body": "x" * (1024 * 1024 + 1)})
    assert r.status_code == 413
    r = httpx.post(server.url + "/login", content=b"name=" + b"x" * (1024 * 1024 + 1),
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    r = desk.http.post(f"/admin/stories/{slug}/updates", content=b"body=\xff\xfe&csrf=" + desk.csrf.encode(),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422 and "could not be read" in r.text
    assert desk.http.get(f"/admin/stories/{slug}?before={2**63}").status_code == 422
    assert updates(server, slug) == []


def test_preview_uses_the_servers_markdown_pipeline(server, desk):
    body = "**Bold** <script>alert(1)</script> [x](javascript:alert(2))"
    r = desk.post("/admin/preview", {"body": body}, headers={"Accept": "application/json"})
    assert r.status_code == 200
    from liveblog.render import markdown_html

    assert markdown_html(body) in r.json()["html"]
    assert "<script" not in r.json()["html"] and "href=\"javascript" not in r.json()["html"]
    r = desk.post("/admin/preview", {"body": "x" * 50_001}, headers={"Accept": "application/json"})
    assert r.status_code == 422 and "too long" in r.json()["errors"]["body"]

    # Without script, the Preview button shows the desk again with the preview and the text.
    slug = desk.start_story("Preview without script")
    r = desk.post(f"/admin/stories/{slug}/updates", {"body": "*Typed*", "headline": "H", "preview": "1"})
    assert r.status_code == 200 and "<em>Typed</em>" in r.text and textarea(r.text, "post-body") == "*Typed*"
    assert updates(server, slug) == []


def test_the_desk_counts_who_has_the_story_open(server, desk, sse):
    slug = desk.start_story("Counted")
    readers_url = f"/admin/stories/{slug}/readers"
    before = desk.http.get(readers_url).json()
    assert before["readers"] == 0 and before["status"] == "live" and before["last_event_id"] > 0
    first, second = (sse(f"{server.url}/stories/{slug}/events").wait_open() for _ in range(2))
    assert first.status == second.status == 200
    assert desk.http.get(readers_url).json()["readers"] == 2
    assert "2 open now" in desk.http.get(f"/admin/stories/{slug}").text
    assert Desk(server).http.get(readers_url).status_code == 303  # not for the logged-out
