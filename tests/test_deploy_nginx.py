"""deploy/: the sample nginx config in front of a real server, in a real nginx.

The config is used as shipped, with only its listen port and upstream pointed at the
test server: the live stream passes through unbuffered (an event posted while the
stream is open arrives through nginx), the API works through it, and /metrics is not
served to the outside.
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
