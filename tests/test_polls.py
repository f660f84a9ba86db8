"""Polls over HTTP: posting one, bad input refused with nothing changed, one vote per
browser, the per-address limit, closing (by an editor and by its time), the vote without
script, and a burst of votes that reaches readers as a few counted `poll` events."""

from __future__ import annotations

import math
import re
import threading
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import text

from tests.servers import server_env, wait_until


def _in(**delta) -> str:
    return (datetime.now(timezone.utc) + timedelta(**delta)).isoformat()


def new_poll(server, slug, question="Should the bridge reopen?", choices=("Yes", "No", "Not yet"), **fields):
    r = server.api("POST", f"/api/stories/{slug}/polls",
                   {"question": question, "choices": list(choices), "closes_at": _in(hours=2), **fields})
    assert r.status_code == 201, r.text
    return r.json()


def vote(server, poll, choice_index=0, client=None, **headers):
    client = client or httpx.Client()
    return client.post(poll["votes_url"].replace("http://testserver", server.url),
                       json={"choice": poll["choices"][choice_index]["id"]},
                       headers={"Accept": "application/json", **headers})


def counts(server, slug, poll_id) -> dict:
    r = httpx.get(f"{server.url}/api/stories/{slug}/polls/{poll_id}")
    assert r.status_code == 200, r.text
    return r.json()


def test_a_poll_is_posted_as_an_update_with_a_form_that_needs_no_script(server):
    slug = server.new_story("Bridge poll")["slug"]
    poll = new_poll(server, slug)
    assert [c["label"] for c in poll["choices"]] == ["Yes", "No", "Not yet"]
    assert poll["total"] == 0 and poll["closed"] is False
    assert counts(server, slug, poll["id"]) == poll
    page = httpx.get(f"{server.url}/stories/{slug}").text
    assert f'id="update-{poll["update"]}"' in page
    assert f'action="/stories/{slug}/polls/{poll["id"]}/votes"' in page
    assert page.count('type="radio" name="choice"') == 3
    updates = server.api("GET", f"/api/stories/{slug}/updates").json()["updates"]
    assert [u["id"] for u in updates] == [poll["update"]]
    assert "Should the bridge reopen?" in updates[0]["body_html"]


def _stored(server, slug):
    def read(store):
        with store.engine.connect() as c:
            return (c.execute(text("SELECT count(*) FROM poll")).scalar(),
                    c.execute(text("SELECT count(*) FROM pollchoice")).scalar(),
                    c.execute(text("SELECT max(id) FROM event")).scalar(),
                    store.list_updates(slug)[0])
    return server._on_database(read)


@pytest.mark.parametrize("body, field", [
    ({"choices": ["Yes"]}, "choices"),
    ({"choices": ["A", "B", "C", "D", "E", "F", "G"]}, "choices"),
    ({"choices": ["Yes", "yes"]}, "choices"),
    ({"choices": ["Yes", "  "]}, "choices.1"),
    ({"choices": ["Yes", "x" * 101]}, "choices.1"),
    ({"question": "x" * 301}, "question"),
    ({"question": ""}, "question"),
    ({"closes_at": "2020-01-01T00:00:00Z"}, "closes_at"),
    ({"closes_at": "__far__"}, "closes_at"),
    ({"closes_at": "2030-01-01T00:00:00"}, "closes_at"),
    ({"choices": "Yes,No"}, "choices"),
    ({"votes": 5}, "votes"),
])
def test_bad_poll_input_is_refused_and_changes_nothing(server, body, field):
    slug = server.new_story("Refused polls")["slug"]
    before = _stored(server, slug)
    if body.get("closes_at") == "__far__":
        body = {**body, "closes_at": _in(days=40)}
    data = {"question": "Open the bridge?", "choices": ["Yes", "No"], "closes_at": _in(hours=1), **body}
    r = server.api("POST", f"/api/stories/{slug}/polls", data)
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"], r.text
    assert _stored(server, slug) == before


def test_only_an_editor_posts_a_poll(server):
    slug = server.new_story("Contributor poll")["slug"]
    before = _stored(server, slug)
    token = server.create_token("Stringer", role="contributor")
    r = server.api("POST", f"/api/stories/{slug}/polls",
                   {"question": "Q?", "choices": ["A", "B"], "closes_at": _in(hours=1)}, token=token)
    assert r.status_code == 403, r.text
    assert server.api("POST", f"/api/stories/{slug}/polls", {}, token=None).status_code == 401
    assert _stored(server, slug) == before


def test_a_browser_votes_once(server):
    slug = server.new_story("Vote once")["slug"]
    poll = new_poll(server, slug)
    browser = httpx.Client()
    first = vote(server, poll, 1, browser)
    assert first.status_code == 201, first.text
    assert first.json()["voted"] == poll["choices"][1]["id"]
    assert first.json()["total"] == 1 and "1 vote" in first.json()["html"]
    again = vote(server, poll, 0, browser)
    assert again.status_code == 409, again.text
    assert again.json()["errors"]
    assert counts(server, slug, poll["id"])["total"] == 1
    # Another browser (no cookie) may; a forged cookie is no vote.
    browser.cookies.set("liveblog_polls", f"{poll['id']}_1.forged.sig")
    assert vote(server, poll, 0, browser).status_code == 201
    assert [c["votes"] for c in counts(server, slug, poll["id"])["choices"]] == [1, 1, 0]


