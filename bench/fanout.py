#!/usr/bin/env python3
"""Fan-out bench: N real SSE readers of one story, Liveblog beside its baselines, in one run.

For each server under test and each N it starts the server, posts a few warm-up
events, opens N streams that ask to replay them (Last-Event-ID), then posts
`--events` events through the server's real write path, one every `--interval`
seconds, and prints per server and N:

  readers   streams set up, and how fast (readers/s, replay included)
  µs/conn   server CPU per stream set up (steadier than readers/s on a shared machine)
  KiB/rdr   server RSS growth while they connected, divided by the readers
  µs/dlv    server CPU (utime+stime from /proc) during the events, per delivered event
  net       the same less ms/evt: what the fan-out itself costs per delivery
  ms/evt    server CPU per event posted with no reader connected (the write path)
  p50/p99/max  latency from the moment the event's POST was sent (so commit and
            more is included) to its arrival at each reader
  miss/dup  events a reader never got / got twice (each must be 0)

The readers are `bench/sseclient.c` (epoll over raw sockets, built here with gcc),
in their own processes, at most 18,000 streams each (the open-file limit is 20,000).
Servers: `liveblog serve` (SQLite), `bench/naive_server.py` (sse-starlette, one
asyncio.Queue per reader) and nginx + Nchan when installed. Everything is on
loopback; readers bind source addresses 127.0.0.x so that 36,000 streams to one
port do not run out of ephemeral ports.

    python bench/fanout.py --quick       # N=1,000 only
    python bench/fanout.py               # N=1,000, 10,000 and 18,000
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PER_CLIENT = 18_000  # streams per reader process: its open-file limit is 20,000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MARK = "bsZ{seq}Z{stamp}Z"  # what sseclient.c looks for in each frame; stamp 0: no latency
CALIBRATION = 20  # events posted with no reader connected, to measure the write path alone


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLOCK_TICKS


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def wait_http(port: int, path: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)  # polling for start-up
    raise RuntimeError(f"server on port {port} did not start:\n{log.read_text()}")


def payload(seq: int, stamp: int) -> str:
    """The data of an event as a baseline server sends it: the same shape and size as
    Liveblog's `update` event (measured: the B/event column shows both)."""
    mark = MARK.format(seq=seq, stamp=stamp)
    html = (
        f'<article class="update" id="update-{seq}" data-id="{seq}"><header><time datetime="2026-01-01T00:00:00Z">'
        f'01 Jan 2026, 00:00 UTC</time><span class="author">Bench desk</span></header>'
        f'<div class="body"><p>{mark}</p>\n</div></article>'
    ).ljust(BASELINE_HTML)
    return json.dumps(
        {"id": seq, "story": "bench-story", "html": html, "body_html": f"<p>{mark}</p>\n", "headline": "",
         "author": "Bench desk", "created_at": "2026-01-01T00:00:00Z", "edited_at": None,
         "key_event": False, "pinned": False},
        separators=(",", ":"),
    )


BASELINE_HTML = 400  # characters of `html`, so that baseline frames match Liveblog's size


# -- servers under test ------------------------------------------------------


class Target:
    name = ""
    path = "/events"
    last_event_id = "-"  # the header readers send; "-" for none

    def __init__(self, workdir: Path):
        self.dir = Path(tempfile.mkdtemp(prefix=f"{self.name}-", dir=workdir))
        self.log = self.dir / "server.log"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def spawn(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            argv, cwd=self.dir, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
        )

    def pids(self) -> list[int]:
        """The processes whose CPU and memory are measured."""
        return [self.process.pid]

    def parts(self) -> dict[str, list[int]]:
        """The measured processes by what they are, when there is more than one kind."""
        return {}

    @property
    def api_port(self) -> int:
        """Where events are posted (readers connect to `port`)."""
        return self.port

    def request(self, method: str, path: str, body: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        # A connection per request: a kept-alive one would be closed by the server while
        # the readers connect; the extra connect counts against the server's latency.
        conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=60)
        try:
            conn.request(method, path, body.encode(), {"Content-Type": "application/json", **(headers or {})})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def start(self, warm: int) -> None:
        """Start the server, with one story and nothing in it yet."""
        raise NotImplementedError

    def replay_from_here(self) -> None:
        """Readers will ask for every event after those posted so far."""

    def post(self, seq: int, stamp: int) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()


