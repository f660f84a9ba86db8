"""Pages at a phone's and a desktop's size, each in its own browser context, for the reader
page's browser tests: `PHONE`, `DESKTOP`, and `opened(contexts, size, **options)`, a page
whose script errors are collected in `page.script_errors` (check it at the end)."""

from __future__ import annotations

PHONE = {"width": 390, "height": 844}
NARROW_PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 800}


def opened(contexts, size: dict, **options):
    context = contexts(viewport=size, **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.script_errors = []
    page.on("pageerror", lambda exc: page.script_errors.append(str(exc)))
    return page


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
