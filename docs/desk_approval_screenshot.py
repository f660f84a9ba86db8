"""Makes docs/desk-approval.png: an editor's desk with a contributor's draft waiting and a
post scheduled for later, as an editor in Berlin sees it.

    python docs/desk_approval_screenshot.py

Starts `liveblog serve` on a fresh database in a temporary folder, posts through the
desk's own forms (a contributor's draft, an editor's scheduled post, a published update),
and drives the system's Chromium.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from desk import PASSWORD, Desk  # noqa: E402
from desk_tab import desk_tab  # noqa: E402
from servers import server_starter  # noqa: E402


def main() -> None:
    start, started = server_starter(Path(tempfile.mkdtemp(prefix="liveblog-shots-")))
    server = start()
    try:
        for name, role in (("Sam Okafor", "editor"), ("Lena Brandt", "contributor")):
            result = server.cli("create-editor", name, "--role", role, stdin=PASSWORD + "\n")
            assert result.returncode == 0, result.stderr
        editor, contributor = Desk(server), Desk(server)
        editor.login("Sam Okafor")
        contributor.login("Lena Brandt")
        slug = editor.start_story("Storm over the harbour: live",
                                  summary="Ferries suspended and an evacuation centre open as the storm reaches the coast.")
        editor.post(f"/admin/stories/{slug}/updates", {
            "headline": "Ferries suspended", "key_event": "on",
            "body": "All harbour ferries are **suspended** until further notice, the port authority says."})
        contributor.post(f"/admin/stories/{slug}/updates", {
            "headline": "Sea wall breached",
            "body": "Water is coming over the sea wall at **Quay Street**; I can see two cars stranded."})
        at = (datetime.now(timezone.utc) + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
        editor.post(f"/admin/stories/{slug}/updates", {
            "body": "The council's next briefing starts now; we will post the main points here.",
            "publish_at": at.strftime("%Y-%m-%dT%H:%M:%S"), "tz_offset": "0"})

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            tab = desk_tab(chromium, server, editor, slug, "data-queue-connected", {"width": 1200, "height": 1500},
                           "Europe/Berlin")
            tab.locator("#scheduled .queue-item details.queue-schedule summary").click()
            tab.screenshot(path=str(HERE / "desk-approval.png"), full_page=True)
            chromium.close()
    finally:
        for each in started:
            each.stop()
    print("wrote", HERE / "desk-approval.png")


if __name__ == "__main__":
    main()
