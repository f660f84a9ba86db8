"""Static files under content-hashed names, cached forever; the pages link those names.

`/static/live.3f2a9c01b4de.js` names one exact content, so it is sent with
`Cache-Control: public, max-age=31536000, immutable`; templates link it through
`static_url("live.js")`. The plain name (`/static/live.js`) is still served, with
`no-cache` and an ETag, for what other sites link (`embed.js`) and what must keep its
URL (the push service worker).

A script that imports another (`import … from "./times.js"`), or names one
(`"/static/consent.js"`), is served with those references rewritten to the hashed names,
and its own name hashes its content together with everything it reaches that way. So a
changed module changes the name of every file that imports it, directly or not, and no
immutable URL can ever bring an old module together with a new one.

Everything is read and rewritten once, when the application starts; each file's gzip and
brotli forms are made once, when first asked for (at brotli's best, all of them took a
tenth of a second of every start).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import brotli

from .resources import resource_dir

IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
# Kept under their own URL in what we serve: a service worker is updated by fetching the
# URL it was registered with again.
KEEP_NAME = {"push-sw.js"}
# A quoted relative (`./x.js`) or root-relative (`/static/x.css`) reference in a script or stylesheet.
REFERENCE = re.compile(r"""(?P<quote>["'])(?P<prefix>\./|/static/)(?P<name>[\w.-]+)(?P=quote)""")
REWRITTEN = (".js", ".mjs", ".css")
TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8"}
COMPRESSIBLE = (".js", ".mjs", ".css", ".svg", ".json", ".txt", ".html")


class Bodies(Mapping[str, bytes]):
    """A file's body by content coding: "" (identity) and, for text of some size, "gzip"
    and "br", each compressed the first time it is asked for."""

    def __init__(self, identity: bytes, compressible: bool):
        self._made = {"": identity}
        self._codings = ("", "gzip", "br") if compressible else ("",)

    def __getitem__(self, coding: str) -> bytes:
        if coding not in self._made:
            if coding not in self._codings:
                raise KeyError(coding)
            identity = self._made[""]
            self._made[coding] = gzip.compress(identity, 9, mtime=0) if coding == "gzip" else \
                brotli.compress(identity, quality=11)
        return self._made[coding]

    def __contains__(self, coding: object) -> bool:
        return coding in self._codings  # asking which codings there are compresses nothing

    def __iter__(self) -> Iterator[str]:
        return iter(self._codings)

    def __len__(self) -> int:
        return len(self._codings)


@dataclass(frozen=True)
class Asset:
    name: str  # as in the folder
    hashed: str  # the content-addressed name
    bodies: Bodies
    media_type: bytes
    etag: bytes


def hashed_name(name: str, digest: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


def _references(name: str, raw: bytes, names: set[str]) -> set[str]:
    if not name.endswith(REWRITTEN):
        return set()
    text = raw.decode("utf-8", "replace")
    return {m["name"] for m in REFERENCE.finditer(text) if m["name"] in names and m["name"] not in KEEP_NAME}


class Assets:
    """Every file of a static folder, by its plain and its hashed name."""

    def __init__(self, directory: Path):
        raw = {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}
        names = set(raw)
        refs = {name: _references(name, data, names) for name, data in raw.items()}
        own = {name: hashlib.sha256(data).hexdigest() for name, data in raw.items()}
        self.hashed: dict[str, str] = {}
        for name in raw:
            reached = sorted(_reach(name, refs))
            digest = hashlib.sha256("\n".join(f"{n} {own[n]}" for n in [name, *reached]).encode()).hexdigest()[:12]
            self.hashed[name] = hashed_name(name, digest)
        self.by_name: dict[str, Asset] = {}
        for name, data in raw.items():
            asset = self._asset(name, self._rewrite(name, data))
            self.by_name[name] = self.by_name[asset.hashed] = asset

    def _rewrite(self, name: str, data: bytes) -> bytes:
        if not name.endswith(REWRITTEN):
            return data

        def replace(m: re.Match) -> str:
            target = m["name"]
            if target not in self.hashed or target in KEEP_NAME:
                return m[0]
            return f"{m['quote']}{m['prefix']}{self.hashed[target]}{m['quote']}"

        return REFERENCE.sub(replace, data.decode("utf-8")).encode("utf-8")

    def _asset(self, name: str, body: bytes) -> Asset:
        suffix = Path(name).suffix
        media_type = TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        hashed = self.hashed[name]
        bodies = Bodies(body, suffix in COMPRESSIBLE and len(body) >= 512)
        return Asset(name, hashed, bodies, media_type.encode(), b'"%s"' % hashed.encode())

    def url(self, name: str) -> str:
        """The URL a page links for static file `name` (KeyError for a file that is not there)."""
        return "/static/" + self.hashed[name]


def _reach(name: str, refs: dict[str, set[str]]) -> set[str]:
    """Every file `name` references, directly or through others (cycles included)."""
    seen: set[str] = set()
    todo = list(refs[name])
    while todo:
        other = todo.pop()
        if other not in seen and other != name:
            seen.add(other)
            todo.extend(refs[other])
    return seen


@cache
def shipped() -> Assets:
    """The shipped static folder's files, read once per process."""
    return Assets(resource_dir("static"))


def static_url(name: str) -> str:
    return shipped().url(name)
