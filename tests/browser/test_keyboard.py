"""Each main task with the keyboard alone (issue 15 point 5): Tab, Shift+Tab, Enter, Space and
typing — no mouse, no clicks — and the one live region speaks once per event."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from app import db
from app.auth import codes
from app.auth.models import Role
from app.clock import now
from app.settings import Settings
from app.sharing.models import ShareCode
from tests.browser.people import PASSWORD, passkey_checked, person

PHONE = {"width": 390, "height": 844}
WATCH_LIVE_REGION = """() => {
  window.said = [];
  const el = document.querySelector("#announce");
  const note = () => { if (el.textContent.trim()) { window.said.push(el.textContent.trim()); } };
  new MutationObserver(note).observe(el, { childList: true, characterData: true, subtree: true });
}"""


def tab_to(page: Page, target: Locator, limit: int = 300) -> None:
    """Press Tab until ``target`` has the focus (a keyboard user's way there)."""
    for _ in range(limit):
        if target.evaluate("(el) => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} was never reached with Tab")


def sign_in_by_keyboard(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    tab_to(page, page.get_by_text("Log ind med adgangskode i stedet"))
    page.keyboard.press("Enter")  # opens the details
    tab_to(page, page.get_by_label("Brugernavn"))
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def add_contact_by_keyboard(page: Page, name: str, phone: str) -> None:
    form = page.locator("form").filter(has=page.get_by_role("button", name="Tilføj kontakt"))
    tab_to(page, form.get_by_label("Navn"))
    page.keyboard.type(name)
    tab_to(page, form.get_by_label("Telefonnummer"))
    page.keyboard.type(phone)
    tab_to(page, form.get_by_role("button", name="Tilføj kontakt"))
    page.keyboard.press("Enter")


@pytest.fixture
def signed_in_by_keyboard(new_page, live_server, engine) -> tuple[Page, int]:  # type: ignore[no-untyped-def]
    """A victim on a phone, signed in with the keyboard alone, on her plan."""
    page = new_page(viewport=PHONE)
    victim, plan_id = person(engine, Role.victim, "Maja")
    sign_in_by_keyboard(page, live_server.url, victim.username)  # type: ignore[arg-type]
    page.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
    return page, plan_id  # type: ignore[return-value]


def test_a_victim_signs_in_and_edits_her_plan_with_the_keyboard_alone(signed_in_by_keyboard):
    page, _plan_id = signed_in_by_keyboard
    section = page.locator(".plan-section").first
    page.evaluate(WATCH_LIVE_REGION)

    # The plan is read first: the section's »Ret« opens its editor in place.
    tab_to(page, section.locator("[id^=edit-section-]"))
    page.keyboard.press("Enter")
    expect(section.get_by_label("Nyt punkt")).to_be_visible()
    expect(section.locator("summary").first).to_be_focused()

    # Add
    tab_to(page, section.get_by_label("Nyt punkt"))
    page.keyboard.type("Jeg ringer til Sara")
    page.keyboard.press("Tab")  # to "Tilføj"
    page.keyboard.press("Enter")
    section = page.locator(".plan-section").first
    expect(section.locator(".item-text").last).to_have_text("Jeg ringer til Sara")
    page.wait_for_function("() => window.said.length >= 1")
    page.wait_for_timeout(500)  # room for a second announcement, if there were one
    said = page.evaluate("window.said")
    assert len(said) == 1, said  # one announcement for one add

    # Tick
    item = section.locator(".item").last
    tab_to(page, item.get_by_role("button", name=re.compile("^Gjort")))
    page.keyboard.press("Space")
    expect(
        page.locator(".plan-section")
        .first.locator(".item")
        .last.get_by_role("button", name=re.compile("^Gjort"))
    ).to_have_attribute("aria-pressed", "true")

    # Edit
    item = page.locator(".plan-section").first.locator(".item").last
    tab_to(page, item.get_by_role("link", name=re.compile("^Ret")))
    page.keyboard.press("Enter")
    editor = page.locator(".plan-section").first.locator(".item").last.get_by_label("Tekst")
    tab_to(page, editor)
    page.keyboard.press("Control+A")
    page.keyboard.type("Jeg ringer til Sara eller Ali")
    tab_to(page, page.locator(".plan-section").first.get_by_role("button", name="Gem"))
    page.keyboard.press("Enter")
    expect(page.locator(".plan-section").first.locator(".item-text").last).to_have_text(
        "Jeg ringer til Sara eller Ali"
    )

    # Reorder: one place up
    before = page.locator(".plan-section").first.locator(".item-text").all_inner_texts()
    item = page.locator(".plan-section").first.locator(".item").last
    tab_to(page, item.get_by_role("button", name=re.compile("^Flyt op")))
    page.keyboard.press("Enter")
    after_texts = page.locator(".plan-section").first.locator(".item-text")
    expect(after_texts.nth(len(before) - 2)).to_have_text("Jeg ringer til Sara eller Ali")


def test_a_contact_is_added_and_the_alarm_reached_with_the_keyboard_alone(
    signed_in_by_keyboard, live_server
):
    page, plan_id = signed_in_by_keyboard
    page.goto(f"{live_server.url}/plans/{plan_id}/contacts")
    add_contact_by_keyboard(page, "Sara", "12 34 56 78")
    expect(page.get_by_role("heading", name="Sara")).to_be_visible()
    # Every contact's call link is a Tab stop with the number to call.
    call = page.get_by_role("link", name=re.compile("^Ring.*Sara"))
    tab_to(page, call)
    expect(call).to_have_attribute("href", "tel:+4512345678")


def test_the_first_tab_stop_leaves_the_page(new_page, live_server, cdn):
    page = new_page(viewport=PHONE)
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Forlad siden hurtigt")
    page.keyboard.press("Enter")
    page.wait_for_url(cdn.exit_url)


def test_focus_starts_where_the_answer_is(new_page, live_server, engine):
    """Issue 14 point 5: after a wrong password the focus is on the password field (its message
    is read with it); an error page starts on its heading — not on <body>."""
    page = new_page(viewport=PHONE)
    victim, _plan_id = person(engine, Role.victim, "Maja")
    page.goto(f"{live_server.url}/login")
    page.get_by_text("Log ind med adgangskode i stedet").click()
    page.get_by_label("Brugernavn").fill(victim.username)  # type: ignore[arg-type]
    page.get_by_label("Adgangskode").fill("forkert")
    page.get_by_role("button", name="Log ind", exact=True).click()
    expect(page.get_by_label("Adgangskode")).to_be_focused()
    expect(page.get_by_label("Adgangskode")).to_have_attribute("aria-invalid", "true")
    page.goto(f"{live_server.url}/findes-ikke")
    expect(page.get_by_role("heading", level=1)).to_be_focused()


WATCH_EVERY_LIVE_REGION = """() => {
  window.spoken = [];
  (window.watchers || []).forEach((w) => w.disconnect());
  window.watchers = [];
  const regions = document.querySelectorAll('[aria-live], [role=status], [role=alert]');
  regions.forEach((el, n) => {
    const name = el.id || el.getAttribute('data-exit-status') !== null && 'exit-status' || 'r' + n;
    const note = () => {
      const text = el.textContent.trim();
      if (text) { window.spoken.push(name + ': ' + text); }
    };
    const watcher = new MutationObserver(note);
    watcher.observe(el, { childList: true, characterData: true, subtree: true });
    window.watchers.push(watcher);
  });
}"""


def spoken_after(page: Page, count: int) -> list[str]:
    """What the live regions said, once ``count`` things were said and a moment passed in which
    a repeat would have come."""
    page.wait_for_function(f"() => window.spoken.length >= {count}")
    page.wait_for_timeout(700)
    return page.evaluate("window.spoken")  # type: ignore[no-any-return]


def test_she_gives_and_takes_back_access_with_the_keyboard_alone(new_page, live_server, engine):
    anna, _ = person(engine, Role.caseworker, "Anna", org="Esbjerg Lokalpoliti")
    victim, _plan_id = person(engine, Role.victim, "Maja")
    code = codes.new_code()
    with db.write_session(engine) as session:
        session.add(
            ShareCode(
                caseworker_id=anna.id,
                code_hash=codes.code_hash(Settings().secret_key, code),
                expires_at=now() + timedelta(minutes=15),
            )
        )
    page = new_page(viewport=PHONE)
    sign_in_by_keyboard(page, live_server.url, victim.username)  # type: ignore[arg-type]
    page.wait_for_url(re.compile(r"/plans/\d+$"))
    passkey_checked(engine, victim)  # who sees the plan: after a passkey check only
    page.goto(f"{live_server.url}/plan/sharing")

    tab_to(page, page.get_by_label("Kode"))
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Adgangen er givet.")).to_be_focused()
    expect(page.locator(".item-list")).to_contain_text("Anna")

    take_back = page.get_by_role("button", name=re.compile("^Tag adgangen tilbage.*Anna"))
    tab_to(page, take_back)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Ingen andre kan se din plan lige nu.")).to_be_visible()
    expect(page.locator(":focus")).to_have_class(re.compile("notice"))


def test_she_leaves_her_plan_by_the_skip_link(signed_in_by_keyboard, cdn):
    page, _plan_id = signed_in_by_keyboard
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Forlad siden hurtigt")
    page.keyboard.press("Enter")
    page.wait_for_url(cdn.exit_url)
    expect(page).to_have_title("Vejret")


def test_each_live_region_speaks_once_per_event(signed_in_by_keyboard, live_server):
    page, plan_id = signed_in_by_keyboard
    page.goto(f"{live_server.url}/plans/{plan_id}/contacts")
    page.evaluate(WATCH_EVERY_LIVE_REGION)

    # A contact added: one announcement.
    add_contact_by_keyboard(page, "Sara", "12 34 56 78")
    expect(page.get_by_role("heading", name="Sara")).to_be_visible()
    said = spoken_after(page, 1)
    assert said == ["announce: Kontakten er tilføjet."], said

    # A refused form: its error once.
    page.evaluate(WATCH_EVERY_LIVE_REGION)
    form = page.locator("form").filter(has=page.get_by_role("button", name="Tilføj kontakt"))
    tab_to(page, form.get_by_role("button", name="Tilføj kontakt"))
    page.keyboard.press("Enter")
    said = spoken_after(page, 1)
    assert len(said) == 1, said

    # One Shift press: the quick exit's count, once.
    page.evaluate(WATCH_EVERY_LIVE_REGION)
    page.locator("h1").evaluate("(el) => el.setAttribute('tabindex', '-1')")
    page.locator("h1").focus()
    page.keyboard.press("Shift")
    said = spoken_after(page, 1)
    assert len(said) == 1 and said[0].startswith("exit-status"), said
