"""What the desk screenshot scripts share: a desk opened in Chromium as a logged-in editor."""

from __future__ import annotations


def desk_tab(chromium, server, desk, slug: str, ready: str, viewport: dict, timezone_id: str):
    """A new page on `slug`'s desk with `desk`'s session (a tests/desk.py Desk that has
    logged in), in British English in `timezone_id`, once `#desk[ready]` is set."""
    context = chromium.new_context(viewport=viewport, timezone_id=timezone_id, locale="en-GB")
    context.add_cookies([{"name": "liveblog_session", "value": desk.http.cookies["liveblog_session"],
                          "url": server.url}])
    tab = context.new_page()
    tab.goto(f"{server.url}/admin/stories/{slug}")
    tab.locator(f"#desk[{ready}=yes]").wait_for(state="attached")
    return tab
