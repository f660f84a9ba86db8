"""Rich embeds with consent.

A paragraph that is only a link to a known oEmbed provider becomes a card: the provider,
the link, and its title when the editor gave one (`[title](url)`). The card loads
nothing; `static/consent.js` loads the provider's content in the reader's browser when
the reader asks, and remembers that reader's consent per provider.

The providers are data (`data/oembed_providers.json`, or the file named by
`LIVEBLOG_OEMBED_PROVIDERS`): a name, URL patterns, the oEmbed endpoint, and optionally
an iframe address built from the pattern's named groups (`{id}`…) or the whole URL
(`{url}`, percent-encoded). An iframe is preferred: it needs no CORS and runs the
provider's code in the provider's own origin.

Cards are made from the sanitizer's output by this trusted code, every value escaped,
so they need no exception in the allow-list.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

SHIPPED = Path(__file__).resolve().parent / "data" / "oembed_providers.json"


@dataclass(frozen=True)
class Provider:
    name: str
    urls: tuple[re.Pattern, ...]
    oembed: str
    frame: str | None = None


def load(path: Path = SHIPPED) -> tuple[Provider, ...]:
    """The providers in a JSON file; a malformed one is refused at start-up, naming the file."""
    try:
        entries = json.loads(Path(path).read_text())
        return tuple(
            Provider(
                name=str(entry["name"]),
                urls=tuple(re.compile(pattern) for pattern in entry["urls"]),
                oembed=str(entry["oembed"]),
                frame=entry.get("frame"),
            )
            for entry in entries
        )
    except (OSError, ValueError, KeyError, TypeError, re.error) as exc:
        raise ValueError(f"cannot read oEmbed providers from {path}: {exc}") from None


_providers: tuple[Provider, ...] = load()


def use(path: Path | None) -> None:
    """Use the providers of `path` (the LIVEBLOG_OEMBED_PROVIDERS setting) instead of the shipped ones."""
    global _providers
    _providers = load(path) if path else load()


def match(url: str) -> tuple[Provider, dict[str, str]] | None:
    for provider in _providers:
        for pattern in provider.urls:
            found = pattern.match(url)
            if found:
                return provider, {k: v for k, v in found.groupdict().items() if v is not None}
    return None


def card(url: str, title: str = "") -> str | None:
    """The placeholder card for `url`, or None when no provider knows it."""
    known = match(url)
    if known is None:
        return None
    provider, parts = known
    e = lambda value: html.escape(value, quote=True)  # noqa: E731
    oembed = provider.oembed + "?" + urlencode({"url": url, "format": "json", "maxwidth": 640})
    frame = ""
    if provider.frame:
        frame = f' data-frame="{e(provider.frame.format(**parts, url=quote(url, safe="")))}"'
    return (
        f'<figure class="embed-card" data-provider="{e(provider.name)}" data-oembed="{e(oembed)}"{frame}>'
        f'<figcaption><span class="embed-provider">{e(provider.name)}</span> '
        f'<a class="embed-link" href="{e(url)}" rel="noopener noreferrer nofollow">{e(title or url)}</a></figcaption>'
        f'<button type="button" class="embed-load">Show content from {e(provider.name)}</button>'
        f'<p class="embed-note">Showing it loads content from {e(provider.name)}, '
        f"which may set cookies and learn that you are reading this.</p>"
        "</figure>"
    )


# A paragraph that is only a URL, or only one link, as the sanitizer writes them.
_BARE = re.compile(r'^<p>(https?://[^\s<>"]+)</p>$', re.M)
_LINK = re.compile(r'^<p><a href="(https?://[^"]+)"[^>]*>([^<]*)</a></p>$', re.M)


def add_cards(clean_html: str) -> str:
    """Sanitized HTML with each provider-only paragraph turned into its card."""

    def bare(found: re.Match) -> str:
        return card(html.unescape(found[1])) or found[0]

    def link(found: re.Match) -> str:
        url, title = html.unescape(found[1]), html.unescape(found[2]).strip()
        return card(url, "" if title == url else title) or found[0]

    return _LINK.sub(link, _BARE.sub(bare, clean_html))
