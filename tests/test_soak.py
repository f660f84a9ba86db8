"""A bounded soak on loopback: hostile clients of every kind (huge bodies, forms that are
not UTF-8, slow heads, desk streams, push subscriptions, image bombs) beside 1,000 readers
and an editor posting. Every reader gets every event, the story page keeps answering, and
the server's memory comes back down to where it started."""

from __future__ import annotations

import asyncio
import io
import json
import random
import re

import httpx
import pytest
from PIL import Image

from servers import wait_until
from desk import Desk, make_editor

pytestmark = pytest.mark.slow

READERS = 1000
POSTS = 30
SLOW_HEADS = 50
DESK_STREAMS = 40
ROUNDS = 2  # the second shows what the first leaves behind is not kept again
MIB = 1024 * 1024
# What the server may keep after the soak above where it started. Measured: from 128 MiB it
# peaks near 300–340 MiB and settles 16–24 MiB above its start (the Python objects of the
# soak's updates, caches filled, and freed memory kept in fragments between what is still
# held); three rounds more settled at the same figure. Before the allocator was settled
# (liveblog/allocator.py) it was 16–47 MiB after one round and 24–84 MiB after two. Anything
# kept per reader, per request or per image would pass this bound at once.
MEMORY_SLACK_KIB = 32 * 1024


def bomb(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8574, 5715), (200, 30, 30)).save(out, fmt)  # 49 megapixels
    return out.getvalue()


