"""The audience across processes: readers summed over every process's beat, who is on the
desk (by name, live, across processes), and the chart of readers per minute.

Two `liveblog serve` processes on one SQLite file, each writing its beat every 0.3 s
(LIVEBLOG_AUDIENCE_SECONDS), stand for a deployment of several; the chart is read over
HTTP from the shared in-process server, with minute rows written through the store as
another process's beats would write them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from playwright.sync_api import expect

from backing_services import postgres_database
from desk import LIVE, Desk, log_in, make_editor
from liveblog import chart, db
from liveblog.models import utcnow
from liveblog.store import Audience, Store
from servers import server_env, wait_until

SVG = "{http://www.w3.org/2000/svg}"
FAST = "0.3"  # seconds between beats in the two-process tests


def story_id(server, slug: str) -> int:
    return server._store().get_story(slug).id


def _two_processes(tmp_path, start_server):
    env = server_env(tmp_path, LIVEBLOG_AUDIENCE_SECONDS=FAST)
    return start_server(env), start_server(env)


def test_readers_are_summed_over_two_processes_and_who_is_on_the_desk_shows_on_both(
        tmp_path, start_server, sse, contexts):
    a, b = _two_processes(tmp_path, start_server)
    nadia, omar = make_editor(a, display_name="Nadia"), make_editor(a, display_name="Omar")
    slug = a.new_story("Storm on the coast")["slug"]

    # Readers on each process (the story page's stream, and the embed's, which is the same).
    on_a = [sse(f"{a.url}/stories/{slug}/events").wait_open() for _ in range(2)]
    on_b = [sse(f"{b.url}/stories/{slug}/events").wait_open() for _ in range(3)]
    assert all(r.status == 200 for r in on_a + on_b)

    # A desk without script on A: the count is every process's readers, not this one's,
    # and a desk's own following of the story is not a reader.
    desk = Desk(a)
    assert desk.login(nadia).status_code == 303
    readers_url = f"/admin/stories/{slug}/readers"
    wait_until(lambda: desk.http.get(readers_url).json()["readers"] == 5, timeout=15, what="5 readers summed")
    assert "5 open now" in desk.http.get(f"/admin/stories/{slug}").text
    sid = story_id(a, slug)
    wait_until(lambda: [p for _, p in a._store().audience_minutes(sid) if p == 5], timeout=15,
               what="a minute's peak of 5")
    desk_follows = sse(f"{a.url}/stories/{slug}/events?desk=1").wait_open()
    assert desk_follows.status == 200
    wait_until(lambda: desk.http.get(readers_url).json()["readers"] == 5, timeout=15, what="the desk not counted")

    # Readers leaving B: the sum follows.
    for reader in on_b[:2]:
        reader.close()
    wait_until(lambda: desk.http.get(readers_url).json()["readers"] == 3, timeout=15, what="3 readers once 2 left")

    # Two editors, each on their own process, in Chromium: each desk names both.
    pages, errors = {}, []
    for name, server in ((nadia, a), (omar, b)):
        page = contexts(viewport={"width": 900, "height": 800}).new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(page, server, name)
        page.goto(f"{server.url}/admin/stories/{slug}")
        pages[name] = page
    for page in pages.values():
        expect(page.locator("#desk-presence")).to_have_text("On the desk now: Nadia and Omar", timeout=LIVE)
        expect(page.locator("#reader-count")).to_have_text("3 open now", timeout=LIVE)

    # The chart arrives with the poll once minutes are counted, and follows it.
    chart = pages[nadia].locator("#audience-chart")
    expect(chart).to_be_visible(timeout=LIVE)
    expect(chart).to_have_attribute("aria-label", re.compile(r"Peak: 5 readers at .* Now: 3\.$"), timeout=LIVE)

    # Omar leaves: Nadia's desk, on the other process, sees him go without a reload.
    pages[omar].close()
    expect(pages[nadia].locator("#desk-presence")).to_have_text("On the desk now: Nadia", timeout=LIVE)
    assert not errors, errors


def test_the_beat_writes_the_minute_and_the_desk_draws_the_chart(server, sse):
    slug = server.new_story("Wildfire near the ridge")["slug"]
    sid = story_id(server, slug)
    key = server.post(slug, "Evacuation ordered for the ridge.", headline="Evacuation ordered", key_event=True)
    server.post(slug, "Smoke is drifting east.")

    # One reader here: within a beat (5 s by default) this process writes the minute's row.
    reader = sse(f"{server.url}/stories/{slug}/events").wait_open()
    assert reader.status == 200
    store = server._store()
    wait_until(lambda: any(peak >= 1 for _, peak in store.audience_minutes(sid)), timeout=15,
               what="the minute's row")
    # /metrics has the sum too, beside its per-process figures.
    assert f'liveblog_story_readers_all_processes{{story="{slug}"}} 1\n' in httpx.get(server.url + "/metrics").text

    # Earlier minutes, as another process's beats would have written them, each summed with
    # this process's fresh beat (its one reader): 4, then 9, then 5 (a lower sum later in a
    # minute leaves its peak).
    now = utcnow().replace(second=0, microsecond=0)
    for minutes_ago, readers in ((3, 3), (2, 8), (2, 2), (1, 4)):
        at = now - timedelta(minutes=minutes_ago)
        store.beat("elsewhere", at, at - timedelta(seconds=15), {sid: (readers, ["Sam"])})
    rows = dict(store.audience_minutes(sid))
    assert rows[now - timedelta(minutes=2)] == 9 and rows[now - timedelta(minutes=3)] == 4

    desk = Desk(server)
    assert desk.login(make_editor(server)).status_code == 303
    page = desk.http.get(f"/admin/stories/{slug}").text
    svg = ET.fromstring(re.search(r"<svg class=\"audience-chart\".*?</svg>", page, re.S).group(0))
    assert svg.get("role") == "img"
    assert svg.get("aria-label").startswith("Readers per minute over the story’s life. Peak: 9 readers at ")
    assert "UTC" in svg.get("aria-label") and "Now: 1." in svg.get("aria-label")
    assert len(svg.find(f"{SVG}polyline").get("points").split()) >= 4
    peak_label = svg.find(f".//{SVG}g[@class='audience-peak']/{SVG}text").text
    peak_time = (now - timedelta(minutes=2)).strftime("%H:%M")
    assert peak_label == f"Peak: 9 at {peak_time}"
    ticks = [line.find(f"{SVG}title").text for line in svg.iter(f"{SVG}line") if line.get("class") == "audience-tick"]
    assert len(ticks) == 1 and ticks[0].startswith("Key event, ") and ticks[0].endswith(": Evacuation ordered")
    assert key["key_event"] is True
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "audience-label"]
    assert "9" not in labels[:3] and "10" in labels  # the value axis tops at a round 10
    # The text alternative: the peak and now in words, a table of every minute.
    assert re.search(r'id="audience-summary">Peak: 9 readers at [^<]+UTC\. Now: 1\.', page)
    table = re.search(r"<details class=\"audience-table\">.*?</details>", page, re.S).group(0)
    assert f"{peak_time} UTC</td><td>9</td>" in table

    # The poll sends the chart when it changed since the version the page has, not otherwise.
    version = re.search(r'id="audience"[^>]*data-version="([0-9a-f]+)"', page).group(1)
    polled = desk.http.get(f"/admin/stories/{slug}/readers", params={"chart": version}).json()
    assert polled["chart"] is None and polled["chart_version"] == version and polled["readers"] == 1
    assert polled["readers_text"] == "1 open now"
    fresh = desk.http.get(f"/admin/stories/{slug}/readers", params={"chart": "old"}).json()
    assert "<svg" in fresh["chart"] and "Evacuation ordered" in fresh["chart"]


def test_the_chart_speaks_the_desks_language(server):
    slug = server.new_story("Séisme")["slug"]
    sid = story_id(server, slug)
    now = utcnow().replace(second=0, microsecond=0)
    server._store().beat("elsewhere", now, now - timedelta(seconds=15), {sid: (1234, [])})
    desk = Desk(server, headers={"Accept-Language": "fa"})
    assert desk.login(make_editor(server)).status_code == 303
    page = desk.http.get(f"/admin/stories/{slug}").text
    assert "۱٬۲۳۴" in page and "Readers per minute" not in page


def test_a_story_never_read_says_so_and_bad_polls_are_refused_cleanly(server):
    slug = server.new_story("Quiet story")["slug"]
    desk = Desk(server)
    assert desk.login(make_editor(server)).status_code == 303
    page = desk.http.get(f"/admin/stories/{slug}").text
    assert 'id="audience-empty"' in page and "<svg class=\"audience-chart\"" not in page
    assert desk.http.get("/admin/stories/no-such-story/readers").status_code == 404
    weird = desk.http.get(f"/admin/stories/{slug}/readers", params={"chart": "\u2603" * 300})
    assert weird.status_code == 200 and "<section" in weird.json()["chart"]
    assert httpx.get(f"{server.url}/admin/stories/{slug}/readers", follow_redirects=False).status_code == 303


def test_presence_comes_to_desk_streams_that_ask_with_no_id_and_by_display_name(server, sse):
    slug = server.new_story("Harbour strike")["slug"]
    token = server.create_token("wire-desk", display_name="Wire Desk")
    auth = {"Authorization": f"Bearer {token}"}
    desk = sse(f"{server.url}/api/stories/{slug}/desk/events?presence=1", headers=auth).wait_open()
    api_client = sse(f"{server.url}/api/stories/{slug}/desk/events", headers=auth).wait_open()
    reader = sse(f"{server.url}/stories/{slug}/events").wait_open()
    assert desk.status == api_client.status == reader.status == 200
    (presence,) = desk.wait(1)
    assert (presence.event, presence.id, presence.json) == ("presence", None, {"editors": ["Wire Desk"]})
    # A queue change after it still carries its id: presence leaves the client's place alone.
    server.post(slug, "Talks resume at noon.", headline="Talks", publish_at=(utcnow() + timedelta(hours=1)).isoformat())
    events = desk.wait(2)
    assert events[1].event == "scheduled" and events[1].id is not None
    # A desk stream that did not ask for presence (an API client's) gets its log alone.
    assert [e.event for e in api_client.wait(1)] == ["scheduled"]
    assert [e.event for e in reader.events] == []


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    def made(url: str) -> Store:
        engine = db.make_engine(url)
        db.upgrade(engine)
        return Store(engine)

    if request.param == "sqlite":
        yield made(f"sqlite:///{tmp_path / 'audience.db'}")
        return
    with postgres_database("audience") as url:
        made_store = made(url)
        yield made_store
        made_store.engine.dispose()


def test_beats_sum_over_processes_forget_the_silent_and_keep_each_minutes_peak(store):
    one = store.create_story("One").value.id
    two = store.create_story("Two").value.id
    t = utcnow().replace(second=10, microsecond=0)
    stale = timedelta(seconds=15)
    store.beat("a", t, t - stale, {one: (2, ["Nadia"]), two: (1, [])})
    summed = store.beat("b", t, t - stale, {one: (5, ["omar", "Nadia"])})
    assert summed == {one: Audience(7, ("Nadia", "omar"))}
    assert store.audience(one, t - stale) == Audience(7, ("Nadia", "omar"))
    assert store.audience(one, t - stale, but="b") == Audience(2, ("Nadia",))
    # Later in the minute, fewer: the minute keeps its peak; A no longer has story two open.
    later = t + timedelta(seconds=20)
    store.beat("a", later, later - stale, {one: (1, [])})
    assert store.audience(two, later - stale) == Audience(0, ())
    # B goes silent: 20 s on, its row is past three beats of 5 s and counts for nothing.
    gone = t + timedelta(seconds=40)
    assert store.beat("a", gone, gone - stale, {one: (1, ["Nadia"])}) == {one: Audience(1, ("Nadia",))}
    minute = t.replace(second=0)
    assert store.audience_minutes(one) == [(minute, 7)]
    assert store.audience_minutes(two) == [(minute, 1)]
    # Nothing open: the process's rows go.
    store.beat("a", gone, gone - stale, {})
    assert store.audience(one, gone - stale) == Audience(0, ())


@pytest.mark.parametrize("peak, axis", [(9, ["0", "5", "10"]), (5147, ["0", "3,000", "6,000"]), (1, ["0", "1"])])
def test_the_value_axis_tops_at_a_round_number_close_above_the_peak(peak, axis):
    start = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    minutes = [(start + timedelta(minutes=n), peak if n == 5 else 0) for n in range(10)]
    assert [label.text for label in chart.build(minutes, [], "en").y_labels] == axis
