"""Requests/s of every reader's first request, beside the same bytes from raw uvicorn and nginx.

    python bench/pages.py                   # every row, 5 s each (about 4 minutes)
    python bench/pages.py --duration 10     # longer rows
    python bench/pages.py --arrival 1000,18000   # also the crowd: N readers load the page, then its stream

One `liveblog serve` process on a fresh SQLite file, with two stories made in-process
before it starts: "short" (20 updates) and "long" (10,000 updates; its page shows 50).
For each URL (the short and long story pages, the long story's embed, Atom feed and
read API), with and without `Accept-Encoding: gzip, deflate, br`, wrk (one thread, 32
connections) measures requests/s of:

- liveblog   — `liveblog serve` itself (uvicorn + httptools + uvloop, as shipped);
- raw        — a bare ASGI app on the same uvicorn serving the very bytes and headers
               Liveblog sent for that request (the floor of the ASGI stack);
- nginx-file — nginx (one worker) serving the same bytes from files;
- microcache — deploy/nginx.conf (one worker) in front of Liveblog, as deployed;
- bare-cache — nginx's proxy_cache at its barest in front of Liveblog (keep everything),
  the floor a micro-cache hit can reach.

Servers are pinned to CPU 0 and wrk to CPU 1 when `taskset` is there. The machine is
shared: compare rows of one run (the ratios), not runs.

`--arrival` builds bench/sseclient.c and has N readers each load the long story's page
(compressed, as a browser asks) and then open its stream on the same connection, 256
arrivals in flight: the time until all N have both, and the server's CPU per arriving reader.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from fanout import cpu_seconds, free_port  # noqa: E402

ENCODED = {"Accept-Encoding": "gzip, deflate, br"}
URLS = [
    ("page, 20 updates", "/stories/short"),
    ("page, 10,000 updates", "/stories/long"),
    ("embed", "/stories/long/embed"),
    ("Atom feed", "/stories/long/feed.atom"),
    ("read API", "/api/stories/long/updates"),
]
BODY = ("Crews are working to restore power to about 2,000 homes east of the river; "
        "the utility says most should be back **by this evening**.")


def pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and os.cpu_count() > 1 else []


def make_database(path: Path) -> None:
    from liveblog import db
    from liveblog.store import Store

    from sqlalchemy import event

    engine = db.make_engine(f"sqlite:///{path}")
    # 10,020 one-update transactions: no need to wait for the disk on each of them here.
    event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA synchronous=OFF"))
    db.upgrade(engine)
    store = Store(engine)
    for slug, count in (("short", 20), ("long", 10_000)):
        store.create_story(slug.title() + " story", "A story for the bench.", slug)
        for n in range(count):
            store.add_update(slug, BODY, author="Bench", headline=f"Update {n}" if n % 3 == 0 else "",
                             key_event=n % 10 == 0)
    engine.dispose()


def wait_up(url: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # start-up has no event to wait on
    raise SystemExit(f"{what} did not start")


def family(pid: int) -> list[int]:
    """The process and its children (nginx's workers)."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid, *map(int, found)]


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """CPU seconds of each of `pids` still running (nginx's cache loader leaves a minute
    after the start)."""
    found = {}
    for pid in pids:
        try:
            found[pid] = cpu_seconds([pid])
        except FileNotFoundError:
            pass
    return found


def wrk(url: str, headers: dict[str, str], duration: float, connections: int, pid: int) -> tuple[float, float]:
    """(requests/s, server CPU µs per request) of one wrk run."""
    before = cpu_by_pid(family(pid))
    args = [*pinned(1), "wrk", "-t1", f"-c{connections}", f"-d{round(duration)}s", url]
    for name, value in headers.items():
        args[-1:-1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"wrk saw errors from {url}:\n{out}")
    after = cpu_by_pid(list(before))
    cpu = sum(after[p] - before[p] for p in after)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), cpu / max(requests, 1) * 1e6


RAW_APP = '''
import json, os
from pathlib import Path
table = {}
for item in json.loads(Path(os.environ["RAW_TABLE"]).read_text()):
    table[(item["path"], item["encoded"])] = (
        [(k.encode(), v.encode()) for k, v in item["headers"]], Path(item["file"]).read_bytes())

async def app(scope, receive, send):
    encoded = any(n == b"accept-encoding" for n, _ in scope["headers"])
    headers, body = table[(scope["path"], encoded)]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
'''

HOP_BY_HOP = {"date", "server", "connection", "keep-alive", "transfer-encoding", "content-length"}


