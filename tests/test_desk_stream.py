"""The desk's stream (`GET /api/stories/{slug}/desk/events`, web/workflow.DeskStream): bounded
per login or token, cheap when idle (a notice, then one read of the desk's log per process,
never a poll per stream), and live across processes."""

from __future__ import annotations

import os
import socket
import time

import httpx
import pytest

from backing_services import postgres_database
from servers import server_env, wait_until


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far (/proc/PID/stat)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RawStream:
    """One stream on a plain socket: cheap enough to hold hundreds from one test."""

    def __init__(self, server, path: str, token: str):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            f"Authorization: Bearer {token}\r\n\r\n".encode()
        )
        self.received = b""
        while b"\r\n\r\n" not in self.received:
            chunk = self.sock.recv(65536)
            assert chunk, "the server closed the stream before answering"
            self.received += chunk
        self.status = int(self.received.split(b" ", 2)[1])

    def wait_for(self, text: bytes) -> None:
        while text not in self.received:
            chunk = self.sock.recv(65536)
            assert chunk, f"the stream ended before {text!r} arrived"
            self.received += chunk

    def close(self) -> None:
        self.sock.close()


def desk_path(slug: str) -> str:
    return f"/api/stories/{slug}/desk/events"


def test_desk_streams_are_bounded_per_token_and_a_closed_one_gives_its_place_back(server):
    slug = server.new_story("Desk limits")["slug"]
    other = server.cli("create-token", "Second desk").stdout.strip().splitlines()[-1]
    held = [RawStream(server, desk_path(slug), server.token) for _ in range(16)]
    try:
        assert {s.status for s in held} == {200}
        refused = httpx.get(server.url + desk_path(slug), headers={"Authorization": f"Bearer {server.token}"})
        assert refused.status_code == 429 and refused.headers["retry-after"].isdigit()
        assert "live streams open" in refused.json()["errors"]["request"]
        # Another token is not held back by this one's streams.
        theirs = RawStream(server, desk_path(slug), other)
        assert theirs.status == 200
        theirs.close()

        held.pop().close()
        # The hub notices a closed stream when it next writes to it: a change to the queue.
        draft = server.api("POST", f"/api/stories/{slug}/updates", {"body": "A draft", "draft": True})
        assert draft.status_code == 201, draft.text
        for stream in held:
            stream.wait_for(b"event: draft")

        def admitted():
            again = RawStream(server, desk_path(slug), server.token)
            if again.status == 200:
                held.append(again)
                return True
            again.close()
            return False

        wait_until(admitted, timeout=20, what="the closed stream's place to be given back")
    finally:
        for stream in held:
            stream.close()


@pytest.fixture(scope="module")
def unbounded_server(tmp_path_factory):
    from servers import server_starter

    tmp = tmp_path_factory.mktemp("desks")
    start, started = server_starter(tmp)
    yield start(server_env(tmp, LIVEBLOG_MAX_DESK_STREAMS="0"))
    for s in started:
        s.stop()


@pytest.mark.slow  # a scale test, on a `liveblog serve` process of its own
def test_three_hundred_idle_desk_streams_cost_under_a_tenth_of_a_core(unbounded_server):
    server = unbounded_server
    slug = server.new_story("Many desks")["slug"]
    streams = [RawStream(server, desk_path(slug), server.token) for _ in range(300)]
    try:
        assert {s.status for s in streams} == {200}
        metrics = httpx.get(server.url + "/metrics").text
        assert "liveblog_desk_streams 300" in metrics
        pid = server.process.pid
        start_cpu, start_wall = cpu_seconds(pid), time.monotonic()
        time.sleep(6)  # the measurement window: what 300 open, idle streams cost meanwhile
        used = (cpu_seconds(pid) - start_cpu) / (time.monotonic() - start_wall)
        print(f"300 idle desk streams: {used:.4f} of a core")
        assert used < 0.1
        # Idle, and live: one change reaches every one of them.
        server.api("POST", f"/api/stories/{slug}/updates", {"body": "To all desks", "draft": True})
        for stream in streams:
            stream.wait_for(b"event: draft")
    finally:
        for stream in streams:
            stream.close()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_queue_change_on_one_process_reaches_a_desk_on_another(start_server, tmp_path, sse, database):
    def two_servers(url: str, broadcast: str):
        env = server_env(tmp_path, LIVEBLOG_DATABASE_URL=url, LIVEBLOG_BROADCAST_URL=broadcast)
        return start_server(env), start_server(env)

    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.db'}"
        first, second = two_servers(url, url)
        desk_follows_the_other_process(first, second, sse)
    else:
        with postgres_database("desk") as url:
            first, second = two_servers(url, url)
            try:
                desk_follows_the_other_process(first, second, sse)
            finally:
                first.stop()
                second.stop()


def desk_follows_the_other_process(first, second, sse):
    slug = first.new_story("Two desks")["slug"]
    desk = sse(f"{second.url}{desk_path(slug)}", headers={"Authorization": f"Bearer {second.token}"}).wait_open()
    assert desk.status == 200
    draft = first.api("POST", f"/api/stories/{slug}/updates", {"body": "From the other desk", "draft": True}).json()
    published = first.api("POST", f"/api/stories/{slug}/updates/{draft['id']}/publish")
    assert published.status_code == 200
    events = desk.wait(2)
    assert [(e.event, e.json["id"]) for e in events] == [("draft", draft["id"]), ("published", draft["id"])]
    # And a desk resuming from the first of them gets exactly what followed.
    again = sse(f"{second.url}{desk_path(slug)}", last_event_id=events[0].id,
                headers={"Authorization": f"Bearer {second.token}"})
    assert [e.event for e in again.wait(1)] == ["published"]
