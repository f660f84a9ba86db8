"""Request heads on a bare `liveblog serve` (server_limits.py): a head that never ends is
timed out, a huge one is refused before it is all read, and neither costs the server."""

from __future__ import annotations

import socket

import httpx
import pytest

from liveblog import server_limits
from servers import server_starter, wait_until

pytestmark = pytest.mark.slow  # a `liveblog serve` process of its own, and a 10 s timeout waited out


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A bare `liveblog serve` process: its own limits, and its own memory, are what is tested."""
    start, started = server_starter(tmp_path_factory.mktemp("limits"))
    yield start()
    for s in started:
        s.stop()


def read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes the connection (bounded by `timeout`)."""
    sock.settimeout(timeout)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_head_that_never_ends_is_timed_out(server):
    quiet = socket.create_connection(("127.0.0.1", server.port))  # connects, sends nothing
    slow = socket.create_connection(("127.0.0.1", server.port))
    slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and never finishes its head
    limit = server_limits.HEAD_TIMEOUT_SECONDS + 20
    assert read_until_closed(slow, limit).startswith(b"HTTP/1.1 408 ")
    assert read_until_closed(quiet, limit).startswith(b"HTTP/1.1 408 ")
    assert httpx.get(server.url + "/healthz").status_code == 200


def test_a_huge_head_is_refused_before_it_is_read(server):
    before = server.memory_kib()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: ")
    sent, refused = 0, False
    chunk = b"a" * 65536
    try:
        while sent < 100 * 1024 * 1024:  # 100 MiB of one header, if the server lets it in
            sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        refused = True
    answer = b""
    try:
        answer = read_until_closed(sock, 30)
    except ConnectionResetError:
        pass
    assert refused or answer.startswith(b"HTTP/1.1 431 "), (sent, answer[:80])
    assert sent < 10 * 1024 * 1024, f"the server read {sent} bytes of a head before refusing it"
    assert server.memory_kib() - before < 20 * 1024
    # A head of an ordinary size is still fine.
    r = httpx.get(server.url + "/healthz", headers={"X-Ordinary": "b" * 8000})
    assert r.status_code == 200


def test_bytes_waiting_in_the_socket_are_seen_so_a_busy_server_is_not_taken_for_a_slow_client():
    """What decides between 408 and a little more time: the bytes a client sent that the
    process has not read yet."""
    class Transport:
        def __init__(self, sock):
            self.sock = sock

        def get_extra_info(self, name):
            return self.sock if name == "socket" else None

    ours, client = socket.socketpair()
    with ours, client:
        assert server_limits._unread_bytes(Transport(ours)) == 0
        head = b"GET /stories/x/events HTTP/1.1\r\nHost: x\r\n"
        client.sendall(head)
        wait_until(lambda: server_limits._unread_bytes(Transport(ours)) == len(head), 5, "the bytes to arrive")
        ours.recv(100)
        assert server_limits._unread_bytes(Transport(ours)) == 0