def test_a_vote_from_another_site_or_for_another_poll_counts_nothing(server):
    slug = server.new_story("Refused votes")["slug"]
    poll, other = new_poll(server, slug), new_poll(server, slug, "Other?")
    url = f"{server.url}/stories/{slug}/polls/{poll['id']}/votes"
    refused = [
        httpx.post(url, data={"choice": str(poll["choices"][0]["id"])}, headers={"Origin": "https://evil.example"}),
        httpx.post(url, data={"choice": str(poll["choices"][0]["id"])}, headers={"Sec-Fetch-Site": "cross-site"}),
        httpx.post(url, data={"choice": str(other["choices"][0]["id"])}),
        httpx.post(url, data={"choice": "²"}),
        httpx.post(url, data={}),
        httpx.post(url, content=b"choice=%ff", headers={"Content-Type": "application/x-www-form-urlencoded"}),
        httpx.post(url, json={"choice": True}),
        httpx.post(f"{server.url}/stories/{slug}/polls/99999999/votes", json={"choice": 1}),
        httpx.post(f"{server.url}/stories/{slug}/polls/{10**30}/votes", json={"choice": 1}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 422, 422, 422, 422, 422, 404, 404], [r.text for r in refused]
    assert counts(server, slug, poll["id"])["total"] == 0
    assert counts(server, slug, other["id"])["total"] == 0


def test_a_deleted_polls_votes_are_refused(server):
    slug = server.new_story("Deleted poll")["slug"]
    poll = new_poll(server, slug)
    assert vote(server, poll).status_code == 201
    assert server.api("DELETE", f"/api/stories/{slug}/updates/{poll['update']}").status_code == 204
    assert vote(server, poll).status_code == 404
    assert httpx.get(f"{server.url}/api/stories/{slug}/polls/{poll['id']}").status_code == 404
    assert server.api("POST", f"/api/stories/{slug}/polls/{poll['id']}/close").status_code == 404


def test_a_vote_without_script_lands_on_the_results(server):
    slug = server.new_story("No-script vote")["slug"]
    poll = new_poll(server, slug)
    browser = httpx.Client()
    r = browser.post(f"{server.url}/stories/{slug}/polls/{poll['id']}/votes",
                     data={"choice": str(poll["choices"][2]["id"])}, headers={"Origin": server.url})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/stories/{slug}/polls/{poll['id']}"
    results = browser.get(server.url + r.headers["location"])
    assert results.status_code == 200
    assert "your vote is counted" in results.text
    assert 'name="choice"' not in results.text  # no form for a browser that has voted
    assert "100% · 1 vote" in results.text
    # Without the cookie the same page offers the form.
    assert 'name="choice"' in httpx.get(server.url + r.headers["location"]).text


def test_votes_per_address_are_limited(start_app_server, tmp_path):
    server = start_app_server(server_env(tmp_path, LIVEBLOG_STREAM_LIMIT_EXEMPT="none",
                                         LIVEBLOG_MAX_VOTES_PER_ADDRESS="3"))
    slug = server.new_story("Limited")["slug"]
    poll = new_poll(server, slug)
    assert [vote(server, poll).status_code for _ in range(3)] == [201, 201, 201]
    refused = vote(server, poll)
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) >= 1
    assert counts(server, slug, poll["id"])["total"] == 3


def test_closing_freezes_the_result_and_sends_a_last_poll_event(server, sse):
    slug = server.new_story("Closing")["slug"]
    poll = new_poll(server, slug)
    assert vote(server, poll, 0).status_code == 201
    reader = sse(f"{server.url}/stories/{slug}/events", last_event_id=0)
    token = server.create_token("Reporter", role="contributor")
    assert server.api("POST", f"/api/stories/{slug}/polls/{poll['id']}/close", token=token).status_code == 403
    r = server.api("POST", f"/api/stories/{slug}/polls/{poll['id']}/close")
    assert r.status_code == 200, r.text
    assert r.json()["closed"] is True and r.json()["total"] == 1
    wait_until(lambda: any(e.event == "poll" and e.json["closed"] for e in reader.events), 15, "the final poll event")
    final = [e.json for e in reader.events if e.event == "poll"][-1]
    assert final["total"] == 1 and final["counts"] == {str(poll["choices"][0]["id"]): 1,
                                                       str(poll["choices"][1]["id"]): 0,
                                                       str(poll["choices"][2]["id"]): 0}
    assert "this poll has closed" in final["html"]
    refused = vote(server, poll, 1)
    assert refused.status_code == 409, refused.text
    assert counts(server, slug, poll["id"])["total"] == 1
    page = httpx.get(f"{server.url}/stories/{slug}").text
    assert 'name="choice"' not in page and "100% · 1 vote" in page and "this poll has closed" in page


