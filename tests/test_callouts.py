"""Callouts, readers' questions and the desk's chat over HTTP, against a real server: what
a reader sends reaches the desk live and nowhere a reader can see; an editor turns it
into an update, with the reader's name only if they agreed; bad input is refused with
nothing stored; answers are exported as CSV and deleted after their days; the chat
reaches every desk and no reader."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from desk import Desk, hidden, make_editor
from servers import server_env, wait_until
from stand_ins import jpeg

CONTACT = "witness-4821@example.org"
WORDS = "The water reached the second step of the town hall at noon."


@pytest.fixture
def desk(server):
    d = Desk(server)
    assert d.login(make_editor(server)).status_code == 303
    return d


def reader_page(server, slug: str) -> str:
    return httpx.get(f"{server.url}/stories/{slug}").text


def callout_of(page: str) -> int:
    return int(hidden(page.replace('data-callout="', 'name="callout" value="'), "callout"))


def add_callout(desk, slug: str, update_id: int, **fields) -> dict:
    r = desk.post(f"/admin/stories/{slug}/updates/{update_id}/callout",
                  {"prompt": "Were you there? Tell us what you saw.", "want_name": "1", "want_contact": "1",
                   "want_consent": "1", **fields}, headers={"Accept": "application/json"})
    assert r.status_code == 201, r.text
    return r.json()


def send(server, slug: str, callout: int, as_json: bool = True, image: bytes | None = None,
         **fields) -> httpx.Response:
    """A reader's answer, as their browser sends it: multipart when it carries a photo."""
    data = {"text": WORDS, "name": "Ana Ruiz", "contact": CONTACT, "consent": "1", **fields}
    headers = {"Accept": "application/json"} if as_json else {}
    files = {"image": ("IMG_2041.jpg", image, "image/jpeg")} if image is not None else None
    return httpx.post(f"{server.url}/stories/{slug}/callouts/{callout}/answers", data=data, files=files,
                      headers=headers)


def reader_images(server) -> set[str]:
    folder = Path(server.env["LIVEBLOG_MEDIA_DIR"] + "-from-readers")
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def submission_ids(desk, slug: str) -> list[int]:
    return sorted(int(i) for i in re.findall(r'id="submission-(\d+)"', desk.http.get(f"/admin/stories/{slug}").text))


def desk_stream(server, slug: str) -> str:
    return f"{server.url}/api/stories/{slug}/desk/events"


def test_an_answer_reaches_the_desk_live_and_no_reader(server, desk, sse):
    slug = server.new_story("Floods in the delta")["slug"]
    update = server.post(slug, "The river burst its banks.")
    callout = add_callout(desk, slug, update["id"])
    page = reader_page(server, slug)
    assert "Were you there? Tell us what you saw." in page and f'action="/stories/{slug}/callouts/{callout["id"]}/answers"' in page

    queue = sse(desk_stream(server, slug), headers={"Authorization": f"Bearer {server.token}"}).wait_open()
    readers = sse(f"{server.url}/stories/{slug}/events", last_event_id=0).wait_open()
    r = send(server, slug, callout["id"])
    assert r.status_code == 201 and r.json()["sent"] is True

    arrived = [e for e in queue.wait(1) if e.event == "submission"]
    assert arrived and arrived[0].json["status"] == "new"
    assert WORDS not in arrived[0].data and CONTACT not in arrived[0].data  # the desk's log names it only
    item = desk.http.get(f"/admin/stories/{slug}/submissions/{arrived[0].json['id']}",
                         headers={"Accept": "application/json"}).json()
    assert WORDS in item["html"] and CONTACT in item["html"] and "Ana Ruiz" in item["html"]
    assert CONTACT in desk.http.get(f"/admin/stories/{slug}").text

    # Nowhere a reader can look: page, embed, stream, feeds, read API, JSON-LD, oEmbed.
    readers.wait(3, timeout=2)
    seen = [reader_page(server, slug), httpx.get(f"{server.url}/stories/{slug}/embed").text,
            *(e.data for e in readers.events)]
    for path in (f"/stories/{slug}/feed.atom", f"/stories/{slug}/key-events.atom", f"/api/stories/{slug}/updates",
                 f"/api/stories/{slug}", f"/oembed?url={server.url}/stories/{slug}"):
        seen.append(httpx.get(server.url + path).text)
    for text_seen in seen:
        assert WORDS not in text_seen and CONTACT not in text_seen and "Ana Ruiz" not in text_seen