class Liveblog(Target):
    name = "liveblog"

    def __init__(self, workdir: Path, workers: int = 1, broadcast: str = "memory://"):
        super().__init__(workdir)
        self.workers = workers
        if workers > 1:
            self.name = f"liveblog×{workers}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEBLOG_")}
        self.env.update(
            LIVEBLOG_DATABASE_URL=f"sqlite:///{self.dir / 'liveblog.db'}",
            LIVEBLOG_BROADCAST_URL=broadcast,
            LIVEBLOG_SECRET_KEY="bench",
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
        )

    def start(self, warm: int) -> None:
        liveblog = [sys.executable, "-m", "liveblog"]
        port = self.api_port
        self.spawn([*liveblog, "serve", "--port", str(port), "--log-level", "warning", "--workers", str(self.workers)], self.env)
        wait_http(port, "/healthz", self.process, self.log)
        made = subprocess.run([*liveblog, "create-token", "bench"], cwd=self.dir, env=self.env, capture_output=True, text=True, check=True)
        self.token = made.stdout.strip().splitlines()[-1]
        status, body = self.request("POST", "/api/stories", json.dumps({"title": "Bench story"}), self.auth)
        assert status == 201, body
        self.slug = json.loads(body)["slug"]
        self.path = f"/stories/{self.slug}/events"

    def replay_from_here(self) -> None:
        with sqlite3.connect(self.dir / "liveblog.db") as db:
            self.last_event_id = str(db.execute("SELECT max(id) FROM event").fetchone()[0])

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if hasattr(self, "token") else {}

    def post(self, seq: int, stamp: int) -> None:
        body = json.dumps({"body": MARK.format(seq=seq, stamp=stamp)})
        status, answer = self.request("POST", f"/api/stories/{self.slug}/updates", body, self.auth)
        assert status == 201, answer

    def pids(self) -> list[int]:
        return children(self.process.pid) if self.workers > 1 else [self.process.pid]


class Pushpin(Liveblog):
    """`liveblog serve` as the origin of a Pushpin that holds the readers (GRIP, grip.py).

    Readers connect to Pushpin; events are posted to Liveblog, which publishes each to
    Pushpin. CPU and memory are Liveblog's and all of Pushpin's processes together.
    """

    name = "pushpin"
    KEY = "bench-grip-key-of-thirty-two-bytes!"

    def __init__(self, workdir: Path, message_rate: int = 200_000, message_hwm: int = 400_000, name: str = "pushpin"):
        super().__init__(workdir)
        self.name = name
        self.origin_port = free_port()
        self.publish_port = free_port()
        self.env["LIVEBLOG_GRIP_URL"] = f"http://127.0.0.1:{self.publish_port}/?key={self.KEY}"
        self.run = self.dir / "pushpin"
        self.run.mkdir()
        (self.run / "routes").write_text(f"* 127.0.0.1:{self.origin_port}\n")
        conf = (BENCH / "pushpin.conf").read_text().format(
            run=self.run, http_port=self.port, publish_port=self.publish_port, key=self.KEY,
            message_rate=message_rate, message_hwm=message_hwm)
        (self.run / "pushpin.conf").write_text(conf)
        self.pushpin: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("pushpin") is not None

    @property
    def api_port(self) -> int:
        return self.origin_port

    def start(self, warm: int) -> None:
        # Pushpin first, so that it takes the story's first publish.
        self.pushpin = subprocess.Popen(
            ["pushpin", f"--config={self.run / 'pushpin.conf'}", "--merge-output"], cwd=self.run,
            stdout=(self.run / "pushpin.log").open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
        super().start(warm)
        wait_http(self.port, "/healthz", self.pushpin, self.run / "pushpin.log")
        deadline = time.monotonic() + 30
        while len(children(self.pushpin.pid)) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)  # polling for start-up: the runner starts its four services

    def pids(self) -> list[int]:
        return [self.process.pid, self.pushpin.pid, *children(self.pushpin.pid)]

    def parts(self) -> dict[str, list[int]]:
        return {"liveblog": [self.process.pid], "pushpin": [self.pushpin.pid, *children(self.pushpin.pid)]}

    def stop(self) -> None:
        if self.pushpin and self.pushpin.poll() is None:
            os.killpg(self.pushpin.pid, 15)
            try:
                self.pushpin.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.pushpin.pid, 9)
                self.pushpin.wait()
        super().stop()


