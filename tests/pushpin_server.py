"""A Pushpin of the test's own (Debian's `pushpin`), in front of a test's Liveblog.

Its own config, free loopback ports and a run directory of its own, so that it can be
restarted without disturbing anyone. Skipped with the reason when Pushpin is not
installed; under CI=true (where .ci/run installs it) that fails instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from backing_services import free_port
from servers import wait_until

KEY = "a-test-key-for-pushpin-grip-signatures"

CONFIG = """\
[global]
include={{libdir}}/internal.conf
rundir={run}
ipc_prefix=t-
port_offset=0
stats_connection_ttl=120

[runner]
services=condure,zurl,pushpin-proxy,pushpin-handler
http_port=127.0.0.1:{http_port}
logdir={run}
log_level=2
client_buffer_size=8192
client_maxconn=1000

[proxy]
routesfile={run}/routes
zurl_out_specs=ipc://{run}/t-zurl-in
zurl_out_stream_specs=ipc://{run}/t-zurl-in-stream
zurl_in_specs=ipc://{run}/t-zurl-out
sig_iss=pushpin
sig_key={key}
updates_check=off

[handler]
push_in_spec=ipc://{run}/t-push-in
push_in_sub_specs=ipc://{run}/t-push-in-sub
push_in_sub_connect=false
push_in_http_addr=127.0.0.1
push_in_http_port={publish_port}
stats_spec=ipc://{run}/t-stats
command_spec=ipc://{run}/t-command
message_rate=2500
message_hwm=25000
message_wait=5000
id_cache_ttl=60
"""


def need_pushpin() -> str:
    binary = shutil.which("pushpin")
    if binary is None:
        reason = "Debian's pushpin is not installed (apt-get install pushpin)"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(reason)
    return binary


class Pushpin:
    """One `pushpin` routing every request to the origin at `origin_port` (but those that
    one of `routes`, lines of Pushpin's routes file, sends elsewhere)."""

    def __init__(self, workdir: Path, origin_port: int, routes: tuple[str, ...] = ()):
        self.binary = need_pushpin()
        self.run = workdir / f"pushpin-{free_port()}"
        self.run.mkdir()
        self.origin_port = origin_port
        self.process: subprocess.Popen | None = None
        self.started = False
        self.log = self.run / "pushpin.log"
        (self.run / "routes").write_text("".join(f"{line}\n" for line in (*routes, f"* 127.0.0.1:{origin_port}")))
        self._choose_ports()

    def _choose_ports(self) -> None:
        self.port = free_port()
        self.publish_port = free_port()
        (self.run / "pushpin.conf").write_text(
            CONFIG.format(run=self.run, http_port=self.port, publish_port=self.publish_port, key=KEY)
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def grip_url(self) -> str:
        """What Liveblog's LIVEBLOG_GRIP_URL is set to."""
        return f"http://127.0.0.1:{self.publish_port}/?key={KEY}"

    def start(self) -> "Pushpin":
        """Start it (again, on the same ports, after `stop`). A first start whose port another
        test took between choosing and binding it tries other ports, up to three times."""
        for attempt in range(3):
            try:
                self._start()
                self.started = True
                return self
            except RuntimeError:
                self.stop()
                taken = "Address already in use" in self.log.read_text()
                if self.started or not taken or attempt == 2:
                    raise
                self._choose_ports()
        raise AssertionError("unreachable")

    def _start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, f"--config={self.run / 'pushpin.conf'}", "--merge-output"],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pushpin exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                # Both sides up: the publish endpoint answers, and a request is proxied.
                httpx.post(f"http://127.0.0.1:{self.publish_port}/publish/", json={"items": []}, timeout=1)
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # polling for start-up
        raise RuntimeError(f"pushpin did not start:\n{self.log.read_text()}")

    def wait_holding(self, path: str) -> None:
        """Wait until a stream at `path` is held. Pushpin proxies before it can hold: its
        proxy hands held requests to its handler over a socket that connects in its own
        time, and until then answers 500 or 503 "Accept service unavailable"."""

        def held() -> bool:
            with httpx.stream("GET", self.url + path, headers={"Accept": "text/event-stream"}, timeout=5) as response:
                return response.status_code == 200

        wait_until(held, what=f"pushpin holding {path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
