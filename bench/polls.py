"""What does a vote cost, and what does a burst of votes cost the stream?

Starts a real `liveblog serve` on a fresh SQLite database, posts a poll, and sends
`votes` votes from `clients` threads (each vote a browser of its own: no cookie), with an
SSE reader on the story counting `poll` events. The baseline, in the same run and with
the same clients, is as many `GET /healthz` (the cheapest answer the server gives, one
database ping). CPU is the server process's own (user + system, from /proc).

    python bench/polls.py [votes] [clients]
"""

import os
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from servers import Server, free_port, server_env  # noqa: E402
from sse_client import SSEReader  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def burst(server: Server, total: int, clients: int, request) -> tuple[float, float]:
    """`total` requests from `clients` threads: (seconds, server CPU seconds)."""
    failures = []

    def run(n: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for i in range(total // clients):
                client.cookies.clear()
                r = request(client, n + i)
                if r.status_code >= 400:
                    failures.append(r.text)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    cpu, started = cpu_seconds(server.process.pid), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed, used = time.perf_counter() - started, cpu_seconds(server.process.pid) - cpu
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return elapsed, used


def main(votes: int = 2000, clients: int = 16) -> None:
    tmp = Path(tempfile.mkdtemp())
    server = Server(tmp, server_env(tmp), free_port()).start()
    try:
        slug = server.new_story("Poll bench")["slug"]
        poll = server.api("POST", f"/api/stories/{slug}/polls", {
            "question": "Which way?", "choices": ["North", "South", "East", "West"],
            "closes_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()}).json()
        choices = [c["id"] for c in poll["choices"]]
        reader = SSEReader(f"{server.url}/stories/{slug}/events").wait_open()

        base_s, base_cpu = burst(server, votes, clients, lambda c, n: c.get("/healthz"))
        vote_s, vote_cpu = burst(server, votes, clients, lambda c, n: c.post(
            f"/stories/{slug}/polls/{poll['id']}/votes", json={"choice": choices[n % 4]},
            headers={"Accept": "application/json"}))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
                e.event == "poll" and e.json["total"] == votes for e in reader.events):
            reader.wait(len(reader.events) + 1, timeout=1)
        polled = [e for e in reader.events if e.event == "poll"]
        reader.close()
        counted = server.api("GET", f"/api/stories/{slug}/polls/{poll['id']}").json()["total"]

        print(f"{votes} requests from {clients} clients against one `liveblog serve` (SQLite), same run:")
        print(f"  GET /healthz (baseline): {votes / base_s:7.0f}/s, server CPU {base_cpu / votes * 1000:.2f} ms each")
        print(f"  vote (POST, JSON):       {votes / vote_s:7.0f}/s, server CPU {vote_cpu / votes * 1000:.2f} ms each")
        print(f"  vote / baseline: {base_s and (vote_s / base_s):.2f}× the time, "
              f"{base_cpu and (vote_cpu / base_cpu):.2f}× the CPU")
        print(f"  counted: {counted} of {votes}; `poll` events on the stream: {len(polled)} over the "
              f"{vote_s:.1f} s burst ({len(polled) / vote_s:.2f}/s), the last with total "
              f"{polled[-1].json['total'] if polled else None}")
    finally:
        server.stop()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