class Naive(Target):
    name = "naive"
    published = 0

    def start(self, warm: int) -> None:
        self.spawn([sys.executable, str(BENCH / "naive_server.py"), "--port", str(self.port)])
        wait_http(self.port, "/healthz", self.process, self.log)

    def replay_from_here(self) -> None:
        self.last_event_id = str(self.published)

    def post(self, seq: int, stamp: int) -> None:
        status, answer = self.request("POST", "/publish", payload(seq, stamp))
        assert status == 201, answer
        self.published = json.loads(answer)["id"]


class Nchan(Target):
    name = "nchan"

    @staticmethod
    def available() -> bool:
        return shutil.which("nginx") is not None and Path("/usr/lib/nginx/modules/ngx_nchan_module.so").exists()

    def start(self, warm: int) -> None:
        conf = (BENCH / "nchan.conf").read_text().format(dir=self.dir, port=self.port, warm=warm)
        (self.dir / "nchan.conf").write_text(conf)
        self.spawn(["nginx", "-p", str(self.dir), "-c", str(self.dir / "nchan.conf")])
        wait_http(self.port, "/healthz", self.process, self.log)

    def post(self, seq: int, stamp: int) -> None:
        status, answer = self.request("POST", "/publish", payload(seq, stamp))
        assert status in (201, 202), answer


# -- readers -----------------------------------------------------------------


def build_client(workdir: Path) -> Path:
    binary = workdir / "sseclient"
    subprocess.run(["gcc", "-O2", "-o", str(binary), str(BENCH / "sseclient.c")], check=True)
    return binary


