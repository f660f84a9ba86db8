"""Request bodies and odd input (inputs.py, the desk's read_form): every body capped before
it is read, with one 413; nesting, numerals, calendar edges and bytes that are not UTF-8
answered with a clear 4xx and nothing stored; never a 5xx, with or without a login."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from liveblog.inputs import MAX_JSON_DEPTH, MAX_REQUEST_BYTES
from desk import Desk, make_editor
from servers import server_starter


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A `liveblog serve` process of this module's own: its memory is what is measured."""
    start, started = server_starter(tmp_path_factory.mktemp("bodies"))
    yield start()
    for s in started:
        s.stop()


@pytest.fixture(scope="module")
def story(server) -> str:
    slug = server.new_story("Inputs")["slug"]
    server.post(slug, "kept")
    return slug


@pytest.fixture(scope="module")
def desk(server):
    d = Desk(server)
    assert d.login(make_editor(server)).status_code == 303
    return d


def stored(server, slug: str) -> list[dict]:
    return httpx.get(f"{server.url}/api/stories/{slug}/updates?limit=200").json()["updates"]


MIB = 1024 * 1024


def chunks(total: int, size: int = MIB):
    for _ in range(total // size):
        yield b"x" * size


def test_a_64_mib_unauthenticated_body_is_refused_without_the_process_growing(server, story):
    url = f"{server.url}/stories/{story}/subscriptions"
    headers = {"Content-Type": "application/json"}
    before, peak_before = server.memory_kib(), server.memory_kib("VmHWM")

    def send(declared: bool) -> httpx.Response:
        # Declared: refused on its Content-Length. Chunked: refused once 1 MiB has come.
        body = b"x" * (64 * MIB) if declared else chunks(64 * MIB)
        try:
            return httpx.post(url, content=body, headers=headers, timeout=60)
        except httpx.HTTPError as exc:  # the server may stop reading before all is sent
            return exc

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, [True, True, False, False]))
    for answer in answers:
        if isinstance(answer, httpx.Response):
            assert answer.status_code == 413, answer.text
            assert answer.json()["errors"]["request"] == f"The request is larger than {MAX_REQUEST_BYTES // 1024:,} KiB."
    assert any(isinstance(a, httpx.Response) for a in answers)
    grown = server.memory_kib("VmHWM") - max(before, peak_before)
    assert grown < 16 * 1024, f"the server's peak memory grew by {grown // 1024} MiB"


@pytest.mark.parametrize("method, path, who", [
    ("POST", "/api/stories", "token"),
    ("PATCH", "/api/stories/{slug}", "token"),
    ("POST", "/api/stories/{slug}/updates/999999/publish", "token"),  # a route that never reads its body
    ("DELETE", "/stories/{slug}/subscriptions", None),
    ("POST", "/login", None),
    ("POST", "/admin/stories/{slug}/updates", "desk"),
    ("POST", "/admin/preview", "desk"),
])
def test_every_route_answers_the_same_413(server, story, desk, method, path, who):
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    client = desk.http if who == "desk" else httpx.Client(timeout=30)
    if who == "token":
        headers["Authorization"] = f"Bearer {server.token}"
    if who == "desk":
        headers["X-CSRF-Token"] = desk.csrf
    r = client.request(method, server.url + path.format(slug=story), content=b"{" * (2 * MIB), headers=headers)
    if path.endswith("/publish"):
        assert r.status_code == 404  # it reads no body, so the body costs it nothing
    else:
        assert r.status_code == 413, r.text
        assert r.json()["errors"]["request"] == f"The request is larger than {MAX_REQUEST_BYTES // 1024:,} KiB."


