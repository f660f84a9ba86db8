"""Hostile input against a running server: every API operation fuzzed from its OpenAPI
document, and the reader URLs' query strings fuzzed too. Nothing may answer 5xx, show a
traceback, or change stored data when it refuses a request."""

import re

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liveblog.web.openapi import document
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


def snapshot(server) -> tuple:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        stories = client.get("/api/stories").json()["stories"]
        updates = {s["slug"]: client.get(f"/api/stories/{s['slug']}/updates?limit=200").json()["updates"]
                   for s in stories}
    return stories, updates


def test_openapi_document_is_served(server):
    r = httpx.get(server.url + "/api/openapi.json")
    assert r.status_code == 200
    assert r.json()["openapi"].startswith("3.")
    assert {"/api/stories", "/api/stories/{slug}/updates/{update_id}"} <= set(r.json()["paths"])


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_api_operations_never_fail_on_any_input(case, target):
    server, slug, ids = target
    if "slug" in (case.path_parameters or {}):
        case.path_parameters["slug"] = slug
    update_id = (case.path_parameters or {}).get("update_id")
    if isinstance(update_id, int) and update_id % 2 == 0:
        case.path_parameters["update_id"] = ids[update_id % len(ids)]
    writes = case.method != "GET"
    before = snapshot(server) if writes else None
    response = case.call(base_url=server.url, headers={"Authorization": f"Bearer {server.token}"}, timeout=30)
    assert response.status_code < 500, (case, response.text)
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        assert response.json()["errors"], response.text
        if writes:
            assert snapshot(server) == before, f"a refused {case.method} {case.path} changed stored data"


def test_oversized_request_is_refused_before_it_is_read(target):
    server, slug, _ = target
    before = snapshot(server)
    r = server.api("POST", f"/api/stories/{slug}/updates", content=b"x" * (2 * 1024 * 1024),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "KiB" in r.json()["errors"]["request"]
    assert snapshot(server) == before


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
