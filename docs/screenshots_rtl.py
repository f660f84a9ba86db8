"""Makes docs/story-rtl-phone.png and docs/story-rtl-desktop.png: a story in Arabic, right
to left, with an English quote keeping its own direction.

    python docs/screenshots_rtl.py

Starts `liveblog serve` on a fresh database in a temporary folder, fills the story through
the write API, and drives the system's Chromium.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS as ARGS, free_port  # noqa: E402

STORY = {
    "title": "صفارات الإنذار تدوي في القدس وتل أبيب",
    "summary": "تغطية مباشرة لآخر التطورات بعد رصد صواريخ أُطلقت باتجاه وسط البلاد",
    "language": "ar",
}
UPDATES = [  # oldest first
    {"body": "دوّت صفارات الإنذار في القدس وتل أبيب قرابة الساعة الثامنة مساءً، وطُلب من السكان التوجه إلى الملاجئ.",
     "headline": "صفارات الإنذار في وسط البلاد", "key_event": True},
    {"body": "أفاد شهود عيان بسماع دويّ انفجارات متتالية في سماء المدينة، فيما أعلنت الشرطة إغلاق عدد من الطرق الرئيسية."},
    {"body": "> “We heard three loud blasts and then the sirens stopped,” a resident of Tel Aviv told our correspondent.\n\n"
             "نقل مراسلنا عن أحد السكان قوله إنه سمع ثلاثة انفجارات قوية قبل أن تتوقف الصفارات."},
    {"body": "أعلنت خدمة الإسعاف أن طواقمها لم تتلقَّ حتى الآن أي بلاغ عن إصابات، وتواصل مسح المناطق المتضررة.",
     "headline": "لا إصابات حتى الآن", "key_event": True},
    {"body": "المطار يعلّق الإقلاع والهبوط مؤقتًا، وينصح المسافرين بمتابعة مواعيد رحلاتهم مع شركات الطيران.",
     "pinned": True},
]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="liveblog-rtl-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEBLOG_")}
    env.update(LIVEBLOG_DATABASE_URL=f"sqlite:///{work / 'db.sqlite'}", LIVEBLOG_SECRET_KEY="screenshots",
               PYTHONPATH=str(REPO))
    server = subprocess.Popen([sys.executable, "-m", "liveblog", "serve", "--port", str(port)], cwd=work, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        token = subprocess.run([sys.executable, "-m", "liveblog", "create-token", "shots"], cwd=work, env=env,
                               capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
        slug = api.post("/api/stories", json=STORY).json()["slug"]
        for update in UPDATES:
            api.post(f"/api/stories/{slug}/updates", json=update).raise_for_status()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            for name, options in {
                "story-rtl-phone.png": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
                                        "is_mobile": True, "has_touch": True},
                "story-rtl-desktop.png": {"viewport": {"width": 1280, "height": 900}},
            }.items():
                context = browser.new_context(locale="ar", timezone_id="Asia/Jerusalem", color_scheme="light", **options)
                page = context.new_page()
                page.goto(f"{base}/stories/{slug}")
                page.wait_for_selector("#updates article.update")
                page.screenshot(path=str(HERE / name))
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
