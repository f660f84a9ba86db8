"""A request body that trickles in is answered 408 and changes nothing (inputs.BodyLimit):
on a desk form behind a login, and on the push subscriptions anyone may post to. The
limits are shortened here (they are seconds long in a real server) on the in-process
server, whose settings are this process's own."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest

from liveblog import inputs
from desk import Desk, make_editor, updates

WAIT = 15  # seconds a socket waits for the answer: far past the shortened limits


@pytest.fixture
def short_limits(monkeypatch):
    monkeypatch.setattr(inputs, "BODY_IDLE_SECONDS", 0.5)
    monkeypatch.setattr(inputs, "BODY_SECONDS", 2.0)


def send_slowly(server, path: str, body: bytes, headers: dict[str, str], pause: float, sent: int | None = None) -> bytes:
    """Send the head at once, then the body a byte at a time with `pause` seconds between
    bytes, stopping after `sent` bytes (then silence); what the server answered (as soon as
    it answers, the rest is not sent)."""
    where = urlsplit(server.url)
    head = "".join(f"{name}: {value}\r\n" for name, value in
                   {"Host": where.netloc, "Content-Length": str(len(body)), "Connection": "close", **headers}.items())
    with socket.create_connection((where.hostname, where.port), timeout=WAIT) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode())
        sock.setblocking(False)
        for byte in body[:sent]:
            try:
                sock.sendall(bytes([byte]))
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break
            except BlockingIOError:
                pass
            time.sleep(pause)  # the trickle itself, not a wait for the server
        sock.settimeout(WAIT)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def desk_form(server) -> tuple[Desk, str, dict[str, str]]:
    desk = Desk(server)
    assert desk.login(make_editor(server)).status_code == 303
    slug = server.new_story("Slow forms")["slug"]
    cookies = "; ".join(f"{name}={value}" for name, value in desk.http.cookies.items())
    return desk, slug, {"Cookie": cookies, "Content-Type": "application/x-www-form-urlencoded"}


def test_a_desk_form_that_stops_halfway_gets_408_and_posts_nothing(server, short_limits):
    desk, slug, headers = desk_form(server)
    body = f"csrf={desk.csrf}&body=".encode() + b"x" * 200
    answer = send_slowly(server, f"/admin/stories/{slug}/updates", body, headers, 0.0, sent=60)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert updates(server, slug) == []


def test_a_desk_form_trickled_past_the_whole_body_limit_gets_408(server, short_limits):
    desk, slug, headers = desk_form(server)
    body = f"csrf={desk.csrf}&body=".encode() + b"x" * 200
    answer = send_slowly(server, f"/admin/stories/{slug}/updates", body, headers, 0.1)  # never idle 0.5 s
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"did not arrive in time" in answer
    assert updates(server, slug) == []


def test_a_slow_subscription_without_login_gets_408(server, short_limits):
    slug = server.new_story("Slow subscriptions")["slug"]
    body = b'{"endpoint": "https://push.example/x", "keys": {"p256dh": "' + b"A" * 80
    answer = send_slowly(server, f"/stories/{slug}/subscriptions", body, {"Content-Type": "application/json",
                         "Origin": server.url}, 0.0, sent=40)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]


def test_a_body_sent_at_once_is_unaffected(server, short_limits):
    desk, slug, _ = desk_form(server)
    assert desk.post(f"/admin/stories/{slug}/updates", {"body": "On time."}).status_code == 303
    assert [u["body"] for u in updates(server, slug)] == ["On time."]
