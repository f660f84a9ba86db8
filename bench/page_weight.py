"""What a reader downloads for the story page before images, and what an upload costs.

    python bench/page_weight.py

Starts `liveblog serve` on a fresh SQLite database, posts a full page (50) of updates of
ordinary length, then prints the bytes of the page's HTML, CSS and JS (every script
module the page loads, imports included, on a line of its own), as served and
gzip-compressed (as a front proxy would send them), and the time to check, re-encode
and store a 12-megapixel photograph in every srcset width.
"""

from __future__ import annotations

import gzip
import io
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))
from servers import Server, free_port, server_env  # noqa: E402
from static_modules import module_graph  # noqa: E402

from liveblog import media  # noqa: E402

BODY = ("Crews are working to restore power to about 2,000 homes east of the river; "
        "the utility says most should be back **by this evening**.")


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="liveblog-weight-"))
    server = Server(tmp, server_env(tmp), free_port()).start()
    try:
        story = server.new_story("A busy day", summary="Fifty updates of ordinary length, as on a busy day.")
        with httpx.Client(headers={"Authorization": f"Bearer {server.token}"}) as client:
            for n in range(50):
                client.post(f"{server.url}/api/stories/{story['slug']}/updates",
                            json={"body": BODY, "headline": f"Update number {n}" if n % 3 == 0 else "",
                                  "key_event": n % 10 == 0})
        html = httpx.get(story["url"]).text
        scripts = module_graph(re.findall(r'<script type="module" src="(/static/[^"]+)"', html),
                               lambda path: httpx.get(server.url + path).text)
        parts = {
            "HTML": html.encode(),
            "CSS": httpx.get(server.url + "/static/style.css").content,
            **{path.rsplit("/", 1)[1]: httpx.get(server.url + path).content for path in scripts},
        }
    finally:
        server.stop()
    print("story page, 50 updates:")
    for name, data in parts.items():
        print(f"  {name:18} {len(data):7,} bytes   gzip {len(gzip.compress(data)):6,}")
    total = sum(len(d) for d in parts.values())
    total_gz = sum(len(gzip.compress(d)) for d in parts.values())
    print(f"  {'total':18} {total:7,} bytes   gzip {total_gz:6,}   (budget 51,200; {len(parts)} files)")

    photo = Image.effect_noise((4000, 3000), 40).convert("RGB")
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=90)
    started = time.perf_counter()
    name = media.save_image(out.getvalue(), Path(tempfile.mkdtemp(prefix="liveblog-media-")))
    print(f"upload of a 4000x3000 JPEG ({len(out.getvalue()) / 1e6:.1f} MB): "
          f"{time.perf_counter() - started:.2f} s for {len(media.variants(name))} widths")


if __name__ == "__main__":
    main()
