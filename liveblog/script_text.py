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


# Every sentence of static/text.js (tests/test_i18n.py checks that none is left out).
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
    "showAllKeyEvents": ngettext("Show all {n} key event", "Show all {n} key events"),
    "saidNew": _("{text} — new update"),
    "saidSeveral": ngettext("{n} new update, the latest: {text}", "{n} new updates, the latest: {text}"),
    "saidEdited": _("Updated: {text}"),
    "reconnectingLive": _("Reconnecting…"),
    "backLive": _("Live"),
    "caughtUp": ngettext("Live · {n} update caught up", "Live · {n} updates caught up"),
    "closedAt": _("This story is no longer being updated (closed {time})."),
    "closedNote": _("This story is no longer being updated."),
    "updateGone": _("This update is no longer available."),
    "newSinceVisit": _("New since your last visit"),
    "sinceVisit": ngettext("{n} update since your last visit", "{n} updates since your last visit"),
    "followPush": _("Notify me of key events"),
    "unfollowPush": _("Stop notifications"),
    "pushBlocked": _("Notifications are blocked for this site"),
    # the desk: counts, the pin's confirmation, images
    "charCount": ngettext("{count} of {limit} character", "{count} of {limit} characters"),
    "charsLeft": ngettext("{count} character left", "{count} characters left"),
    "charsOver": ngettext("{count} character over the limit", "{count} characters over the limit"),
    "replacesPin": _("This replaces the pinned update: {headline}"),
    "chooseImage": _("Choose an image first."),
    "imageTooLarge": _("The image is too large: at most {mb} MB."),
    "imageUploading": _("Uploading the image…"),
    "imageAdded": _("Image added to the text"),
    "leadImageReady": _("Image uploaded: save the story’s settings to make it the lead image."),
    # rich embeds (consent.js), and the rest of the desk
    "embedLoadedFrom": _("Loaded from {provider}. "),
    "embedStopLoading": _("Stop loading {provider} content automatically"),
    "embedFailed": _("This content could not be loaded from {provider}; follow the link to see it there."),
    "embedFrameTitle": _("{provider} content"),
    "deskTitle": _("Desk: {title} · Liveblog"),
    "zoneHint": _("your time, {zone}"),
    "notSaved": _("Not saved (the server answered {status})."),
    "notLoaded": _("This update’s text could not be loaded: close the edit form and open it again."),
    "notSent": _("Not sent: the connection failed. Everything you typed is still here; try again."),
    "sentForApproval": _("Sent for approval"),
    "scheduled": _("Update scheduled"),
    "posted": _("Update posted"),
    "pin": _("Pin"),
    "unpin": _("Unpin"),
    "postUpdate": _("Post update"),
    "scheduleUpdate": _("Schedule update"),
    "changedMeanwhile": _("Someone else changed this update while you were editing it. Saving replaces their version with yours."),
    "deletedMeanwhile": _("Another editor deleted this update. Your unsaved text is still below: copy it before you leave."),
    "publishedMeanwhile": _("An editor published this update while you were editing it: saving changes the published update."),
    "rejectedMeanwhile": _("An editor rejected this update while you were editing it. Your unsaved text is still below: copy it before you leave."),
    "movedToDrafts": _("This update moved to the drafts while you were editing it; your text is kept below."),
    "movedToSchedule": _("This update moved to the schedule while you were editing it; your text is kept below."),
    "connected": _("· connected"),
    "reconnecting": _("· reconnecting…"),
    "storyClosed": _("· story closed: not updating"),
    "draftKept": _("Draft kept in this browser"),
    "draftNotKept": _("This browser cannot keep a draft"),
    "draftRestored": _("Draft restored from this browser"),
    # the desk: who is on it
    "onDesk": _("On the desk now: {names}"),
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
