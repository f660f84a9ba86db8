"""`liveblog demo` as a newcomer meets it: the story is there at the first answer, a day's
story plays out (key events, an image, a pin, a correction, the close, the next story), a
desk login is printed, and its files stay out of the working directory."""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys

import httpx
import pytest

from servers import free_port, server_env, wait_until
from sse_client import SSEReader

pytestmark = pytest.mark.slow  # `liveblog demo` and `create-editor` processes


def test_the_demo_plays_a_story_from_the_first_answer_to_its_close(tmp_path):
    cwd, data_home = tmp_path / "here", tmp_path / "data"
    cwd.mkdir()
    env = server_env(tmp_path, XDG_DATA_HOME=str(data_home))
    for name in ("LIVEBLOG_DATABASE_URL", "LIVEBLOG_MEDIA_DIR"):
        env.pop(name)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    demo = subprocess.Popen(
        [sys.executable, "-m", "liveblog", "demo", "--port", str(port), "--every", "0.3", "--log-level", "warning"],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        # The first answer the server gives already has the live story.
        first = wait_until(lambda: httpx.get(url + "/api/stories", timeout=1), what="the demo to answer")
        (story,) = first.json()["stories"]
        assert story["status"] == "live"

        printed = ""
        while "password" not in printed:
            printed += demo.stdout.readline()
        name, password = re.search(r"as '([^']+)', password (\S+)", printed).groups()
        assert str(data_home / "liveblog" / "demo") in printed + demo.stdout.readline()

        reader = SSEReader(f"{url}/stories/{story['slug']}/events", last_event_id="0")
        assert reader.ended.wait(60), "the demo story did not close"
        events = reader.events
        updates = [e.json for e in events if e.event == "update"]
        assert events[-1].event == "story" and events[-1].json["status"] == "closed"
        key = [u["headline"] for u in updates if u["key_event"]]
        assert len(key) >= 4 and len(set(key)) == len(key), key  # key events, none repeated
        assert any(u["pinned"] for u in updates)
        image = re.search(r'src="(/media/[^"]+)"', next(u["body_html"] for u in updates if "<img" in u["body_html"]))
        assert httpx.get(url + html.unescape(image.group(1))).headers["content-type"].startswith("image/")
        corrected = [e.json for e in events if e.event == "edit" and "2,000" in e.json["body_html"]]
        assert corrected and corrected[0]["edited_at"]

        # Then the next story of the day begins.
        wait_until(lambda: any(s["status"] == "live" for s in httpx.get(url + "/api/stories").json()["stories"]),
                   what="the next story")

        # The printed login opens the desk.
        with httpx.Client(base_url=url) as desk:
            form = desk.get("/login").text
            csrf = html.unescape(re.search(r'name="csrf" value="([^"]*)"', form).group(1))
            login = desk.post("/login", data={"name": name, "password": password, "csrf": csrf, "next": "/admin"})
            assert login.status_code == 303 and desk.get("/admin").status_code == 200

        assert (data_home / "liveblog" / "demo" / "liveblog.db").exists()
        assert not any(p.name.startswith("liveblog") for p in cwd.iterdir()), list(cwd.iterdir())
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=20)


def test_create_editor_refuses_an_existing_name_unless_told_to_reset(tmp_path):
    from servers import liveblog

    env = server_env(tmp_path)
    assert liveblog("create-editor", "alice", cwd=tmp_path, env=env, stdin="correct horse battery\n").returncode == 0
    again = liveblog("create-editor", "alice", cwd=tmp_path, env=env, stdin="another password\n")
    assert again.returncode == 2 and "already an editor" in again.stderr and "--reset" in again.stderr
    reset = liveblog("create-editor", "alice", "--reset", cwd=tmp_path, env=env, stdin="another password\n")
    assert reset.returncode == 0 and "reset" in reset.stdout
