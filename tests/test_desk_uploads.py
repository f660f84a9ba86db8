"""Images uploaded from the desk's forms, over HTTP as a browser without script sends them
(the whole form, multipart, by its upload button) and as desk.js does (the image alone,
answered in JSON): the API's checks (type, size, pixels, re-encoding); the snippet goes
into the text, or the image becomes the story's lead; a refused image comes back beside
the file field with everything typed kept, and nothing stored."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from liveblog import media

from desk import Desk, hidden, make_editor, textarea, updates
from stand_ins import jpeg

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def editor(server) -> Desk:
    desk = Desk(server)
    assert desk.login(make_editor(server, "Ima Uploader")).status_code == 303
    return desk


def field_value(page: str, field_id: str) -> str:
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', page).group(0)
    return html.unescape(re.search(r' value="([^"]*)"', tag).group(1))


def field_error(page: str, form: str, name: str) -> str:
    found = re.search(rf'id="{form}-{name}-error"[^>]*>([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


def send(editor: Desk, slug: str, target: str, fields: dict, image: bytes | None, **kw) -> httpx.Response:
    files = {"file": ("photo.jpg", image or b"", "image/jpeg")}
    return editor.http.post(f"/admin/stories/{slug}/media?for={target}", data={"csrf": editor.csrf, **fields},
                            files=files, **kw)


def test_an_image_goes_into_the_post_with_everything_typed_kept(server, editor):
    slug = editor.start_story("Upload from the desk")
    typed = {"headline": "Flood barrier", "body": "The barrier held overnight.", "key_event": "on",
             "alt": "The barrier from the river bank", "caption": "The barrier at dawn", "credit": "Jo Photo",
             "upload": "post"}
    r = send(editor, slug, "post", typed, jpeg(900, 500))
    assert r.status_code == 200
    body = textarea(r.text, "post-body")
    assert body.startswith("The barrier held overnight.\n\n<figure><img src=\"/media/")
    assert 'alt="The barrier from the river bank"' in body and "<small>Jo Photo</small>" in body
    assert field_value(r.text, "post-headline") == "Flood barrier" and 'id="post-key-event" checked' in r.text
    assert updates(server, slug) == []  # uploaded, not posted: the editor posts when ready
    name = re.search(r"/media/([0-9a-f]{24}-900x500\.jpg)", body).group(1)
    assert httpx.get(f"{server.url}/media/{name}").status_code == 200
    # Posted as it stands, readers get the figure.
    r = editor.post(f"/admin/stories/{slug}/updates", {"headline": "Flood barrier", "body": body})
    assert r.status_code == 303 and "<figcaption>The barrier at dawn" in updates(server, slug)[0]["body_html"]

    # As desk.js sends it: the image and its own fields, answered in JSON.
    r = send(editor, slug, "post", {"alt": "Sandbags"}, jpeg(400, 300), headers={**JSON, "X-CSRF-Token": editor.csrf})
    assert r.status_code == 201 and r.json()["name"].endswith("-400x300.jpg") and 'alt="Sandbags"' in r.json()["html"]


@pytest.mark.parametrize("image, status, words", [
    (b"%PDF-1.4 not an image", 422, "not an image"),
    (b"", 422, "empty"),
    (jpeg()[:400], 422, "damaged"),
    (b"\xff" * (media.MAX_BYTES + 1), 413, "too large"),
], ids=["not an image", "empty", "damaged", "too large"])
def test_a_refused_image_comes_back_beside_the_field_with_the_text_kept(server, editor, image, status, words, tmp_path):
    slug = editor.start_story(f"Refused upload {status} {words}")
    # Every field of the post form, as a browser sends it by the upload button.
    typed = {"headline": "Typed headline", "body": "Typed text that must survive.", "key_event": "on", "pinned": "on",
             "publish_at": "", "tz_offset": "", "alt": "Typed alt", "caption": "", "credit": "", "upload": "post"}
    r = send(editor, slug, "post", typed, image)
    assert r.status_code == status and words in field_error(r.text, "post", "file")
    assert 'id="post-file" name="file"' in r.text and 'aria-invalid="true"' in r.text.split('id="post-file"')[1][:300]
    if status != 413:  # past the cap nothing of the form is read
        assert textarea(r.text, "post-body") == "Typed text that must survive."
        assert field_value(r.text, "post-headline") == "Typed headline" and field_value(r.text, "post-alt") == "Typed alt"
    r = send(editor, slug, "post", typed, image, headers={**JSON, "X-CSRF-Token": editor.csrf})
    assert r.status_code == status and words in r.json()["errors"]["file"]
    assert updates(server, slug) == []


def test_the_lead_image_from_the_story_form(server, editor):
    slug = editor.start_story("A lead image")
    r = send(editor, slug, "story", {"title": "A lead image, retitled", "summary": "S", "caption": "The valley",
                                     "credit": "Lee Lens", "image": "", "upload": "story"}, jpeg(1200, 700))
    assert r.status_code == 200
    name = field_value(r.text, "story-image")
    assert name.endswith("-1200x700.jpg") and field_value(r.text, "story-title") == "A lead image, retitled"
    r = editor.post(f"/admin/stories/{slug}", {"title": "A lead image, retitled", "summary": "S", "image": name,
                                                "caption": "The valley", "credit": "Lee Lens"})
    assert r.status_code == 303
    page = httpx.get(f"{server.url}/stories/{slug}").text  # the reader's page shows and shares it
    assert "A lead image, retitled" in page and f"/media/{name.split('-')[0]}" in page and "The valley" in page
    # A name that was never uploaded is refused; the form's upload needs the CSRF token.
    r = editor.post(f"/admin/stories/{slug}", {"title": "T", "image": "0" * 24 + "-10x10.jpg"})
    assert r.status_code == 422 and "upload it again" in field_error(r.text, "story", "file")
    r = editor.http.post(f"/admin/stories/{slug}/media?for=story", data={"csrf": "wrong"},
                         files={"file": ("a.jpg", jpeg(), "image/jpeg")})
    assert r.status_code == 403
    assert hidden(editor.http.get(f"/admin/stories/{slug}").text)  # the desk still opens
