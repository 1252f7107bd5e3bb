"""Quick exit in real Chromium (docs/design.md §5): button, skip link and Shift×3 leave for the
exit URL;
the screen is covered and the title blank before the navigation starts; Tryg keeps one history
entry, so Back after an exit never shows Tryg; the "sign me out" choice ends the session."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect
from sqlmodel import select

from app import db
from app.auth.models import AuthSession, Role
from tests.browser.people import edit_plan, person, sign_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ONCE = "Du har trykket én gang på Shift. Tryk to gange mere for at forlade siden."
TWICE = "Du har trykket to gange på Shift. Tryk én gang mere for at forlade siden."
TIMED_OUT = "Tiden er gået. Tryk på Shift tre gange i træk for at forlade siden."

# Recorded by the old page at the moment its navigation starts (the Navigation API's `navigate`
# event fires synchronously inside location.replace): what the victim's screen shows right then.
ORDER_PROBE = """
(() => {
  if (!window.navigation) return;
  window.__navigations = [];
  navigation.addEventListener('navigate', (event) => {
    const o = document.querySelector('[data-exit-overlay]');
    const points = [[2, 2], [innerWidth / 2, innerHeight / 2], [innerWidth - 2, innerHeight - 2]];
    const r = o ? o.getBoundingClientRect() : null;
    const state = {
      url: event.destination.url,
      type: event.navigationType,
      title: document.title,
      overlay: !!o && !o.hidden && getComputedStyle(o).display !== 'none',
      covers: !!r && r.width >= innerWidth && r.height >= innerHeight,
      on_top: !!o && points.every(([x, y]) => document.elementFromPoint(x, y) === o),
    };
    window.__navigations.push(state);
    console.log('exit-probe ' + JSON.stringify(state));
    // Two tasks later (after anything the page queued while starting the navigation): what is
    // left in the document while the navigation waits for the exit server.
    setTimeout(() => setTimeout(() => console.log('exit-later ' + JSON.stringify({
      title: document.title,
      text: document.body ? document.body.innerText.trim() : '',
      landmarks: document.querySelectorAll('main, nav, form, h1').length,
    })), 0), 0);
  });
})();
"""


def cdn_htmx_files(cdn):  # type: ignore[no-untyped-def]
    """htmx and its extensions on the "CDN" (not the exit page, which lives there too)."""
    return re.compile(re.escape(cdn.url) + r"/(htmx\.min\.js|ext/.+)$")


def exit_button(page: Page):
    return page.locator("a.exit-button[data-exit]")


class HeldExit:
    """Holds requests to the exit URL, as a slow exit server would: the old page stays."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.routes: list[Route] = []
        page.route(url, lambda route: self.routes.append(route))

    def release(self) -> None:
        # The route handler may run just after the request event: let Playwright deliver it.
        for _ in range(250):
            if self.routes:
                break
            self.page.wait_for_timeout(20)
        assert self.routes, "the exit request never reached the route"
        for route in self.routes:
            route.continue_()


def open_sessions(engine, user_id: int) -> int:
    with db.read_session(engine) as session:
        rows = session.exec(
            select(AuthSession).where(
                AuthSession.user_id == user_id,
                AuthSession.ended_at == None,  # noqa: E711
            )
        ).all()
    return len(rows)


def probe(log, prefix: str) -> list[dict[str, Any]]:
    """The reports ORDER_PROBE logged with ``prefix``."""
    return [json.loads(e.text[len(prefix) :]) for e in log.entries if e.text.startswith(prefix)]


def exits_requested(page: Page, exit_url: str) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if r.url == exit_url else None)
    return seen


# --- the three ways out -----------------------------------------------------------------------


def test_exit_button_leaves_with_one_history_entry(page, live_server, cdn):
    page.goto(cdn.before_url)
    response = page.goto(live_server.url + "/ingen-side-her")
    assert response is not None and response.status == 404  # the error page has it too

    button = exit_button(page)
    expect(button).to_be_visible()
    expect(button).to_contain_text("Forlad siden")
    expect(button).to_have_accessible_name("Nødudgang: Forlad siden")
    assert button.get_attribute("href") == cdn.exit_url

    button.click()
    page.wait_for_url(cdn.exit_url)
    expect(page).to_have_title("Vejret")
    page.go_back()
    assert page.url == cdn.before_url, f"Back led to {page.url}, not to the page before Tryg"