class Readers:
    """Reader processes holding `n` streams between them."""

    def __init__(self, binary: Path, target: Target, n: int, expected: int, workdir: Path, timeout: float):
        count = math.ceil(n / PER_CLIENT)
        self.procs: list[subprocess.Popen] = []
        self.outs: list[Path] = []
        for k in range(count):
            share = n // count + (1 if k < n % count else 0)
            out = workdir / f"latency-{target.name}-{n}-{k}.bin"
            argv = [str(binary), "127.0.0.1", str(target.port), target.path, str(share), str(10 + 40 * k), "40",
                    str(expected), str(timeout), str(out), target.last_event_id, f"127.0.0.1:{target.port}"]
            self.procs.append(subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
            self.outs.append(out)

    def expect(self, word: str) -> list[list[str]]:
        """The next line from every reader process, which must start with `word`."""
        lines = []
        for proc in self.procs:
            line = proc.stdout.readline().split()
            if not line or line[0] != word:
                raise RuntimeError(f"reader process said {line!r}, expected {word}")
            lines.append(line[1:])
        return lines

    def cpu(self) -> float:
        return cpu_seconds([p.pid for p in self.procs])

    def finish(self) -> tuple[list[list[str]], array]:
        for proc in self.procs:
            try:
                proc.stdin.write("stop\n")
                proc.stdin.close()
            except BrokenPipeError:  # it stopped by itself, at its time limit
                pass
        done = self.expect("DONE")
        latencies = array("i")
        for proc, out in zip(self.procs, self.outs):
            proc.wait(timeout=30)
            pairs = array("i")
            pairs.frombytes(out.read_bytes())
            latencies.extend(pairs[1::2])
            out.unlink()
        return done, latencies


# -- one measurement ---------------------------------------------------------


@dataclass
class Row:
    server: str
    n: int
    ready: int = 0
    connect_s: float = 0.0
    us_per_connect: float = 0.0  # server CPU per stream set up
    kib_per_reader: float = 0.0
    us_per_delivery: float = 0.0
    fixed_ms: float = 0.0  # server CPU per event with no readers
    us_net: float = 0.0  # per delivery, less that fixed cost
    p50: float = 0.0
    p99: float = 0.0
    worst: float = 0.0
    missing: int = 0
    duplicate: int = 0
    dropped: int = 0
    bytes_per_event: float = 0.0
    client_cores: float = 0.0
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ready / self.connect_s if self.connect_s else 0.0


def percentile(sorted_values, q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def measure(make_target, n: int, args, binary: Path, workdir: Path, profile_to: Path | None = None) -> Row:
    target = make_target(workdir)
    row = Row(target.name, n)
    try:
        target.start(args.warm)
        pids = target.pids()
        # What an event costs with no reader: the write path (for Liveblog: the API, the
        # store, rendering, one log read). Readers never see these (seq ≥ 64).
        cpu0 = cpu_seconds(pids)
        for seq in range(64, 64 + CALIBRATION):
            target.post(seq, 0)
        row.fixed_ms = (cpu_seconds(pids) - cpu0) / CALIBRATION * 1000
        target.replay_from_here()
        for seq in range(args.warm):
            target.post(seq, 0)
        time.sleep(0.5)  # let start-up work settle before the memory baseline
        rss_before = rss_kib(pids)
        parts = target.parts()
        part_rss = {name: rss_kib(p) for name, p in parts.items()}
        expected = args.warm + args.events
        # The readers' own time limit, a safety net: set-up at ≥ 100 readers/s, delivery
        # at a fifth of the pace the events are posted at.
        budget = 120 + n / 100 + args.events * args.interval * 5
        began, cpu0 = time.monotonic(), cpu_seconds(pids)
        part_cpu = {name: cpu_seconds(p) for name, p in parts.items()}
        readers = Readers(binary, target, n, expected, workdir, budget)
        ready = readers.expect("READY")
        row.connect_s = time.monotonic() - began
        row.ready = sum(int(r[0]) for r in ready)
        row.us_per_connect = (cpu_seconds(pids) - cpu0) / max(row.ready, 1) * 1e6
        for name, p in parts.items():
            row.extra[f"{name} µs/conn"] = (cpu_seconds(p) - part_cpu[name]) / max(row.ready, 1) * 1e6
        failed = sum(int(r[1]) for r in ready)
        retried = sum(int(r[3]) for r in ready)
        time.sleep(1.0)  # replays finish arriving; the memory figure is for idle readers
        row.kib_per_reader = (rss_kib(pids) - rss_before) / max(row.ready, 1)
        for name, p in parts.items():
            row.extra[f"{name} KiB/rdr"] = (rss_kib(p) - part_rss[name]) / max(row.ready, 1)

        profiler = None
        if profile_to:
            profiler = subprocess.Popen(
                ["py-spy", "record", "--format", "raw", "--rate", "250", "--nonblocking", "-o", str(profile_to),
                 "--pid", str(pids[0])], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)  # py-spy attaches
        cpu0, client0, t0 = cpu_seconds(pids), readers.cpu(), time.monotonic()
        part_cpu = {name: cpu_seconds(p) for name, p in parts.items()}
        for seq in range(args.warm, expected):
            stamp = time.monotonic_ns()
            target.post(seq, stamp)
            pause = stamp / 1e9 + args.interval - time.monotonic()
            if pause > 0 and seq < expected - 1:
                time.sleep(pause)  # events arrive at a newsroom's pace, not flat out
        if any(line[0] == "-1" for line in readers.expect("ALL")):
            row.note = "some readers never got every event; "
        cpu1, client1, t1 = cpu_seconds(pids), readers.cpu(), time.monotonic()
        part_cpu = {name: cpu_seconds(p) - part_cpu[name] for name, p in parts.items()}
        if profiler:
            profiler.send_signal(2)
            profiler.wait(timeout=30)
        done, latencies = readers.finish()
        delivered = len(latencies)
        row.us_per_delivery = (cpu1 - cpu0) / max(delivered, 1) * 1e6
        row.us_net = (cpu1 - cpu0 - args.events * row.fixed_ms / 1000) / max(delivered, 1) * 1e6
        for name, seconds in part_cpu.items():
            row.extra[f"{name} µs/dlv"] = seconds / max(delivered, 1) * 1e6
        if parts:
            row.note += "; ".join(
                f"{name}: {row.extra[f'{name} µs/dlv']:.1f} µs/dlv, {row.extra[f'{name} µs/conn']:.0f} µs/conn, "
                f"{row.extra[f'{name} KiB/rdr']:.1f} KiB/rdr" for name in parts) + "; "
        row.client_cores = (client1 - client0) / (t1 - t0)
        ordered = sorted(latencies)
        row.p50, row.p99 = percentile(ordered, 0.50) / 1000, percentile(ordered, 0.99) / 1000
        row.worst = (ordered[-1] if ordered else float("nan")) / 1000
        row.missing = sum(int(d[2]) for d in done)
        row.duplicate = sum(int(d[3]) for d in done)
        row.dropped = sum(int(d[4]) for d in done)
        frames = sum(int(d[1]) for d in done)
        row.bytes_per_event = sum(int(d[5]) for d in done) / max(frames, 1)
        if row.dropped:
            row.note += f"{row.dropped} streams ended early; "
        if retried:
            row.note += f"{retried} set-ups answered 502/503 and retried; "
        if failed:
            row.note += f"{failed} streams failed to open"
    except Exception as exc:  # one broken cell must not lose the rest of the run
        row.note = f"failed: {exc}".splitlines()[0][:120]
        try:
            for proc in readers.procs:
                proc.kill()
        except NameError:
            pass
    finally:
        target.stop()
    return row


# -- report ------------------------------------------------------------------


HEADER = (
    f"{'server':<17}{'N':>7}{'readers':>9}{'conn/s':>8}{'µs/conn':>8}{'KiB/rdr':>9}{'µs/dlv':>8}{'net':>6}{'ms/evt':>7}"
    f"{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'miss':>6}{'dup':>5}{'B/evt':>7}{'cli cores':>10}  note"
)


def line(row: Row) -> str:
    return (
        f"{row.server:<17}{row.n:>7}{row.ready:>9}{row.rate:>8.0f}{row.us_per_connect:>8.0f}{row.kib_per_reader:>9.1f}{row.us_per_delivery:>8.1f}"
        f"{row.us_net:>6.1f}{row.fixed_ms:>7.1f}"
        f"{row.p50:>8.0f}{row.p99:>8.0f}{row.worst:>8.0f}{row.missing:>6}{row.duplicate:>5}{row.bytes_per_event:>7.0f}"
        f"{row.client_cores:>10.2f}  {row.note}"
    )


def median_row(rows: list[Row]) -> Row:
    good = [r for r in rows if not r.note.startswith("failed")] or rows
    out = Row(good[0].server, good[0].n, note=f"median of {len(good)}" if len(good) > 1 else good[0].note)
    for name in ("ready", "connect_s", "us_per_connect", "kib_per_reader", "us_per_delivery", "us_net", "fixed_ms", "p50", "p99", "worst",
                 "bytes_per_event", "client_cores"):
        setattr(out, name, statistics.median(getattr(r, name) for r in good))
    for name in ("missing", "duplicate", "dropped"):
        setattr(out, name, max(getattr(r, name) for r in rows))
    return out


def ratios(summary: dict[tuple[str, int], Row], sizes: list[int], servers: list[str]) -> list[str]:
    out = ["", "Ratios (baseline ÷ Liveblog for cost; >1 means Liveblog is cheaper/faster):"]
    for n in sizes:
        lb = summary.get(("liveblog", n))
        if not lb or not lb.ready:
            continue
        for other in servers:
            base = summary.get((other, n))
            if other == "liveblog":
                continue
            if not base or not base.us_per_delivery:
                out.append(f"  N={n:<6} {other:<6}: no figures ({base.note if base else 'not run'})")
                continue
            out.append(
                f"  N={n:<6} {other:<6}: CPU/delivery ×{base.us_per_delivery / lb.us_per_delivery:.2f}"
                f"  CPU/connect ×{base.us_per_connect / max(lb.us_per_connect, 0.01):.2f}"
                f"  KiB/reader ×{base.kib_per_reader / max(lb.kib_per_reader, 0.01):.2f}"
                f"  p99 ×{base.p99 / max(lb.p99, 0.01):.2f}  connect rate ×{lb.rate / max(base.rate, 1):.2f} (Liveblog ÷ {other})"
            )
    return out


def shared_broadcast() -> str | None:
    """A broadcast URL for `--workers 2`, when this checkout has a backend for Redis or PostgreSQL."""
    sys.path.insert(0, str(REPO))
    from liveblog.broadcast import BACKENDS

    if "redis" in BACKENDS:
        return "redis://127.0.0.1:6379/15"
    if "postgresql" in BACKENDS:
        return "postgresql://postgres@127.0.0.1:5432/test"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fan-out bench: Liveblog beside sse-starlette and Nchan.")
    parser.add_argument("--quick", action="store_true", help="N=1,000 only")
    parser.add_argument("--sizes", default="1000,10000,18000", help="reader counts, comma-separated")
    parser.add_argument("--servers", default="liveblog,naive,nchan,pushpin",
                        help="of liveblog, naive, nchan, pushpin, and pushpin-defaults (Pushpin's own "
                             "message_rate and message_hwm)")
    parser.add_argument("--events", type=int, default=20, help="events measured per cell (≤ 60)")
    parser.add_argument("--warm", type=int, default=2, help="events posted before readers connect, then replayed")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between events")
    parser.add_argument("--repeat", type=int, default=1, help="measure each cell this many times; medians printed")
    parser.add_argument("--workers", type=int, default=36_000, help="readers for `liveblog serve --workers 2` (0: skip)")
    parser.add_argument("--profile", type=Path, help="py-spy raw profile of Liveblog at the largest N, to this file")
    args = parser.parse_args(argv)
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    if args.quick:
        args.workers, args.interval = 0, min(args.interval, 0.3)
    servers = args.servers.split(",")
    if "nchan" in servers and not Nchan.available():
        print("nginx + Nchan not installed (apt-get install nginx libnginx-mod-nchan): skipped")
        servers.remove("nchan")
    if any(s.startswith("pushpin") for s in servers) and not Pushpin.available():
        print("pushpin not installed (apt-get install pushpin): skipped")
        servers = [s for s in servers if not s.startswith("pushpin")]
    makers = {
        "liveblog": Liveblog,
        "naive": Naive,
        "nchan": Nchan,
        "pushpin": Pushpin,
        # Debian's pushpin.conf: 2,500 deliveries/s, 25,000 waiting.
        "pushpin-defaults": lambda d: Pushpin(d, 2_500, 25_000, name="pushpin-defaults"),
    }

    workdir = Path(tempfile.mkdtemp(prefix="liveblog-bench-"))
    binary = build_client(workdir)
    print(f"{os.cpu_count()} cores; {args.events} events per cell, {args.interval}s apart, after {args.warm} replayed; "
          f"readers: sseclient.c, ≤{PER_CLIENT} streams per process")
    print(HEADER, flush=True)
    rows: dict[tuple[str, int], list[Row]] = {}
    try:
        for _ in range(args.repeat):
            for n in sizes:
                for server in servers:
                    profile = args.profile if args.profile and server == "liveblog" and n == max(sizes) else None
                    row = measure(makers[server], n, args, binary, workdir, profile)
                    rows.setdefault((server, n), []).append(row)
                    print(line(row), flush=True)
        if args.workers:
            url = shared_broadcast()
            if url is None:
                print(f"liveblog×2 {args.workers:>7}  skipped: `liveblog serve --workers 2` needs a Redis or PostgreSQL "
                      "broadcast backend, and this checkout has none yet")
            else:
                row = measure(lambda d: Liveblog(d, workers=2, broadcast=url), args.workers, args, binary, workdir)
                rows[(row.server, row.n)] = [row]
                print(line(row), flush=True)
        summary = {key: median_row(found) for key, found in rows.items()}
        if args.repeat > 1:
            print("\nMedians:")
            print(HEADER)
            for row in summary.values():
                print(line(row))
        print("\n".join(ratios(summary, sizes, servers)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
