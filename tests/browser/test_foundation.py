"""The foundation in real Chromium: language, CSP, htmx from the "CDN", quick exit, axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Request, expect

from app.auth.models import Role
from app.settings import HTMX_VERSION
from tests.browser.people import edit_plan, person, sign_in

PAGES = ["/", "/quick-exit", "/ingen-side-her"]  # the last one is a 404
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _exit_button(page: Page):
    return page.locator("a.exit-button[data-exit]")


# --- language ---------------------------------------------------------------------------------


def test_home_is_danish_and_the_footer_switches_to_english_for_good(page, live_server):
    response = page.goto(live_server.url + "/")
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page).to_have_title("Noter")
    expect(page.locator("h1")).to_have_text("Din sikkerhedsplan")
    expect(page.get_by_role("button", name="Dansk")).to_have_attribute("aria-current", "true")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Your safety plan")
    expect(page).to_have_title("Notes")
    assert page.url == live_server.url + "/"  # the form's "next": back to the same page
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")

    # The choice outlives the page (cookie), despite the Danish Accept-Language.
    page.goto(live_server.url + "/quick-exit")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("works")

    page.get_by_role("button", name="Dansk").click()
    expect(page.locator("html")).to_have_attribute("lang", "da")
    assert page.url == live_server.url + "/quick-exit"
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("Din sikkerhedsplan")


def test_english_browser_gets_english_without_choosing(new_page, live_server):
    page = new_page(locale="en-GB")
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Your safety plan")


# --- Content Security Policy ------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_normal_pages_load_htmx_from_the_cdn_without_any_csp_violation(
    page, browser_log, live_server, cdn, path
):
    htmx_requests: list[Request] = []
    page.on("requestfinished", lambda r: htmx_requests.append(r) if r.url == cdn.htmx_url else None)

    response = page.goto(live_server.url + path)
    assert response is not None
    assert response.status == (404 if path == PAGES[-1] else 200)
    assert "script-src 'self' " + cdn.url in response.headers["content-security-policy"]

    # htmx came from the cross-origin "CDN", passed the SRI check and ran.
    assert [r.url for r in htmx_requests] == [cdn.htmx_url]
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("window.htmx.version") == HTMX_VERSION

    assert browser_log.csp_violations() == [], str(browser_log)
    # The only acceptable console error: Chromium's note that the 404 document itself was a 404.
    unexpected = [
        e
        for e in browser_log.errors()
        if not (response.status == 404 and e.url == page.url and "404" in e.text)
    ]
    assert unexpected == [], str(browser_log)
    assert [e for e in browser_log.entries if e.kind == "requestfailed"] == [], str(browser_log)


def test_injected_inline_script_is_blocked_by_csp(page, browser_log, live_server):
    page.goto(live_server.url + "/")
    assert browser_log.csp_violations() == [], str(browser_log)

    page.evaluate(
        """() => {
            const s = document.createElement('script');
            s.textContent = 'window.__pwned = 1';
            document.body.appendChild(s);
        }"""
    )
    # An inline event handler is the other classic injection.
    page.evaluate(
        """() => {
            const d = document.createElement('div');
            d.innerHTML = '<img src="data:," onload="window.__pwned2 = 1" alt="">';
            document.body.appendChild(d);
        }"""
    )
    page.wait_for_timeout(100)  # give a (wrongly) allowed handler the chance to run
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("typeof window.__pwned2") == "undefined"

    violations = browser_log.csp_violations()
    assert any("inline script" in e.text and "script-src" in e.text for e in violations), str(
        browser_log
    )
    assert any("inline event handler" in e.text for e in violations), str(browser_log)


def test_injected_inline_styles_are_blocked_by_csp(page, browser_log, live_server):
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => {
            const st = document.createElement('style');
            st.textContent = 'h1 { color: rgb(1, 2, 3) !important; }';
            document.head.appendChild(st);
            const d = document.createElement('div');
            d.innerHTML = '<p id="styled" style="color: rgb(4, 5, 6)">x</p>';
            document.body.appendChild(d);
        }"""
    )
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") != "rgb(1, 2, 3)"
    assert page.evaluate("getComputedStyle(document.getElementById('styled')).color") != (
        "rgb(4, 5, 6)"
    )
    style_violations = [e for e in browser_log.csp_violations() if "style-src" in e.text]
    assert len(style_violations) >= 2, str(browser_log)