def test_first_tab_reaches_the_exit_skip_link(page, live_server, cdn):
    page.goto(live_server.url + "/login")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Forlad siden hurtigt")
    expect(focused).to_have_attribute("href", cdn.exit_url)
    expect(focused).to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Spring til indhold")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(cdn.exit_url)


def test_three_shift_presses_leave_the_page(desktop_page, live_server, cdn):
    page = desktop_page  # keyboards come with desktops
    page.goto(cdn.before_url)
    page.goto(live_server.url + "/")
    status = page.locator("[data-exit-status]")
    page.keyboard.press("Shift")
    expect(status).to_have_text(ONCE)
    page.keyboard.press("Shift")
    expect(status).to_have_text(TWICE)
    page.keyboard.press("Shift")
    page.wait_for_url(cdn.exit_url)
    expect(page).to_have_title("Vejret")
    page.go_back()
    assert page.url == cdn.before_url, f"Back led to {page.url}, not to the page before Tryg"


def test_another_key_between_shift_presses_resets_the_count(page, live_server, cdn):
    exits = exits_requested(page, cdn.exit_url)
    page.goto(live_server.url + "/")
    status = page.locator("[data-exit-status]")

    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    expect(status).to_have_text(TWICE)
    page.keyboard.press("a")
    expect(status).to_have_text("")
    page.keyboard.press("Shift")
    # The count restarted: this is the first press again, and nobody left.
    expect(status).to_have_text(ONCE)
    assert exits == []
    assert page.url == live_server.url + "/"
    expect(page.locator("h1")).to_have_text("Din sikkerhedsplan")

    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_url(cdn.exit_url)


def test_a_slow_press_within_five_seconds_still_counts(page, live_server, cdn):
    page.clock.install()
    page.goto(live_server.url + "/")
    status = page.locator("[data-exit-status]")
    page.keyboard.press("Shift")
    page.clock.fast_forward(4_000)
    page.keyboard.press("Shift")
    expect(status).to_have_text(TWICE)
    page.clock.fast_forward(4_000)
    page.keyboard.press("Shift")
    page.wait_for_url(cdn.exit_url)


def test_a_six_second_gap_starts_again_and_says_so(page, live_server, cdn):
    exits = exits_requested(page, cdn.exit_url)
    page.clock.install()
    page.goto(live_server.url + "/")
    status = page.locator("[data-exit-status]")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    expect(status).to_have_text(TWICE)
    page.clock.fast_forward(6_000)
    expect(status).to_have_text(TIMED_OUT)  # announced in the live region
    page.keyboard.press("Shift")
    expect(status).to_have_text(ONCE)
    assert exits == [] and page.url == live_server.url + "/"


# --- what is on screen while leaving ----------------------------------------------------------


@pytest.mark.parametrize("htmx", ["htmx", "cdn-unreachable"])
@pytest.mark.parametrize("how", ["button", "shift"])
def test_the_screen_is_covered_before_the_navigation_starts(
    new_page, live_server, cdn, browser_log, htmx, how
):
    page = new_page(viewport=DESKTOP)
    if htmx == "cdn-unreachable":
        page.route(cdn_htmx_files(cdn), lambda route: route.abort())
    page.add_init_script(ORDER_PROBE)
    page.goto(live_server.url + "/quick-exit")
    assert page.evaluate("typeof window.htmx") == ("object" if htmx == "htmx" else "undefined")
    expect(page.locator("[data-exit-overlay]")).to_be_hidden()
    expect(page).to_have_title("Noter – Hjælp")

    held = HeldExit(page, cdn.exit_url)  # a slow exit server: the navigation stays pending
    reported = page.expect_event("console", lambda m: m.text.startswith("exit-later "))
    with reported, page.expect_request(cdn.exit_url):
        if how == "button":  # the low-level mouse: .click() would wait for the navigation
            box = exit_button(page).bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        else:
            for _ in range(3):
                page.keyboard.press("Shift")

    # The navigation has started and waits for the exit server; the old page reported what was
    # on screen at the moment it started, and what was left a moment later.
    started = probe(browser_log, "exit-probe ")
    assert [n["url"] for n in started] == [cdn.exit_url]
    assert started[0]["type"] == "replace"
    # At the moment the navigation started, the overlay was already shown, covered the whole
    # viewport and was what the screen showed at its corners and centre; the title was blank.
    assert started[0] == started[0] | {"title": "", "overlay": True, "covers": True, "on_top": True}
    # While the exit server is slow, the page holds nothing of Tryg (an installed app whose exit
    # opens in another view keeps this document: it must be empty, not just covered).
    assert probe(browser_log, "exit-later ") == [{"title": "", "text": "", "landmarks": 0}]

    held.release()
    page.wait_for_url(cdn.exit_url)
    expect(page).to_have_title("Vejret")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_exit_button_stays_on_screen_when_scrolling(new_page, live_server, viewport):
    page = new_page(viewport=viewport)
    page.goto(live_server.url + "/")
    # CSSOM styles are not inline markup: the CSP allows them, which keeps this test simple.
    page.evaluate("() => { document.querySelector('main').style.minHeight = '5000px'; }")
    page.mouse.wheel(0, 3000)
    page.wait_for_function("() => window.scrollY > 2000")
    button = exit_button(page)
    expect(button).to_be_in_viewport()
    box = button.bounding_box()
    assert box is not None and 0 <= box["y"] < 20, box
    if viewport == PHONE:  # full width on phones (docs/design.md §5)
        assert box["width"] >= viewport["width"] - 40, box


