"""The open information pages (issue 18 points 1–3): Markdown files with front matter, one per
page and language, public, in Danish and English, each naming its sources, the exit button on
every one, nothing personal on them (the service worker keeps them)."""

from __future__ import annotations

import re

import pytest

from app.info import pages
from app.info.pages import ContentError, all_pages, load_page, twin
from app.phone.worker import precache_urls
from app.settings import Settings
from tests.conftest import csrf_token
from tests.factories import make_victim, signed_in

TOPICS = {
    # issue 18 point 1 and 2: the pages it asks for, by their key
    "index",
    "is-it-stalking",
    "young-people",
    "family-and-friends",
    "police",
    "digital-safety",
    "help-in-esbjerg",
    "teachers",
}


def test_every_danish_page_has_an_english_twin_or_says_why():
    danish = [p for p in all_pages() if p.language == "da"]
    assert {p.key for p in danish} >= TOPICS
    for page in all_pages():
        other = twin(page)
        assert other is not None or page.no_twin, f"{page.file} has no twin in the other language"
        if other is not None:
            assert twin(other) == page


def test_a_page_without_a_twin_must_say_why(tmp_path, monkeypatch):
    for language in pages.LANGUAGES:
        (tmp_path / language).mkdir()
    (tmp_path / "da" / "kun-dansk.md").write_text(
        "---\nkey: only-danish\nslug: kun-dansk\ntitle: Kun dansk\nsources:\n  - X\n---\nTekst\n"
    )
    (tmp_path / "en" / "english-only.md").write_text(
        "---\nkey: only-english\nslug: x\ntitle: X\nno_twin: a local event\nsources:\n  - X\n---\n"
    )
    monkeypatch.setattr(pages, "CONTENT", tmp_path)
    pages.all_pages.cache_clear()
    try:
        lonely = [p for p in all_pages() if twin(p) is None and not p.no_twin]
        assert [p.key for p in lonely] == ["only-danish"]
    finally:
        pages.all_pages.cache_clear()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("no front matter\n", "no front matter"),
        ("---\nkey: x\ntitle: X\n", "no closing"),
        ("---\nkey: x\ntitle: X\n---\nbody\n", "lacks sources"),
        ("---\nkey: x\ntitle: X\nsources: one line\n---\nbody\n", "must be a list"),
    ],
)
def test_a_broken_content_file_is_named_with_what_is_wrong(tmp_path, text, why):
    file = tmp_path / "side.md"
    file.write_text(text)
    with pytest.raises(ContentError, match=why):
        load_page(file, "da")


def test_raw_html_in_a_content_file_is_shown_as_text(tmp_path):
    file = tmp_path / "side.md"
    file.write_text(
        "---\nkey: x\ntitle: X\nsources:\n  - Kilde\n---\n"
        "<script>alert(1)</script>\n\n"
        '<a href="javascript:alert(1)">x</a> [y](javascript:alert(2))\n'
    )
    body = str(load_page(file, "da").body)
    assert "<script" not in body and 'href="javascript' not in body  # no javascript: link
    assert "&lt;script&gt;" in body


@pytest.mark.parametrize("info", all_pages(), ids=lambda p: p.path)
def test_each_page_is_public_in_its_language_with_sources_and_the_exit_button(client, info):
    r = client.get(info.path)
    assert r.status_code == 200
    assert f'<html lang="{info.language}"' in r.text
    assert f"<h1>{info.title}</h1>" in r.text.replace("&#34;", '"')
    assert 'class="exit-button"' in r.text and 'class="skip-link skip-exit"' in r.text
    sources = "Kilder" if info.language == "da" else "Sources"
    assert f"<h2>{sources}</h2>" in r.text and info.sources
    assert all(source in r.text for source in info.sources)
    other = twin(info)
    assert other is not None and f'href="{other.path}"' in r.text
    assert r.headers["cache-control"] == "no-cache"
    # Neutral title: nothing in the tab switcher says what the page is about.
    title = re.search(r"<title>(.*?)</title>", r.text, re.S)
    assert title and title.group(1) in ("Noter – Information", "Notes – Information")
    # Every link inside the site points at a page that exists.
    for href in re.findall(r'href="(/[^"]*)"', r.text):
        if href.startswith(("/info", "/en/info")):
            assert client.get(href).status_code == 200, href


def test_the_police_page_states_the_facts_of_the_brief(client):
    da = client.get("/info/politiet").text
    for fact in ("§ 242", "114", "112", "5 år", "60 dage", "4 uger", "bistandsadvokat"):
        assert fact in da
    en = client.get("/en/info/police").text
    for fact in ("§ 242", "114", "112", "5 years", "60 days", "4 weeks", "bistandsadvokat"):
        assert fact in en


def test_young_people_link_the_teachers_lesson_and_the_lesson_has_its_parts(client):
    assert 'href="/info/undervisning"' in client.get("/info/til-unge").text
    assert 'href="/en/info/teachers"' in client.get("/en/info/young-people").text
    lesson = client.get("/info/undervisning").text
    for part in ("Mål", "45 minutter", "Cases til drøftelse", "Hvor kan man få hjælp", "<table>"):
        assert part in lesson


def test_a_signed_in_victim_sees_nothing_of_hers_on_them(client):
    """What the service worker stores is the same for everyone: no name, no token, no form."""
    victim = make_victim(client, "Maja Hemmelig")
    signed_in(client, victim)
    token = csrf_token(client)
    for info in all_pages():
        page = client.get(info.path).text
        assert "Maja" not in page and token not in page and "<form" not in page
    signed = client.get("/info").text
    client.cookies.clear()
    assert client.get("/info").text == signed


def test_the_worker_keeps_every_info_page():
    urls = precache_urls(Settings())
    assert all(info.path in urls for info in all_pages())


def test_the_front_page_links_the_information_in_its_language(client):
    assert 'href="/info"' in client.get("/").text
    client.post("/language", data={"csrftoken": csrf_token(client), "lang": "en", "next": "/"})
    assert 'href="/en/info"' in client.get("/").text
