"""The accessibility statement and the privacy notice (issue 15 point 1): public, in Danish and
English, linked from every page's footer, holding nothing personal (the worker may keep them)."""

from __future__ import annotations

import re

import pytest

from app.statements import PAGES
from tests.conftest import csrf_token
from tests.factories import make_victim, signed_in

EXPECTED = {
    "/tilgaengelighed": ("da", "Tilgængelighedserklæring", ["WCAG 2.1", "Digitaliserings"]),
    "/en/accessibility": ("en", "Accessibility statement", ["WCAG 2.1", "Digital Government"]),
    "/privatliv": ("da", "Sådan passer vi på dine oplysninger", ["artikel 26", "Datatilsynet"]),
    "/en/privacy": ("en", "How we look after your information", ["Article 26", "Datatilsynet"]),
}


@pytest.mark.parametrize("path", EXPECTED)
def test_each_statement_is_public_in_its_own_language(client, path):
    language, heading, words = EXPECTED[path]
    r = client.get(path)
    assert r.status_code == 200
    assert f'<html lang="{language}"' in r.text and f"<h1>{heading}</h1>" in r.text
    assert all(word in r.text for word in words)
    assert 'class="exit-button"' in r.text  # the exit button is on every page


def test_every_danish_statement_has_an_english_twin_and_back(client):
    pairs = {path: twin for path, _template, _language, twin in PAGES}
    assert set(pairs) == set(EXPECTED)
    for path, twin in pairs.items():
        assert pairs[twin] == path
        assert f'href="{twin}"' in client.get(path).text


def test_a_signed_in_victim_sees_nothing_of_hers_on_them(client):
    """What the service worker may store is the same for everyone: no name, no token, no form."""
    victim = make_victim(client, "Maja Hemmelig")
    signed_in(client, victim)
    setting = {"csrftoken": csrf_token(client), "exit_signs_out": "on"}
    client.post("/quick-exit/setting", data=setting)
    token = csrf_token(client)
    for path in EXPECTED:
        page = client.get(path).text
        assert "Maja" not in page and token not in page and "<form" not in page
        assert "data-exit-signout" not in page
    signed = client.get("/tilgaengelighed").text
    client.cookies.clear()
    assert client.get("/tilgaengelighed").text == signed


@pytest.mark.parametrize(
    ("language", "links"),
    [("da", ["/tilgaengelighed", "/privatliv"]), ("en", ["/en/accessibility", "/en/privacy"])],
)
def test_every_page_links_them_in_its_language(client, language, links):
    client.post("/language", data={"csrftoken": csrf_token(client), "lang": language, "next": "/"})
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    for path in ("/", "/login", "/plan", "/contacts", "/account", "/quick-exit", "/nowhere"):
        page = client.get(path).text
        footer = re.search(r'<footer class="site-footer">(.*?)</footer>', page, re.S)
        assert footer, path
        assert all(f'href="{link}"' in footer.group(1) for link in links), path
