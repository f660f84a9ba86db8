"""Sending pushes (push.py, push_targets.py): only to push services, never inward, never
held up by another story's slow push services, capped, and forgetting endpoints that keep
failing. Each push service here is a real TLS server on loopback."""

from __future__ import annotations

import queue
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy import create_engine, text

from backing_services import postgres_database
from servers import server_env, wait_until
from push_service import Listener, PushService, SilentService, Subscriber, push_settings, self_signed, serve_tls

from liveblog import push


@pytest.fixture
def tls_files(tmp_path):
    return self_signed(tmp_path)


@pytest.fixture
def push_service(tls_files):
    PushService.received = queue.Queue()
    PushService.on_receive = None
    httpd = serve_tls(PushService, *tls_files)
    yield httpd.server_port
    httpd.shutdown()


def subscribe(server, slug: str, endpoint: str, address: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": address} if address else {}
    return httpx.post(f"{server.url}/stories/{slug}/subscriptions", json=Subscriber(endpoint).subscription(),
                      headers=headers, timeout=30)


def test_subscriptions_that_point_inward_are_refused(server):
    listener = Listener()
    slug = server.new_story("Inward")["slug"]
    port = listener.port
    inward = [
        f"https://127.0.0.1:{port}/push", f"https://localhost:{port}/push", f"https://0x7f000001:{port}/push",
        f"https://x@127.0.0.1:{port}/push", f"https://fcm.googleapis.com@127.0.0.1:{port}/push",
        f"https://[::1]:{port}/push", f"https://2130706433:{port}/push", "https://fcm.googleapis.com:%s/x" % port,
        "https://fcm.googleapis.com.127.0.0.1.nip.io/x", "https://169.254.169.254/latest/meta-data",
    ]
    for endpoint in inward:
        r = subscribe(server, slug, endpoint)
        assert r.status_code == 422 and "endpoint" in r.json()["errors"], (endpoint, r.text)
    assert subscribe(server, slug, "https://fcm.googleapis.com/fcm/send/abc").status_code == 201
    assert subscribe(server, slug, "https://wns2-par02p.notify.windows.com/w/?token=x").status_code == 201
    assert listener.contacted == 0
    listener.close()


def test_an_allowed_endpoint_leading_inward_or_redirecting_is_never_followed(push_service, tls_files, start_server,
                                                                             tmp_path):
    inward = Listener("127.0.0.2")  # loopback, but not the network the operator allowed
    internal = Listener()  # a plain-http internal service a redirect points at
    PushService.redirect_to = f"http://127.0.0.1:{internal.port}/admin"
    # The allow-list wrongly names 127.0.0.2 too: the address check is the wall that holds.
    hosts = [f"127.0.0.1:{push_service}", f"127.0.0.2:{inward.port}"]
    server = start_server(server_env(tmp_path, **push_settings(tmp_path, tls_files[0], hosts)))
    slug = server.new_story("Redirects")["slug"]
    for endpoint in (f"https://127.0.0.1:{push_service}/push/ok", f"https://127.0.0.1:{push_service}/redirect/a",
                     f"https://127.0.0.2:{inward.port}/push/inward"):
        assert subscribe(server, slug, endpoint).status_code == 201
    server.post(slug, "A key event.", key_event=True)
    paths = {PushService.received.get(timeout=30)[0] for _ in range(2)}
    assert paths == {"/push/ok", "/redirect/a"}
    log = lambda: server.log.read_text()  # noqa: E731
    wait_until(lambda: "failed: 307" in log() and "not sent" in log(), 30, "the sender to give up on both")
    assert "127.0.0.2 resolves to an address pushes may not go to" in log()
    assert inward.contacted == 0 and internal.contacted == 0


def test_silent_push_services_of_one_story_hold_up_no_other(push_service, tls_files, start_server, tmp_path):
    silent = SilentService(*tls_files)
    hosts = [f"127.0.0.1:{push_service}", f"127.0.0.1:{silent.port}"]
    server = start_server(server_env(tmp_path, **push_settings(tmp_path, tls_files[0], hosts)))
    crowded, other = server.new_story("Crowded")["slug"], server.new_story("Other")["slug"]
    for n in range(12):
        assert subscribe(server, crowded, f"https://127.0.0.1:{silent.port}/push/{n}").status_code == 201
    assert subscribe(server, other, f"https://127.0.0.1:{push_service}/push/real").status_code == 201
    given_up_when_received = []
    PushService.on_receive = lambda path: given_up_when_received.append(silent.closed)

    server.post(crowded, "First key event, to twelve silent push services.", key_event=True)
    wait_until(lambda: silent.opened >= 1, 30, "the silent pushes to start")
    server.post(other, "Key event on another story.", key_event=True)
    assert PushService.received.get(timeout=30)[0] == "/push/real"
    # It arrived while every one of the silent sends was still waiting for an answer.
    assert given_up_when_received == [0]
    wait_until(lambda: silent.closed >= 12, 60, "the silent sends to be given up")
    silent.close()


def subscription_rows(server) -> list[tuple]:
    engine = create_engine(server.env["LIVEBLOG_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT endpoint, failures FROM pushsubscription"))]
    finally:
        engine.dispose()


