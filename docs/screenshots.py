"""Makes the screenshots in docs/: the story page (light, dark, on a phone), a corrected
update's history, and an embed on another site.

    python docs/screenshots.py

Starts `liveblog serve` on a fresh database in a temporary folder, fills a story through
the write API (with a generated lead image), and drives the system's Chromium.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from PIL import Image, ImageDraw
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
from chromium import CHROMIUM, CHROMIUM_ARGS as ARGS  # noqa: E402
from servers import free_port  # noqa: E402

from liveblog.demo import SCRIPT, Correct  # noqa: E402  (the demo's own harbour storm)


def harbour_picture() -> bytes:
    """A stand-in photograph: a stormy sky over a harbour wall and a lighthouse."""
    width, height = 1600, 900
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        sky = y < 560
        t = y / 560 if sky else (y - 560) / 340
        colour = (int(70 + 60 * t), int(80 + 60 * t), int(100 + 50 * t)) if sky else (
            int(30 + 20 * t), int(60 + 30 * t), int(80 + 20 * t))
        draw.line([(0, y), (width, y)], fill=colour)
    draw.rectangle([0, 600, 1100, 640], fill=(60, 58, 55))
    draw.rectangle([1040, 330, 1090, 600], fill=(235, 232, 225))
    draw.rectangle([1040, 400, 1090, 430], fill=(200, 40, 50))
    draw.polygon([(1030, 330), (1100, 330), (1065, 290)], fill=(60, 58, 55))
    for x in range(0, width, 90):
        draw.arc([x, 650, x + 120, 700], 200, 340, fill=(200, 215, 225), width=4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="liveblog-shots-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEBLOG_")}
    env.update(LIVEBLOG_DATABASE_URL=f"sqlite:///{work / 'db.sqlite'}", LIVEBLOG_MEDIA_DIR=str(work / "media"),
               LIVEBLOG_SECRET_KEY="screenshots", PYTHONPATH=str(REPO))
    server = subprocess.Popen([sys.executable, "-m", "liveblog", "serve", "--port", str(port), "--log-level", "warning"],
                              cwd=work, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = subprocess.run([sys.executable, "-m", "liveblog", "create-token", "Harbour desk"], cwd=work, env=env,
                               capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
        image = api.post("/api/media", files={"file": ("harbour.jpg", harbour_picture(), "image/jpeg")}).json()
        slug = api.post("/api/stories", json={
            "title": "Storm over the harbour: live", "slug": "storm-over-the-harbour",
            "summary": "Ferries suspended, schools closing early and an evacuation centre open as the storm reaches the coast.",
            "image": image["name"], "caption": "The harbour wall at high tide this morning", "credit": "Photo: Harbour desk",
        }).json()["slug"]
        posted = []
        for step in SCRIPT[0].steps[:-1]:  # all but the close
            if isinstance(step, Correct):
                api.patch(f"/api/stories/{slug}/updates/{posted[step.step]}", json={
                    "body": step.body, "correction": "An earlier version gave the wrong number of homes."})
                corrected = posted[step.step]
            else:
                posted.append(api.post(f"/api/stories/{slug}/updates", json={
                    "body": step.body, "headline": step.headline, "key_event": step.key_event,
                    "pinned": step.pinned}).json()["id"])

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for scheme in ("light", "dark"):
                tab = chromium.new_page(viewport={"width": 760, "height": 1300}, color_scheme=scheme)
                tab.goto(f"{base}/stories/{slug}")
                tab.locator("#story[data-connected=yes]").wait_for(state="attached")
                tab.evaluate("document.fonts.ready")
                tab.screenshot(path=str(HERE / f"story-{scheme}.png"))
                tab.close()

            phone = chromium.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
            phone.goto(f"{base}/stories/{slug}")
            phone.locator("#story[data-connected=yes]").wait_for(state="attached")
            phone.screenshot(path=str(HERE / "story-phone.png"))
            phone.close()
            tab = chromium.new_page(viewport={"width": 760, "height": 700}, color_scheme="light")
            tab.goto(f"{base}/stories/{slug}/updates/{corrected}/history")
            tab.screenshot(path=str(HERE / "history.png"), full_page=True)
            tab.close()

            site = Path(tempfile.mkdtemp(prefix="partner-site-"))
            (site / "index.html").write_text(f"""<!doctype html><html><head><meta charset="utf-8">
<title>The Coastal Gazette</title></head>
<body style="margin:0;background:#f4f1ea;font:18px/1.6 Georgia,serif;color:#222">
<div style="background:#1d3557;color:#fff;padding:14px 32px;font:bold 26px Georgia,serif">The Coastal Gazette</div>
<div style="max-width:720px;margin:24px auto;padding:0 24px">
<h1 style="font-size:34px;line-height:1.2;margin:0 0 12px">Storm batters the coast</h1>
<p>Our reporters are on the seafront. Follow the latest from the harbour, updated live:</p>
<script async src="{base}/static/embed.js" data-story="{slug}"></script>
<p style="color:#555">The Coastal Gazette is an independent newspaper serving the coast since 1887.</p>
</div></body></html>""")
            partner_port = free_port()
            httpd = ThreadingHTTPServer(("127.0.0.1", partner_port), partial(SimpleHTTPRequestHandler, directory=str(site)))
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
            tab = chromium.new_page(viewport={"width": 800, "height": 1400}, color_scheme="light")
            tab.goto(f"http://127.0.0.1:{partner_port}/index.html")
            frame = tab.frame_locator("iframe[data-liveblog-embed]")
            frame.locator("#story[data-connected=yes]").wait_for(state="attached")
            tab.wait_for_function("document.querySelector('iframe').getBoundingClientRect().height > 600")
            tab.screenshot(path=str(HERE / "embed.png"), full_page=True)
            httpd.shutdown()
            chromium.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    print("wrote", ", ".join(str(HERE / n) for n in ("story-light.png", "story-dark.png", "story-phone.png", "history.png", "embed.png")))


if __name__ == "__main__":
    main()