def capture(base: str, tmp: Path) -> list[dict]:
    """Liveblog's answer to every URL, with and without compression, kept as files."""
    items = []
    for _, path in URLS:
        for encoded in (False, True):
            headers = ENCODED if encoded else {"Accept-Encoding": "identity"}
            with httpx.stream("GET", base + path, headers=headers, timeout=30) as r:
                body = b"".join(r.iter_raw())
                kept = [(k, v) for k, v in r.headers.multi_items() if k.lower() not in HOP_BY_HOP]
            name = tmp / "files" / ("enc" if encoded else "id") / path.strip("/").replace("/", "_")
            name.parent.mkdir(parents=True, exist_ok=True)
            name.write_bytes(body)
            items.append({"path": path, "encoded": encoded, "headers": kept, "file": str(name)})
    return items


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def nginx_main(tmp: Path, body: str) -> Path:
    main = tmp / "nginx.conf"
    main.write_text(f"""
{"user root root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    {body}
}}
""")
    return main


def escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def nginx_from_files(tmp: Path, items: list[dict], port: int) -> Path:
    """Each captured answer at /id/PATH or /enc/PATH, with its own headers."""
    locations = []
    for item in items:
        prefix = "/enc" if item["encoded"] else "/id"
        headers = dict((k.lower(), v) for k, v in item["headers"])
        adds = "".join(f'add_header {k} "{escaped(v)}";' for k, v in headers.items() if k != "content-type")
        locations.append(f'location = {prefix}{item["path"]} {{ default_type "{headers["content-type"]}"; '
                         f'alias {item["file"]}; {adds} }}')
    return nginx_main(tmp, f"server {{ listen 127.0.0.1:{port}; etag off; {' '.join(locations)} }}")


def nginx_bare_cache(tmp: Path, port: int, upstream: int) -> Path:
    """The least a proxy_cache in front of Liveblog can be: every answer kept for an hour,
    keyed by URL and Accept-Encoding, nothing else. What nginx's cache costs per hit by
    itself, for the deploy micro-cache to be read against."""
    return nginx_main(tmp, f"""
    proxy_cache_path {tmp}/cache keys_zone=bare:1m;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache bare;
            proxy_cache_key $request_uri$http_accept_encoding;
            proxy_cache_valid 200 1h;
            proxy_ignore_headers Cache-Control Vary;
        }}
    }}""")


def nginx_deployed(tmp: Path, port: int, upstream: int) -> Path:
    site = (REPO / "deploy" / "nginx.conf").read_text()
    site = re.sub(r"listen \d+;", f"listen 127.0.0.1:{port};", site)
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+;\n", site, flags=re.M)
    site = site.replace(servers[0], f"    server 127.0.0.1:{upstream};\n", 1)
    for extra in servers[1:]:
        site = site.replace(extra, "", 1)
    site = re.sub(r"proxy_cache_path \S+", f"proxy_cache_path {tmp}/cache", site)
    (tmp / "site.conf").write_text(site)
    return nginx_main(tmp, f"include {tmp}/site.conf;")


def start(args: list[str], log: Path, env=None, cwd=None) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=cwd,
                            start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def build_client(tmp: Path) -> Path:
    binary = tmp / "sseclient"
    subprocess.run(["gcc", "-O2", "-o", str(binary), str(BENCH / "sseclient.c")], check=True)
    return binary


