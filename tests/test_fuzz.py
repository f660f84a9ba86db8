"""Hostile input against a running server: every API operation fuzzed from its OpenAPI
document (the queue, image uploads, oEmbed and push subscriptions too), every desk form
fuzzed as a logged-in editor sends it, and the reader URLs' query strings. Nothing may
answer 5xx, show a traceback, or change stored data when it refuses a request."""

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote_from_bytes

import httpx
import pytest
import schemathesis
from sqlalchemy import text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liveblog.db import make_engine
from liveblog.web.openapi import document
from desk import Desk, make_editor
from servers import AppServer, server_env

schema = schemathesis.openapi.from_dict(document())
FUZZ = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of this module's own: a refused request is checked to change nothing on
    the whole server, so no other module's stories may be on it."""
    tmp = tmp_path_factory.mktemp("fuzz")
    own = AppServer(tmp, server_env(tmp)).start()
    yield own
    own.stop()


@pytest.fixture(scope="module")
def target(server):
    slug = server.new_story("Fuzz target", summary="kept")["slug"]
    ids = [server.post(slug, f"kept {n}")["id"] for n in range(3)]
    return server, slug, ids


@pytest.fixture(scope="module")
def target_poll(target):
    server, slug, _ids = target
    r = server.api("POST", f"/api/stories/{slug}/polls", {
        "question": "Kept?", "choices": ["Yes", "No"],
        "closes_at": (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()})
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture(scope="module")
def target_callout(target):
    server, slug, ids = target
    d = Desk(server)
    assert d.login(make_editor(server)).status_code == 303
    r = d.post(f"/admin/stories/{slug}/updates/{ids[0]}/callout", {"prompt": "Kept?", "want_name": "1"},
               headers={"Accept": "application/json"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


# Everything stored that a request could change: stories, updates (drafts and scheduled
# ones too), both logs, accounts, and subscriptions (but their count of failed sends,
# which the push sender moves on its own).
STORED = {
    "story": "*", "update": "*", "event": "*", "deskevent": "*", "editor": "*", "token": "*",
    "pushsubscription": "id, story_id, endpoint, p256dh, auth, address",
    "poll": "*", "pollchoice": "*", "callout": "*", "submission": "*", "deskmessage": "*",
    "syndicationtoken": "*", "syndicationlink": "id, story_id, url, token, approval, last_event_id",
    "syndicatedupdate": "*",
}


@pytest.fixture(scope="module")
def database(server):
    engine = make_engine(server.env["LIVEBLOG_DATABASE_URL"])
    yield engine
    engine.dispose()


def snapshot(engine) -> dict:
    """Every stored row, read in one go: the server's database as it is now."""
    with engine.connect() as connection:
        return {table: connection.execute(text(f'SELECT {columns} FROM "{table}" ORDER BY 1')).all()
                for table, columns in STORED.items()}


def test_openapi_document_is_served(server):
    r = httpx.get(server.url + "/api/openapi.json")
    assert r.status_code == 200
    assert r.json()["openapi"].startswith("3.")
    assert {"/api/stories", "/api/stories/{slug}/updates/{update_id}", "/api/stories/{slug}/drafts",
            "/api/stories/{slug}/updates/{update_id}/publish", "/api/media", "/oembed",
            "/stories/{slug}/subscriptions", "/api/stories/{slug}/polls", "/api/stories/{slug}/polls/{poll_id}",
            "/stories/{slug}/polls/{poll_id}/votes", "/api/stories/{slug}/syndication-tokens",
            "/api/stories/{slug}/sources"} <= set(r.json()["paths"])


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_api_operations_never_fail_on_any_input(case, target, target_poll, target_callout, database):
    server, slug, ids = target
    if "slug" in (case.path_parameters or {}):
        case.path_parameters["slug"] = slug
    update_id = (case.path_parameters or {}).get("update_id")
    if isinstance(update_id, int) and update_id % 2 == 0:
        case.path_parameters["update_id"] = ids[update_id % len(ids)]
    poll_id = (case.path_parameters or {}).get("poll_id")
    if isinstance(poll_id, int) and poll_id % 2 == 0:
        case.path_parameters["poll_id"] = target_poll
    callout_id = (case.path_parameters or {}).get("callout_id")
    if isinstance(callout_id, int) and callout_id % 2 == 0:
        case.path_parameters["callout_id"] = target_callout
    writes = case.method != "GET"
    before = snapshot(database) if writes else None
    response = case.call(base_url=server.url, timeout=30,
                         headers={"Authorization": f"Bearer {server.token}", "Accept": "application/json"})
    if case.path == "/oembed" and response.status_code == 501:
        # oEmbed 1.0 (2.3.4.1) asks for 501 when a format other than json is asked for.
        assert (case.query or {}).get("format") not in (None, "json"), response.text
    else:
        assert response.status_code < 500, (case, response.text)
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        assert response.json()["errors"], response.text
        if writes:
            assert snapshot(database) == before, f"a refused {case.method} {case.path} changed stored data"


def test_oversized_request_is_refused_before_it_is_read(target, database):
    server, slug, _ = target
    before = snapshot(database)
    r = server.api("POST", f"/api/stories/{slug}/updates", content=b"x" * (2 * 1024 * 1024),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "KiB" in r.json()["errors"]["request"]
    assert snapshot(database) == before


queries = st.one_of(st.text(max_size=30), st.integers(min_value=-10, max_value=10**20).map(str))


@FUZZ
@given(before=queries)
def test_story_page_before_parameter(target, before):
    server, slug, _ = target
    r = httpx.get(f"{server.url}/stories/{slug}", params={"before": before}, timeout=30)
    assert r.status_code in (200, 404, 422), (before, r.status_code)
    assert "Traceback" not in r.text


@FUZZ
@given(limit=queries, before=queries)
def test_updates_paging_parameters(target, limit, before):
    server, slug, _ = target
    r = httpx.get(f"{server.url}/api/stories/{slug}/updates", params={"limit": limit, "before": before}, timeout=30)
    assert r.status_code in (200, 422), (limit, before, r.text)
    assert "Traceback" not in r.text


@pytest.fixture(scope="module")
def live_story(server) -> str:
    """A story the API fuzzing never reaches (it may close its target, whose stream then
    rightly answers 204)."""
    slug = server.new_story("Fuzzed stream")["slug"]
    server.post(slug, "kept")
    return slug


@FUZZ
@given(last_event_id=queries, header=st.booleans())
def test_stream_last_event_id(server, live_story, last_event_id, header):
    slug = live_story
    # Only what HTTP lets a header carry (visible ASCII, space, tab) can go in the header.
    sendable = re.fullmatch(r"[\x20-\x7e\t]*", last_event_id) is not None and last_event_id == last_event_id.strip(" \t")
    if header and sendable:
        kwargs = {"headers": {"Last-Event-ID": last_event_id}}
    else:
        kwargs = {"params": {"last_event_id": last_event_id}}
    with httpx.stream("GET", f"{server.url}/stories/{slug}/events", timeout=30, **kwargs) as r:
        assert r.status_code in (200, 400), (last_event_id, r.status_code)
        if r.status_code == 400:
            assert "Traceback" not in r.read().decode()


# -- the desk's forms, as a logged-in editor posts them ---------------------------

DESK_FORMS = [
    "/login", "/admin/stories", "/admin/preview", "/admin/stories/{slug}", "/admin/stories/{slug}/status",
    "/admin/stories/{slug}/updates", "/admin/stories/{slug}/updates/{id}",
    *(f"/admin/stories/{{slug}}/updates/{{id}}/{action}" for action in ("pin", "delete", "publish", "reject",
                                                                          "cancel", "schedule", "restore")),
    "/admin/stories/{slug}/media", "/admin/stories/{slug}/chat", "/admin/stories/{slug}/questions",
    "/admin/stories/{slug}/updates/{id}/callout", "/admin/stories/{slug}/callouts/{callout}/close",
    *(f"/admin/stories/{{slug}}/submissions/{{submission}}/{action}" for action in ("use", "dismiss")),
    "/stories/{slug}/callouts/{callout}/answers",
]
FIELDS = ["body", "headline", "key_event", "pinned", "draft", "publish_at", "tz_offset", "title", "summary",
          "status", "caption", "credit", "image", "name", "password", "next", "slug", "text", "prompt", "want_name",
          "want_contact", "want_consent", "closes_in", "with_name", "consent", "contact", "website"]
# What a form field may hold: text, numerals Python calls digits ('²', '١٢'), times at the
# calendar's edges, and bytes that are not UTF-8 (raw or percent-encoded).
values = st.one_of(
    st.text(max_size=40).map(str.encode),
    st.sampled_from(["²", "١٢", "9999-12-31T23:59", "0001-01-01T00:00", "9999-12-31T23:59:59+14:00",
                     "-1080", "1081", "+0", "on", ""]).map(str.encode),
    st.binary(max_size=12),
)
forms = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)


@pytest.fixture(scope="module")
def desk(server):
    """An editor logged in, and a story of the desk fuzzing's own (the API fuzzing may
    have closed its target, where a draft is rightly refused)."""
    d = Desk(server)
    assert d.login(make_editor(server)).status_code == 303
    slug = server.new_story("Desk fuzz target", summary="kept")["slug"]
    ids = [server.post(slug, f"kept {n}")["id"] for n in range(3)]
    draft = server.api("POST", f"/api/stories/{slug}/updates", {"body": "a draft", "draft": True})
    assert draft.status_code == 201, draft.text
    callout = d.post(f"/admin/stories/{slug}/updates/{ids[1]}/callout", {"prompt": "Kept?", "want_name": "1"},
                     headers={"Accept": "application/json"}).json()["id"]
    sent = httpx.post(f"{server.url}/stories/{slug}/callouts/{callout}/answers", data={"text": "kept"})
    assert sent.status_code == 303, sent.text
    submission = server._store().submissions(server._store().get_story(slug).id)[0].id
    return d, slug, [*ids, draft.json()["id"]], callout, submission


def encoded(form: dict[str, bytes], csrf: str) -> bytes:
    pairs = {**form, "csrf": csrf.encode()}
    return "&".join(f"{name}={quote_from_bytes(value)}" for name, value in pairs.items()).encode()


@FUZZ
@given(path=st.sampled_from(DESK_FORMS), form=forms, pick=st.integers(min_value=0, max_value=3),
       raw=st.booleans(), script=st.booleans())
def test_desk_forms_never_fail_on_any_input(server, database, desk, path, form, pick, raw, script):
    editor, slug, ids, callout, submission = desk
    url = path.format(slug=slug, id=ids[pick % len(ids)], callout=callout if pick % 2 else pick + 10_000,
                      submission=submission if pick % 2 else pick + 10_000)
    body = encoded(form, editor.csrf)
    if raw:  # the same fields, unencoded: whatever bytes they hold go on the wire as they are
        body = b"&".join(name.encode() + b"=" + value for name, value in {**form, "csrf": editor.csrf.encode()}.items())
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if script:
        headers["Accept"] = "application/json"
    before = snapshot(database)
    response = editor.http.post(url, content=body, headers=headers)
    assert response.status_code < 500, (url, body, response.text)
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        assert snapshot(database) == before, f"a refused POST {url} changed stored data"