def test_an_endpoint_that_keeps_failing_is_dropped(push_service, tls_files, start_server, tmp_path):
    server = start_server(server_env(tmp_path, **push_settings(tmp_path, tls_files[0], [f"127.0.0.1:{push_service}"])))
    slug = server.new_story("Failing")["slug"]
    ok, failing = (f"https://127.0.0.1:{push_service}/{p}" for p in ("push/ok", "fail/broken"))
    for endpoint in (ok, failing):
        assert subscribe(server, slug, endpoint).status_code == 201
    for n in range(push.MAX_FAILURES):
        server.post(slug, f"Key event {n}.", key_event=True)
        assert {PushService.received.get(timeout=30)[0] for _ in range(2)} == {"/push/ok", "/fail/broken"}
    wait_until(lambda: subscription_rows(server) == [(ok, 0)], 30, "the failing endpoint to be dropped")
    server.post(slug, "One more key event.", key_event=True)
    assert PushService.received.get(timeout=30)[0] == "/push/ok"
    server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"})
    assert PushService.received.get(timeout=30)[0] == "/push/ok"
    assert PushService.received.empty()


def test_subscriptions_are_capped_per_address_and_per_story(start_server, tmp_path):
    server = start_server(server_env(tmp_path, LIVEBLOG_MAX_SUBSCRIPTIONS_PER_ADDRESS="3",
                                     LIVEBLOG_MAX_SUBSCRIPTIONS_PER_STORY="5"))
    slug, second = server.new_story("Capped")["slug"], server.new_story("Second")["slug"]
    endpoint = "https://fcm.googleapis.com/fcm/send/{}".format
    for n in range(3):
        assert subscribe(server, slug, endpoint(n), "203.0.113.1").status_code == 201
    refused = subscribe(server, second, endpoint(3), "203.0.113.1")  # the cap is the address's, on any story
    assert refused.status_code == 429 and "push subscriptions" in refused.json()["errors"]["request"]
    assert int(refused.headers["retry-after"]) > 0
    assert subscribe(server, slug, endpoint(0), "203.0.113.1").status_code == 201  # the same one again: kept once
    assert subscribe(server, slug, endpoint(4), "203.0.113.2").status_code == 201
    assert subscribe(server, slug, endpoint(5), "203.0.113.3").status_code == 201
    full = subscribe(server, slug, endpoint(6), "203.0.113.4")
    assert full.status_code == 429 and "as many push subscribers" in full.json()["errors"]["request"]
    # Unsubscribing gives a place back.
    r = httpx.request("DELETE", f"{server.url}/stories/{slug}/subscriptions", json={"endpoint": endpoint(0)},
                      headers={"X-Forwarded-For": "203.0.113.1"})
    assert r.status_code == 204
    assert subscribe(server, second, endpoint(3), "203.0.113.1").status_code == 201


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_caps_hold_when_subscriptions_arrive_all_at_once(database, start_app_server, tmp_path):
    """Twenty subscriptions sent together count against the caps one by one: no two of them
    are let in on the same count."""
    with ExitStack() as stack:
        env = server_env(tmp_path, LIVEBLOG_MAX_SUBSCRIPTIONS_PER_ADDRESS="3", LIVEBLOG_MAX_SUBSCRIPTIONS_PER_STORY="5")
        if database == "postgresql":
            env["LIVEBLOG_DATABASE_URL"] = stack.enter_context(postgres_database("caps"))
        server = start_app_server(env)
        one_address, one_story = server.new_story("One address")["slug"], server.new_story("One story")["slug"]
        endpoint = "https://fcm.googleapis.com/fcm/send/{}".format
        with ThreadPoolExecutor(20) as pool:
            from_one = list(pool.map(lambda n: subscribe(server, one_address, endpoint(n), "203.0.113.9").status_code,
                                     range(20)))
            for_one = list(pool.map(lambda n: subscribe(server, one_story, endpoint(100 + n), f"203.0.113.{20 + n}")
                                    .status_code, range(20)))
        assert sorted(from_one) == [201] * 3 + [429] * 17
        assert sorted(for_one) == [201] * 5 + [429] * 15
        server.stop()  # before the database is dropped
