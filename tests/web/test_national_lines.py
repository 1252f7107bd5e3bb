"""The national lines (issue 15 point 3): one list of numbers, checked against each
organisation's own page (README), shown on the contacts page beside the organisations' own lines
and the same on the open help page. A number not confirmed is never shown as a number."""

import html
import re

import pytest

from app.contacts import national
from app.info import pages
from tests.factories import make_victim, signed_in
from tests.web.test_contacts import plan_of

README = (pages.resources.CONTENT.parent / "README.md").read_text(encoding="utf-8")


def section(page: str) -> str:
    match = re.search(r'<section[^>]*id="national-lines".*?</section>', page, re.S)
    assert match, "no national lines on the page"
    return html.unescape(match.group(0))


def test_each_line_is_a_confirmed_number_or_a_pointer_to_the_organisations_site():
    names = [line.name for line in national.LINES]
    assert names == ["Lev Uden Vold", "Offerrådgivningen", "Dansk Stalking Center"]
    for line in national.LINES:
        assert line.source in README, f"README does not name the source of {line.name}"
        assert line.site.startswith("https://")
    numbers = {line.name: line.phone for line in national.LINES}
    assert numbers["Lev Uden Vold"] == "1888"
    assert numbers["Offerrådgivningen"] == "116006"
    # Not confirmed on the centre's own stored page: no number, a pointer to its site.
    assert numbers["Dansk Stalking Center"] == ""


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_contacts_page_shows_the_national_lines_even_without_a_caseworker(client, language):
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    plan_id = plan_of(client, victim).id
    page = client.get(f"/plans/{plan_id}/contacts", headers={"Accept-Language": language}).text
    lines = section(page)
    assert 'href="tel:1888"' in lines and 'href="tel:116006"' in lines
    assert "116 006" in lines
    assert "Dansk Stalking Center" in lines
    assert 'href="https://www.danskstalkingcenter.dk/"' in lines
    assert "1888" in page.split('id="national-lines"')[1]
    assert "tel:" not in lines.split("Dansk Stalking Center", 1)[1]


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_help_page_has_the_same_numbers(language):
    page = next(p for p in pages.listed(language) if p.key == "help-in-esbjerg")
    for line in national.LINES:
        assert line.name in page.body
        if line.phone:
            assert line.shown in page.body
        else:
            assert line.site in page.body


def test_section_242_is_phrased_one_way_everywhere():
    from app.plans import template

    texts = [i.da for s in template.DEFAULT_TEMPLATE for i in s.items]
    texts += [p.file.read_text(encoding="utf-8") for p in pages.listed("da")]
    mentions = [t for t in texts if "§ 242" in t and "Kilder" not in t]
    wanted = "Stalking er strafbart efter straffelovens § 242 (fra 1. januar 2022)"
    prose = [t for t in mentions if re.search(r"^[^-\s].*§ 242", t, re.M)]
    assert prose, "no sentence about § 242"
    for text in prose:
        assert wanted in " ".join(text.split()), text[:200]
