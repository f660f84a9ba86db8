"""The page scripts as ES modules: imports are literal relative paths at the top of each
module (so a step that serves static files under hashed names can rewrite them), every
import resolves to a file we ship, every module is loaded by some page, the two scripts
other parties load (embed.js on host pages, the push service worker) stay classic, the
pages load their modules with a JavaScript type (module scripts require one), kinds.js
names the kinds liveblog/events.py names; and the shared modules' pure parts
(sentences, relative times, the order of updates), run in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from liveblog import events
from static_modules import imports_of, module_graph

STATIC = Path(__file__).resolve().parents[1] / "static"
CLASSIC = {"embed.js", "push-sw.js"}
# What pages load: live.js (story page, embed, index), follow.js (story page), desk.js
# (the desk pages), and consent.js, imported by live.js once a rich-embed card shows.
ENTRIES = ["live.js", "follow.js", "desk.js", "consent.js"]


def modules() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(STATIC.glob("*.js")) if p.name not in CLASSIC}


def test_imports_are_literal_relative_paths_at_the_top_of_each_module():
    for name, source in modules().items():
        leading = imports_of(source)
        anywhere = re.findall(r"^\s*import\b(?!\()", source, re.M)
        assert len(anywhere) == len(leading), f"{name}: an import below the top of the module"
        for spec in leading:
            assert re.fullmatch(r"\./[a-z][a-z-]*\.js", spec), f"{name} imports {spec!r}"
            assert (STATIC / spec[2:]).is_file(), f"{name} imports {spec}, which is not in static/"


def test_every_module_is_loaded_by_a_page():
    loaded = module_graph([f"/static/{name}" for name in ENTRIES], lambda path: (STATIC / path.rsplit("/", 1)[1]).read_text())
    assert sorted(path.rsplit("/", 1)[1] for path in loaded) == sorted(modules())


def test_embed_js_and_the_push_worker_stay_classic_scripts():
    for name in CLASSIC:
        source = (STATIC / name).read_text()
        assert not re.search(r"^\s*(import|export)\b", source, re.M), name


def test_pages_load_their_scripts_as_modules_served_as_javascript(server):
    slug = server.new_story("Modules")["slug"]
    for page, entries in ((f"/stories/{slug}", ["/static/live.js", "/static/follow.js"]),
                          (f"/stories/{slug}/embed", ["/static/live.js"]),
                          ("/", ["/static/live.js"])):
        html = httpx.get(server.url + page).text
        linked = re.findall(r'<script type="module" src="([^"]+)"></script>', html)
        # Linked under content-hashed names (liveblog/assets.py).
        assert [re.sub(r"\.[0-9a-f]{12}\.js$", ".js", path) for path in linked] == entries, page
        assert not re.search(r"<script(?![^>]*type=\"(module|application/ld\+json)\")", html), page
        for path in module_graph(linked, lambda path: httpx.get(server.url + path).text):
            answer = httpx.get(server.url + path)
            assert answer.status_code == 200, path
            assert answer.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript"), path


def test_kinds_js_names_the_kinds_events_py_names():
    source = (STATIC / "kinds.js").read_text()
    names = dict(re.findall(r'^export const ([A-Z_]+) = "([a-z]+)";$', source, re.M))

    def kinds(group: str) -> tuple[str, ...]:
        listed = re.search(rf"^export const {group} = \[([A-Z_, ]+)\];$", source, re.M).group(1)
        return tuple(names[name.strip()] for name in listed.split(","))

    assert kinds("READER_KINDS") == events.READER_KINDS
    assert kinds("DESK_KINDS") == events.DESK_KINDS
    assert names["PRESENCE"] == events.PRESENCE


# -- the shared modules' pure parts, run in Chromium on our own origin -------------------


@pytest.mark.browser
def test_say_fills_placeholders_and_picks_the_plural(server, page):
    page.goto(server.url + "/")
    said = page.evaluate("""async () => {
        const { say } = await import("/static/text.js");
        return [say("newUpdates", { n: 1 }), say("newUpdates", { n: 3 }), say("notSaved", { status: 502 })];
    }""")
    assert said == ["↑ 1 new update", "↑ 3 new updates", "Not saved (the server answered 502)."]


@pytest.mark.browser
def test_relative_times(server, page):
    page.goto(server.url + "/")
    said = page.evaluate("""async () => {
        const { agoText } = await import("/static/times.js");
        const minute = 60000, now = Date.now();
        return [0, 5, 119, 60 * 24, 60 * 24 * 3].map((m) => agoText(now - m * minute));
    }""")
    assert said == ["just now", "5 min ago", "1 hr ago", "1 day ago", "3 days ago"]


@pytest.mark.browser
def test_updates_order_newest_first_by_time_then_id_with_the_pinned_one_on_top(server, page):
    page.goto(server.url + "/")
    order = page.evaluate("""async () => {
        const { placeUpdate } = await import("/static/ordering.js");
        const list = document.createElement("ol");
        const item = (id, created, pinned) => {
            const li = document.createElement("li");
            Object.assign(li.dataset, { id, created, pinned: pinned ? "yes" : "no" });
            placeUpdate(list, li, pinned, '[data-pinned="no"]');
        };
        item(1, "2026-12-01T10:00:00Z", false);
        item(3, "2026-12-01T09:00:00Z", false);   // created earlier, posted later (a published draft)
        item(2, "2026-12-01T10:00:00Z", false);   // the same second as 1: the higher id is newer
        item(4, "2026-12-01T08:00:00Z", true);
        item(5, "2026-12-01T11:00:00Z", false);
        return Array.from(list.children, (li) => Number(li.dataset.id));
    }""")
    assert order == [4, 5, 2, 1, 3]
