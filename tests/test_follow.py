"""Following a story: the Atom feed of key events, and Web Push to a local push service
that decrypts each message with the subscriber's own keys."""

import json
import queue

import feedparser
import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from servers import server_env
from push_service import PushService, Subscriber, b64, push_settings, self_signed, serve_tls, unb64


def test_key_events_feed(server):
    slug = server.new_story("Election count")["slug"]
    first = server.post(slug, "Counting has begun.", headline="Count begins", key_event=True)
    server.post(slug, "Tea is served at the count.")
    second = server.post(slug, "The first seat is **declared**.", key_event=True)
    server.api("POST", f"/api/stories/{slug}/updates", {"body": "A draft key event", "key_event": True, "draft": True})

    r = httpx.get(f"{server.url}/stories/{slug}/key-events.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Election count: key events"
    assert [e.link for e in feed.entries] == [f"{server.url}/stories/{slug}#update-{u['id']}" for u in (second, first)]
    assert feed.entries[1].title == "Count begins"
    assert feed.entries[0].title == "The first seat is declared."
    assert "<strong>declared</strong>" in feed.entries[0].content[0].value
    assert 'href="/stories/%s/key-events.atom"' % slug in httpx.get(f"{server.url}/stories/{slug}").text
    assert httpx.get(f"{server.url}/stories/no-such-story/key-events.atom").status_code == 404


@pytest.fixture
def push_service(tmp_path):
    cert_file, key_file = self_signed(tmp_path)
    PushService.received = queue.Queue()
    httpd = serve_tls(PushService, cert_file, key_file)
    yield f"https://127.0.0.1:{httpd.server_port}", cert_file
    httpd.shutdown()


def check_vapid(headers: dict, server_key: str, audience: str) -> None:
    """The push carries a VAPID JWT for this push service, signed with the server's key."""
    scheme, _, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == server_key
    head, claims, signature = fields["t"].split(".")
    assert json.loads(unb64(claims))["aud"] == audience
    raw = unb64(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(server_key))
    public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                  f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))


def test_push_reaches_the_endpoint_and_decrypts_to_the_headline(push_service, start_server, tmp_path):
    origin, cert_file = push_service
    server = start_server(server_env(tmp_path, **push_settings(tmp_path, cert_file, [origin.removeprefix("https://")])))
    slug = server.new_story("Storm watch")["slug"]
    server_key = httpx.get(f"{server.url}/push/key").json()["publicKey"]
    assert len(unb64(server_key)) == 65

    reader = Subscriber(f"{origin}/push/reader-1")
    gone = Subscriber(f"{origin}/gone/reader-2")
    for sub in (reader, gone):
        r = httpx.post(f"{server.url}/stories/{slug}/subscriptions", json=sub.subscription())
        assert r.status_code == 201, r.text

    server.post(slug, "Not a key event: no push.")
    server.post(slug, "The **red warning** now covers the coast.", headline="Red warning issued", key_event=True)
    pushes = {}
    for _ in range(2):
        path, headers, body = PushService.received.get(timeout=20)
        pushes[path] = (headers, body)
    headers, body = pushes["/push/reader-1"]
    assert headers["content-encoding"] == "aes128gcm" and b"Red warning" not in body
    message = reader.decrypt(body)
    assert message["body"] == "Red warning issued" and message["title"] == "Storm watch"
    assert message["url"] == f"/stories/{slug}#update-" + message["url"].rsplit("-", 1)[1]
    check_vapid(headers, server_key, origin)

    # The push service said the second subscription is gone (410): it is not pushed to again.
    # The close is pushed too, and is the next (and only) thing the service receives.
    server.api("PATCH", f"/api/stories/{slug}", {"status": "closed"})
    path, headers, body = PushService.received.get(timeout=20)
    assert path == "/push/reader-1"
    assert "closed" in reader.decrypt(body)["body"]
    with pytest.raises(queue.Empty):
        PushService.received.get(timeout=2)  # bounded wait: proves no push went to the gone endpoint
    # The same key is kept: after a restart browsers' subscriptions still match it.
    server.stop()
    server.start()
    assert httpx.get(f"{server.url}/push/key").json()["publicKey"] == server_key


def test_subscription_input_is_checked(server):
    slug = server.new_story("Subscriptions")["slug"]
    good = Subscriber("https://fcm.googleapis.com/fcm/send/abc").subscription()
    cases = [
        ({**good, "endpoint": "http://fcm.googleapis.com/fcm/send/abc"}, "endpoint"),
        ({**good, "endpoint": "https://push.example.net/abc"}, "endpoint"),
        ({**good, "keys": {**good["keys"], "p256dh": b64(b"\x04" + b"x" * 10)}}, "keys.p256dh"),
        ({**good, "keys": {**good["keys"], "auth": "!!"}}, "keys.auth"),
        ({"endpoint": good["endpoint"]}, "keys"),
    ]
    for body, field in cases:
        r = httpx.post(f"{server.url}/stories/{slug}/subscriptions", json=body)
        assert r.status_code == 422 and field in r.json()["errors"], (field, r.text)
    form = httpx.post(f"{server.url}/stories/{slug}/subscriptions", data={"endpoint": good["endpoint"]})
    assert form.status_code == 415
    assert httpx.post(f"{server.url}/stories/nope/subscriptions", json=good).status_code == 404
    assert httpx.post(f"{server.url}/stories/{slug}/subscriptions", json=good).status_code == 201
    assert httpx.post(f"{server.url}/stories/{slug}/subscriptions", json=good).status_code == 201  # again: kept once
    r = httpx.request("DELETE", f"{server.url}/stories/{slug}/subscriptions", json={"endpoint": good["endpoint"]})
    assert r.status_code == 204
