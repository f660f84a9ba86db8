"""Pure rendering: Markdown to sanitized HTML, JSON shapes, structured data."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from difflib import SequenceMatcher
from html import escape, unescape
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from . import embeds, i18n
from .models import Revision, Story, Update

# linkify: a bare URL an editor pastes (https://…, www.…) becomes a link, cleaned like any other.
_markdown = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(["table", "strikethrough", "linkify"])
LINK_REL = "nofollow ugc noopener"  # every link in what editors write: not endorsed, no window.opener

_ALLOWED_TAGS = (nh3.ALLOWED_TAGS - {"center", "acronym", "tt", "strike", "map", "area"}) | {"figure", "figcaption"}
_ALLOWED_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
_ALLOWED_ATTRIBUTES["img"] = {"src", "alt", "width", "height", "srcset", "sizes", "loading"}
_ALLOWED_ATTRIBUTES["a"] = {"href", "hreflang", "title"}


def markdown_html(body: str) -> str:
    """Markdown as written by an editor, rendered and then cleaned to an allow-list.

    Raw HTML is allowed through Markdown so that editors can paste simple markup,
    but nh3 strips scripts, `on*` attributes and any URL scheme but http(s)/mailto.
    Then a paragraph that is only a link to a known oEmbed provider becomes its card.
    """
    return embeds.add_cards(_clean(_markdown.render(body)))


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
        attribute_filter=_srcset_filter,
    )


_SCHEME = re.compile(r"^([^/?#]*?):")


def clean_html(html: str) -> str:
    """HTML from elsewhere (another instance's update) through the same sanitizer as ours."""
    return _clean(html)


def _srcset_filter(tag: str, attribute: str, value: str) -> str | None:
    """nh3 checks the scheme of `src` and `href` but not of each `srcset` candidate: drop
    a srcset naming anything but http(s) or a relative URL (`javascript:`, `data:`…)."""
    if attribute != "srcset":
        return value
    for candidate in value.split(","):
        url = re.sub(r"[\x00-\x20]", "", candidate.strip().split(" ")[0])  # browsers drop these too
        scheme = _SCHEME.match(url)
        if scheme and scheme[1].lower() not in ("http", "https"):
            return None
    return value


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z (stored times are aware: models.UTCDateTime)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def story_json(story: Story, base_url: str = "") -> dict[str, Any]:
    return {
        "slug": story.slug,
        "title": story.title,
        "summary": story.summary,
        "status": story.status,
        "created_at": iso(story.created_at),
        "closed_at": iso(story.closed_at),
        "language": i18n.effective(story.language),
        "url": f"{base_url}/stories/{story.slug}",
    }


def update_json(update: Update, slug: str) -> dict[str, Any]:
    return {
        "id": update.id,
        "story": slug,
        "body": update.body,
        "body_html": update.body_html,
        "headline": update.headline,
        "author": update.shown_author,
        "created_at": iso(update.created_at),
        "edited_at": iso(update.edited_at),
        "key_event": update.key_event,
        "pinned": update.pinned,
        "edited_by": update.edited_by,
        "correction": update.correction,
        "corrected_at": iso(update.corrected_at),
        # The reader's words it quotes (a question it answers, an answer to a callout), if any.
        "reader": {"kind": update.reader_kind, "text": update.reader_text, "name": update.reader_name}
        if update.reader_text else None,
        # Only on an update syndicated from another instance's story: its public URL.
        **({"source": update.source_url} if update.source_url else {}),
    }


def revision_json(revision: Revision) -> dict[str, Any]:
    """One change of an update's text: the text it replaced, who made it, when, and its note."""
    return {
        "number": revision.number,
        "body": revision.body,
        "headline": revision.headline,
        "editor": revision.editor_byline or revision.editor,
        "created_at": iso(revision.created_at),
        "correction": revision.correction,
    }


_WORDS = re.compile(r"\s+|[^\s]+")


def history(update: Update, revisions: list[Revision]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The changes of an update's text, newest first, each with what it changed (the
    text it replaced against the next), and the text as first published."""
    texts = [(r.headline, r.body) for r in revisions] + [(update.headline, update.body)]
    changes = []
    for revision, (old_headline, old_body), (new_headline, new_body) in zip(revisions, texts, texts[1:]):
        changes.append({
            "number": revision.number,
            "at": revision.created_at,
            "by": revision.editor_byline or revision.editor,
            "correction": revision.correction,
            "headline": word_diff(old_headline, new_headline) if old_headline or new_headline else None,
            "body": word_diff(old_body, new_body),
        })
    headline, body = texts[0]
    return changes[::-1], {"headline": headline, "body": body}


def word_diff(old: str, new: str) -> Markup:
    """`old` → `new` word by word, as escaped text with `<del>` and `<ins>` around what changed."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    out: list[str] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return Markup("".join(out))


def queued_json(update: Update, slug: str) -> dict[str, Any]:
    """A draft or scheduled update, for the desk: the update's shape, its status and time to go out."""
    return {**update_json(update, slug), "status": update.status, "publish_at": iso(update.publish_at)}


def update_answer(update: Update, slug: str) -> dict[str, Any]:
    """What a write is answered with: a published update in the SPEC's shape, a queued one
    with its status and time to go out."""
    return update_json(update, slug) if update.status == "published" else queued_json(update, slug)


def compact_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_for_script(data: Any) -> str:
    """JSON safe inside a <script> element: no `</script>` or `<!--` can close it early."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


HEADLINE_MAX = 110  # Google's limit for a headline in structured data
LD_UPDATES = 10  # the newest few are what search shows; all of them would double the page


COVERAGE_HOURS = 24  # while live, coverage is expected to last this long from its start
COVERAGE_AFTER_NEWEST = timedelta(hours=1)  # and, past that, a while after its newest update


def live_blog_posting(page, base_url: str, lead: dict[str, Any] | None = None, logo: str = "") -> dict[str, Any]:
    """schema.org LiveBlogPosting for the story page, with the latest updates.

    Shaped to Google's rules for live coverage: `coverageStartTime`, `coverageEndTime`
    (the close, or while live the expected end: a day from the start, and never before an
    hour after the newest update), and each update a `BlogPosting` with `headline` (at
    most 110 characters), `datePublished`, a non-empty `articleBody` and its `image` when
    it has one (the first in its text). `lead` is the lead image as
    `media.describe` gives it; `logo` the publisher's logo URL.
    """
    story = page.story
    url = f"{base_url}/stories/{story.slug}"
    publisher: dict[str, Any] = {"@type": "Organization", "name": "Liveblog", "url": f"{base_url}/"}
    if logo:
        publisher["logo"] = {"@type": "ImageObject", "url": logo}
    latest = ([page.pinned] if page.pinned else []) + page.updates
    latest.sort(key=lambda u: (u.created_at, u.id), reverse=True)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": shorten(story.title, HEADLINE_MAX),
        "datePublished": iso(story.created_at),
        "dateModified": iso(story.closed_at or story.created_at),
        "coverageStartTime": iso(story.created_at),
        "author": publisher,
        "publisher": publisher,
        "liveBlogUpdate": [_blog_posting(u, url, base_url) for u in latest[:LD_UPDATES]],
    }
    if story.summary:
        data["description"] = story.summary
    if lead:
        data["image"] = [lead["url"]]
    if latest:
        newest = max(max(u.edited_at or u.created_at for u in latest), story.closed_at or story.created_at)
        data["dateModified"] = iso(newest)
    if story.status == "closed":
        data["coverageEndTime"] = iso(story.closed_at)
    else:
        newest_update = getattr(page, "newest_at", None) or max((u.created_at for u in latest), default=None)
        end = story.created_at + timedelta(hours=COVERAGE_HOURS)
        if newest_update is not None:
            end = max(end, newest_update + COVERAGE_AFTER_NEWEST)
        data["coverageEndTime"] = iso(end)
    return data


_IMG_SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')


def first_image(body_html: str, base_url: str) -> str | None:
    """The first image of an update's sanitized HTML, as an absolute http(s) URL."""
    found = _IMG_SRC.search(body_html)
    if not found:
        return None
    src = unescape(found[1])
    if src.startswith("/") and not src.startswith("//"):
        return base_url + src
    return src if src.startswith(("https://", "http://")) else None


def _blog_posting(update: Update, url: str, base_url: str = "") -> dict[str, Any]:
    body = plain_text(update.body_html)
    posting: dict[str, Any] = {
        "@type": "BlogPosting",
        "url": f"{url}#update-{update.id}",
        "headline": shorten(update.headline, HEADLINE_MAX) or plain_excerpt(update.body_html) or f"Update {update.id}",
        "datePublished": iso(update.created_at),
        "articleBody": body or update.headline or f"Update {update.id}",
    }
    if update.edited_at:
        posting["dateModified"] = iso(update.edited_at)
    if update.shown_author:
        posting["author"] = {"@type": "Person", "name": update.shown_author}
    image = first_image(update.body_html, base_url)
    if image:
        posting["image"] = image
    return posting


def shorten(text: str, length: int) -> str:
    """At most `length` characters, cut at a word boundary unless that loses too much."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    words = cut.rsplit(" ", 1)[0]
    return (words if len(words) >= length * 0.6 else cut).rstrip(" ,;:") + "…"


def plain_text(html: str) -> str:
    """The words of sanitized HTML, as text (entities decoded: callers escape for their format)."""
    return " ".join(unescape(nh3.clean(html, tags=set())).split())


def plain_excerpt(html: str, length: int = HEADLINE_MAX) -> str:
    return shorten(plain_text(html), length)
