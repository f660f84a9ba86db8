"""Images: checked as real images, re-encoded without metadata, stored once in every width,
served with long cache headers; refused with a clear message and nothing stored otherwise."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from PIL import Image

from liveblog import media
from stand_ins import jpeg, png_with_alpha


def test_save_image_strips_metadata_turns_upright_and_makes_every_width(tmp_path):
    name = media.save_image(jpeg(1000, 600, exif=True), tmp_path)
    # Orientation 6 means "rotate 90°": stored upright, 600 wide and 1000 tall.
    assert name.endswith("-600x1000.jpg")
    stored = Image.open(tmp_path / name)
    assert stored.size == (600, 1000)
    assert not stored.getexif(), "EXIF (camera make, GPS…) must not be kept"
    assert [v.width for v in media.variants(name)] == [320, 600]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(v.name for v in media.variants(name))
    assert Image.open(tmp_path / media.variants(name)[0].name).size == (320, 533)


def test_transparent_images_stay_png_and_huge_ones_are_scaled_down(tmp_path):
    assert media.save_image(png_with_alpha(), tmp_path).endswith("-700x300.png")
    big = media.save_image(jpeg(3000, 1500), tmp_path)
    assert big.endswith(f"-{media.MAX_WIDTH}x1200.jpg")
    assert [v.width for v in media.variants(big)] == [320, 640, 960, 1280, 1600, 2400]


def test_the_same_upload_twice_is_one_image(tmp_path):
    data = jpeg()
    assert media.save_image(data, tmp_path) == media.save_image(data, tmp_path)
    assert len(list(tmp_path.iterdir())) == len(media.variants(media.save_image(data, tmp_path)))


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "empty"),
        (b"%PDF-1.4 not an image at all", "not an image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not an image"),
        (jpeg()[:400], "damaged"),
    ],
)
def test_what_is_not_a_real_image_is_refused_and_nothing_kept(tmp_path, data, words):
    with pytest.raises(media.ImageRefused) as refused:
        media.save_image(data, tmp_path)
    assert refused.value.status_code == 422
    assert words in refused.value.errors["file"]
    assert not any(tmp_path.iterdir())


def test_describe_gives_srcset_and_snippets():
    name = "0123456789abcdef01234567-1000x500.jpg"
    shown = media.describe(name, "https://news.example", caption='Flood "barrier"', credit="Photo: <A. N.>")
    assert shown["url"] == f"https://news.example/media/{name}"
    assert shown["srcset"] == (
        "https://news.example/media/0123456789abcdef01234567-320w.jpg 320w, "
        "https://news.example/media/0123456789abcdef01234567-640w.jpg 640w, "
        "https://news.example/media/0123456789abcdef01234567-960w.jpg 960w, "
        f"https://news.example/media/{name} 1000w"
    )
    assert shown["markdown"] == f'![Flood "barrier"](https://news.example/media/{name})'
    assert "<figcaption>Flood &quot;barrier&quot; <small>Photo: &lt;A. N.&gt;</small></figcaption>" in shown["html"]


# -- over HTTP ----------------------------------------------------------------


def upload(server, data: bytes, filename: str = "photo.jpg", token="default", **fields) -> httpx.Response:
    return server.api("POST", "/api/media", files={"file": (filename, data, "image/jpeg")}, data=fields, token=token)


def stored_files(server) -> set[str]:
    folder = Path(server.env["LIVEBLOG_MEDIA_DIR"])
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_upload_answers_urls_and_serves_with_long_cache(server):
    r = upload(server, jpeg(1400, 700), caption="The harbour wall", credit="Photo: Desk")
    assert r.status_code == 201, r.text
    image = r.json()
    assert image["width"] == 1400 and image["height"] == 700
    assert image["srcset"].count("w,") == 4 and image["srcset"].endswith(" 1400w")
    assert "<figcaption>The harbour wall <small>Photo: Desk</small></figcaption>" in image["html"]
    for entry in image["srcset"].split(", "):
        url, width = entry.split(" ")
        got = httpx.get(url)
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
        assert got.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert Image.open(io.BytesIO(got.content)).width == int(width[:-1])
    assert httpx.get(server.url + "/media/../liveblog.db").status_code == 404
    assert httpx.get(server.url + "/media/0123456789abcdef01234567-10x10.jpg").status_code == 404


def test_upload_needs_a_token(server):
    before = stored_files(server)
    assert upload(server, jpeg(), token=None).status_code == 401
    assert stored_files(server) == before


def test_non_image_upload_is_refused_clearly_and_nothing_stored(server):
    before = stored_files(server)
    r = upload(server, b"MZ\x90\x00 this is an executable, honest", filename="holiday.jpg")
    assert r.status_code == 422
    assert "not an image" in r.json()["errors"]["file"]
    r = server.api("POST", "/api/media", json_body={"file": "nope"})
    assert r.status_code == 422 and "multipart/form-data" in r.json()["errors"]["file"]
    assert stored_files(server) == before


def test_oversize_upload_is_refused_clearly_and_nothing_stored(server):
    before = stored_files(server)
    # A real JPEG padded past 10 MB: what it contains does not matter, its size does.
    data = jpeg() + b"\0" * (media.MAX_BYTES + 1)
    r = upload(server, data)
    assert r.status_code == 413
    assert r.json()["errors"]["file"] == "The image is too large: at most 10 MB."
    assert stored_files(server) == before


def test_story_lead_image_with_caption_and_credit(server):
    image = upload(server, jpeg(1200, 800)).json()
    story = server.new_story("Bridge closed", image=image["name"], caption="The old bridge at dawn", credit="Photo: K. Ito")
    html = httpx.get(story["url"]).text
    assert f'srcset="{image["srcset"]}"' in html
    assert "The old bridge at dawn <small class=\"credit\">Photo: K. Ito</small>" in html

    r = server.api("PATCH", f"/api/stories/{story['slug']}", {"image": "ffffffffffffffffffffffff-10x10.jpg"})
    assert r.status_code == 422 and "POST /api/media" in r.json()["errors"]["image"]
    r = server.api("PATCH", f"/api/stories/{story['slug']}", {"image": "../../etc/passwd"})
    assert r.status_code == 422 and "image" in r.json()["errors"]
    assert image["srcset"] in httpx.get(story["url"]).text

    assert server.api("PATCH", f"/api/stories/{story['slug']}", {"image": "", "caption": ""}).status_code == 200
    assert "<figure" not in httpx.get(story["url"]).text


def test_images_in_update_bodies_keep_srcset(server):
    image = upload(server, jpeg(900, 600), caption="Sandbags on Quay Street").json()
    slug = server.new_story()["slug"]
    update = server.post(slug, "Residents are filling sandbags.\n\n" + image["html"])
    assert f'srcset="{image["srcset"]}"' in update["body_html"]
    assert "<figcaption>Sandbags on Quay Street</figcaption>" in update["body_html"]
    update = server.post(slug, image["markdown"])
    assert f'<img src="{image["url"]}" alt="Sandbags on Quay Street">' in update["body_html"]


# -- image bombs ----------------------------------------------------------------

BOMB_SIZE = (8574, 5715)  # 49 megapixels


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """49-megapixel images that are small files: one colour compresses to almost nothing."""
    made = {}
    image = Image.new("RGB", BOMB_SIZE, (40, 110, 170))
    for fmt in ("JPEG", "PNG"):
        out = io.BytesIO()
        image.save(out, fmt)
        made[fmt] = out.getvalue()
    return made


def test_a_49_megapixel_png_is_refused_before_it_is_decoded(server, bombs):
    assert len(bombs["PNG"]) < 1024 * 1024
    before = stored_files(server)
    r = upload(server, bombs["PNG"], filename="bomb.png")
    assert r.status_code == 422
    assert r.json()["errors"]["file"] == "The image is 8,574×5,715 pixels; at most 25 megapixels, please."
    assert stored_files(server) == before


def test_49_megapixel_jpegs_are_decoded_small_take_little_memory_and_block_no_one(start_server, bombs):
    server = start_server()  # its own process, so its peak memory is this test's alone
    slug = server.new_story("Bombs")["slug"]
    baseline = server.memory_kib("VmHWM")
    finished: list[str] = []

    def send(n: int) -> httpx.Response:
        # Each a different file (one byte past the end), so none is a repeat of another.
        r = upload(server, bombs["JPEG"] + bytes([n]), filename=f"bomb-{n}.jpg")
        finished.append("upload")
        return r

    with ThreadPoolExecutor(4) as pool:
        uploads = [pool.submit(send, n) for n in range(4)]
        for _ in range(3):  # readers are answered while the images are being worked on
            assert httpx.get(f"{server.url}/stories/{slug}", timeout=30).status_code == 200
            finished.append("page")
        answers = [u.result() for u in uploads]
    assert finished.index("page") < len(finished) - 1 and "upload" in finished[finished.index("page"):]
    for r in answers:
        assert r.status_code == 201, r.text
        assert r.json()["width"] == media.MAX_WIDTH
    grown = server.memory_kib("VmHWM") - baseline
    assert grown < 300 * 1024, f"four 49-megapixel uploads took the server's peak memory up {grown // 1024} MiB"
