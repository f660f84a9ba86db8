"""How late does a scheduled update reach an open reader? And how long does a search take?

Starts a real `liveblog serve` on a fresh SQLite database, schedules updates a few seconds
ahead, and measures, on an SSE reader, the delay from each `publish_at` to its arrival.
Then fills a story with updates and times `/stories/{slug}?q=…` (FTS5).

    python bench/scheduled_publish.py [samples] [updates]
"""

import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from servers import Server, free_port, server_env  # noqa: E402
from sse_client import SSEReader  # noqa: E402


def main(samples: int = 10, updates: int = 2000) -> None:
    tmp = Path(tempfile.mkdtemp())
    server = Server(tmp, server_env(tmp), free_port()).start()
    try:
        slug = server.new_story("Scheduled bench")["slug"]
        reader = SSEReader(f"{server.url}/stories/{slug}/events").wait_open()
        due = {}
        start = datetime.now(timezone.utc) + timedelta(seconds=3)
        for n in range(samples):
            at = start + timedelta(seconds=0.37 * n)  # spread across the scheduler's 1 s tick
            update = server.api("POST", f"/api/stories/{slug}/updates",
                                {"body": f"Scheduled {n}", "publish_at": at.isoformat()}).json()
            due[update["id"]] = at
        late = []
        while len(late) < samples:
            reader.wait(len(late) + 1, timeout=30)
            if len(reader.events) == len(late):
                raise SystemExit("a scheduled update did not arrive:\n" + server.log.read_text()[-3000:])
            arrived = datetime.now(timezone.utc)
            for event in reader.events[len(late):]:
                late.append((arrived - due[event.json["id"]]).total_seconds())
        reader.close()
        print(f"scheduled → reader, {samples} updates: median {statistics.median(late):.2f} s, "
              f"max {max(late):.2f} s, min {min(late):.2f} s")

        words = ["harbour", "ferry", "storm", "council", "flood", "bridge", "school", "power"]
        search_slug = server.new_story("Search bench")["slug"]
        with httpx.Client(timeout=30) as client:
            for n in range(updates):
                client.post(f"{server.url}/api/stories/{search_slug}/updates",
                            json={"body": f"Update {n} about the {words[n % 8]} and the {words[(n * 3) % 8]}."},
                            headers={"Authorization": f"Bearer {server.token}"})
            times = []
            for word in words * 3:
                t = time.perf_counter()
                assert client.get(f"{server.url}/stories/{search_slug}?q={word}").status_code == 200
                times.append(time.perf_counter() - t)
        print(f"search page over {updates} updates (SQLite FTS5, 50 results): "
              f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
