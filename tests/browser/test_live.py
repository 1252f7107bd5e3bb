"""Live co-editing in a meeting: the victim on a phone, the caseworker on a laptop, real Chromium.

Both pages are open on the same plan; what one does appears in the other without a reload.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from app import db
from app.auth.models import Role
from app.plans.models import Grant, Item
from tests.browser.conftest import DESKTOP
from tests.browser.people import edit_plan, passkey_checked, person, sign_in

ITEM_TEXT = "Jeg ringer til Lone, hvis han står ved døren"


def connected(page: Page) -> None:
    expect(page.locator("#live")).to_have_attribute("data-live", "on", timeout=10_000)


def first_section(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".plan-section").first


@pytest.fixture
def meeting(new_page, live_server, engine):  # type: ignore[no-untyped-def]
    """A victim (phone) and their caseworker (laptop) with the plan open, both connected."""
    caseworker, _ = person(engine, Role.caseworker, "Anna", org="Esbjerg Lokalpoliti")
    victim, plan_id = person(engine, Role.victim, "Maja", caseworker=caseworker, sections=2)
    base = live_server.url
    phone = new_page()
    laptop = new_page(viewport=DESKTOP)
    sign_in(phone, base, victim)
    sign_in(laptop, base, caseworker)
    laptop.goto(f"{base}/plans/{plan_id}/edit")  # in a meeting: the whole plan in edit mode
    phone.wait_for_url(re.compile(rf"/plans/{plan_id}$"))  # she reads it
    connected(phone)
    connected(laptop)
    return phone, laptop, plan_id, victim, caseworker


def editing_all(page: Page) -> None:
    page.get_by_role("link", name="Rediger hele planen").click()
    page.wait_for_url(re.compile(r"/plans/\d+/edit$"))
    connected(page)


def test_changes_in_one_screen_appear_in_the_other(meeting, browser_log):  # type: ignore[no-untyped-def]
    phone, laptop, _plan_id, _victim, _caseworker = meeting
    history = laptop.evaluate("history.length")

    # Presence: each sees the other.
    expect(laptop.locator("#presence")).to_contain_text("Maja er her")
    expect(phone.locator("#presence")).to_contain_text(
        re.compile(r"Anna, Esbjerg Lokalpoliti \d+ er her")
    )

    # The caseworker adds an item: it appears on the phone, where she reads the plan.
    first_section(laptop).get_by_label("Nyt punkt").fill(ITEM_TEXT)
    first_section(laptop).get_by_role("button", name="Tilføj", exact=True).click()
    expect(first_section(phone).locator(".item-text").last).to_have_text(ITEM_TEXT)
    expect(first_section(phone).locator("form")).to_have_count(0)  # still the reading view
    edit_plan(phone)

    # The victim edits it: the laptop sees the new text, and while the victim's editor is open
    # the laptop shows a soft marker on that item.
    item = first_section(phone).locator(".item").last
    item.get_by_role("link", name=re.compile("^Ret")).click()
    expect(first_section(laptop).locator(".item").last.locator(".edit-marker")).to_contain_text(
        "Maja redigerer dette punkt"
    )
    item.get_by_label("Tekst").fill(ITEM_TEXT + " eller til 112")
    item.get_by_role("button", name="Gem").click()
    expect(first_section(laptop).locator(".item-text").last).to_have_text(
        ITEM_TEXT + " eller til 112"
    )
    expect(first_section(laptop).locator(".edit-marker")).to_have_count(0)

    # The caseworker ticks it: ticked on the phone.
    first_section(laptop).locator(".item").last.get_by_role("button", name="Gjort").click()
    expect(
        first_section(phone).locator(".item").last.get_by_role("button", name="Gjort")
    ).to_have_attribute("aria-pressed", "true")

    # The victim moves it up: the laptop shows the new order.
    first_section(phone).locator(".item").last.get_by_role("button", name="Flyt op").click()
    expect(first_section(laptop).locator(".item-text").nth(-2)).to_have_text(
        ITEM_TEXT + " eller til 112"
    )

    # The caseworker deletes it: gone from the phone.
    laptop.once("dialog", lambda d: d.accept())
    target = first_section(laptop).locator(".item", has_text=ITEM_TEXT)
    target.get_by_role("link", name=re.compile("^Slet")).click()
    expect(first_section(phone).locator(".item", has_text=ITEM_TEXT)).to_have_count(0)

    assert laptop.evaluate("history.length") == history  # nothing reloaded or navigated
    assert not browser_log.csp_violations(), str(browser_log)
    assert not [e for e in browser_log.errors() if e.kind == "pageerror"], str(browser_log)


# Counts the live re-fetches (requests of [data-live-refresh] parts) that have started and not
# yet ended, so a test can wait until the page has caught up with its stream.
COUNT_REFRESHES = """() => {
  const open = new Set();
  window.liveRefreshesOpen = () => open.size;
  document.addEventListener("htmx:before:request", (e) => {
    const ctx = e.detail.ctx;
    if (ctx.sourceElement.hasAttribute("data-live-refresh")) { open.add(ctx); }
  });
  document.addEventListener("htmx:finally:request", (e) => { open.delete(e.detail.ctx); });
}"""


def test_ones_own_change_coming_back_on_the_stream_keeps_the_undo(meeting):  # type: ignore[no-untyped-def]
    """Her own delete comes back on the live stream like anyone's change. Her page already
    shows it: the undo, with keyboard focus on it, must not vanish when the stream catches up
    (it did when the echo re-fetched the section after the delete's own answer)."""
    phone, laptop, _plan_id, _victim, _caseworker = meeting
    editing_all(phone)
    phone.evaluate(COUNT_REFRESHES)
    items = first_section(phone).locator(".item").count()
    phone.once("dialog", lambda d: d.accept())
    first_section(phone).locator(".item").first.get_by_role(
        "link", name=re.compile("^Slet")
    ).click()
    expect(phone.get_by_role("button", name="Fortryd")).to_be_focused()
    # A later change on the same stream: the echo of the delete comes before it.
    second = phone.locator(".plan-section").nth(1)
    laptop.locator(".plan-section").nth(1).locator(".item").first.get_by_role(
        "button", name="Gjort"
    ).click()
    expect(second.locator(".item").first.get_by_role("button", name="Gjort")).to_have_attribute(
        "aria-pressed", "true"
    )
    phone.wait_for_function("window.liveRefreshesOpen() === 0")
    expect(phone.get_by_text("Punktet blev slettet.")).to_be_visible()
    expect(phone.get_by_role("button", name="Fortryd")).to_be_focused()
    phone.get_by_role("button", name="Fortryd").press("Enter")
    expect(first_section(phone).locator(".item")).to_have_count(items)
    expect(first_section(laptop).locator(".item")).to_have_count(items)


def test_a_draft_survives_the_other_persons_change(meeting):  # type: ignore[no-untyped-def]
    phone, laptop, _plan_id, _victim, _caseworker = meeting
    draft = edit_plan(phone).get_by_label("Nyt punkt")
    draft.fill("Halvt skrevet")
    first_section(laptop).get_by_label("Nyt punkt").fill("Fra Anna")
    first_section(laptop).get_by_role("button", name="Tilføj", exact=True).click()
    expect(first_section(phone).locator(".item-text").last).to_have_text("Fra Anna")
    expect(first_section(phone).get_by_label("Nyt punkt")).to_have_value("Halvt skrevet")


def test_concurrent_edits_of_one_item_end_in_a_choice(meeting, engine):  # type: ignore[no-untyped-def]
    phone, laptop, _plan_id, _victim, _caseworker = meeting
    first = edit_plan(phone).locator(".item").first
    # Both open the same item's editor.
    first.get_by_role("link", name=re.compile("^Ret")).click()
    lap_item = first_section(laptop).locator(".item").first
    lap_item.get_by_role("link", name=re.compile("^Ret")).click()
    # The caseworker saves first; the victim's open editor stays, with their words, and says so.
    first.get_by_label("Tekst").fill("Offerets version")
    lap_item.get_by_label("Tekst").fill("Rådgiverens version")
    lap_item.get_by_role("button", name="Gem").click()
    expect(first_section(laptop).locator(".item-text").first).to_have_text("Rådgiverens version")
    editor = first_section(phone).locator("form.item-edit")
    expect(editor.locator("[data-live-note]")).to_contain_text("En anden har ændret punktet")
    expect(editor.get_by_label("Tekst")).to_have_value("Offerets version")
    # The victim saves: both versions side by side, nothing overwritten.
    editor.get_by_role("button", name="Gem").click()
    expect(phone.locator("h1")).to_have_text("En anden har ændret dette punkt")
    expect(phone.locator(".compare")).to_contain_text("Rådgiverens version")
    expect(phone.get_by_label("Din tekst (du kan samle de to tekster her)")).to_have_value(
        "Offerets version"
    )
    phone.get_by_label("Din tekst (du kan samle de to tekster her)").fill("Begges version")
    phone.get_by_role("button", name="Gem min tekst").click()
    expect(phone.locator(".item-text").first).to_have_text("Begges version")
    expect(first_section(laptop).locator(".item-text").first).to_have_text("Begges version")


def test_an_item_deleted_while_edited_can_be_restored(meeting):  # type: ignore[no-untyped-def]
    phone, laptop, _plan_id, _victim, _caseworker = meeting
    first = edit_plan(phone).locator(".item").first
    first.get_by_role("link", name=re.compile("^Ret")).click()
    first.get_by_label("Tekst").fill("Min nye tekst")
    laptop.once("dialog", lambda d: d.accept())
    first_section(laptop).locator(".item").first.get_by_role(
        "link", name=re.compile("^Slet")
    ).click()
    editor = first_section(phone).locator("form.item-edit")
    expect(editor.locator("[data-live-note]")).to_contain_text("En anden har slettet punktet")
    expect(editor.get_by_label("Tekst")).to_have_value("Min nye tekst")
    editor.get_by_role("button", name="Gem").click()
    phone.get_by_role("button", name="Gendan punktet med min tekst").click()
    expect(first_section(phone).locator(".item-text").first).to_have_text("Min nye tekst")
    expect(first_section(laptop).locator(".item", has_text="Min nye tekst")).to_have_count(1)


def test_revoking_the_grant_closes_the_caseworkers_stream(meeting, engine, new_page):  # type: ignore[no-untyped-def]
    phone, laptop, plan_id, victim, _caseworker = meeting
    expect(laptop.locator("h1")).to_contain_text("Maja")
    passkey_checked(engine, victim)  # who sees the plan: after a passkey check only
    phone.goto(phone.url.split("/plans/")[0] + "/plan/sharing")
    phone.get_by_role("button", name=re.compile("Tag adgangen tilbage")).first.click()
    # Within a second of the revocation the laptop no longer shows the plan.
    laptop.wait_for_url(re.compile(r"/people$"))
    expect(laptop.locator(".plan-section")).to_have_count(0)
    # … and says what happened, once.
    expect(laptop.locator("[data-closed-notice]")).to_have_text(
        "Planen, du havde åben, blev lukket: personen har taget din adgang til den tilbage."
    )
    laptop.reload()
    expect(laptop.locator("[data-closed-notice]")).to_be_hidden()
    with db.read_session(engine) as s:
        grant = s.exec(select(Grant).where(Grant.plan_id == plan_id)).first()
        assert grant is not None and grant.revoked_at is not None
    assert laptop.request.get(f"{laptop.url.split('/people')[0]}/plans/{plan_id}").status == 404


def test_without_javascript_a_stale_save_still_meets_the_conflict_page(  # type: ignore[no-untyped-def]
    new_page, live_server, engine
):
    victim, plan_id = person(engine, Role.victim, "Maja", sections=1)
    page = new_page(java_script_enabled=False)
    base = live_server.url
    sign_in(page, base, victim)
    page.goto(f"{base}/plans/{plan_id}/edit")
    item = page.locator(".item").first
    item.get_by_role("link", name=re.compile("^Ret")).click()
    with db.write_session(engine) as s:  # someone else saves in between
        row = s.exec(select(Item).where(Item.plan_id == plan_id)).first()
        assert row is not None
        row.text, row.version = "Ændret imens", row.version + 1
        s.add(row)
    page.get_by_label("Tekst").fill("Min tekst")
    page.get_by_role("button", name="Gem").click()
    expect(page.locator("h1")).to_have_text("En anden har ændret dette punkt")
    expect(page.locator(".compare")).to_contain_text("Ændret imens")


def test_with_the_stream_blocked_the_plan_still_works_and_says_it_is_not_live(  # type: ignore[no-untyped-def]
    new_page, live_server, engine
):
    victim, plan_id = person(engine, Role.victim, "Maja", sections=1)
    page = new_page()
    page.route(re.compile(r".*/events$"), lambda route: route.abort())
    sign_in(page, live_server.url, victim)
    page.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
    expect(page.locator("[data-live-status]")).to_have_text(
        "Forbindelsen blev afbrudt. Prøver igen …"
    )
    section = edit_plan(page)
    section.get_by_label("Nyt punkt").fill("Uden live-forbindelse")
    section.get_by_role("button", name="Tilføj", exact=True).click()
    expect(first_section(page).locator(".item-text").last).to_have_text("Uden live-forbindelse")


def test_a_failed_first_connection_is_retried(new_page, live_server, engine):  # type: ignore[no-untyped-def]
    victim, _plan_id = person(engine, Role.victim, "Maja", sections=1)
    page = new_page()
    blocked = {"on": True}

    def gate(route):  # type: ignore[no-untyped-def]
        if blocked["on"]:
            route.abort()
        else:
            route.continue_()

    page.route(re.compile(r".*/events$"), gate)
    sign_in(page, live_server.url, victim)
    expect(page.locator("#live")).to_have_attribute("data-live", "off")
    expect(page.locator("[data-live-status]")).to_be_visible()
    blocked["on"] = False
    connected(page)
    expect(page.locator("[data-live-status]")).to_be_hidden()


def test_someone_joining_is_announced_once(new_page, live_server, engine):  # type: ignore[no-untyped-def]
    """Issue 14 point 5: the one live region says who joined — once, not at every refresh."""
    caseworker, _ = person(engine, Role.caseworker, "Anna", org="Esbjerg Lokalpoliti")
    victim, plan_id = person(engine, Role.victim, "Maja", caseworker=caseworker, sections=2)
    base = live_server.url
    phone = new_page()
    sign_in(phone, base, victim)
    phone.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
    connected(phone)
    phone.evaluate(
        """() => {
        window.said = [];
        const el = document.querySelector("#announce");
        const note = () => { if (el.textContent.trim()) { window.said.push(el.textContent); } };
        const all = { childList: true, characterData: true, subtree: true };
        new MutationObserver(note).observe(el, all);
    }"""
    )
    laptop = new_page(viewport=DESKTOP)
    sign_in(laptop, base, caseworker)
    laptop.goto(f"{base}/plans/{plan_id}/edit")
    connected(laptop)
    expect(phone.locator("#presence")).to_contain_text("Anna, Esbjerg Lokalpoliti")
    phone.wait_for_function("() => window.said.length >= 1")
    # More presence refreshes (the caseworker opens and closes an editor) say nothing new.
    item = first_section(laptop).locator(".item").first
    item.get_by_role("link", name=re.compile("^Ret")).click()
    expect(phone.locator("[data-edit-marker]").first).to_be_visible()
    said = phone.evaluate("window.said")
    assert len(said) == 1 and "Anna, Esbjerg Lokalpoliti" in said[0] and "er her" in said[0], said