def test_deep_or_odd_json_is_a_clear_4xx(server, story):
    before = stored(server, story)
    deep = b'{"body": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    just_over = b'{"body": ' + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}"
    for body in (deep, just_over, b'{"body": NaN}', b'{"body": Infinity}', b'{"body": "a\\u0000b"}',
                 b'{"body": ' + b"9" * 5000 + b"}"):
        r = server.api("POST", f"/api/stories/{story}/updates", content=body,
                       headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (body[:40], r.text)
        assert r.json()["errors"]["body"], r.text
        sub = httpx.post(f"{server.url}/stories/{story}/subscriptions", content=body,
                         headers={"Content-Type": "application/json"})
        assert sub.status_code == 400, (body[:40], sub.text)
    assert "16 levels" in server.api("POST", f"/api/stories/{story}/updates", content=deep,
                                     headers={"Content-Type": "application/json"}).json()["errors"]["body"]
    assert stored(server, story) == before


@pytest.mark.parametrize("numeral", ["²", "١٢", "𝟙", "½"])
def test_numerals_that_are_not_ascii_digits_are_a_422(server, story, numeral):
    for path, params in (
        (f"/api/stories/{story}/updates", {"before": numeral}),
        (f"/api/stories/{story}/updates", {"limit": numeral}),
        (f"/stories/{story}", {"before": numeral}),
        ("/oembed", {"url": f"{server.url}/stories/{story}", "maxwidth": numeral}),
    ):
        r = httpx.get(server.url + path, params=params)
        assert r.status_code == 422, (path, params, r.status_code)
        assert "whole number" in r.text


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-12:00", "9999-12-31T23:59:59.999999-00:01",
                                  "0001-01-01T00:00:00+14:00"])
def test_times_at_the_calendars_edges_are_a_422(server, story, when):
    before = stored(server, story)
    r = server.api("POST", f"/api/stories/{story}/updates", {"body": "later", "publish_at": when})
    assert r.status_code == 422 and r.json()["errors"]["publish_at"], r.text
    assert stored(server, story) == before


def test_desk_times_at_the_calendars_edges_are_a_422(server, story, desk):
    before = stored(server, story)
    for when, offset in (("9999-12-31T23:59", "-1080"), ("0001-01-01T00:00", "1080"), ("9999-12-31T23:59", "")):
        r = desk.post(f"/admin/stories/{story}/updates", {"body": "later", "publish_at": when, "tz_offset": offset},
                      headers={"Accept": "application/json"})
        assert r.status_code == 422 and r.json()["errors"]["publish_at"], (when, offset, r.text)
    assert stored(server, story) == before


def test_desk_forms_that_are_not_utf8_are_refused_and_nothing_stored(server, story, desk):
    before = stored(server, story)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    csrf = f"csrf={desk.csrf}".encode()
    for body in (b"body=caf%E9+au+lait", b"body=caf\xe9", b"headline=%FF%FE&body=ok", b"body=a%00b"):
        for accept in ("text/html", "application/json"):
            r = desk.http.post(f"/admin/stories/{story}/updates", content=csrf + b"&" + body,
                               headers={**form, "Accept": accept})
            assert r.status_code == 422, (body, r.status_code)
            assert "could not be read" in r.text
    assert stored(server, story) == before
    # The same form in UTF-8 is kept as typed.
    r = desk.http.post(f"/admin/stories/{story}/updates", content=csrf + b"&body=caf%C3%A9+au+lait", headers=form)
    assert r.status_code == 303
    assert stored(server, story)[0]["body"] == "café au lait"


@pytest.mark.parametrize("path", [
    "/api/stories/{slug}/updates/{id}", "/api/stories/{slug}/updates/{id}/revisions",
    "/stories/{slug}/updates/{id}/history", "/stories/{slug}/polls/{id}", "/stories/{slug}/callouts/{id}",
])
def test_an_id_too_long_for_any_database_is_not_found(server, path):
    slug = server.new_story("Long ids")["slug"]
    for too_long in (2**63 + 1, 10**18, 10**40):
        r = httpx.get(server.url + path.format(slug=slug, id=too_long), headers={"Accept": "application/json"})
        assert r.status_code == 404, (path, too_long, r.text)


def test_an_update_id_too_long_is_refused_by_every_write(server):
    slug = server.new_story("Long ids, written")["slug"]
    for method, suffix in (("PATCH", ""), ("DELETE", ""), ("POST", "/restore")):
        r = server.api(method, f"/api/stories/{slug}/updates/{2**63 + 1}{suffix}", {"body": "x"} if method == "PATCH" else None)
        assert r.status_code == 404, (method, suffix, r.text)
