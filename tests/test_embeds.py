"""Rich embeds with consent: cards from provider links (pure), and in real Chromium, that a
card loads nothing from the provider before the reader's click and remembers consent after."""

import json

import pytest

from liveblog import embeds, render
from servers import server_env
from stand_ins import StandIn


def test_provider_link_alone_on_its_line_becomes_a_card():
    html = render.markdown_html("Watch:\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ&t=5\n")
    assert html.startswith("<p>Watch:</p>\n<figure class=\"embed-card\" data-provider=\"YouTube\"")
    assert 'data-frame="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in html
    assert 'data-oembed="https://www.youtube.com/oembed?url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3DdQw4w9WgXcQ%26t%3D5&amp;format=json' in html
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=5"' in html
    assert "<iframe" not in html and "<script" not in html  # nothing that loads by itself


def test_title_from_a_markdown_link_and_every_value_escaped():
    html = render.markdown_html('[Minister\'s "statement" \\<b>](https://x.com/gov/status/123456)')
    assert 'data-provider="X"' in html
    assert ">Minister&#x27;s &quot;statement&quot; &lt;b&gt;</a>" in html
    assert 'data-frame="https://platform.twitter.com/embed/Tweet.html?id=123456&amp;dnt=true"' in html


def test_only_known_providers_and_only_alone():
    assert "embed-card" not in render.markdown_html("https://example.com/watch?v=dQw4w9WgXcQ")
    assert "embed-card" not in render.markdown_html("See https://youtu.be/dQw4w9WgXcQ now")
    assert "embed-card" not in render.markdown_html("    https://youtu.be/dQw4w9WgXcQ")  # code
    assert "embed-card" not in render.markdown_html('<p>https://youtu.be/dQw4w9WgXcQ" onclick="x</p>')


def test_shipped_providers_cover_the_newsroom_list():
    names = {p.name for p in embeds.load()}
    assert {"X", "YouTube", "Vimeo", "Instagram", "Bluesky", "Mastodon", "TikTok", "Facebook",
            "SoundCloud", "Flourish", "Datawrapper"} <= names
    assert all(p.oembed.startswith("https://") for p in embeds.load())
    for url, name in [
        ("https://bsky.app/profile/bbc.co.uk/post/3kabc", "Bluesky"),
        ("https://mastodon.social/@Gargron/1234", "Mastodon"),
        ("https://www.tiktok.com/@scout2015/video/6718335390845095173", "TikTok"),
        ("https://soundcloud.com/artist/track-name", "SoundCloud"),
        ("https://public.flourish.studio/visualisation/1234567/", "Flourish"),
        ("https://datawrapper.dwcdn.net/AbC12/3/", "Datawrapper"),
        ("https://vimeo.com/76979871", "Vimeo"),
        ("https://www.instagram.com/p/CxYz123/", "Instagram"),
        ("https://www.facebook.com/bbcnews/posts/pfbid0abc", "Facebook"),
    ]:
        assert embeds.match(url)[0].name == name, url


@pytest.mark.browser
def test_cards_load_nothing_external_before_the_click_and_remember_consent(provider, start_server, browser, tmp_path):
    origin, providers = provider
    server = start_server(server_env(tmp_path, LIVEBLOG_OEMBED_PROVIDERS=str(providers)))
    slug = server.new_story("Embeds")["slug"]
    server.post(slug, "The post:\n\nhttps://standin.example/post/1")
    server.post(slug, "[The video](https://framer.example/v/42)")

    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(f"{server.url}/stories/{slug}")
        page.wait_for_selector('#story[data-connected="yes"]')
        assert page.locator(".embed-card").count() == 2
        assert page.locator(".embed-card .embed-link", has_text="The video").count() == 1
        # Nothing but our own server, and nothing reached the provider.
        assert all(url.startswith(server.url) for url in requested), requested
        assert StandIn.seen == []

        page.click('.embed-card[data-provider="Standin"] .embed-load')
        frame = page.frame_locator('.embed-card[data-provider="Standin"] iframe.embed-frame')
        frame.locator("#standin").wait_for()
        assert "https://standin.example/post/1" in frame.locator("#standin").inner_text()
        assert page.locator('.embed-card[data-provider="Standin"] .embed-link').inner_text() == "Stand-in post title"
        assert [p.split("?")[0] for p in StandIn.seen] == ["/oembed", "/pixel.gif"]
        assert not any("/player/" in url for url in requested)  # the other provider still waits
        assert json.loads(page.evaluate("localStorage.getItem('liveblog:embed-consent')")) == ["Standin"]

        # Consent is remembered for that provider only: on the next visit it loads by itself,
        # and so do its cards arriving live; the other provider still waits for a click.
        StandIn.seen.clear()
        page.reload()
        page.wait_for_selector('#story[data-connected="yes"]')
        page.frame_locator('.embed-card[data-provider="Standin"] iframe').locator("#standin").wait_for()
        server.post(slug, "https://standin.example/post/2")
        page.wait_for_function("() => document.querySelectorAll('.embed-card[data-provider=Standin] iframe').length == 2")
        assert page.locator('.embed-card[data-provider="Framer"] .embed-load').is_visible()
        assert not any(p.startswith("/player/") for p in StandIn.seen)

        page.click('.embed-card[data-provider="Framer"] .embed-load')
        page.frame_locator('.embed-card[data-provider="Framer"] iframe').locator("text=The stand-in player").wait_for()
        assert "/player/42" in StandIn.seen
    finally:
        context.close()


def test_a_bad_providers_file_is_one_clear_settings_error(tmp_path):
    from liveblog.settings import Settings, SettingsError

    bad = tmp_path / "providers.json"
    bad.write_text('[{"name": "Broken", "urls": ["(unclosed"], "oembed": "https://x"}]')
    for value in (str(bad), str(tmp_path / "missing.json")):
        with pytest.raises(SettingsError, match="LIVEBLOG_OEMBED_PROVIDERS"):
            Settings.load(env={"LIVEBLOG_OEMBED_PROVIDERS": value, "LIVEBLOG_SECRET_KEY": "k"}, env_file="")
    with pytest.raises(SettingsError, match="LIVEBLOG_PUSH_CONTACT"):
        Settings.load(env={"LIVEBLOG_PUSH_CONTACT": "someone", "LIVEBLOG_SECRET_KEY": "k"}, env_file="")
