"""The page scripts as ES modules: imports are literal relative paths at the top of each
module (so a step that serves static files under hashed names can rewrite them), every
import resolves to a file we ship, every module is loaded by some page, the two scripts
other parties load (embed.js on host pages, the push service worker) stay classic, and
the pages load their modules with a JavaScript type (module scripts require one)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

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
        assert re.findall(r'<script type="module" src="([^"]+)"></script>', html) == entries, page
        assert not re.search(r"<script(?![^>]*type=\"(module|application/ld\+json)\")", html), page
        for path in module_graph(entries, lambda path: httpx.get(server.url + path).text):
            answer = httpx.get(server.url + path)
            assert answer.status_code == 200, path
            assert answer.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript"), path