def test_the_exit_bar_is_not_printed(page, live_server):
    page.goto(live_server.url + "/")
    page.emulate_media(media="print")
    expect(exit_button(page)).to_be_hidden()
    expect(page.locator(".exit-bar")).to_be_hidden()


# --- one history entry ------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", ["htmx", "cdn-unreachable"])
def test_back_after_an_exit_never_shows_tryg(new_page, live_server, engine, cdn, browser_log, htmx):
    page = new_page()
    if htmx == "cdn-unreachable":
        page.route(cdn_htmx_files(cdn), lambda route: route.abort())
    victim, plan_id = person(engine, Role.victim, "Maja")
    base = live_server.url
    page.goto(cdn.before_url)
    page.goto(f"{base}/login")
    entries = page.evaluate("history.length")

    # A mistyped password: the form comes back with its error, in place.
    page.get_by_text("Log ind med adgangskode i stedet").click()
    page.get_by_label("Brugernavn").fill(victim.username)  # type: ignore[arg-type]
    page.get_by_label("Adgangskode").fill("forkert forkert forkert")
    page.get_by_role("button", name="Log ind", exact=True).click()
    expect(page.locator("#main")).to_contain_text("Brugernavnet eller adgangskoden er forkert")
    sign_in(page, base, victim)
    expect(page.locator("h1")).to_have_text("Min sikkerhedsplan")

    # Five Tryg pages through links and forms (the language switch is a form with a redirect).
    visited = []
    for link, heading in [
        ("Mine kontakter", "Mine kontakter"),
        ("Min konto", "Min konto"),
        ("Om at forlade siden hurtigt", "Sådan virker »Forlad siden«"),
    ]:
        page.get_by_role("link", name=link).click()
        expect(page.locator("h1")).to_have_text(heading)
        visited.append(page.url)
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("How “Leave this page” works")
    page.get_by_role("link", name="My plan").click()
    expect(page.locator("h1")).to_have_text("My safety plan")
    visited.append(page.url)
    assert visited[-1].endswith(f"/plans/{plan_id}")
    assert page.evaluate("history.length") == entries, "in-app navigation added history entries"
    # Pages written in place (the form with an error) and replaced ones run their scripts cleanly.
    page_errors = [e for e in browser_log.entries if e.kind == "pageerror"]
    assert page_errors == [] and browser_log.csp_violations() == [], str(browser_log)

    exit_button(page).click()
    page.wait_for_url(cdn.exit_url)
    page.go_back()
    assert page.url == cdn.before_url, f"Back led to {page.url}, not to the page before Tryg"
    expect(page).to_have_title("Nyheder")
    expect(page.locator("body")).not_to_contain_text("plan")


