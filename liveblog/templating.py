"""The Jinja environment the pages and the update partial are rendered with, and its filters."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .assets import static_url
from .models import Update
from .render import clock, iso
from .resources import resource_dir

env = Environment(
    loader=FileSystemLoader(str(resource_dir("templates"))),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["iso"] = iso
env.filters["clock"] = clock
env.globals["static_url"] = static_url  # content-hashed names, cached forever (assets.py)


def render_template(name: str, **context) -> str:
    return env.get_template(name).render(**context)


def update_html(update: Update, slug: str) -> str:
    """The one partial both the page and the live stream use for an update."""
    return render_template("_update.html", update=update, slug=slug)
