"""Languages: which ones ship, their message catalogs, direction, and times and numbers
written the way each language writes them.

The catalogs are gettext's: `liveblog/locale/{language}/LC_MESSAGES/messages.po`, compiled
to the `.mo` beside it (both committed, so an installed wheel has them without a build
step; `tests/test_i18n.py` fails when a `.mo` is older than its `.po`). A page is rendered
in one language: the story's for reader pages, the editor's browser's for the desk.
"""

from __future__ import annotations

import gettext
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_skeleton, get_datetime_format
from babel.lists import format_list
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

# The languages we ship, each with its catalog (English is the source text itself).
LANGUAGES = ("en", "ar", "de", "es", "fa", "fr", "he", "uk")

# Digits of the numbering systems our languages' newsrooms use, in the order 0-9.
# Babel formats dates with Latin digits only; a language whose default is another system
# (Persian's extended Arabic-Indic) gets its own, as the browser's Intl writes them.
DIGITS = {
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
}

_site_default = "en"


class UnknownLanguage(ValueError):
    """A language we have no catalog for; the message lists the ones we have."""

    def __init__(self, code: str):
        super().__init__(f"{code!r} is not one of the languages Liveblog speaks: {', '.join(LANGUAGES)}")


def known(code: str) -> str:
    """The shipped language `code` names (`fr`, `fr-CH` and `FR_ch` are all `fr`), or UnknownLanguage."""
    base = code.strip().replace("_", "-").split("-")[0].lower()
    if base in LANGUAGES:
        return base
    raise UnknownLanguage(code)


def use(default: str) -> None:
    """Set the site's default language (LIVEBLOG_LANGUAGE), used where a story names none."""
    global _site_default
    _site_default = known(default)


def site_default() -> str:
    return _site_default


def effective(language: str | None) -> str:
    """The language a page is written in: the story's own, else the site's."""
    return language or _site_default


def negotiate(accept_language: str | None) -> str:
    """The first of the browser's languages that we speak (`ar-EG` takes `ar`), else the site's."""
    ranked = []
    for n, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            ranked.append((-quality, n, tag))
    for _, _, tag in sorted(ranked):
        try:
            return known(tag)
        except UnknownLanguage:
            pass
    return _site_default


@cache
def translations(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


@cache
def locale(language: str) -> Locale:
    return Locale.parse(language)


def direction(language: str) -> str:
    """`rtl` or `ltr`, for `<html dir>`."""
    return "rtl" if locale(language).character_order == "right-to-left" else "ltr"


def native_name(language: str) -> str:
    """The language's name in itself ("العربية", "Deutsch"), for the choice on the desk."""
    return locale(language).get_display_name(language)


def digits(text: str, language: str) -> str:
    """Latin digits in `text` written in the language's own numbering system."""
    system = DIGITS.get(locale(language).default_numbering_system)
    return text.translate(str.maketrans("0123456789", system)) if system else text


def number(value: int, language: str) -> str:
    return digits(format_decimal(value, locale=language, numbering_system="default"), language)


def names(items: list[str], language: str) -> str:
    """"Nadia, Omar and Sam", as the language joins a list (the scripts use Intl.ListFormat)."""
    return format_list(list(items), locale=language) if items else ""


def clock(moment: datetime | None, language: str, now: datetime | None = None) -> str:
    """A date and time in UTC, saying so, in the language's own order, words and digits:
    "Dec 1, 13:44 UTC", "1 déc., 13:44 UTC"; the year only when it is not this year's.

    Day, short month, 24-hour time and the zone: the fields static/times.js asks
    `Intl.DateTimeFormat` for (with the reader's zone), so a page reads the same before
    and after its script runs.
    """
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    this_year = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).year
    day = format_skeleton("MMMd" if moment.year == this_year else "yMMMd", moment, locale=language)
    time = format_skeleton("Hm", moment, tzinfo=timezone.utc, locale=language)
    joined = get_datetime_format("medium", locale=language).replace("{1}", day).replace("{0}", time)
    return digits(f"{joined} UTC", language)


def plural_samples(language: str) -> dict[str, int]:
    """One number of each CLDR plural category of the language (Arabic: six).

    The scripts pick a category with `Intl.PluralRules`; the server asks gettext for the
    form of that category's sample, so both read the one catalog.
    """
    rule = locale(language).plural_form
    samples: dict[str, int] = {}
    for n in range(0, 1000):
        samples.setdefault(rule(n), n)
    return samples


class Message(str):
    """A sentence for a person that the catalogs translate: a str of its English (what logs,
    tests and the English pages show) that also keeps its msgid and the values filling it,
    so that the page or answer it reaches can say it in its own language (`said`).
    Whole numbers among the values are written as each language writes them."""

    msgid: str
    values: dict[str, object]

    def __new__(cls, msgid: str, **values: object) -> "Message":
        self = super().__new__(cls, _filled(msgid, values, "en"))
        self.msgid, self.values = msgid, values
        return self


def _filled(msgid: str, values: dict[str, object], language: str) -> str:
    if not values:
        return msgid
    return msgid.format(**{k: number(v, language) if isinstance(v, int) and not isinstance(v, bool) else v
                           for k, v in values.items()})


def said(text: str, language: str) -> str:
    """`text` in `language` when it is a Message; any other text as it is."""
    if not isinstance(text, Message) or language == "en":
        return str(text)
    return _filled(translations(language).gettext(text.msgid), text.values, language)