class Reader:
    """A reader's EventSource on a bare socket: resumes with Last-Event-ID when cut off."""

    def __init__(self, port: int, slug: str, last_id: int):
        self.port, self.slug, self.last_id = port, slug, last_id
        self.ids: set[int] = set()  # the updates it has been sent
        self.connected = asyncio.Event()
        self.complete = asyncio.Event()  # set once it has every id in `want`
        self.want: set[int] | None = None
        self.reconnects = 0

    def expect(self, ids: set[int]) -> None:
        self.want = ids
        self._check()

    def _check(self) -> None:
        if self.want is not None and self.want <= self.ids:
            self.complete.set()

    async def run(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port, limit=MIB)
                writer.write(f"GET /stories/{self.slug}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             f"Accept: text/event-stream\r\nLast-Event-ID: {self.last_id}\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200"), head[:200]
                self.connected.set()
                while line := await reader.readline():
                    if line.startswith(b"id: "):
                        self.last_id = int(line[4:])
                    elif line.startswith(b"data: "):
                        self.ids.add(json.loads(line[6:])["id"])  # the update's id
                        self._check()
                writer.close()
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            self.reconnects += 1


async def until(stop: asyncio.Event, attempt) -> list:
    """Run `attempt` again and again until `stop`; what each answered."""
    answers = []
    while not stop.is_set():
        answers.append(await attempt())
    return answers


async def soak(server, slug: str, desk_cookies, csrf: str, images: dict[str, bytes]) -> dict:
    port, token = server.port, server.token
    last_id = int(re.search(r'data-last-event-id="(\d+)"', httpx.get(f"{server.url}/stories/{slug}").text)[1])
    readers = [Reader(port, slug, last_id) for _ in range(READERS)]
    reader_tasks = [asyncio.ensure_future(r.run()) for r in readers]
    await asyncio.wait_for(asyncio.gather(*(r.connected.wait() for r in readers)), 300)

    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=20)
    api = httpx.AsyncClient(base_url=server.url, timeout=120, limits=limits,
                            headers={"Authorization": f"Bearer {token}"})
    anon = httpx.AsyncClient(base_url=server.url, timeout=120, limits=limits)
    desk = httpx.AsyncClient(base_url=server.url, timeout=120, cookies=desk_cookies, limits=limits)

    async def huge_body():
        async def body():
            for _ in range(16):
                yield b"x" * MIB
        try:
            r = await anon.post(f"/stories/{slug}/subscriptions", content=body(),
                                headers={"Content-Type": "application/json"})
            return r.status_code
        except httpx.HTTPError:
            return "cut off"

    async def bad_form():
        r = await desk.post(f"/admin/stories/{slug}/updates", content=f"csrf={csrf}&body=caf%E9".encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        return r.status_code

    async def slow_head():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        answer = await reader.read()  # until the server gives up on it
        writer.close()
        return answer.split(b"\r\n", 1)[0].decode()

    async def subscription():
        inward = random.random() < 0.5
        endpoint = (f"https://127.0.0.1:{port}/x" if inward else
                    f"https://fcm.googleapis.com/fcm/send/{random.getrandbits(64):x}")
        sub = {"endpoint": endpoint, "keys": {"p256dh": "BA" + "A" * 85, "auth": "A" * 22}}
        r = await anon.post(f"/stories/{slug}/subscriptions", json=sub,
                            headers={"X-Forwarded-For": f"198.51.100.{random.randrange(1, 5)}"})
        return r.status_code

    async def image():
        fmt = random.choice(["JPEG", "PNG"])
        data = images[fmt] + random.randbytes(4)
        r = await api.post("/api/media", files={"file": (f"bomb.{fmt.lower()}", data, "image/jpeg")})
        return r.status_code

    async def story_page():
        r = await anon.get(f"/stories/{slug}")
        return r.status_code

    desk_streams = []

    async def open_desk_stream():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /api/stories/{slug}/desk/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        desk_streams.append(writer)
        return int(head.split(b" ", 2)[1])

    desk_statuses = await asyncio.gather(*(open_desk_stream() for _ in range(DESK_STREAMS)))
    hostile = {
        "bodies": [until(stop, huge_body)],
        "forms": [until(stop, bad_form)],
        "heads": [until(stop, slow_head) for _ in range(SLOW_HEADS)],
        "subscriptions": [until(stop, subscription)],
        "images": [until(stop, image) for _ in range(2)],
        "page": [until(stop, story_page)],
    }
    running = {kind: [asyncio.ensure_future(c) for c in coros] for kind, coros in hostile.items()}
    peak = server.memory_kib()

    posted = []
    for n in range(POSTS):
        r = await api.post(f"/api/stories/{slug}/updates", json={"body": f"Update {n} under fire."})
        assert r.status_code == 201, r.text
        posted.append(r.json()["id"])
        peak = max(peak, server.memory_kib())
    for reader in readers:
        reader.expect(set(posted))
    waits = [asyncio.ensure_future(r.complete.wait()) for r in readers]
    _, late = await asyncio.wait(waits, timeout=120)
    behind = [r for r in readers if not r.complete.is_set()]
    failed = [t.exception() for t in reader_tasks if t.done() and not t.cancelled() and t.exception()]
    assert not late, (f"{len(behind)} readers lack events: fewest {min(len(r.ids) for r in behind)} of {POSTS}, "
                      f"reconnects {sum(r.reconnects for r in behind)}; reader errors {failed[:3]}")
    stop.set()
    answers = {kind: [a for t in tasks for a in await t] for kind, tasks in running.items()}
    for task in reader_tasks:
        task.cancel()
    await asyncio.gather(*reader_tasks, return_exceptions=True)
    for writer in desk_streams:
        writer.close()
    for client in (api, anon, desk):
        await client.aclose()
    return {"readers": readers, "posted": posted, "answers": answers, "desk": desk_statuses, "peak": peak}


def test_hostile_clients_beside_a_thousand_readers(start_server, tmp_path):
    server = start_server()
    slug = server.new_story("Under fire")["slug"]
    editor = Desk(server)
    assert editor.login(make_editor(server)).status_code == 303
    images = {fmt: bomb(fmt) for fmt in ("JPEG", "PNG")}
    # Warm up every path once, so one-time costs (libraries, caches) are in the baseline.
    assert server.api("POST", "/api/media", files={"file": ("w.jpg", images["JPEG"], "image/jpeg")}).status_code == 201
    server.post(slug, "Before the soak.")
    baseline = server.memory_kib()

    for round_ in range(1, ROUNDS + 1):
        result = asyncio.run(soak(server, slug, editor.http.cookies, editor.csrf, images))
        answers = result["answers"]
        print(f"\nround {round_}: server RSS baseline {baseline // 1024} MiB, peak {result['peak'] // 1024} MiB; "
              f"reconnects {sum(r.reconnects for r in result['readers'])}; "
              + ", ".join(f"{kind}: {len(a)}" for kind, a in answers.items()))

        assert len(result["posted"]) == POSTS
        for reader in result["readers"]:
            assert set(result["posted"]) <= reader.ids
        assert answers["page"] and set(answers["page"]) == {200}
        assert set(answers["bodies"]) <= {413, "cut off"} and 413 in answers["bodies"]
        assert set(answers["forms"]) == {422}
        assert answers["heads"] and set(answers["heads"]) == {"HTTP/1.1 408 Request Timeout"}
        assert set(answers["subscriptions"]) <= {201, 422, 429}
        assert set(answers["images"]) <= {201, 422, 429}
        assert set(result["desk"]) <= {200, 429} and 200 in result["desk"]
        wait_until(lambda: server.memory_kib() - baseline < MEMORY_SLACK_KIB, 60, "the server's memory to come back down")
        print(f"round {round_}: server RSS after: {(server.memory_kib() - baseline) // 1024} MiB above the baseline")
        if round_ < ROUNDS:  # the server lets go of closed desk streams at its next audience beat (5 s)
            wait_until(lambda: re.search(r"^liveblog_desk_streams 0$", httpx.get(f"{server.url}/metrics").text, re.M),
                       30, "the closed desk streams to be let go")
    assert httpx.get(f"{server.url}/stories/{slug}").status_code == 200
