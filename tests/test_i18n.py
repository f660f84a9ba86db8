"""Languages: the catalogs themselves, the site's and each story's language, the desk in the
editor's, right to left, and times and numbers written as each language writes them."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from liveblog import i18n
from liveblog.settings import Settings, SettingsError

from servers import server_env
from desk import Desk, make_editor

LOCALE = Path(i18n.__file__).parent / "locale"
TRANSLATED = [language for language in i18n.LANGUAGES if language != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
MOMENT = datetime(2026, 12, 1, 15, 4, tzinfo=timezone.utc)


def catalog(language: str):
    with open(LOCALE / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


# -- the catalogs ----------------------------------------------------------------


def ids(pot: Path) -> set:
    with open(pot, "rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_the_template_catalog_holds_every_string_of_the_templates(tmp_path):
    """messages.pot is what `pybabel extract` (babel.cfg) finds now: no string left out."""
    root = LOCALE.parents[1]
    fresh = tmp_path / "messages.pot"
    run = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                          "-k", "_", "-k", "gettext", "-k", "ngettext:1,2", "-k", "Message", "-o", str(fresh), "."],
                         cwd=root, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert ids(fresh) == ids(LOCALE / "messages.pot"), "run the extraction in README's 'Adding a language'"


def test_every_sentence_of_the_scripts_is_in_the_catalogs():
    """static/text.js's every key has its msgid in script_text.MESSAGES (so a page in
    another language carries its translation), with the same placeholders; a sentence with
    plural forms in English has them in the catalogs."""
    from liveblog.script_text import MESSAGES

    source = (Path(__file__).parents[1] / "static" / "text.js").read_text()
    table = source[source.index("export const TEXT = {"):source.index("\n};")]
    english = dict(re.findall(r'^  (\w+): ("[^"]*"|\{ one: "[^"]*", other: "[^"]*" \}),?$', table, re.M))
    assert english and set(english) == set(MESSAGES)
    for key, text in english.items():
        message = MESSAGES[key]
        assert isinstance(message, tuple) or not text.startswith("{"), key
        wanted = message[-1] if isinstance(message, tuple) else message
        assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", wanted)), key


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(language):
    with open(LOCALE / "messages.pot", "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    po = catalog(language)
    assert {m.id for m in po if m.id} == wanted, "the catalog is not up to date with messages.pot"
    for message in po:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms), f"{language}: {ids[0]!r} is not translated"
        assert not message.fuzzy, f"{language}: {ids[0]!r} is marked fuzzy"
        # Every placeholder the form may use is one the template passes.
        allowed = set(PLACEHOLDER.findall(" ".join(ids)))
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) <= allowed, f"{language}: {form!r}"
        if len(ids) == 1:
            assert set(PLACEHOLDER.findall(forms[0])) == allowed, f"{language}: {forms[0]!r} drops a placeholder"


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalog_matches_its_source(language):
    """The shipped .mo is the .po compiled (`pybabel compile -d liveblog/locale`)."""
    with open(LOCALE / language / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    source = {_key(m.id): _key(m.string) for m in catalog(language) if m.id}
    assert compiled == source, f"run `pybabel compile -d liveblog/locale` for {language}"


def test_arabic_has_six_plural_forms_each_used():
    ar = i18n.translations("ar")
    forms = [ar.ngettext("%(num)s open now", "%(num)s open now", n) for n in (0, 1, 2, 3, 11, 100)]
    assert forms == [
        "لا صفحات مفتوحة الآن",
        "صفحة واحدة مفتوحة الآن",
        "صفحتان مفتوحتان الآن",
        "%(num)s صفحات مفتوحة الآن",
        "%(num)s صفحة مفتوحة الآن",
        "%(num)s صفحة مفتوحة الآن",
    ]
    assert i18n.plural_samples("ar") == {"zero": 0, "one": 1, "two": 2, "few": 3, "many": 11, "other": 100}


@pytest.mark.parametrize("language, n, text", [
    ("uk", 1, "1 сторінка відкрита зараз"),
    ("uk", 3, "3 сторінки відкриті зараз"),
    ("uk", 5, "5 сторінок відкрито зараз"),
    ("uk", 21, "21 сторінка відкрита зараз"),
    ("fr", 0, "0 page ouverte en ce moment"),
    ("fr", 2, "2 pages ouvertes en ce moment"),
    ("he", 2, "שני דפים פתוחים כעת"),
    ("de", 1, "1 Seite gerade geöffnet"),
])
def test_plural_forms(language, n, text):
    message = i18n.translations(language).ngettext("%(num)s open now", "%(num)s open now", n)
    assert message % {"num": n} == text


# -- directions, times, numbers ------------------------------------------------------


def test_directions():
    assert {lang: i18n.direction(lang) for lang in i18n.LANGUAGES} == {
        "en": "ltr", "ar": "rtl", "de": "ltr", "es": "ltr", "fa": "rtl", "fr": "ltr", "he": "rtl", "uk": "ltr",
    }


@pytest.mark.parametrize("language, text, other_year", [
    ("en", "Dec 1, 15:04 UTC", "Dec 1, 2026, 15:04 UTC"),
    ("ar", "1 ديسمبر، 15:04 UTC", "1 ديسمبر 2026، 15:04 UTC"),  # CLDR: Arabic's own default is Latin digits
    ("fa", "۱ دسامبر،\u200f ۱۵:۰۴ UTC", "۱ دسامبر ۲۰۲۶،\u200f ۱۵:۰۴ UTC"),  # Persian writes its own digits
    ("he", "1 בדצמ׳, 15:04 UTC", "1 בדצמ׳ 2026, 15:04 UTC"),
    ("de", "1. Dez., 15:04 UTC", "1. Dez. 2026, 15:04 UTC"),
    ("fr", "1 déc., 15:04 UTC", "1 déc. 2026, 15:04 UTC"),
    ("uk", "1 груд., 15:04 UTC", "1 груд. 2026\u202fр., 15:04 UTC"),
])
def test_clock_in_each_language_with_the_zone(language, text, other_year):
    """The year only when it is not this year's: the shape static/times.js gives Intl."""
    assert i18n.clock(MOMENT, language, now=MOMENT) == text
    assert i18n.clock(MOMENT, language, now=MOMENT.replace(year=2027)) == other_year


