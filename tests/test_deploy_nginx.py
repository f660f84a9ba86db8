"""deploy/: the sample nginx config in front of a real server, in a real nginx.

The config is used as shipped, with only its listen port, upstream and cache folder
pointed at the test: the live stream passes through unbuffered (an event posted while
the stream is open arrives through nginx), the API works through it, /metrics is not
served to the outside, and reader pages come from nginx's micro-cache, showing a new
update once their few seconds are up, while a reader who loaded the older copy replays
to the present.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from liveblog.cli import parser
from servers import REPO, free_port

DEPLOY = REPO / "deploy"


def nginx_config(tmp: Path, listen: int, upstream: int) -> Path:
    site = (DEPLOY / "nginx.conf").read_text()
    site, listens = re.subn(r"listen \d+;", f"listen 127.0.0.1:{listen};", site)
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+;\n", site, flags=re.M)
    assert listens == 1 and servers, "the sample config has one listen and an upstream of local processes"
    site = site.replace(servers[0], f"    server 127.0.0.1:{upstream};\n", 1)
    for extra in servers[1:]:
        site = site.replace(extra, "", 1)
    site, caches = re.subn(r"proxy_cache_path \S+", f"proxy_cache_path {tmp}/cache", site)
    assert caches == 1, "the sample config has one micro-cache"
    (tmp / "liveblog.conf").write_text(site)
    main = tmp / "nginx.conf"
    main.write_text(
        f"""
{"user root root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/liveblog.conf;
}}
"""
    )
    return main


@pytest.fixture(scope="module")
def nginx(server, tmp_path_factory):
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("nginx is not installed (apt-get install -y nginx)")
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port()
    config = nginx_config(tmp, port, server.port)
    checked = subprocess.run([binary, "-t", "-p", str(tmp), "-c", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [binary, "-p", str(tmp), "-c", str(config), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "stderr.log").open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"nginx did not start: {(tmp / 'error.log').read_text() if (tmp / 'error.log').exists() else ''}")
        time.sleep(0.05)  # polling for start-up
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_the_live_stream_passes_through_nginx_unbuffered(server, nginx, sse):
    slug = server.new_story("Through the proxy")["slug"]
    reader = sse(nginx + f"/stories/{slug}/events").wait_open()
    assert reader.status == 200
    assert reader.response_headers["content-type"].startswith("text/event-stream")
    update = server.post(slug, "Posted while the stream is open.")
    events = reader.wait(1, 15)
    assert [e.json["id"] for e in events] == [update["id"]]
    assert not reader.ended.is_set()
    second = server.post(slug, "And another.")
    assert [e.json["id"] for e in reader.wait(2, 15)] == [update["id"], second["id"]]


def test_the_api_and_pages_work_through_nginx(server, nginx):
    r = httpx.post(nginx + "/api/stories", json={"title": "Proxied desk"},
                   headers={"Authorization": f"Bearer {server.token}"}, timeout=15)
    assert r.status_code == 201, r.text
    page = httpx.get(nginx + f"/stories/{r.json()['slug']}", timeout=15)
    assert page.status_code == 200 and "Proxied desk" in page.text


def test_reader_pages_come_from_the_micro_cache_and_show_the_next_update_within_its_lifetime(server, nginx, sse):
    slug = server.new_story("Cached at the edge")["slug"]
    first = server.post(slug, "Before the crowd.")
    url = nginx + f"/stories/{slug}"
    loaded = httpx.get(url, timeout=15)
    assert loaded.status_code == 200 and "Before the crowd." in loaded.text
    again = httpx.get(url, timeout=15)
    assert again.headers["x-cache-status"] == "HIT" and again.content == loaded.content
    old_copy_id = int(re.search(r'data-last-event-id="(\d+)"', again.text).group(1))

    news = server.post(slug, "The crowd arrives.")
    edit = server.api("PATCH", f"/api/stories/{slug}/updates/{first['id']}", {"body": "Before the crowd, edited."})
    assert edit.status_code == 200
    max_age = int(re.search(r"max-age=(\d+)", loaded.headers["cache-control"]).group(1))

    def fresh():
        page = httpx.get(url, timeout=15)
        return page if "The crowd arrives." in page.text else None

    # Waiting on the page's content, polled, since nginx has no event to wait on; the
    # copy may be served stale while nginx fetches the next one in the background.
    shown = wait_for(fresh, timeout=max_age + 10)
    assert "Before the crowd, edited." in shown.text

    # A reader holding the cached copy from before both events replays both, in order.
    reader = sse(nginx + f"/stories/{slug}/events", last_event_id=old_copy_id).wait_open()
    events = reader.wait(2, 15)
    assert [(e.event, e.json["id"]) for e in events[:2]] == [("update", news["id"]), ("edit", first["id"])]
    assert [int(e.id) for e in events[:2]] == sorted(int(e.id) for e in events[:2])
    assert int(events[0].id) == old_copy_id + 1, "no event between the cached copy and the replay is missed"


def test_the_desk_the_login_and_the_stream_are_never_kept_by_nginx(server, nginx):
    for path in ("/login", "/admin", "/api/stories"):
        for _ in range(2):
            r = httpx.get(nginx + path, timeout=15)
            assert r.headers.get("x-cache-status") in (None, "BYPASS", "MISS", "EXPIRED"), path
            kept = r.headers.get("cache-control", "no-store")
            assert "no-store" in kept or "private" in kept, path  # either way, no shared cache keeps it
    slug = server.new_story("Searched at the edge")["slug"]
    for _ in range(2):
        search = httpx.get(nginx + f"/stories/{slug}?q=crowd", timeout=15)
        assert search.headers["x-cache-status"] == "BYPASS"


def wait_for(check, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)  # polling nginx's answer, which has no event to wait on
    raise AssertionError(f"not so within {timeout}s")


def test_metrics_are_not_served_through_nginx(server, nginx):
    assert httpx.get(nginx + "/metrics", timeout=15).status_code == 403
    assert httpx.get(server.url + "/metrics", timeout=15).status_code == 200  # localhost, directly


def test_the_systemd_unit_runs_a_valid_command():
    unit = (DEPLOY / "liveblog@.service").read_text()
    command = shlex.split(re.search(r"^ExecStart=(.+)$", unit, flags=re.M).group(1).replace("%i", "8001"))
    assert command[0].endswith("/liveblog")
    args = parser().parse_args(command[1:])
    assert (args.command, args.host, args.port) == ("serve", "127.0.0.1", 8001)
    assert re.search(r"^KillSignal=SIGTERM$", unit, flags=re.M)
