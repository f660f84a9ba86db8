"""Following a story: the Atom feed of key events, and Web Push to a local push service
that decrypts each message with the subscriber's own keys."""

import base64
import datetime
import ipaddress
import json
import os
import queue
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import feedparser
import http_ece
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from servers import free_port, server_env


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


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


class PushService(BaseHTTPRequestHandler):
    """A push service on https://127.0.0.1: it keeps what it receives."""

    received: "queue.Queue[tuple[str, dict, bytes]]"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.put((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        # A subscription under /gone/ has ended, as a real service says with 410.
        self.send_response(410 if self.path.startswith("/gone/") else 201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "push-cert.pem", tmp_path / "push-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def push_service(tmp_path):
    cert_file, key_file = self_signed(tmp_path)
    PushService.received = queue.Queue()
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), PushService)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{httpd.server_port}", cert_file
    httpd.shutdown()


class Subscriber:
    """A browser's side of a push subscription: its ECDH key pair and auth secret."""

    def __init__(self, endpoint: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": b64(public), "auth": b64(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


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
    # The server trusts our push service's certificate, as it trusts real ones: https only.
    server = start_server(server_env(tmp_path, REQUESTS_CA_BUNDLE=str(cert_file)))
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
    good = Subscriber("https://push.example.net/abc").subscription()
    cases = [
        ({**good, "endpoint": "http://push.example.net/abc"}, "endpoint"),
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
