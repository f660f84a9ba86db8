"""Polls in real headless Chromium: a vote on one page, the results live on every page;
a browser that has not voted keeps the form until it votes or the poll closes; and the
vote without script."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

pytestmark = pytest.mark.browser

WAIT_MS = 15_000


def new_poll(server, slug):
    r = server.api("POST", f"/api/stories/{slug}/polls", {
        "question": "Should the ferry run tonight?", "choices": ["Yes", "No"],
        "closes_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()})
    assert r.status_code == 201, r.text
    return r.json()


def open_story(context, server, slug):
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/stories/{slug}")
    page.wait_for_selector('#story[data-connected="yes"]')
    return page, errors


def test_a_vote_shows_on_every_page_and_the_form_stays_for_those_who_have_not_voted(server, contexts):
    slug = server.new_story("Ferry poll")["slug"]
    poll = new_poll(server, slug)
    section = f"#poll-{poll['id']}"
    voter, errors_a = open_story(contexts(), server, slug)
    other, errors_b = open_story(contexts(), server, slug)
    for page in (voter, other):
        assert page.locator(f"{section} .poll-form").is_visible()
        assert page.locator(f"{section} .poll-results").is_hidden()

    voter.get_by_label("No").check()
    voter.get_by_role("button", name="Vote").click()
    results = voter.locator(f"{section} .poll-results")
    results.wait_for(state="visible")
    assert voter.locator(f"{section} .poll-form").is_hidden()
    voter.locator(f"{section} .poll-count.voted", has_text="No").wait_for()
    voter.locator(f"{section} .poll-total", has_text="1 vote").wait_for()

    # The other browser has the counts from the stream, and still only its form to see.
    other.wait_for_function(
        "s => document.querySelector(s + ' .poll-total').textContent.includes('1 vote')", arg=section)
    assert other.locator(f"{section} .poll-form").is_visible()
    assert other.locator(f"{section} .poll-results").is_hidden()

    # A vote from elsewhere reaches the voter's page live.
    r = httpx.post(poll["votes_url"], json={"choice": poll["choices"][0]["id"]}, headers={"Accept": "application/json"})
    assert r.status_code == 201, r.text
    voter.locator(f"{section} .poll-total", has_text="2 votes").wait_for()
    voter.locator(f"{section} .poll-count", has_text="50% · 1 vote").first.wait_for()

    # A reload keeps the voter's results (its cookie) and the other's form.
    voter.reload()
    voter.locator(f"{section} .poll-results").wait_for(state="visible")
    assert voter.locator(f"{section} .poll-form").is_hidden()
    other.reload()
    other.wait_for_selector('#story[data-connected="yes"]')
    assert other.locator(f"{section} .poll-form").is_visible()

    # Closing: every page shows the final result, with no form left.
    assert server.api("POST", f"/api/stories/{slug}/polls/{poll['id']}/close").status_code == 200
    for page in (voter, other):
        page.locator(f"{section} .poll-total", has_text="this poll has closed").wait_for(state="visible")
        assert page.locator(f"{section} .poll-form").count() == 0
    assert not errors_a and not errors_b, errors_a + errors_b


def test_a_browser_that_voted_sees_results_in_every_tab_and_a_stale_form_is_refused_in_words(server, contexts):
    slug = server.new_story("Twice")["slug"]
    poll = new_poll(server, slug)
    section = f"#poll-{poll['id']}"
    context = contexts()
    tab, errors = open_story(context, server, slug)
    # A tab that hears nothing of the stream (offline from it) keeps a stale form.
    stale = context.new_page()
    stale.set_default_timeout(WAIT_MS)
    stale.route("**/events**", lambda route: route.abort())
    stale.goto(f"{server.url}/stories/{slug}")
    voting, _ = open_story(context, server, slug)
    voting.get_by_label("Yes").check()
    voting.get_by_role("button", name="Vote").click()
    voting.locator(f"{section} .poll-results").wait_for(state="visible")
    # The other tab of the same browser learns of the vote from the stream, and shows the results.
    tab.locator(f"{section} .poll-results").wait_for(state="visible")
    assert tab.locator(f"{section} .poll-form").is_hidden()
    stale.get_by_label("No").check()
    stale.get_by_role("button", name="Vote").click()
    stale.locator(f"{section} .poll-error", has_text="voted in it already").wait_for(state="visible")
    assert httpx.get(f"{server.url}/api/stories/{slug}/polls/{poll['id']}").json()["total"] == 1
    assert not errors


def test_a_vote_without_script(server, contexts):
    slug = server.new_story("No script poll")["slug"]
    poll = new_poll(server, slug)
    page = contexts(java_script_enabled=False).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{server.url}/stories/{slug}")
    assert page.locator(f"#poll-{poll['id']} .poll-results").is_hidden()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Vote").click()
    page.wait_for_url(f"**/stories/{slug}/polls/{poll['id']}")
    assert page.locator("#poll-thanks").is_visible()
    page.locator(".poll-count", has_text="100% · 1 vote").wait_for()
    assert page.locator(".poll-form").count() == 0


@pytest.mark.slow
def test_polls_pass_axe_and_the_html_checker(server, contexts):
    from checkers import axe, need_axe, need_vnu, vnu

    need_axe()
    slug = server.new_story("Accessible poll", language="ar")["slug"]
    poll = new_poll(server, slug)
    page, errors = open_story(contexts(locale="ar"), server, slug)
    found = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        # In dark, axe's colour rules (the dark scheme sets colours only: test_accessibility).
        found[f"form, {scheme}"] = [str(v) for v in axe(page, colour_rules_only=scheme == "dark")]
    page.get_by_role("radio").first.check()
    page.locator(f"#poll-{poll['id']} button[type=submit]").click()
    page.locator(f"#poll-{poll['id']} .poll-results").wait_for(state="visible")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        found[f"results, {scheme}"] = [str(v) for v in axe(page, colour_rules_only=scheme == "dark")]
    page.goto(f"{server.url}/stories/{slug}/polls/{poll['id']}")
    found["poll page"] = [str(v) for v in axe(page)]
    assert all(not v for v in found.values()), found
    assert not errors
    need_vnu()
    html = {"story": httpx.get(f"{server.url}/stories/{slug}").text,
            "poll page": httpx.get(f"{server.url}/stories/{slug}/polls/{poll['id']}").text}
    assert [str(e) for e in vnu(html)] == []
