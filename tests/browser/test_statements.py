"""The accessibility statement and the privacy notice in real Chromium (issue 15 point 1): axe
finds nothing in either language, and the installed worker keeps them for offline reading."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_phone import controlled, victim_page


def test_statements_pass_axe_in_both_languages_light_and_dark(live_server, axe):
    for path, lang in (("/tilgaengelighed", "da"), ("/en/accessibility", "en")):
        for scheme in ("light", "dark"):
            axe(f"{live_server.url}{path}", color_scheme=scheme, expect_lang=lang)
    for path, lang in (("/privatliv", "da"), ("/en/privacy", "en")):
        axe(f"{live_server.url}{path}", viewport={"width": 320, "height": 640}, expect_lang=lang)


def test_statements_are_readable_offline_and_linked_from_the_footer(new_page, live_server, engine):
    base = live_server.url
    page, _plan_id = victim_page(new_page, base, engine)
    page.get_by_role("contentinfo").get_by_role("link", name="Privatliv").click()
    expect(page.get_by_role("heading", name="Sådan passer vi på dine oplysninger")).to_be_visible()
    controlled(page)
    page.context.set_offline(True)
    page.goto(f"{base}/tilgaengelighed")
    expect(page.get_by_role("heading", name="Tilgængelighedserklæring")).to_be_visible()
    page.get_by_role("link", name="Accessibility statement in English").click()
    expect(page.get_by_role("heading", name="Accessibility statement")).to_be_visible()
    page.goto(f"{base}/plan")  # anything else offline: the worker's offline page
    expect(page.get_by_role("heading", name="Du er offline")).to_be_visible()
    page.context.set_offline(False)