def test_a_poll_closes_at_its_time(server, sse):
    slug = server.new_story("Closing time")["slug"]
    poll = new_poll(server, slug)
    reader = sse(f"{server.url}/stories/{slug}/events", last_event_id=0)
    reader.wait(2)

    def due(store):
        with store.engine.begin() as c:
            c.execute(text("UPDATE poll SET closes_at = :t WHERE id = :id"),
                      {"t": datetime.now(timezone.utc) - timedelta(seconds=1), "id": poll["id"]})
    server._on_database(due)
    assert vote(server, poll).status_code == 409  # checked on the vote, whether or not the scheduler ran
    wait_until(lambda: any(e.event == "poll" and e.json["closed"] for e in reader.events), 15, "the closing event")
    assert counts(server, slug, poll["id"])["closed"] is True
    assert len([e for e in reader.events if e.event == "poll"]) == 1


@pytest.mark.slow  # a load test: a thousand votes
def test_a_burst_of_votes_is_counted_exactly_and_streamed_as_a_few_events(server, sse):
    slug = server.new_story("Burst")["slug"]
    poll = new_poll(server, slug, choices=("Red", "Green"))
    reader = sse(f"{server.url}/stories/{slug}/events", last_event_id=0)
    reader.wait(2)
    votes, threads_count = 1000, 20
    failures = []

    def voter(n):
        # A shared machine may be slow: a generous timeout, and any failure is reported.
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for i in range(votes // threads_count):
                client.cookies.clear()
                try:
                    r = client.post(f"/stories/{slug}/polls/{poll['id']}/votes", headers={"Accept": "application/json"},
                                    json={"choice": poll["choices"][(n + i) % 2]["id"]})
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                if r.status_code != 201:
                    failures.append(r.text)

    started = time.monotonic()
    threads = [threading.Thread(target=voter, args=(n,)) for n in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert not failures, failures[:3]
    assert counts(server, slug, poll["id"])["total"] == votes
    wait_until(lambda: any(e.event == "poll" and e.json["total"] == votes for e in reader.events), 30,
               "the poll event with every vote")
    polled = [e.json for e in reader.events if e.event == "poll"]
    # One round of events a second at most (the first at once): a handful, not a thousand.
    assert len(polled) <= math.ceil(elapsed) + 2, (len(polled), elapsed)
    assert len(polled) < 50
    totals = [p["total"] for p in polled]
    assert totals == sorted(totals) and totals[-1] == votes
    assert sum(polled[-1]["counts"].values()) == votes


def test_the_desk_adds_a_poll_without_script(server):
    from tests.desk import Desk, make_editor

    desk = Desk(server)
    assert desk.login(make_editor(server)).status_code == 303
    slug = desk.start_story("Desk poll")
    page = desk.http.get(f"/admin/stories/{slug}").text
    assert 'id="poll-form"' in page and 'action="/admin/stories/' + slug + '/polls"' in page
    refused = desk.post(f"/admin/stories/{slug}/polls", {"question": "Which?", "choice_1": "Only one",
                                                          "closes_in": "60"})
    assert refused.status_code == 422
    assert "Give from 2 to 6 choices" in refused.text and 'value="Only one"' in refused.text
    assert desk.post(f"/admin/stories/{slug}/polls", {"question": "Q", "choice_1": "A", "choice_2": "B",
                                                      "closes_in": "7"}).status_code == 422
    assert desk.post(f"/admin/stories/{slug}/polls", {"question": "Q", "choice_1": "A", "choice_2": "B",
                                                      "closes_in": "60"}, csrf="forged").status_code == 403
    assert server.api("GET", f"/api/stories/{slug}/updates").json()["updates"] == []
    r = desk.post(f"/admin/stories/{slug}/polls", {"question": "Which bridge first?", "choice_1": "North",
                                                   "choice_2": "", "choice_3": "South", "closes_in": "60"})
    assert r.status_code == 303, r.text
    updates = server.api("GET", f"/api/stories/{slug}/updates").json()["updates"]
    assert len(updates) == 1 and "Which bridge first?" in updates[0]["body_html"]
    page = httpx.get(f"{server.url}/stories/{slug}").text
    assert ">North</label>" not in page  # the label holds the input and the text
    assert page.count('name="choice"') == 2 and "South" in page
    desk_page = desk.http.get(f"/admin/stories/{slug}").text
    assert 'id="open-polls"' in desk_page
    close = re.search(r'action="(/admin/stories/[^"]+/polls/(\d+)/close)"', desk_page)
    assert desk.post(close.group(1), csrf="forged").status_code == 403
    assert desk.post(close.group(1)).status_code == 303
    assert counts(server, slug, int(close.group(2)))["closed"] is True
    assert 'id="open-polls"' not in desk.http.get(f"/admin/stories/{slug}").text