def test_numbers_in_the_languages_digits():
    assert i18n.number(1234, "fa") == "۱٬۲۳۴"  # its own digits and separator
    assert i18n.number(1234, "de") == "1.234"
    assert i18n.number(1234, "en") == "1,234"


def test_negotiation_takes_the_first_language_we_speak():
    assert i18n.negotiate("pt-BR, ar-EG;q=0.9, en;q=0.8") == "ar"
    assert i18n.negotiate("de-AT") == "de"
    assert i18n.negotiate("fr;q=0, uk;q=0.5") == "uk"
    assert i18n.negotiate("zz, ;q=x") == i18n.site_default()
    assert i18n.negotiate(None) == i18n.site_default()


def test_site_language_setting(tmp_path):
    assert Settings.load(env={"LIVEBLOG_LANGUAGE": "fr-FR"}, env_file="").language == "fr"
    with pytest.raises(SettingsError, match="LIVEBLOG_LANGUAGE: 'klingon' is not one of"):
        Settings.load(env={"LIVEBLOG_LANGUAGE": "klingon"}, env_file="")


# -- pages, over HTTP ---------------------------------------------------------------


def html_attrs(page: str) -> tuple[str, str]:
    tag = re.search(r"<html([^>]*)>", page).group(1)
    return re.search(r'lang="([^"]*)"', tag).group(1), re.search(r'dir="([^"]*)"', tag).group(1)


def test_arabic_story_without_script(server):
    story = server.new_story("صفارات الإنذار في تل أبيب", summary="تغطية مباشرة", language="ar")
    assert story["language"] == "ar"
    server.post(story["slug"], "“We heard three blasts,” a resident told us.", headline="Sirens", key_event=True)
    page = httpx.get(story["url"]).text
    assert html_attrs(page) == ("ar", "rtl")
    assert "<strong>تغطية مستمرة</strong>" in page
    assert '<h2 id="key-events-title">أبرز التطورات</h2>' in page
    assert '<span class="badge key">حدث رئيسي</span>' in page
    assert re.search(r"<time datetime=\"[^\"]+\">\d{1,2} [\u0600-\u06ff]+( \d{4})?، \d\d:\d\d UTC</time>", page)
    # An update in another script keeps its own direction.
    assert '<div class="body" dir="auto"><p>“We heard three blasts,”' in page
    embed = httpx.get(story["url"] + "/embed").text
    assert html_attrs(embed) == ("ar", "rtl") and "اقرأ المزيد" in embed


