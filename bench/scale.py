"""Scale-out figures: readers held and publish-to-reader latency, 1 process beside 2.

In one run, on one new PostgreSQL database each:
  1 process   PostgreSQL database, memory:// broadcast (the one-process baseline)
  2 processes PostgreSQL database, PostgreSQL LISTEN/NOTIFY broadcast
  2 processes PostgreSQL database, Redis pub/sub broadcast

For each, READERS SSE readers are spread evenly over the processes and held open;
then an editor posts EVENTS updates, one every INTERVAL seconds, to the processes in
turn. Latency is from just before the POST is sent to the moment a reader has the
event's frame (so it includes the POST itself: the commit, the notice, the other
process's log read). The client is one asyncio process on this same machine, reading
raw sockets, so it is measured alongside the servers and shares their 2 cores.

    python bench/scale.py [--readers 1000] [--events 40] [--interval 0.1]

Needs PostgreSQL (LIVEBLOG_BENCH_POSTGRES, default postgresql://postgres@127.0.0.1:5432/test)
and Redis (LIVEBLOG_BENCH_REDIS, default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[1]
PG = os.environ.get("LIVEBLOG_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("LIVEBLOG_BENCH_REDIS", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def database():
    name = f"liveblog_bench_scale_{secrets.token_hex(4)}"
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG.rpartition("/")[0] + "/" + name
    finally:
        with psycopg.connect(PG, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def servers(count: int, env: dict[str, str], cwd: Path):
    ports = [free_port() for _ in range(count)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "liveblog", "serve", "--port", str(port), "--log-level", "warning"],
            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=(cwd / f"server-{port}.log").open("wb"),
        )
        for port in ports
    ]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, proc in zip(urls, procs):
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start; see {cwd}")
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


class Reader:
    """One SSE connection on a raw socket: records when each event frame arrived."""

    def __init__(self):
        self.arrivals: list[float] = []
        self.open = False

    async def run(self, host: str, port: int, path: str, ready: asyncio.Event | None = None) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")
        self.open = True
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                now = time.perf_counter()
                self.arrivals.extend([now] * chunk.count(b"\nid: "))
        finally:
            self.open = False
            writer.close()


async def run_case(label: str, urls: list[str], token: str, readers: int, events: int, interval: float) -> dict:
    async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        r = await client.post(urls[0] + "/api/stories", json={"title": f"Bench {label}"})
        slug = r.raise_for_status().json()["slug"]
        held = [Reader() for _ in range(readers)]
        tasks = []
        for n, reader in enumerate(held):
            url = httpx.URL(urls[n % len(urls)])
            tasks.append(asyncio.ensure_future(reader.run(url.host, url.port, f"/stories/{slug}/events")))
            if n % 100 == 99:
                await asyncio.sleep(0.05)  # open connections in batches rather than all in one burst
        deadline = time.monotonic() + 60
        while sum(r.open for r in held) < readers and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        opened = sum(r.open for r in held)
        await asyncio.sleep(1)  # let every reader go live before the first post

        sent: list[float] = []
        for n in range(events):
            sent.append(time.perf_counter())
            (await client.post(urls[n % len(urls)] + f"/api/stories/{slug}/updates", json={"body": f"Update {n}"})).raise_for_status()
            await asyncio.sleep(interval)
        deadline = time.monotonic() + 30
        while any(len(r.arrivals) < events for r in held if r.open) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

        latencies = [r.arrivals[k] - sent[k] for r in held for k in range(min(events, len(r.arrivals)))]
        complete = sum(len(r.arrivals) >= events for r in held)
        still_open = sum(r.open for r in held)
        reported = 0
        for url in urls:
            text = (await client.get(url + "/metrics")).text
            reported += int(float(next(l.split()[1] for l in text.splitlines() if l.startswith("liveblog_readers "))))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    return {
        "case": label,
        "readers": readers,
        "opened": opened,
        "held": still_open,
        "server_reported": reported,
        "complete": complete,
        "frames": len(latencies),
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
        "max_ms": 1000 * latencies[-1] if latencies else float("nan"),
    }


def measure(label: str, processes: int, broadcast: str | None, args) -> dict:
    with database() as url, TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEBLOG_")}
        env.update(
            LIVEBLOG_DATABASE_URL=url,
            LIVEBLOG_SECRET_KEY="bench",
            LIVEBLOG_MEDIA_DIR=str(Path(tmp) / "media"),
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        )
        env["LIVEBLOG_BROADCAST_URL"] = broadcast or url
        made = subprocess.run([sys.executable, "-m", "liveblog", "create-token", "bench"], cwd=tmp, env=env,
                              capture_output=True, text=True, check=True)
        token = made.stdout.strip().splitlines()[-1]
        with servers(processes, env, Path(tmp)) as urls:
            return asyncio.run(run_case(label, urls, token, args.readers, args.events, args.interval))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.1)
    args = parser.parse_args()
    cases = [
        ("1 process, memory://", 1, "memory://"),
        ("2 processes, PostgreSQL NOTIFY", 2, None),
        ("2 processes, Redis pub/sub", 2, REDIS),
    ]
    results = [measure(label, n, broadcast, args) for label, n, broadcast in cases]
    print(f"\n{args.readers} readers, {args.events} events one every {args.interval}s, PostgreSQL database, "
          f"{os.cpu_count()} cores shared by servers, databases and this client; load average {os.getloadavg()[0]:.1f}")
    print("opened/held: readers connected at the start / still connected at the end (client's count; the servers'"
          " /metrics sum in 'srv'); complete: readers that got every event")
    print(f"{'case':34} {'opened':>6} {'held':>6} {'srv':>6} {'complete':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for r in results:
        print(f"{r['case']:34} {r['opened']:>6} {r['held']:>6} {r['server_reported']:>6} {r['complete']:>8} "
              f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['max_ms']:>8.1f}")


if __name__ == "__main__":
    main()
