"""Pinning an update while another is pinned asks first, without script too: the desk
comes back saying which update it would replace, and only the confirming form pins."""

from __future__ import annotations

import html

from desk import Desk, make_editor, updates


def test_without_script_the_desk_asks_before_replacing_the_pin(server):
    desk = Desk(server)
    assert desk.login(make_editor(server, "Pim Pinner")).status_code == 303
    slug = desk.start_story("One pin at a time")
    old = server.post(slug, "Evacuate via the north road.", headline="Evacuation routes", pinned=True)
    new = server.post(slug, "The north road is flooded.")
    pin = f"/admin/stories/{slug}/updates/{new['id']}/pin"

    r = desk.post(pin, {"pinned": "1"})
    assert r.status_code == 200
    assert "This replaces the pinned update: Evacuation routes" in html.unescape(r.text)
    assert 'name="replace" value="1"' in r.text
    assert [u["id"] for u in updates(server, slug) if u["pinned"]] == [old["id"]]  # nothing changed yet

    r = desk.post(pin, {"pinned": "1", "replace": "1"})
    assert r.status_code == 303
    assert [u["id"] for u in updates(server, slug) if u["pinned"]] == [new["id"]]
    # Unpinning, or pinning with nothing else pinned, asks nothing.
    assert desk.post(pin, {"pinned": "0"}).status_code == 303
    assert desk.post(f"/admin/stories/{slug}/updates/{old['id']}/pin", {"pinned": "1"}).status_code == 303
    assert [u["id"] for u in updates(server, slug) if u["pinned"]] == [old["id"]]