def test_persian_story_writes_persian_digits(server):
    story = server.new_story("گزارش زنده", language="fa")
    server.post(story["slug"], "به‌روزرسانی")
    page = httpx.get(story["url"]).text
    assert html_attrs(page) == ("fa", "rtl")
    time = re.search(r'<a class="permalink"[^>]*><time datetime="[^"]+">([^<]+)</time>', page).group(1)
    # Persian writes the hour without a leading zero ("۰:۰۲"), the month by its name.
    assert re.fullmatch(r"[۰-۹]{1,2} [\u0600-\u06ff]+( [۰-۹]{4})?،\u200f [۰-۹]{1,2}:[۰-۹]{2} UTC", time), time


def test_live_update_html_is_in_the_storys_language(server, sse):
    story = server.new_story("Hochwasser im Tal", language="de")
    reader = sse(f"{server.url}/stories/{story['slug']}/events").wait_open()
    server.post(story["slug"], "Pegel steigt.", key_event=True, pinned=True)
    html = reader.wait(1)[-1].json["html"]
    assert '<span class="badge pin">Fixiert</span>' in html and '<span class="badge key">Wichtig</span>' in html


def test_story_language_is_changed_and_checked_in_the_api(server):
    story = server.new_story("Storm over the harbour")
    assert story["language"] == "en"  # the site's default
    path = f"/api/stories/{story['slug']}"
    r = server.api("PATCH", path, {"language": "xx"})
    assert r.status_code == 422 and "language" in r.json()["errors"]
    assert httpx.get(server.url + path).json()["language"] == "en"
    assert server.api("PATCH", path, {"language": "he"}).json()["language"] == "he"
    assert html_attrs(httpx.get(story["url"]).text) == ("he", "rtl")


def test_site_default_language(start_server, tmp_path):
    server = start_server(server_env(tmp_path, LIVEBLOG_LANGUAGE="uk"))
    story = server.new_story("Повінь у долині")
    assert story["language"] == "uk"
    assert html_attrs(httpx.get(server.url + "/").text) == ("uk", "ltr")
    assert "Трансляції" in httpx.get(server.url + "/").text
    assert "<strong>Наживо</strong>" in httpx.get(story["url"]).text


def test_desk_in_the_editors_language(server):
    name = make_editor(server)
    desk = Desk(server, headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.5"})
    assert 'lang="fr"' in desk.http.get("/login").text
    assert desk.login(name).status_code == 303
    admin = desk.http.get("/admin").text
    assert html_attrs(admin) == ("fr", "ltr") and "<h1>La rédaction</h1>" in admin
    slug = desk.start_story("Crue dans la vallée", language="ar")
    page = desk.http.get(f"/admin/stories/{slug}").text
    assert html_attrs(page) == ("fr", "ltr")
    assert "Publier" in page and 'option value="ar" lang="ar" selected>العربية</option>' in page
    # The story itself is in Arabic for its readers.
    assert html_attrs(httpx.get(f"{server.url}/stories/{slug}").text) == ("ar", "rtl")
    # The desk's form changes it, and an unknown language is refused beside the field.
    r = desk.post(f"/admin/stories/{slug}", {"title": "Crue dans la vallée", "summary": "", "language": "xx"})
    assert r.status_code == 422 and 'id="story-language-error"' in r.text and "not one of the languages" in r.text
    assert desk.post(f"/admin/stories/{slug}", {"title": "Crue dans la vallée", "summary": "", "language": "fr"}).status_code == 303
    assert html_attrs(httpx.get(f"{server.url}/stories/{slug}").text) == ("fr", "ltr")


@pytest.mark.parametrize("language, text", [("ar", "صفحتان مفتوحتان الآن"), ("uk", "2 сторінки відкриті зараз"), ("fr", "2 pages ouvertes en ce moment")])
def test_desk_reader_count_in_plural_forms(server, sse, language, text):
    name = make_editor(server)
    desk = Desk(server, headers={"Accept-Language": language})
    desk.login(name)
    story = server.new_story("Plural count")
    readers = [sse(f"{server.url}/stories/{story['slug']}/events").wait_open() for _ in range(2)]
    assert text in desk.http.get(f"/admin/stories/{story['slug']}").text
    for reader in readers:
        reader.close()


# -- in the browser, with script ------------------------------------------------------


@pytest.mark.browser
def test_arabic_story_with_script(server, page):
    story = server.new_story("غارات على المدينة", language="ar")
    server.post(story["slug"], "تحديث أول", key_event=True)
    page.goto(story["url"])
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("#live-banner")).to_contain_text("تغطية مستمرة")
    expect(page.locator("#key-events-title")).to_have_text("أبرز التطورات")
    # The page mirrors: the key events' rule is on the right, where Arabic starts.
    border = page.locator(".key-events").evaluate(
        "el => [getComputedStyle(el).borderRightWidth, getComputedStyle(el).borderLeftWidth]"
    )
    assert border == ["3px", "0px"]
    server.post(story["slug"], "A quote in English, kept left to right.")
    latest = page.locator("#updates article.update").first.locator(".body")
    expect(latest).to_contain_text("A quote in English")
    assert latest.evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert page.locator("#key-events-title").evaluate("el => getComputedStyle(el).direction") == "rtl"