def test_injected_script_from_another_origin_is_blocked(page, browser_log, live_server, cdn):
    """Only this app and the htmx origin may serve scripts; a third origin may not."""
    page.goto(live_server.url + "/")
    other = cdn.url.replace("127.0.0.1", "localhost") + "/htmx.min.js"
    page.evaluate(
        """src => new Promise(resolve => {
            const s = document.createElement('script');
            s.src = src;
            s.onload = () => resolve('loaded');
            s.onerror = () => resolve('blocked');
            document.head.appendChild(s);
        })""",
        other,
    )
    assert any(other in e.text for e in browser_log.csp_violations()), str(browser_log)


# --- htmx -------------------------------------------------------------------------------------


def test_htmx_swaps_the_exit_explanation_in_place(page, browser_log, live_server):
    page.goto(live_server.url + "/")
    assert page.evaluate("typeof window.htmx") == "object"
    history_before = page.evaluate("history.length")
    help_box = page.locator("#exit-help")
    expect(help_box).to_be_empty()

    with page.expect_request(lambda r: r.url.endswith("/quick-exit")) as req_info:
        page.get_by_role("link", name="Sådan virker knappen").click()
    request = req_info.value
    assert request.headers.get("hx-request") == "true", request.headers

    expect(help_box).to_contain_text("Shift")
    expect(help_box.locator("[data-exit-explanation]")).to_have_count(1)
    # Only the fragment was swapped in: no second page inside the page.
    expect(help_box.locator("h1, .exit-button, footer")).to_have_count(0)
    expect(_exit_button(page)).to_have_count(1)
    # No navigation, no new history entry (docs/design.md §5: Tryg keeps one history entry).
    assert page.url == live_server.url + "/"
    assert page.evaluate("history.length") == history_before
    expect(page.locator("h1")).to_have_text("Din sikkerhedsplan")
    assert browser_log.errors() == [], str(browser_log)


# --- accessibility ----------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("locale,lang", [("da-DK", "da"), ("en-GB", "en")], ids=["da", "en"])
@pytest.mark.parametrize("path", PAGES, ids=["home", "quick-exit", "404"])
def test_axe_finds_no_violations(axe, live_server, path, locale, lang, viewport):
    results = axe(live_server.url + path, viewport=viewport, locale=locale, expect_lang=lang)
    assert results["passes"], "axe ran no checks at all"


@pytest.mark.parametrize("path", PAGES, ids=["home", "quick-exit", "404"])
def test_axe_finds_no_violations_in_dark_mode(axe, live_server, path):
    axe(live_server.url + path, color_scheme="dark", expect_lang="da")


def test_axe_finds_no_violations_after_the_htmx_swap(axe, live_server):
    def open_explanation(page: Page) -> None:
        page.get_by_role("link", name="Sådan virker knappen").click()
        expect(page.locator("#exit-help")).to_contain_text("Shift")

    axe(live_server.url + "/", setup=open_explanation)


def test_axe_helper_reports_violations(axe, live_server):
    """The helper must be able to fail: an image without alt text is a violation."""

    def break_it(page: Page) -> None:
        page.evaluate(
            "() => { const i = document.createElement('img'); i.src = 'data:,';"
            " document.querySelector('main').appendChild(i); }"
        )

    with pytest.raises(AssertionError, match=re.compile(r"image-alt")):
        axe(live_server.url + "/", setup=break_it)


# --- htmx and the CSP -------------------------------------------------------------------------

LISTEN_FOR_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sample);
});
"""


def test_htmx_swaps_on_the_plan_violate_no_csp_directive(
    new_page, live_server, engine, browser_log
):
    """A swap logs no CSP violation, in the console or as an event. htmx 4 adds its indicator
    CSS unless ``includeIndicatorCSS`` is off (the htmx-config meta tag in base.html): it is
    off, so htmx adds no style of any kind (no <style>, no constructed style sheet)."""
    page = new_page(viewport=PHONE)
    page.add_init_script(LISTEN_FOR_CSP)
    victim, plan_id = person(engine, Role.victim, "Maja")
    sign_in(page, live_server.url, victim)
    page.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
    page.wait_for_function("typeof window.htmx === 'object'")
    section = edit_plan(page)
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        section.locator(".item").first.get_by_role("button", name="Gjort").click()
    section = page.locator(".plan-section").first
    expect(section.locator(".item").first.get_by_role("button", name="Gjort")).to_have_attribute(
        "aria-pressed", "true"
    )
    section.get_by_label("Nyt punkt").fill("Et punkt")
    section.get_by_role("button", name="Tilføj", exact=True).click()
    expect(page.locator(".plan-section").first.locator(".item-text").last).to_have_text("Et punkt")
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    assert page.evaluate("document.adoptedStyleSheets.length") == 0
    assert page.evaluate("window.__csp") == []
    assert browser_log.csp_violations() == [], str(browser_log)
