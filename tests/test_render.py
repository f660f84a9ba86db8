"""Pure rendering: Markdown, the sanitizer's allow-list, times, SSE frames, JSON-LD safety."""

import re
from datetime import datetime, timezone

import pytest

from liveblog import render


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        "<svg onload=alert(1)>",
        '<iframe src="https://evil.example"></iframe>',
        '<div style="background:url(javascript:alert(1))">x</div>',
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        "<object data=x></object><embed src=x>",
        '<form action="https://evil.example"><input name=a></form>',
        '<img srcset="javascript:alert(1) 1x">',
        '<img src=x srcset="https://example.com/a.png 1x, data:text/html,<script>alert(1)</script> 2x">',
        '<img srcset=" java&#9;script:alert(1) 1x">',
    ],
)
def test_script_never_survives(body):
    html = render.markdown_html(body).lower()
    for marker in ("<script", "<iframe", "<svg", "<object", "<embed", "<form", "<input"):
        assert marker not in html, (body, html)
    assert not re.search(r"<[^>]*\son\w+\s*=", html), html  # no event-handler attribute
    assert not re.search(r"<[^>]*\sstyle\s*=", html), html
    assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*(javascript|data):""", html), html
    assert not re.search(r"<[^>]*(javascript|data):", html), html  # in no attribute, srcset included


def test_srcset_of_ordinary_images_is_kept():
    html = render.markdown_html('<img src="a.png" srcset="a.png 1x, https://example.com/b.png 2x" alt="">')
    assert 'srcset="a.png 1x, https://example.com/b.png 2x"' in html


def test_markdown_is_rendered():
    html = render.markdown_html("# Title\n\n**bold** and [a link](https://example.com)\n\n> quote")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.com" rel="nofollow ugc noopener">a link</a>' in html
    assert "<blockquote>" in html


def test_iso_treats_naive_as_utc():
    assert render.iso(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"
    assert render.iso(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == "2026-01-02T03:04:05Z"
    assert render.iso(None) is None


def test_json_for_script_cannot_close_the_element():
    text = render.json_for_script({"headline": "</script><script>alert(1)</script><!--"})
    assert "</script" not in text and "<!--" not in text