@pytest.mark.browser
def test_arabic_labels_of_the_scripts(server, page):
    story = server.new_story("تحديثات", language="ar")
    server.post(story["slug"], "أول تحديث")
    page.goto(story["url"])
    article = page.locator("#updates article.update").first
    expect(article.locator(".copy-link")).to_have_text("نسخ الرابط")
    expect(article.locator(".ago")).to_have_text("الآن")


@pytest.mark.browser
@pytest.mark.parametrize("language, texts", [
    ("ar", ["↑ تحديث جديد", "↑ تحديثان جديدان", "↑ 3 تحديثات جديدة", "↑ 11 تحديثًا جديدًا", "↑ 100 تحديث جديد"]),
    ("he", ["↑ עדכון חדש", "↑ שני עדכונים חדשים", "↑ 3 עדכונים חדשים", "↑ 11 עדכונים חדשים", "↑ 100 עדכונים חדשים"]),
    ("uk", ["↑ 1 нове оновлення", "↑ 2 нові оновлення", "↑ 3 нові оновлення", "↑ 11 нових оновлень", "↑ 100 нових оновлень"]),
])
def test_new_updates_button_plural_forms(server, page, language, texts):
    """The page scripts' sentence for the new-updates button, from the catalog the page carries."""
    story = server.new_story("Plural", language=language)
    page.goto(story["url"])
    said = page.evaluate("""async () => {
        const { say } = await import("/static/text.js");
        return [1, 2, 3, 11, 100].map((n) => say("newUpdates", { n }));
    }""")
    assert said == texts


def said(language: str, msgid: str) -> str:
    """What the language's catalog says for `msgid` (translated: never the English)."""
    text = catalog(language)[msgid].string
    assert text and text != msgid, (language, msgid)
    return text


def test_refusals_reach_the_desk_in_the_editors_language(server):
    """A refused form comes back with its errors in the editor's language, as the page
    (without script) and as the JSON the desk's script shows; the numbers in them too."""
    editor = make_editor(server)
    desk = Desk(server, {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert desk.login(editor).status_code == 303
    slug = desk.start_story("Hochwasser im Tal")
    page = desk.post(f"/admin/stories/{slug}/updates", {"body": "   "})
    assert page.status_code == 422
    assert f'data-error-for="body" role="alert">{said("de", "The update needs some text")}</p>' in page.text
    answer = desk.post(f"/admin/stories/{slug}/updates", {"body": "   "}, headers={"Accept": "application/json"})
    assert answer.json()["errors"]["body"] == said("de", "The update needs some text")

    persian = Desk(server, {"Accept-Language": "fa"})
    assert persian.login(editor).status_code == 303
    long = persian.post(f"/admin/stories/{slug}/updates", {"body": "x" * 50_001}, headers={"Accept": "application/json"})
    assert long.json()["errors"]["body"] == said("fa", "The update is too long: at most {limit} characters").format(
        limit="۵۰٬۰۰۰")

    arabic = Desk(server, {"Accept-Language": "ar"})
    refused = arabic.login(editor, "not the password")
    assert refused.status_code == 422 and said("ar", "That name and password do not match.") in refused.text
    # Whoever asks in no language of ours gets the site's: English here.
    api = server.api("POST", f"/api/stories/{slug}/updates", {"body": " "})
    assert api.json()["errors"]["body"] == "The update needs some text"
