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
from itertools import product
from urllib.parse import quote, urlencode, urlsplit

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
        f'<a class="embed-link" href="{e(url)}" rel="nofollow ugc noopener">{e(title or url)}</a></figcaption>'
        f'<button type="button" class="embed-load">Show content from {e(provider.name)}</button>'
        f'<p class="embed-note">Showing it loads content from {e(provider.name)}, '
        f"which may set cookies and learn that you are reading this.</p>"
        "</figure>"
    )


def oembed_origins() -> tuple[str, ...]:
    """Where `static/consent.js` may fetch oEmbed answers from (the story page's connect-src)."""
    return tuple(sorted({_origin(provider.oembed) for provider in _providers}))


def frame_origins() -> tuple[str, ...]:
    """Where the cards' player iframes may load from (the story page's frame-src).

    A host built from the link (`https://{host}/…`) gives one origin for each host its
    patterns' group can match, when that group is a list of plain names; otherwise only the
    scheme (`https:`), since the hosts cannot be known in advance.
    """
    origins = set()
    for provider in _providers:
        if not provider.frame:
            continue
        netloc = urlsplit(provider.frame).netloc
        groups = re.findall(r"\{(\w+)\}", netloc)
        if not groups:
            origins.add(_origin(provider.frame))
            continue
        scheme = urlsplit(provider.frame).scheme
        for pattern in provider.urls:
            choices = [_alternatives(pattern, group) for group in groups]
            if any(choice is None for choice in choices):
                origins.add(f"{scheme}:")
                continue
            for values in product(*choices):
                origins.add(f"{scheme}://{netloc.format(**dict(zip(groups, values)))}")
    return tuple(sorted(origins))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_NAMES = r"(?:[\w-]|\\\.)+"


def _alternatives(pattern: re.Pattern, group: str) -> list[str] | None:
    """The plain names a named group can match (`(?P<host>a\\.org|b\\.net)`), else None."""
    found = re.search(rf"\(\?P<{group}>({_NAMES}(?:\|{_NAMES})*)\)", pattern.pattern)
    return [name.replace("\\.", ".") for name in found[1].split("|")] if found else None


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
