"""embed.js on someone else's page (another origin), in headless Chromium: live iframes
that size themselves, several on one page, and height messages believed only from them."""

from __future__ import annotations

import time

import pytest


pytestmark = pytest.mark.browser


def wait_until(condition, timeout: float = 15.0, what: str = "condition"):
    """Polls `condition` until it holds (for state only reachable from Python, such as the
    height inside a cross-origin frame); fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def frame_of(page, slug: str):
    return page.locator(f'iframe[data-liveblog-embed="{slug}"]')


def sizes(page, slug: str) -> tuple[int, int]:
    """(the iframe's height on the host page, the height of the content inside it)"""
    frame = frame_of(page, slug)
    outer = frame.evaluate("f => f.getBoundingClientRect().height")
    inner = frame.content_frame.locator("html").evaluate("h => Math.ceil(h.getBoundingClientRect().height)")
    return round(outer), inner


def test_two_embeds_on_another_origin_are_live_and_size_themselves(server, third_party_site, page):
    first = server.new_story("Harbour storm", summary="Embedded on a partner site")
    second = server.new_story("Rail strike", summary="A second embed on the same page")
    server.post(first["slug"], "Ferries are suspended.")
    server.post(second["slug"], "No trains north of the river.")
    site = third_party_site(f"""<!doctype html><html><head><title>Partner news</title></head>
<body style="font-family:serif;max-width:40rem;margin:2rem auto">
<h1>Partner news</h1><p>Our coverage, with live updates from Liveblog:</p>
<script async src="{server.url}/static/embed.js" data-story="{first['slug']}"></script>
<p>And the other story:</p>
<script async src="{server.url}/static/embed.js" data-story="{second['slug']}"></script>
<p>Footer of the partner page.</p>
</body></html>""")
    page.goto(site)
    assert not page.url.startswith(server.url)

    for story, text in ((first, "Ferries are suspended."), (second, "No trains north of the river.")):
        inside = frame_of(page, story["slug"]).content_frame
        inside.locator("#updates").get_by_text(text).wait_for()
        inside.locator("#story[data-connected=yes]").wait_for(state="attached")
    assert page.locator("iframe").count() == 2

    # Each frame is as tall as its content: no inner scrollbar, no empty space.
    for story in (first, second):
        wait_until(lambda: (lambda o, i: abs(o - i) <= 1)(*sizes(page, story["slug"])), what="the frame to fit")
    before_first, before_second = sizes(page, first["slug"])[0], sizes(page, second["slug"])[0]

    long_body = "The river has burst its banks at three points.\n\n" + "\n\n".join(
        f"Paragraph {n}: crews are sandbagging Quay Street." for n in range(8))
    update = server.post(first["slug"], long_body, headline="Flood warning")
    inside = frame_of(page, first["slug"]).content_frame
    inside.locator(f"#update-{update['id']}").get_by_text("Flood warning").wait_for()
    grown = wait_until(lambda: (lambda o, i: o > before_first and abs(o - i) <= 1 and o)(*sizes(page, first["slug"])),
                       what="the first frame to grow to its new content")
    assert grown > before_first + 100
    assert sizes(page, second["slug"])[0] == before_second, "the other embed is untouched"

    # Deleting shrinks it again; a closing story drops its banner inside the frame too.
    server.api("DELETE", f"/api/stories/{first['slug']}/updates/{update['id']}")
    wait_until(lambda: sizes(page, first["slug"])[0] < grown, what="the frame to shrink")
    server.api("PATCH", f"/api/stories/{first['slug']}", {"status": "closed"})
    inside.locator("#live-banner").wait_for(state="detached")


def test_height_messages_from_anyone_else_are_ignored(server, third_party_site, page):
    story = server.new_story("Origin check")
    site = third_party_site(f'<!doctype html><body><p>Partner page</p><script async src="{server.url}/static/embed.js" '
                            f'data-story="{story["slug"]}"></script>')
    page.goto(site)
    frame = frame_of(page, story["slug"])
    frame.content_frame.locator("#story[data-connected=yes]").wait_for(state="attached")
    wait_until(lambda: (lambda o, i: abs(o - i) <= 1)(*sizes(page, story["slug"])), what="the frame to fit")
    height = sizes(page, story["slug"])[0]
    # dispatchEvent is synchronous: had a forged message been believed, the height changed already.
    forged = frame.evaluate("""(f) => {
        const forge = (origin, source) => window.dispatchEvent(new MessageEvent("message",
            {data: {liveblog: "height", height: 3000}, origin: origin, source: source}));
        forge(location.origin, f.contentWindow);          // right window, wrong origin
        forge(new URL(f.src).origin, window);              // right origin, wrong window
        const wrongOrigin = f.getBoundingClientRect().height;
        forge(new URL(f.src).origin, f.contentWindow);     // both right: believed
        return [wrongOrigin, f.getBoundingClientRect().height];
    }""")
    assert forged == [height, 3000]


def test_oembed_snippet_with_embed_js_sizes_itself(server, third_party_site, page):
    story = server.new_story("Pasted from oEmbed")
    server.post(story["slug"], "Hello from the oEmbed snippet.")
    import httpx

    snippet = httpx.get(server.url + "/oembed", params={"url": story["url"]}).json()["html"]
    site = third_party_site(f'<!doctype html><body>{snippet}<script async src="{server.url}/static/embed.js"></script>')
    page.goto(site)
    frame_of(page, story["slug"]).content_frame.get_by_text("Hello from the oEmbed snippet.").wait_for()
    wait_until(lambda: (lambda o, i: abs(o - i) <= 1)(*sizes(page, story["slug"])), what="the pasted frame to fit")