def test_an_answer_becomes_an_update_with_the_name_only_by_consent(server, desk):
    slug = server.new_story("Storm on the coast")["slug"]
    callout = add_callout(desk, slug, server.post(slug, "Winds of 120 km/h.")["id"])
    consented = send(server, slug, callout["id"], text="Our roof is gone.")
    declined = send(server, slug, callout["id"], text="Trees are down on the coast road.", consent="")
    assert consented.status_code == declined.status_code == 201
    store_rows = desk.http.get(f"/admin/stories/{slug}").text
    ids = sorted(int(i) for i in re.findall(r'id="submission-(\d+)"', store_rows))
    assert len(ids) == 2

    # Without consent the name cannot be printed, whatever the form says; nothing is published.
    before = httpx.get(f"{server.url}/api/stories/{slug}/updates").json()["updates"]
    refused = desk.post(f"/admin/stories/{slug}/submissions/{ids[1]}/use",
                        {"body": "Readers report fallen trees.", "with_name": "1"}, headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "with_name" in refused.json()["errors"]
    assert httpx.get(f"{server.url}/api/stories/{slug}/updates").json()["updates"] == before

    used = desk.post(f"/admin/stories/{slug}/submissions/{ids[0]}/use",
                     {"body": "We are hearing from readers in the old town.", "with_name": "1"},
                     headers={"Accept": "application/json"})
    assert used.status_code == 201, used.text
    plain = desk.post(f"/admin/stories/{slug}/submissions/{ids[1]}/use", {"body": "More from readers."})
    assert plain.status_code == 303
    page = reader_page(server, slug)
    assert "Our roof is gone." in page and "A reader writes: Ana Ruiz" in page
    assert "Trees are down on the coast road." in page and page.count("Ana Ruiz") == 1
    assert CONTACT not in page
    quoted = {u["reader"]["text"]: u["reader"] for u in httpx.get(f"{server.url}/api/stories/{slug}/updates").json()[
        "updates"] if u["reader"]}
    assert quoted == {"Our roof is gone.": {"kind": "callout", "text": "Our roof is gone.", "name": "Ana Ruiz"},
                      "Trees are down on the coast road.": {"kind": "callout", "text": "Trees are down on the coast road.",
                                                            "name": ""}}
    again = desk.post(f"/admin/stories/{slug}/submissions/{ids[0]}/use", {"body": "Twice?"},
                      headers={"Accept": "application/json"})
    assert again.status_code == 409


def test_questions_are_asked_queued_and_answered_as_one_update(server, desk, sse):
    slug = server.new_story("Election night")["slug"]
    assert "Ask our reporters" not in reader_page(server, slug)
    r = desk.post(f"/admin/stories/{slug}/questions", {"prompt": "What should we find out?", "want_name": "1",
                                                         "want_consent": "1"})
    assert r.status_code == 303
    page = reader_page(server, slug)
    assert "Ask our reporters" in page and "What should we find out?" in page
    question = callout_of(page.split('id="ask"', 1)[1])

    # Without script: a 303 to the callout's page, which thanks the reader.
    r = send(server, slug, question, as_json=False, text="When do the polls close?", name="Sam", contact="")
    assert r.status_code == 303
    thanks = httpx.get(server.url + r.headers["location"]).text
    assert "Thank you: the newsroom has what you sent." in thanks

    readers = sse(f"{server.url}/stories/{slug}/events").wait_open()
    desk_page = desk.http.get(f"/admin/stories/{slug}").text
    assert "When do the polls close?" in desk_page
    submission = int(re.search(r'id="submission-(\d+)"', desk_page).group(1))
    r = desk.post(f"/admin/stories/{slug}/submissions/{submission}/use",
                  {"body": "Polls close at 10pm.", "with_name": "1"}, headers={"Accept": "application/json"})
    assert r.status_code == 201, r.text
    posted = [e for e in readers.wait(1) if e.event == "update"]
    assert posted and "When do the polls close?" in posted[0].json["html"]
    assert "A reader’s question, from Sam" in posted[0].json["html"]
    assert "When do the polls close?" not in desk.http.get(f"/admin/stories/{slug}").text.split('id="submissions"')[1].split("</ol>")[0]

    r = desk.post(f"/admin/stories/{slug}/callouts/{question}/close", {})
    assert r.status_code == 303
    assert "Ask our reporters" not in reader_page(server, slug)
    assert send(server, slug, question).status_code == 409


def test_bad_answers_are_refused_and_nothing_is_stored(server, desk, tmp_path):
    slug = server.new_story("Wildfire")["slug"]
    callout = add_callout(desk, slug, server.post(slug, "Evacuations ordered.")["id"])["id"]
    url = f"{server.url}/stories/{slug}/callouts/{callout}/answers"
    cases = [
        ({"text": ""}, 422, "text"),
        ({"text": "x" * 5001}, 422, "text"),
        ({"name": "n" * 121}, 422, "name"),
        ({"contact": "c" * 201}, 422, "contact"),
    ]
    for fields, status, field in cases:
        r = send(server, slug, callout, **fields)
        assert r.status_code == status and field in r.json()["errors"], (fields, r.text)
    assert httpx.post(url, content=b"text=%FF%FE", headers={"Accept": "application/json",
                      "Content-Type": "application/x-www-form-urlencoded"}).status_code == 422
    assert httpx.post(url, content=b'{"text": ' * 40, headers={"Content-Type": "application/json",
                      "Accept": "application/json"}).status_code == 400
    assert httpx.post(url, data={"text": "hi"}, headers={"Origin": "https://elsewhere.example",
                      "Accept": "application/json"}).status_code == 403
    assert send(server, slug, 2**62 + 5).status_code == 404
    assert send(server, slug, 999_999).status_code == 404
    # Without script, the callout's page again with what was typed and what is wrong.
    r = send(server, slug, callout, as_json=False, text="", name="Kept name")
    assert r.status_code == 422 and 'value="Kept name"' in r.text and "Write something first" in r.text
    # A bot that fills the trap field is thanked for nothing.
    assert send(server, slug, callout, website="http://spam.example").status_code == 201
    assert "id=\"submission-" not in desk.http.get(f"/admin/stories/{slug}").text


def test_answers_per_address_are_limited(start_app_server, tmp_path):
    server = start_app_server(server_env(tmp_path, LIVEBLOG_MAX_SUBMISSIONS_PER_ADDRESS="2",
                                         LIVEBLOG_STREAM_LIMIT_EXEMPT="none"))
    d = Desk(server)
    d.login(make_editor(server))
    slug = server.new_story("Heatwave")["slug"]
    callout = add_callout(d, slug, server.post(slug, "42 degrees.")["id"])["id"]
    assert [send(server, slug, callout).status_code for _ in range(3)] == [201, 201, 429]


def test_csv_export_and_the_days_answers_are_kept(start_app_server, tmp_path):
    server = start_app_server(server_env(tmp_path, LIVEBLOG_SUBMISSION_DAYS="7"))
    d = Desk(server)
    d.login(make_editor(server))
    slug = server.new_story("Transit strike")["slug"]
    callout = add_callout(d, slug, server.post(slug, "No trains today.")["id"], want_image="1")["id"]
    send(server, slug, callout, text="=HYPERLINK(\"http://x\")", name="Lee")
    send(server, slug, callout, text="Buses are full.", consent="", image=jpeg(400, 300))
    r = d.http.get(f"/admin/stories/{slug}/callouts/{callout}/answers.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["text"] for row in rows] == ["'=HYPERLINK(\"http://x\")", "Buses are full."]
    assert rows[0]["contact"] == CONTACT and rows[0]["consent"] == "yes" and rows[1]["consent"] == "no"
    assert rows[0]["image"] == "" and rows[1]["image"] in reader_images(server)
    assert httpx.get(f"{server.url}/admin/stories/{slug}/callouts/{callout}/answers.csv").status_code in (303, 401)

    # One answer is older than its days: the sweep at the next start deletes it, contact,
    # photo and all.
    old = datetime.now(timezone.utc) - timedelta(days=8)
    with server._store().engine.begin() as connection:
        connection.execute(text("UPDATE submission SET created_at = :old WHERE text = 'Buses are full.'"), {"old": old})
    folder = Path(server.env["LIVEBLOG_MEDIA_DIR"] + "-from-readers")
    for photo in folder.iterdir():
        os.utime(photo, (old.timestamp(), old.timestamp()))
    assert len(reader_images(server)) == 2  # the photo, in both its widths
    server.stop()
    server = start_app_server(server_env(tmp_path, LIVEBLOG_SUBMISSION_DAYS="7"))
    d = Desk(server)
    d.login(make_editor(server))

    def kept() -> list[str] | None:
        texts = [row["text"] for row in csv.DictReader(io.StringIO(
            d.http.get(f"/admin/stories/{slug}/callouts/{callout}/answers.csv").text))]
        return texts if len(texts) == 1 else None

    assert wait_until(kept, 15, "the old answer to be deleted") == ["'=HYPERLINK(\"http://x\")"]
    wait_until(lambda: reader_images(server) == set(), 15, "its photo to be deleted")


def test_the_desk_chat_reaches_every_desk_and_no_reader(server, desk, sse):
    slug = server.new_story("Budget day")["slug"]
    contributor = Desk(server)
    contributor.login(make_editor(server, role="contributor"))
    other = sse(desk_stream(server, slug), headers={"Authorization": f"Bearer {server.token}"}).wait_open()
    reader = sse(f"{server.url}/stories/{slug}/events", last_event_id=0).wait_open()
    said = "Hold the deficit figure until the minister speaks."
    r = contributor.post(f"/admin/stories/{slug}/chat", {"text": said}, headers={"Accept": "application/json"})
    assert r.status_code == 201 and r.json()["text"] == said
    chat = [e for e in other.wait(1) if e.event == "chat"]
    assert chat and chat[0].json["text"] == said
    assert said in desk.http.get(f"/admin/stories/{slug}").text
    reader.wait(2, timeout=2)
    for seen in [reader_page(server, slug), httpx.get(f"{server.url}/api/stories/{slug}/updates").text,
                 httpx.get(f"{server.url}/stories/{slug}/feed.atom").text, *(e.data for e in reader.events)]:
        assert said not in seen
    empty = contributor.post(f"/admin/stories/{slug}/chat", {"text": "   "}, headers={"Accept": "application/json"})
    assert empty.status_code == 422 and "text" in empty.json()["errors"]
    assert httpx.post(f"{server.url}/admin/stories/{slug}/chat", data={"text": "hi"}).status_code in (401, 403)


def test_a_readers_photo_reaches_the_desk_only_and_is_published_with_its_description(server, desk, sse):
    slug = server.new_story("Hailstorm")["slug"]
    callout = add_callout(desk, slug, server.post(slug, "Hail the size of eggs.")["id"], want_image="1")["id"]
    page = reader_page(server, slug)
    assert 'enctype="multipart/form-data"' in page and 'name="image" type="file"' in page

    queue = sse(desk_stream(server, slug), headers={"Authorization": f"Bearer {server.token}"}).wait_open()
    r = send(server, slug, callout, image=jpeg(1200, 800, colour=(200, 30, 90)), text="Our car after ten minutes of it.")
    assert r.status_code == 201, r.text
    arrived = next(e for e in queue.wait(1) if e.event == "submission").json
    item = desk.http.get(f"/admin/stories/{slug}/submissions/{arrived['id']}", headers={"Accept": "application/json"})
    image_url = f"/admin/stories/{slug}/submissions/{arrived['id']}/image"
    assert f'src="{image_url}"' in item.json()["html"]

    # The photo is the desk's: editors get it, never cached; readers cannot, by any name.
    photo = desk.http.get(image_url)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["cache-control"] == "no-store"
    assert httpx.get(server.url + image_url).status_code in (303, 401)
    (name,) = [row["image"] for row in csv.DictReader(io.StringIO(
        desk.http.get(f"/admin/stories/{slug}/callouts/{callout}/answers.csv").text))]
    assert name.endswith("-1200x800.jpg") and name in reader_images(server)
    assert httpx.get(f"{server.url}/media/{name}").status_code == 404
    digest = name.split("-")[0]
    for path in (f"/stories/{slug}", f"/stories/{slug}/embed", f"/stories/{slug}/feed.atom",
                 f"/api/stories/{slug}/updates"):
        assert digest not in httpx.get(server.url + path).text

    # Published with it only once described for readers who cannot see it.
    use = f"/admin/stories/{slug}/submissions/{arrived['id']}/use"
    refused = desk.post(use, {"body": "Readers send us what the hail did.", "with_image": "1"},
                        headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "image_alt" in refused.json()["errors"]
    assert digest not in reader_page(server, slug)
    used = desk.post(use, {"body": "Readers send us what the hail did.", "with_image": "1",
                           "image_alt": "A car roof dented all over by hail", "image_caption": "Sent by a reader"},
                     headers={"Accept": "application/json"})
    assert used.status_code == 201, used.text
    page = reader_page(server, slug)
    assert f'src="/media/{name}"' in page and 'alt="A car roof dented all over by hail"' in page
    assert "Sent by a reader" in page and "Our car after ten minutes of it." in page
    served = httpx.get(f"{server.url}/media/{name}")
    assert served.status_code == 200 and served.content == photo.content

    # An answer without a photo cannot be published "with" one.
    send(server, slug, callout, text="Hail stopped here at six.")
    plain = submission_ids(desk, slug)[-1]
    r = desk.post(f"/admin/stories/{slug}/submissions/{plain}/use",
                  {"body": "It stopped.", "with_image": "1", "image_alt": "Nothing"}, headers={"Accept": "application/json"})
    assert r.status_code == 422 and "with_image" in r.json()["errors"]


def test_bad_photos_are_refused_with_the_words_kept_and_nothing_stored(server, desk):
    slug = server.new_story("Sandstorm")["slug"]
    callout = add_callout(desk, slug, server.post(slug, "Visibility is near zero.")["id"], want_image="1")["id"]
    url = f"{server.url}/stories/{slug}/callouts/{callout}/answers"
    json = {"Accept": "application/json"}
    kept_before = reader_images(server)  # the module's server: other tests' photos

    r = send(server, slug, callout, image=b"GIF89a, or so it says")
    assert r.status_code == 422 and "image" in r.json()["errors"]
    r = send(server, slug, callout, image=b"\xff\xd8" + os.urandom(11 * 1024 * 1024))
    assert r.status_code == 413 and "at most 10 MB" in r.json()["errors"]["image"]
    # Without script: the callout's page again, the words kept, the photo to be chosen again.
    r = send(server, slug, callout, as_json=False, image=b"not a photo", text="Sand in every street.")
    assert r.status_code == 422 and "Sand in every street." in r.text and "Choose the photo again." in r.text
    # Fields of a multipart form are read as strictly as any other form's.
    boundary = "b0undary"
    for raw in (b"Sand \xff\xfe everywhere", b"Sand\x00"):
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n".encode() + raw
                + f"\r\n--{boundary}--\r\n".encode())
        r = httpx.post(url, content=body, headers={**json, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert r.status_code == 422 and "could not be read" in r.json()["errors"]["form"], r.text
    assert httpx.post(url, content=b"--x\r\n", headers={**json, "Content-Type": "multipart/form-data"}).status_code == 422
    assert submission_ids(desk, slug) == [] and reader_images(server) == kept_before

    # A photo a callout did not ask for is not kept; the words are.
    other = add_callout(desk, slug, server.post(slug, "Flights are grounded.")["id"])["id"]
    assert send(server, slug, other, image=jpeg(300, 200)).status_code == 201
    (only,) = submission_ids(desk, slug)
    item = desk.http.get(f"/admin/stories/{slug}/submissions/{only}", headers=json).json()
    assert WORDS in item["html"] and "/image" not in item["html"] and reader_images(server) == kept_before
