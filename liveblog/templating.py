"""The Jinja environment the pages and the update partial are rendered with, and its filters."""

from __future__ import annotations

from contextvars import ContextVar

from jinja2 import Environment, FileSystemLoader, select_autoescape

from . import i18n
from .assets import static_url
from .script_text import script_text
from .models import Callout, DeskMessage, PollResult, Update
from .render import iso
from .resources import resource_dir

# The language of the template being rendered: rendering is synchronous, so the gettext
# callables and the filters read it from here rather than from every call.
_language: ContextVar[str] = ContextVar("language", default="en")

env = Environment(
    loader=FileSystemLoader(str(resource_dir("templates"))),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
env.install_gettext_callables(
    lambda message: i18n.translations(_language.get()).gettext(message),
    lambda singular, plural, n: i18n.translations(_language.get()).ngettext(singular, plural, n),
    newstyle=True,
    pgettext=lambda context, message: i18n.translations(_language.get()).pgettext(context, message),
    npgettext=lambda context, singular, plural, n: i18n.translations(_language.get()).npgettext(
        context, singular, plural, n
    ),
)
env.filters["iso"] = iso
env.globals["static_url"] = static_url  # content-hashed names, cached forever (assets.py)
env.filters["clock"] = lambda moment: i18n.clock(moment, _language.get())
env.filters["number"] = lambda value: i18n.number(value, _language.get())
env.filters["said"] = lambda text: i18n.said(text, _language.get())
env.globals["names"] = lambda items: i18n.names(items, _language.get())


def render_template(name: str, language: str | None = None, **context) -> str:
    """`name` rendered in `language` (the site's default when None); `lang`, `dir` and the
    scripts' sentences (`script_text`) are set."""
    language = i18n.effective(language)
    token = _language.set(language)
    try:
        # English pages need no block: the scripts' own text is the English.
        text = script_text(language) if language != "en" else None
        return env.get_template(name).render(lang=language, dir=i18n.direction(language), script_text=text, **context)
    finally:
        _language.reset(token)


def update_html(update: Update, slug: str, language: str | None = None, poll: PollResult | None = None,
                callout: Callout | None = None) -> str:
    """The one partial both the page and the live stream use for an update (with its
    poll, when it is one: see `_poll.html`, and its callout: `_callout.html`)."""
    polls = {update.id: poll} if poll is not None else {}
    callouts = {update.id: callout} if callout is not None else {}
    return render_template("_update.html", language=language, update=update, slug=slug, polls=polls,
                           callouts=callouts)


def desk_message_html(message: DeskMessage, language: str | None = None) -> str:
    """A line of the desk's chat, as the desk page and the desk's stream show it."""
    return render_template("_desk_chat_line.html", language=language, message=message)


def poll_results_html(poll: PollResult, language: str | None = None) -> str:
    """A poll's counts as the page shows them; the `poll` event carries the same."""
    return render_template("_poll_results.html", language=language, poll=poll)
