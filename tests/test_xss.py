"""Known XSS payloads in every field a reader's browser shows; in real Chromium no script runs."""

from pathlib import Path

import pytest

from liveblog.db import make_engine
from liveblog.store import Store

pytestmark = pytest.mark.browser

PAYLOADS = [line for line in (Path(__file__).parent / "data" / "xss_payloads.txt").read_text().splitlines() if line]
BATCH = 20
WAIT_MS = 15_000


def test_the_list_is_long_enough():
    assert len(PAYLOADS) >= 100


@pytest.fixture(scope="module")
def hostile(server):
    """Stories whose titles, summaries, headlines, bodies and authors are all payloads."""
    store = Store(make_engine(server.env["LIVEBLOG_DATABASE_URL"]))
    slugs = []
    for start in range(0, len(PAYLOADS), BATCH):
        batch = PAYLOADS[start:start + BATCH]
        slug = server.new_story(batch[0][:300], summary=batch[-1][:2000])["slug"]
        for n, payload in enumerate(batch):
            token = store.create_token(payload[:120])
            r = server.api("POST", f"/api/stories/{slug}/updates",
                           {"body": payload, "headline": payload[:300], "key_event": n % 2 == 0, "pinned": n == 3},
                           token=token)
            assert r.status_code == 201, r.text
        slugs.append(slug)
    return slugs


def watch(page) -> list[str]:
    """Everything a payload could do to show itself: dialogs, console output, page errors."""
    fired: list[str] = []
    page.on("dialog", lambda d: (fired.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("console", lambda m: fired.append(f"console: {m.text}") if "alert" in m.text or m.type == "error"
            and "EventSource" not in m.text and "Failed to load resource" not in m.text else None)
    page.on("pageerror", lambda e: fired.append(f"pageerror: {e}"))
    return fired


def test_no_script_runs_on_story_pages(server, hostile, browser):
    context = browser.new_context()
    page = context.new_page()
    fired = watch(page)
    try:
        for slug in hostile:
            page.goto(f"{server.url}/stories/{slug}")
            page.wait_for_selector('#story[data-connected="yes"]', timeout=WAIT_MS)
            # the same payloads arriving live, inserted by the page's script
            live = server.post(slug, "\n\n".join(PAYLOADS[:40]), headline=PAYLOADS[10][:300], key_event=True)
            page.locator(f"#update-{live['id']}").wait_for(timeout=WAIT_MS)
            page.hover(f"#update-{live['id']}")
        page.goto(server.url + "/")
    finally:
        context.close()
    assert fired == []


def test_json_ld_stays_one_data_block(server, hostile, browser):
    context = browser.new_context()
    page = context.new_page()
    try:
        for slug in hostile:
            page.goto(f"{server.url}/stories/{slug}")
            blocks = page.eval_on_selector_all('script[type="application/ld+json"]',
                                               "els => els.map(e => JSON.parse(e.textContent)['@type'])")
            assert blocks == ["LiveBlogPosting"]
            assert page.locator("script:not([src]):not([type])").count() == 0
    finally:
        context.close()
