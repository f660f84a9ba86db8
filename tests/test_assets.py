"""Static files under content-hashed names (liveblog/assets.py, web/static.py): a changed
file, or a module it imports, changes its URL; hashed URLs are immutable, plain ones
revalidate; the pages link the hashed names."""

from __future__ import annotations

import re

import httpx

from liveblog.assets import Assets


def test_a_changed_module_changes_the_url_of_every_module_that_imports_it(tmp_path):
    (tmp_path / "times.js").write_text("export const zone = 'UTC';\n")
    (tmp_path / "ordering.js").write_text("import { zone } from './times.js';\nexport const order = zone;\n")
    (tmp_path / "live.js").write_text("import { order } from \"./ordering.js\";\nconst s = '/static/consent.js';\n")
    (tmp_path / "consent.js").write_text("// consent\n")
    (tmp_path / "style.css").write_text("body { color: red }\n")
    before = Assets(tmp_path)
    assert re.fullmatch(r"live\.[0-9a-f]{12}\.js", before.hashed["live.js"])
    served = before.by_name[before.hashed["live.js"]].bodies[""].decode()
    assert f'"./{before.hashed["ordering.js"]}"' in served and f"'/static/{before.hashed['consent.js']}'" in served
    assert before.by_name["live.js"] is before.by_name[before.hashed["live.js"]]

    (tmp_path / "times.js").write_text("export const zone = 'Europe/Oslo';\n")
    after = Assets(tmp_path)
    for name in ("times.js", "ordering.js", "live.js"):
        assert after.hashed[name] != before.hashed[name], f"{name} would be served stale under an immutable URL"
    for name in ("consent.js", "style.css"):
        assert after.hashed[name] == before.hashed[name], "an unrelated file keeps its URL"


def test_modules_that_import_each_other_still_get_names(tmp_path):
    (tmp_path / "a.js").write_text("import './b.js';\n")
    (tmp_path / "b.js").write_text("import './a.js';\n")
    first = Assets(tmp_path)
    (tmp_path / "b.js").write_text("import './a.js';\n// changed\n")
    second = Assets(tmp_path)
    assert first.hashed["a.js"] != second.hashed["a.js"] and first.hashed["b.js"] != second.hashed["b.js"]


def test_the_service_worker_keeps_its_url(tmp_path):
    (tmp_path / "push-sw.js").write_text("self.addEventListener('push', () => {});\n")
    (tmp_path / "follow.js").write_text("navigator.serviceWorker.register('/static/push-sw.js');\n")
    assets = Assets(tmp_path)
    assert b"'/static/push-sw.js'" in assets.by_name["follow.js"].bodies[""]


def test_pages_link_hashed_names_served_immutable_and_plain_names_revalidate(server):
    slug = server.new_story("Static names")["slug"]
    page = httpx.get(f"{server.url}/stories/{slug}").text
    linked = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert linked and all(re.search(r"\.[0-9a-f]{12}\.(js|css)$", url) for url in linked), linked
    for url in linked:
        r = httpx.get(server.url + url)
        assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["x-content-type-options"] == "nosniff"
        again = httpx.get(server.url + url, headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
    plain = httpx.get(server.url + "/static/embed.js")
    assert plain.status_code == 200 and plain.headers["cache-control"] == "no-cache" and plain.headers["etag"]
    assert plain.headers["content-type"].startswith("text/javascript")
    assert httpx.get(server.url + "/static/live.000000000000.js").status_code == 404
    assert httpx.get(server.url + "/static/../pyproject.toml").status_code == 404
