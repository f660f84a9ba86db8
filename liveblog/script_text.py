"""The page scripts' sentences in the page's language, delivered with the page as a
`<script type="application/json" id="liveblog-text">` block that static/text.js reads over
its own English (a data block, which the Content-Security-Policy allows; nothing is fetched).

The keys are text.js's `TEXT` keys; the English here is the msgid the catalogs translate.
A plural entry is given in every CLDR category of the language (Arabic: six), each the
gettext form of one number of that category, so `Intl.PluralRules` picks the right one.
"""

from __future__ import annotations

from functools import cache

from . import i18n


def _(message: str) -> str:  # marks a message for extraction (babel.cfg)
    return message


def ngettext(singular: str, plural: str) -> tuple[str, str]:
    return singular, plural


# The reader's page and the embed. (The desk's sentences are not in the catalogs yet.)
MESSAGES: dict[str, str | tuple[str, str]] = {
    "agoNow": _("just now"),
    "agoMinutes": ngettext("{n} min ago", "{n} min ago"),
    "agoHours": ngettext("{n} hr ago", "{n} hr ago"),
    "agoDays": ngettext("{n} day ago", "{n} days ago"),
    "copyLink": _("Copy link"),
    "copied": _("Copied"),
    "copyPrompt": _("Copy this link:"),
    "copyLinkTo": _("Copy link to update: {text}"),
    "newUpdates": ngettext("↑ {n} new update", "↑ {n} new updates"),
    "pageTitle": _("{title} · Liveblog"),
    "saidNew": _("{text} — new update"),
    "saidSeveral": ngettext("{n} new update, the latest: {text}", "{n} new updates, the latest: {text}"),
    "saidEdited": _("Updated: {text}"),
    "reconnectingLive": _("Reconnecting…"),
    "backLive": _("Live"),
    "caughtUp": ngettext("Live · {n} update caught up", "Live · {n} updates caught up"),
    "closedAt": _("This story is no longer being updated (closed {time})."),
    "closedNote": _("This story is no longer being updated."),
    "newSinceVisit": _("New since your last visit"),
    "sinceVisit": ngettext("{n} update since your last visit", "{n} updates since your last visit"),
    "followPush": _("Notify me of key events"),
    "unfollowPush": _("Stop notifications"),
    "pushBlocked": _("Notifications are blocked for this site"),
    "pollFailed": _("Your vote could not be sent; check your connection and try again."),
    "pollRefusedClosed": _("Your vote was not counted: this poll has closed, or this browser has voted in it already."),
    "pollTooMany": _("Too many votes from your network just now; try again in a minute."),
}


@cache
def script_text(language: str) -> dict[str, str | dict[str, str]]:
    translations = i18n.translations(language)
    samples = i18n.plural_samples(language)
    text: dict[str, str | dict[str, str]] = {}
    for key, message in MESSAGES.items():
        if isinstance(message, tuple):
            text[key] = {category: translations.ngettext(*message, n) for category, n in samples.items()}
        else:
            text[key] = translations.gettext(message)
    return text
