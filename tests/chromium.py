"""Debian's Chromium, as the tests and the screenshot scripts launch it through playwright.

The tests drive `chromium-headless-shell` (Debian's package of Chromium's headless shell:
the same Blink and V8 without the browser's UI layer, what playwright itself runs headless):
it takes a third less CPU per page than the full browser. The full `chromium` is kept for
what the shell does not have: the browser's notification permission.
"""

CHROMIUM = "/usr/bin/chromium"
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
