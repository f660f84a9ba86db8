"""Uploaded images: checked as real images, re-encoded without their metadata, stored once
in every width the pages ask for.

An image is named after the SHA-256 of what was uploaded plus its stored size, e.g.
`3f2a…-1600x900.jpg`. That name is the file of the largest width; the narrower widths
sit beside it as `3f2a…-640w.jpg`. So the srcset of an image follows from its name
alone (no table, no directory listing), and since a name never changes what it points
to, the files are served with a year-long, immutable cache lifetime.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from html import escape
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from . import allocator
from .errors import ImageRefused
from .i18n import Message

MAX_BYTES = 10 * 1024 * 1024
# A small file may still decode to a huge bitmap ("image bomb"): at most this many pixels
# are decoded (after JPEG's reduced-size decoding), ~100 MB as RGBA, so two re-encodes
# at once fit a modest machine.
MAX_PIXELS = 25_000_000
MAX_WIDTH = 2400  # wider than any screen shows it; larger uploads are scaled down
WIDTHS = (320, 640, 960, 1280, 1600)  # the srcset steps below the stored width
ACCEPTED = {"JPEG", "PNG", "GIF", "WEBP"}
SHARE_WIDTH = 1200
SIZES = "(min-width: 46rem) 44rem, 100vw"  # the reading column, see style.css

NAME_RE = re.compile(r"^(?P<digest>[0-9a-f]{24})-(?P<width>\d{1,5})x(?P<height>\d{1,5})\.(?P<ext>jpg|png)$")


@dataclass(frozen=True)
class Variant:
    name: str
    width: int


def variants(name: str) -> list[Variant]:
    """Every stored file of the image `name`, narrowest first (the last is `name` itself)."""
    match = NAME_RE.match(name)
    if match is None:
        raise ValueError(f"not a media name: {name!r}")
    digest, width, ext = match["digest"], int(match["width"]), match["ext"]
    return [Variant(f"{digest}-{w}w.{ext}", w) for w in WIDTHS if w < width] + [Variant(name, width)]


def describe(name: str, base_url: str = "", alt: str = "", caption: str = "", credit: str = "") -> dict[str, Any]:
    """What pages and API clients need to show the image: URLs, srcset, size, and snippets
    an editor can paste into an update (Markdown, or HTML with srcset and caption)."""
    match = NAME_RE.match(name)
    if match is None:
        raise ValueError(f"not a media name: {name!r}")
    url = f"{base_url}/media/{name}"
    srcset = ", ".join(f"{base_url}/media/{v.name} {v.width}w" for v in variants(name))
    width, height = int(match["width"]), int(match["height"])
    # For link previews (Open Graph, oEmbed): about 1200 wide is what share cards show.
    share = next((v for v in variants(name) if v.width >= SHARE_WIDTH), variants(name)[-1])
    return {
        "name": name,
        "url": url,
        "width": width,
        "height": height,
        "srcset": srcset,
        "sizes": SIZES,
        "share": {"url": f"{base_url}/media/{share.name}", "width": share.width,
                  "height": max(1, round(height * share.width / width))},
        "markdown": f"![{_markdown_alt(alt or caption)}]({url})",
        "html": _figure_html(url, srcset, width, height, alt or caption, caption, credit),
    }


def _markdown_alt(text: str) -> str:
    return re.sub(r"[\[\]\\]", "", " ".join(text.split()))


def _figure_html(url: str, srcset: str, width: int, height: int, alt: str, caption: str, credit: str) -> str:
    img = (
        f'<img src="{escape(url)}" srcset="{escape(srcset)}" sizes="{SIZES}" '
        f'width="{width}" height="{height}" alt="{escape(alt)}" loading="lazy">'
    )
    if not (caption or credit):
        return f"<figure>{img}</figure>"
    credit_html = f" <small>{escape(credit)}</small>" if credit else ""
    return f"<figure>{img}<figcaption>{escape(caption)}{credit_html}</figcaption></figure>"


def exists(media_dir: Path, name: str) -> bool:
    return NAME_RE.match(name) is not None and (Path(media_dir) / name).is_file()


def too_large() -> ImageRefused:
    """The 413 for an image over MAX_BYTES (found here, or by the upload before reading it all)."""
    return ImageRefused(Message("The image is too large: at most {mb} MB.", mb=MAX_BYTES // (1024 * 1024)), 413)


def _open_checked(data: bytes) -> Image.Image:
    if len(data) > MAX_BYTES:
        raise too_large()
    if not data:
        raise ImageRefused(Message("The file is empty; choose a JPEG, PNG, GIF or WebP image."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(BytesIO(data))
            if probe.format not in ACCEPTED:
                raise ImageRefused(f"{probe.format} images are not accepted; use JPEG, PNG, GIF or WebP.")
            _check_pixels(_decoded_size(probe), probe.size)
            probe.verify()  # walks the whole file: a truncated or corrupt one fails here
            image = Image.open(BytesIO(data))  # verify() leaves the image unusable
            _decoded_size(image)
            image.load()
            image = _reduced(image)
    except ImageRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(Message("This file is not an image we can read; upload a JPEG, PNG, GIF or WebP image.")) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRefused(Message("This image is damaged and cannot be read ({reason}).", reason=str(exc))) from None
    return image


def _decoded_size(image: Image.Image) -> tuple[int, int]:
    """Have JPEGs decode at the smallest 1/2, 1/4 or 1/8 scale that still covers MAX_WIDTH
    both ways (either side may end up the width once turned upright); the size to decode."""
    if image.format == "JPEG":
        image.draft(image.mode, (MAX_WIDTH, MAX_WIDTH))
    return image.size


def _check_pixels(decoded: tuple[int, int], original: tuple[int, int]) -> None:
    if decoded[0] * decoded[1] > MAX_PIXELS:
        width, height = original
        raise ImageRefused(
            Message("The image is {width}×{height} pixels; at most {most} megapixels, please.",
                    width=width, height=height, most=MAX_PIXELS // 1_000_000)
        )


def _reduced(image: Image.Image) -> Image.Image:
    """A whole-number shrink (cheap, box-filtered) while both sides stay at least
    MAX_WIDTH, so turning and converting it copies fewer pixels; the final scaling is
    still done by LANCZOS."""
    factor = min(image.width, image.height) // MAX_WIDTH
    return image.reduce(factor) if factor >= 2 else image


def _encode(image: Image.Image, width: int, ext: str, icc: bytes | None) -> bytes:
    if width < image.width:
        image = image.resize((width, max(1, round(image.height * width / image.width))), Image.Resampling.LANCZOS)
    out = BytesIO()
    # Saving from pixels, with no `exif=`/`pnginfo=`, leaves camera, GPS and text metadata
    # behind; the colour profile is kept so colours look as the photographer meant.
    extra = {"icc_profile": icc} if icc else {}
    if ext == "png":
        image.save(out, "PNG", optimize=True, **extra)
    else:
        image.save(out, "JPEG", quality=82, optimize=True, progressive=True, **extra)
    return out.getvalue()


def save_image(data: bytes, media_dir: Path) -> str:
    """Check `data` as a real image, store it re-encoded in every width, return its name.

    Raises ImageRefused (422, or 413 when too large) and stores nothing if it is not one.
    The same upload twice gives the same name and writes nothing new.
    """
    try:
        return _save(data, Path(media_dir))
    finally:
        allocator.release_freed()


def _save(data: bytes, media_dir: Path) -> str:
    image = _open_checked(data)
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)  # turn it upright before its EXIF goes
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    ext = "png" if has_alpha else "jpg"
    image = image.convert("RGBA" if has_alpha else "RGB")
    if image.width > MAX_WIDTH:
        image = image.resize((MAX_WIDTH, max(1, round(image.height * MAX_WIDTH / image.width))), Image.Resampling.LANCZOS)
    digest = hashlib.sha256(data).hexdigest()[:24]
    name = f"{digest}-{image.width}x{image.height}.{ext}"
    media_dir.mkdir(parents=True, exist_ok=True)
    # The full-size file last: once `name` exists, every narrower file does too.
    for variant in variants(name):
        path = media_dir / variant.name
        if path.exists():
            os.utime(path)  # kept again: as new as this upload, for forget_unused
        else:
            _write_atomically(path, _encode(image, variant.width, ext, icc))
    return name


def publish(name: str, source: Path, media_dir: Path) -> None:
    """Copy every width of the image `name` from `source` (where readers' images wait)
    into `media_dir`, the full-size file last, as save_image writes them."""
    media_dir.mkdir(parents=True, exist_ok=True)
    for variant in variants(name):
        path = media_dir / variant.name
        if not path.exists():
            fd, tmp = tempfile.mkstemp(dir=media_dir, prefix=".upload-")
            os.close(fd)
            try:
                shutil.copyfile(source / variant.name, tmp)
                os.chmod(tmp, 0o644)
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise


def forget_unused(media_dir: Path, kept_since: float, in_use: set[str]) -> int:
    """Delete the images in `media_dir` last stored before `kept_since` (a Unix time) that
    no name in `in_use` refers to, every width of each; how many images went. Readers'
    images go this way once their answers are deleted, and so do any whose answer was
    never stored (the callout closed as the image was being checked)."""
    gone = 0
    for path in Path(media_dir).glob("*"):
        match = NAME_RE.match(path.name)
        if match is None or path.name in in_use or path.stat().st_mtime >= kept_since:
            continue
        for variant in variants(path.name):
            (path.parent / variant.name).unlink(missing_ok=True)
        gone += 1
    return gone


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
