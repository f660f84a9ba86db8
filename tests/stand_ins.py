"""Stand-ins for the world around Liveblog, for the tests: another site that embeds a story,
an embed provider (oEmbed endpoint and player), and images as a camera makes them."""

from __future__ import annotations

import io
import json
import threading
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from servers import free_port


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def third_party_site(tmp_path):
    """A static site on its own port: a different origin from the Liveblog server (the
    `third_party_site` fixture)."""
    port = free_port()
    httpd = ThreadingHTTPServer(("127.0.0.1", port), partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def publish(html: str) -> str:
        (tmp_path / "index.html").write_text(html)
        return f"http://127.0.0.1:{port}/index.html"

    yield publish
    httpd.shutdown()
    httpd.server_close()


class StandIn(BaseHTTPRequestHandler):
    """A local stand-in for a provider: an oEmbed endpoint and a player page; it notes every request."""

    seen: list[str] = []

    def do_GET(self):
        self.seen.append(self.path)
        url = urlsplit(self.path)
        if url.path == "/oembed":
            asked = parse_qs(url.query)["url"][0]
            origin = f"http://127.0.0.1:{self.server.server_port}"
            body = json.dumps({
                "version": "1.0", "type": "rich", "title": "Stand-in post title", "height": 200,
                "html": f'<p id="standin">Stand-in content for {asked}</p><img src="{origin}/pixel.gif">',
            }).encode()
            self._answer(body, "application/json")
        elif url.path.startswith("/player/"):
            self._answer(b"<!doctype html><p>The stand-in player</p>", "text/html")
        else:
            self._answer(b"GIF89a", "image/gif")

    def _answer(self, body: bytes, kind: str):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def provider(tmp_path):
    """An embed provider's oEmbed endpoint and player, and a providers file naming it (the
    `provider` fixture)."""
    StandIn.seen = []
    port = free_port()
    httpd = ThreadingHTTPServer(("127.0.0.1", port), StandIn)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{port}"
    providers = tmp_path / "providers.json"
    providers.write_text(json.dumps([
        {"name": "Standin", "urls": [r"^https://standin\.example/post/\d+"], "oembed": f"{origin}/oembed"},
        {"name": "Framer", "urls": [r"^https://framer\.example/v/(?P<id>\d+)"], "oembed": f"{origin}/oembed",
         "frame": origin + "/player/{id}"},
    ]))
    yield origin, providers
    httpd.shutdown()


def jpeg(width: int = 1000, height: int = 600, exif: bool = False,
         colour: tuple[int, int, int] = (40, 110, 170)) -> bytes:
    """A plain photo; images are stored by their content, so a test that must not meet
    another test's copy of the same picture gives it a colour of its own."""
    image = Image.new("RGB", (width, height), colour)
    out = io.BytesIO()
    extra = {}
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "SecretCam"  # Make
        tags[0x0112] = 6  # Orientation: the camera was turned; the picture must be rotated
        extra["exif"] = tags.tobytes()
    image.save(out, "JPEG", **extra)
    return out.getvalue()


def png_with_alpha() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (700, 300), (255, 0, 0, 128)).save(out, "PNG")
    return out.getvalue()


# -- the store-level function -------------------------------------------------
