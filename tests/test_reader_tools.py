"""Reader tools with JavaScript off — key events only, search within the story — on SQLite
(FTS5) and PostgreSQL (full-text), and "since your last visit" in real Chromium."""

import re
import secrets

import httpx
import pytest

from servers import AppServer, server_env

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def shown(server, slug, query=""):
    """The ids of the updates listed on the page, in order, as a browser without JS gets it."""
    r = httpx.get(f"{server.url}/stories/{slug}{query}")
    assert r.status_code == 200, r.text
    section = r.text.split('id="updates"', 1)[1].split("</section>", 1)[0]
    return [int(n) for n in re.findall(r'<article [^>]*id="update-(\d+)"', section)], r.text


@pytest.fixture(scope="module")
def pg_database():
    """A database of our own on the real PostgreSQL, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432: {exc}")
    name = f"liveblog_extras_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def pg_server(pg_database, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pg")
    server = AppServer(tmp, server_env(tmp, LIVEBLOG_DATABASE_URL=pg_database)).start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_server(request, server):
    return server if request.param == "sqlite" else request.getfixturevalue("pg_server")


def test_key_events_and_search_without_javascript(any_db_server):
    server = any_db_server
    slug = server.new_story(f"River flooding {secrets.token_hex(3)}")["slug"]
    warning = server.post(slug, "A flood warning is in force for the **lower valley**.", headline="Warning", key_event=True)
    roads = server.post(slug, "Two roads are closed by floodwater near the bridge.")
    pinned = server.post(slug, "Sandbags are available at the depot.", pinned=True)
    rescue = server.post(slug, "Firefighters rescued a family after flooding at the mill.", key_event=True)
    gone = server.post(slug, "Flooding reported in the school car park.")
    server.api("DELETE", f"/api/stories/{slug}/updates/{gone['id']}")
    server.api("POST", f"/api/stories/{slug}/updates", {"body": "Flooding draft, unpublished", "draft": True})
    server.api("PATCH", f"/api/stories/{slug}/updates/{roads['id']}", {"body": "Two roads are closed near the bridge."})

    everything, _ = shown(server, slug)
    assert everything == [pinned["id"], rescue["id"], roads["id"], warning["id"]]

    keys, html = shown(server, slug, "?key=1")
    assert keys == [rescue["id"], warning["id"]]
    assert 'data-filter="key"' in html and f'href="/stories/{slug}"' in html  # a way back to all

    # English stemming on both databases: "floods" finds "flood" and "flooding"; only
    # published updates, as they read now (the edit removed "floodwater"), newest first.
    found, html = shown(server, slug, "?q=floods")
    assert found == [rescue["id"], warning["id"]]
    assert "2 updates matching “floods”" in html and 'value="floods"' in html
    assert shown(server, slug, "?q=valley+warning")[0] == [warning["id"]]  # every word
    assert shown(server, slug, "?q=sandbags")[0] == [pinned["id"]]
    assert shown(server, slug, "?q=headline:Warning")[0] == []  # typed text is never query syntax
    nothing, html = shown(server, slug, '?q="unmatched OR *')
    assert nothing == [] and "No updates match your search." in html
    assert httpx.get(f"{server.url}/stories/{slug}?q=" + "x" * 201).status_code == 422


def test_paging_keeps_the_filter(server):
    slug = server.new_story("Many key events")["slug"]
    for n in range(52):
        server.post(slug, f"Key {n}", key_event=n % 2 == 0)
    first, html = shown(server, slug, "?key=1")
    assert len(first) == 26
    server.post(slug, "Mostly key events")
    many = [server.post(slug, f"Key extra {n}", key_event=True)["id"] for n in range(30)]
    first, html = shown(server, slug, "?key=1")
    assert first[:30] == many[::-1] and len(first) == 50
    older = re.search(r'id="older-link"', html) and re.search(r'href="(/stories/[^"]+)" id="older-link"', html)[1]
    assert "key=1" in older
    rest, _ = shown(server, slug, older.replace("&amp;", "&").split(slug, 1)[1])
    assert len(rest) == 6 and not set(rest) & set(first)


@pytest.mark.browser
def test_since_your_last_visit(server, browser):
    slug = server.new_story("Returning reader")["slug"]
    seen = [server.post(slug, f"Before the first visit {n}")["id"] for n in range(2)]
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{server.url}/stories/{slug}")
        page.wait_for_selector('#story[data-connected="yes"]')
        assert page.locator("article.unseen").count() == 0  # a first visit marks nothing
        live = server.post(slug, "Seen live while the page was open")["id"]
        page.locator(f"#update-{live}").wait_for()
        page.close()

        missed = [server.post(slug, f"While away {n}")["id"] for n in range(2)]
        page = context.new_page()
        page.goto(f"{server.url}/stories/{slug}")
        page.wait_for_selector('#story[data-connected="yes"]')
        unseen = page.eval_on_selector_all("article.unseen", "els => els.map(e => Number(e.dataset.id))")
        assert sorted(unseen) == sorted(missed)
        assert page.locator("#since-visit").inner_text() == "2 updates since your last visit"
        assert page.locator(f"#update-{missed[0]} .unseen-badge").text_content() == "New since your last visit"
        for update_id in seen + [live]:
            assert page.locator(f"#update-{update_id}.unseen").count() == 0

        page.reload()  # now everything has been seen
        page.wait_for_selector('#story[data-connected="yes"]')
        assert page.locator("article.unseen").count() == 0
    finally:
        context.close()