def arrival(client: Path, port: int, pid: int, n: int, tmp: Path) -> tuple[float, float, int]:
    """N readers each load the long story's page, then open its stream: (seconds, µs CPU each, held)."""
    cpu0 = cpu_seconds([pid])
    began = time.monotonic()
    run = subprocess.Popen(
        [*pinned(1), str(client), "127.0.0.1", str(port), "/stories/long/events", str(n), "10", "200", "0",
         "120", str(tmp / "lat.bin"), "-", f"127.0.0.1:{port}", "/stories/long"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = run.stdout.readline().split()
    elapsed = time.monotonic() - began
    cpu = cpu_seconds([pid]) - cpu0
    run.stdin.write("\n")
    run.stdin.flush()
    run.communicate(timeout=60)
    ready = int(line[1]) if line and line[0] == "READY" else 0
    if line and line[0] == "READY" and float(line[3]) >= 0:
        elapsed = float(line[3]) / 1000
    return elapsed, cpu / max(ready, 1) * 1e6, ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--arrival", default="", help="comma-separated reader counts, e.g. 1000,18000")
    parser.add_argument("--skip-rates", action="store_true", help="only the arrival figures")
    opts = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="liveblog-pages-"))
    procs: list[subprocess.Popen] = []
    try:
        print("making the stories (10,020 updates)…", file=sys.stderr)
        make_database(tmp / "liveblog.db")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEBLOG_")}
        env.update(LIVEBLOG_DATABASE_URL=f"sqlite:///{tmp / 'liveblog.db'}", LIVEBLOG_SECRET_KEY="bench",
                   LIVEBLOG_STREAM_LIMIT_EXEMPT="127.0.0.0/8", PYTHONPATH=str(REPO))
        port = free_port()
        live = start([*pinned(0), sys.executable, "-m", "liveblog", "serve", "--port", str(port), "--log-level",
                      "warning"], tmp / "liveblog.log", env=env, cwd=tmp)
        procs.append(live)
        base = f"http://127.0.0.1:{port}"
        wait_up(base + "/healthz", live, "liveblog")
        rows: dict[tuple[str, bool], dict[str, float]] = {}

        if not opts.skip_rates:
            items = capture(base, tmp)
            table = tmp / "raw.json"
            table.write_text(json.dumps(items))
            (tmp / "raw_app.py").write_text(RAW_APP)
            raw_port = free_port()
            raw = start([*pinned(0), sys.executable, "-m", "uvicorn", "raw_app:app", "--port", str(raw_port),
                         "--http", "httptools", "--loop", "uvloop", "--log-level", "warning", "--no-access-log",
                         "--no-server-header", "--no-date-header"], tmp / "raw.log",
                        env={**env, "PYTHONPATH": str(tmp), "RAW_TABLE": str(table)}, cwd=tmp)
            procs.append(raw)
            wait_up(f"http://127.0.0.1:{raw_port}" + URLS[0][1], raw, "raw uvicorn")
            servers = {"liveblog": (base, live.pid), "raw": (f"http://127.0.0.1:{raw_port}", raw.pid)}
            binary = nginx_binary()
            if binary:
                for name, make in (("nginx-file", lambda d, p: nginx_from_files(d, items, p)),
                                   ("microcache", lambda d, p: nginx_deployed(d, p, port)),
                                   ("bare-cache", lambda d, p: nginx_bare_cache(d, p, port))):
                    folder, nginx_port = tmp / name, free_port()
                    folder.mkdir()
                    conf = make(folder, nginx_port)
                    proc = start([*pinned(0), binary, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
                                 folder / "stderr.log")
                    procs.append(proc)
                    url = f"http://127.0.0.1:{nginx_port}"
                    servers[name] = (url, proc.pid)
                    wait_up(url + ("/id/stories/short" if name == "nginx-file" else "/healthz"), proc, name)
            else:
                print("nginx is not installed: its columns are skipped (apt-get install -y nginx)", file=sys.stderr)
            for label, path in URLS:
                for encoded in (False, True):
                    headers = ENCODED if encoded else {}
                    row = rows.setdefault((label, encoded), {})
                    for name, (url, pid) in servers.items():
                        prefix = ("/enc" if encoded else "/id") if name == "nginx-file" else ""
                        row[name] = wrk(url + prefix + path, headers, opts.duration, opts.connections, pid)
            print_rates(rows)

        if opts.arrival:
            client = build_client(tmp)
            print("\narrival: N readers each load the long story's page (compressed), then open its stream")
            print(f"{'N':>7} {'held':>7} {'seconds':>8} {'readers/s':>10} {'µs CPU/reader':>14}")
            for n in [int(x) for x in opts.arrival.split(",") if x]:
                seconds, us_each, held = arrival(client, port, live.pid, n, tmp)
                print(f"{n:>7} {held:>7} {seconds:>8.2f} {held / seconds:>10.0f} {us_each:>14.0f}", flush=True)
    finally:
        for process in procs:
            stop(process)
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def print_rates(rows) -> None:
    """Two tables: requests/s as measured, and server CPU per request (steadier on a shared
    machine); each ratio is of the same run."""
    names = ["liveblog", "raw", "nginx-file", "microcache", "bare-cache"]
    for title, pick, better in (("requests/s", lambda c: c[0], lambda a, b: a / b),
                                ("server CPU µs per request", lambda c: c[1], lambda a, b: b / a)):
        print(f"\n{title}\n{'what':<22} {'encoding':<9}" + "".join(f"{n:>12}" for n in names) +
              f"{'lb/raw':>8}{'mc/file':>9}{'mc/bare':>9}")
        for (label, encoded), row in rows.items():
            cells = "".join(f"{pick(row[n]):>12.0f}" if n in row else f"{'-':>12}" for n in names)
            ratio = f"{better(pick(row['liveblog']), pick(row['raw'])):>8.2f}"
            cache = (f"{better(pick(row['microcache']), pick(row['nginx-file'])):>9.2f}"
                     if "microcache" in row else f"{'-':>9}")
            floor = (f"{better(pick(row['microcache']), pick(row['bare-cache'])):>9.2f}"
                     if "bare-cache" in row else f"{'-':>9}")
            print(f"{label:<22} {'br/gzip' if encoded else 'none':<9}{cells}{ratio}{cache}{floor}")
        for encoded in (False, True):
            short, long_ = rows[("page, 20 updates", encoded)], rows[("page, 10,000 updates", encoded)]
            print(f"10,000-update page ÷ 20-update page ({'br/gzip' if encoded else 'none'}): "
                  f"{better(pick(long_['liveblog']), pick(short['liveblog'])):.2f}")
    print("(ratios: how many times as many requests as the baseline, per second or per CPU second)")

if __name__ == "__main__":
    main()