def test_a_page_restored_from_the_back_forward_cache_covers_itself_and_reloads(
    page, live_server, browser_log
):
    page.add_init_script(ORDER_PROBE)
    page.goto(live_server.url + "/")
    page.evaluate("window.__old = 1")
    # What the browser fires when it shows a page again from the back/forward cache.
    with page.expect_navigation():
        page.evaluate("dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    assert page.evaluate("typeof window.__old") == "undefined"  # reloaded: a fresh document
    expect(page.locator("h1")).to_have_text("Din sikkerhedsplan")
    probes = [
        json.loads(e.text.split(" ", 1)[1])
        for e in browser_log.entries
        if e.text.startswith("exit-probe ")
    ]
    assert [p["type"] for p in probes] == ["reload"]
    assert probes[0] | {"title": "", "overlay": True, "on_top": True} == probes[0]


# --- the "sign me out when I leave" choice ----------------------------------------------------


def test_with_the_choice_on_the_next_visit_needs_a_sign_in(page, live_server, engine, cdn):
    victim, plan_id = person(engine, Role.victim, "Maja")
    base = live_server.url
    sign_in(page, base, victim)
    page.get_by_role("link", name="Om at forlade siden hurtigt").click()
    page.get_by_label("Log mig ud, når jeg trykker på »Forlad siden«").check()
    # The box is ticked before the server answers: wait for the saved page, not the tick, or a
    # slow answer replaces the page after the next click (seen under `stress --cpu 2`).
    with page.expect_response(lambda r: r.url.endswith("/quick-exit/setting")):
        page.get_by_role("button", name="Gem").click()
    page.wait_for_load_state()
    expect(page.get_by_label("Log mig ud, når jeg trykker på »Forlad siden«")).to_be_checked()
    page.get_by_role("link", name="Fortsæt").click()
    expect(page.locator("h1")).to_have_text("Min sikkerhedsplan")

    assert open_sessions(engine, victim.id) == 1
    with page.expect_request(lambda r: r.url == f"{base}/quick-exit/sign-out"):
        exit_button(page).click()
    page.wait_for_url(cdn.exit_url)
    # The beacon outlives the page; wait (up to 5 s) for the server to have ended the session.
    deadline = time.monotonic() + 5
    while open_sessions(engine, victim.id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_sessions(engine, victim.id) == 0
    page.goto(f"{base}/plans/{plan_id}")
    page.wait_for_url(f"{base}/login")


def test_without_the_choice_no_beacon_is_sent(page, live_server, engine, cdn):
    victim, _ = person(engine, Role.victim, "Maja")
    sign_in(page, live_server.url, victim)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/sign-out" in r.url else None)
    exit_button(page).click()
    page.wait_for_url(cdn.exit_url)
    page.goto(live_server.url + "/plan")
    expect(page.locator("h1")).to_have_text("Min sikkerhedsplan")  # still signed in
    assert sent == []


# --- without JavaScript, and accessibility ----------------------------------------------------


def test_without_javascript_exit_is_a_plain_link_and_pages_work(new_page, live_server, cdn):
    page = new_page(java_script_enabled=False)
    page.goto(cdn.before_url)
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("Din sikkerhedsplan")

    button = exit_button(page)
    expect(button).to_be_visible()
    assert button.get_attribute("href") == cdn.exit_url
    assert "noreferrer" in (button.get_attribute("rel") or "").split()
    skip = page.locator("a.skip-exit[data-exit]")
    assert skip.get_attribute("href") == cdn.exit_url
    assert "noreferrer" in (skip.get_attribute("rel") or "").split()

    page.get_by_role("link", name="Sådan virker knappen").click()
    page.wait_for_url(live_server.url + "/quick-exit")
    expect(page.locator("[data-exit-explanation]")).to_contain_text("Shift")

    exit_button(page).click()
    page.wait_for_url(cdn.exit_url)
    expect(page).to_have_title("Vejret")


@pytest.mark.parametrize("path", ["/quick-exit", "/account"])
def test_axe_on_the_signed_in_exit_pages(axe, live_server, engine, path):
    victim, _ = person(engine, Role.victim, "Maja")

    def signed_in(page: Page) -> None:
        sign_in(page, live_server.url, victim)
        page.goto(live_server.url + path)

    results = axe(live_server.url + "/login", setup=signed_in)
    assert results["passes"]


def test_the_order_probe_can_fail(new_page, live_server, cdn, browser_log):
    """The probe must see an uncovered page: a plain location.replace, without exit.js."""
    page = new_page()
    page.add_init_script(ORDER_PROBE)
    page.goto(live_server.url + "/")
    held = HeldExit(page, cdn.exit_url)
    with page.expect_event("console", lambda m: m.text.startswith("exit-later ")):
        page.evaluate("url => { location.replace(url); }", cdn.exit_url)
    started = probe(browser_log, "exit-probe ")[0]
    assert started["overlay"] is False and started["on_top"] is False
    assert started["title"] == "Noter"
    assert probe(browser_log, "exit-later ")[0]["landmarks"] > 0
    held.release()


def test_an_htmx_url_push_becomes_a_replace(page, live_server):
    """Should a page ever push a URL with htmx (hx-push-url, boosts), history.js replaces it."""
    page.goto(live_server.url + "/")
    entries = page.evaluate("history.length")
    page.evaluate(
        """() => {
            const a = document.createElement('a');
            a.textContent = 'Mere';
            a.setAttribute('href', '/quick-exit');
            a.setAttribute('hx-get', '/quick-exit');
            a.setAttribute('hx-target', '#exit-help');
            a.setAttribute('hx-push-url', 'true');
            document.querySelector('main').appendChild(a);
            htmx.process(a);
        }"""
    )
    page.get_by_role("link", name="Mere").click()
    page.wait_for_url(live_server.url + "/quick-exit")
    expect(page.locator("#exit-help")).to_contain_text("Shift")
    assert page.evaluate("history.length") == entries


def test_a_session_that_ended_mid_htmx_request_leads_to_sign_in_without_a_new_entry(
    page, live_server, engine
):
    victim, plan_id = person(engine, Role.victim, "Maja")
    # The live stream's first presence refresh comes right after the page loads; let it land
    # before the session ends (afterwards it, too, would lead to sign-in).
    with page.expect_response(lambda r: r.url.endswith("/presence")):
        sign_in(page, live_server.url, victim)
    page.wait_for_url(f"{live_server.url}/plans/{plan_id}")
    section = edit_plan(page)
    entries = page.evaluate("history.length")
    page.context.clear_cookies(name="tryg_session")  # the session timed out meanwhile
    section.get_by_label("Nyt punkt").fill("Noget")
    section.get_by_role("button", name="Tilføj", exact=True).click()
    page.wait_for_url(f"{live_server.url}/login")
    assert page.evaluate("history.length") == entries


def test_shift_with_another_key_is_typing_not_leaving_and_says_nothing(page, live_server, cdn):
    """Issue 15: a capital letter or Shift+Tab wrote "Shift trykket én gang…" into the live
    region every time (and "Tiden løb ud…" 5 s later). Only Shift pressed alone counts."""
    exits = exits_requested(page, cdn.exit_url)
    page.clock.install()
    page.goto(live_server.url + "/")
    status = page.locator("[data-exit-status]")
    # Everything ever written into the live region (a screen reader speaks even what is
    # cleared a moment later).
    page.evaluate(
        """() => {
        window.said = [];
        const el = document.querySelector("[data-exit-status]");
        new MutationObserver(() => { if (el.textContent) { window.said.push(el.textContent); } })
          .observe(el, { childList: true, characterData: true, subtree: true });
    }"""
    )
    for keys in ("Shift+KeyH", "Shift+KeyE", "Shift+Tab", "Shift+KeyJ", "Shift+Tab"):
        page.keyboard.press(keys)
    page.clock.fast_forward(6_000)
    assert page.evaluate("window.said") == []
    assert exits == [] and page.url == live_server.url + "/"
    page.keyboard.press("Shift")  # alone: counted and said
    expect(status).to_have_text(ONCE)


def test_with_the_shortcut_off_shift_does_nothing_and_the_button_still_leaves(
    desktop_page, live_server, engine, cdn
):
    page = desktop_page
    victim, _plan_id = person(engine, Role.victim, "Maja")
    sign_in(page, live_server.url, victim)
    page.get_by_role("link", name="Om at forlade siden hurtigt").click()
    page.get_by_label("Forlad siden, når jeg trykker tre gange på Shift").uncheck()
    with page.expect_response(lambda r: r.url.endswith("/quick-exit/setting")):
        page.get_by_role("button", name="Gem").click()
    page.wait_for_load_state()
    expect(
        page.get_by_label("Forlad siden, når jeg trykker tre gange på Shift")
    ).not_to_be_checked()
    page.get_by_role("link", name="Fortsæt").click()
    expect(page.locator("h1")).to_have_text("Min sikkerhedsplan")
    exits = exits_requested(page, cdn.exit_url)
    for _ in range(3):
        page.keyboard.press("Shift")
    expect(page.locator("[data-exit-status]")).to_have_text("")
    assert exits == [] and "Min sikkerhedsplan" in page.locator("h1").inner_text()
    exit_button(page).click()
    page.wait_for_url(cdn.exit_url)
