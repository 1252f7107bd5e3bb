"""The plan on a phone, with htmx and without JavaScript, in real Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from app import db
from app.auth.models import Role
from app.plans.models import Item
from tests.browser.people import edit_plan, passkey_checked, person, sign_in


def item_texts(page: Page, section: Any) -> list[str]:
    return [t.strip() for t in section.locator(".item-text").all_inner_texts()]


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_victim_adds_edits_ticks_reorders_and_deletes_an_item(
    new_page, live_server, engine, browser_log, javascript
):
    page = new_page(java_script_enabled=javascript)
    victim, plan_id = person(engine, Role.victim, "Maja")
    base = live_server.url
    sign_in(page, base, victim)
    page.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
    expect(page.locator("h1")).to_have_text("Min sikkerhedsplan")
    expect(page.get_by_role("link", name="Ring 112")).to_have_attribute("href", "tel:112")
    section = page.locator(".plan-section").first
    expect(section.locator("h2")).to_have_text("Når jeg er i akut fare")
    history_before = page.evaluate("history.length") if javascript else None
    expect(section.locator("form")).to_have_count(0)  # read first: no forms
    section = edit_plan(page)

    # Add
    section.get_by_label("Nyt punkt").fill("Jeg løber hen til Netto på hjørnet")
    section.get_by_role("button", name="Tilføj", exact=True).click()
    section = page.locator(".plan-section").first
    expect(section.locator(".item-text").last).to_have_text("Jeg løber hen til Netto på hjørnet")

    # Edit
    new_item = section.locator(".item").last
    new_item.get_by_role("link", name=re.compile("^Ret")).click()
    new_item.get_by_label("Tekst").fill("Jeg løber hen til Netto eller Føtex")
    new_item.get_by_role("button", name="Gem").click()
    section = page.locator(".plan-section").first
    expect(section.locator(".item-text").last).to_have_text("Jeg løber hen til Netto eller Føtex")

    # Tick
    last = section.locator(".item").last
    last.get_by_role("button", name="Gjort").click()
    section = page.locator(".plan-section").first
    expect(section.locator(".item").last.get_by_role("button", name="Gjort")).to_have_attribute(
        "aria-pressed", "true"
    )

    # Reorder: move it up one place
    before = item_texts(page, section)
    section.locator(".item").last.get_by_role("button", name="Flyt op").click()
    section = page.locator(".plan-section").first
    expect(section.locator(".item-text").nth(len(before) - 2)).to_have_text(
        "Jeg løber hen til Netto eller Føtex"
    )

    # Delete, with confirmation, then undo
    target = section.locator(".item").filter(has_text="Netto eller Føtex")
    if javascript:
        page.once("dialog", lambda dialog: dialog.accept())
        target.get_by_role("link", name=re.compile("^Slet")).click()
    else:
        target.get_by_role("link", name=re.compile("^Slet")).click()
        expect(page.locator("h1")).to_have_text("Slet dette punkt?")
        page.get_by_role("button", name="Slet").click()
    expect(page.get_by_text("Punktet blev slettet.")).to_be_visible()
    expect(page.locator(".item-text", has_text="Netto eller Føtex")).to_have_count(0)
    page.get_by_role("button", name="Fortryd").click()
    expect(page.locator(".item-text", has_text="Netto eller Føtex")).to_have_count(1)

    with db.read_session(engine) as session:
        saved = session.exec(select(Item).where(Item.plan_id == plan_id)).all()
    mine = [i for i in saved if "Føtex" in i.text]
    assert len(mine) == 1 and mine[0].done and mine[0].deleted_at is None
    if javascript:
        # htmx swapped sections in place: no page loads, one history entry (docs/design.md §5).
        assert page.evaluate("history.length") == history_before
        assert not browser_log.csp_violations(), str(browser_log)


def test_caseworker_and_victim_see_each_others_changes_after_reload(new_page, live_server, engine):
    anna, _ = person(engine, Role.caseworker, "Anna", org="Esbjerg Lokalpoliti")
    victim, plan_id = person(engine, Role.victim, "Maja", caseworker=anna)
    laptop = new_page(viewport={"width": 1280, "height": 800})
    sign_in(laptop, live_server.url, anna)
    laptop.get_by_role("link", name=re.compile("Åbn plan")).click()
    laptop.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
    expect(laptop.locator("h1")).to_have_text("Sikkerhedsplan for Maja")
    section = edit_plan(laptop)
    section.get_by_label("Nyt punkt").fill("Kodeordet er 'blå cykel'")
    section.get_by_role("button", name="Tilføj", exact=True).click()
    expect(laptop.locator(".item-text", has_text="blå cykel")).to_have_count(1)

    phone = new_page()
    sign_in(phone, live_server.url, victim)
    expect(phone.locator(".item-text", has_text="blå cykel")).to_have_count(1)
    added = phone.locator(".item").filter(has_text="blå cykel")
    expect(added.locator(".meta")).to_contain_text("Ændret af Anna, Esbjerg Lokalpoliti")
    phone.get_by_role("link", name="Hvem har set min plan").click()
    expect(phone.locator("table.activity")).to_contain_text("Anna, Esbjerg Lokalpoliti")

    # The victim takes the access back; the caseworker's page leaves the plan (live, see
    # test_live.py) and any request for it shows nothing.
    passkey_checked(engine, victim)  # who sees the plan: after a passkey check only
    phone.goto(f"{live_server.url}/plan/sharing")
    phone.get_by_role("button", name=re.compile("Tag adgangen tilbage")).click()
    expect(phone.get_by_text("Ingen andre kan se din plan lige nu.")).to_be_visible()
    laptop.wait_for_url(re.compile(r"/people$"))
    response = laptop.goto(f"{live_server.url}/plans/{plan_id}")
    assert response is not None and response.status == 404
    expect(laptop.locator(".item-text")).to_have_count(0)


def test_conflict_shows_both_texts(new_page, live_server, engine):
    victim, _plan = person(engine, Role.victim, "Konflikt")
    first, second = new_page(), new_page()
    for p in (first, second):
        sign_in(p, live_server.url, victim)
        edit_plan(p)
    for p, text in ((first, "Fra telefon A"), (second, "Fra telefon B")):
        item = p.locator(".item").first
        item.get_by_role("link", name=re.compile("^Ret")).click()
        item.get_by_label("Tekst").fill(text)
    first.locator(".item").first.get_by_role("button", name="Gem").click()
    expect(first.locator(".item-text").first).to_have_text("Fra telefon A")
    second.locator(".item").first.get_by_role("button", name="Gem").click()
    expect(second.locator("h1")).to_have_text("En anden har ændret dette punkt")
    expect(second.locator("#main")).to_contain_text("Fra telefon A")
    expect(second.get_by_label("Din tekst (du kan samle de to tekster her)")).to_have_value(
        "Fra telefon B"
    )


@pytest.mark.parametrize(
    "path", ["", "/edit", "/print", "/items/first/delete", "sharing", "activity"]
)
def test_axe_on_plan_pages(axe, live_server, engine, path):
    victim, plan_id = person(engine, Role.victim, "Axe")
    with db.read_session(engine) as session:
        first = session.exec(select(Item).where(Item.plan_id == plan_id)).first()
    url = {
        "sharing": "/plan/sharing",
        "activity": "/plan/activity",
    }.get(path, f"/plans/{plan_id}{path.replace('first', str(first.id))}")

    def go(page: Page) -> None:
        sign_in(page, live_server.url, victim)
        page.goto(live_server.url + url)

    axe(f"{live_server.url}/login", setup=go)


def test_axe_on_the_caseworker_view_and_the_conflict_page(axe, live_server, engine):
    anna, _ = person(engine, Role.caseworker, "Anna", org="Politi")
    _victim, plan_id = person(engine, Role.victim, "Maja", caseworker=anna)

    def caseworker_view(page: Page) -> None:
        sign_in(page, live_server.url, anna)
        page.goto(f"{live_server.url}/plans/{plan_id}/edit")
        # Make the next save stale, then save: the conflict page.
        item = page.locator(".item").first
        item.get_by_role("link", name=re.compile("^Ret")).click()
        item.get_by_label("Tekst").fill("Min version")
        with db.write_session(engine) as session:
            row = session.exec(select(Item).where(Item.plan_id == plan_id)).first()
            row.version += 1
            session.add(row)
        item.get_by_role("button", name="Gem").click()
        expect(page.locator("h1")).to_have_text("En anden har ændret dette punkt")

    axe(f"{live_server.url}/login", setup=caseworker_view)
    axe(
        f"{live_server.url}/login",
        setup=lambda p: (
            sign_in(p, live_server.url, anna),
            p.goto(f"{live_server.url}/plans/{plan_id}"),
        ),
    )


def test_axe_on_the_template_editor(axe, live_server, engine):
    admin, _ = person(engine, Role.org_admin, "Jens", org="Børn & Kultur")

    def go(page: Page) -> None:
        sign_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}/admin/template")
        expect(page.locator("h1")).to_have_text("Skabelon for planer")

    axe(f"{live_server.url}/login", setup=go, viewport={"width": 1280, "height": 800})


def test_keyboard_focus_survives_htmx_swaps(page, live_server, engine):
    """After moving or ticking an item with the keyboard, focus stays on that control; after a
    delete it lands on "Fortryd" — a keyboard or screen-reader user is never dropped."""
    victim, _plan = person(engine, Role.victim, "Fokus")
    sign_in(page, live_server.url, victim)
    section = edit_plan(page)
    first = section.locator(".item").first
    item_id = first.get_attribute("id").removeprefix("item-")
    page.locator(f"#down-{item_id}").focus()
    page.keyboard.press("Enter")
    expect(section.locator(".item").nth(1)).to_have_attribute("id", f"item-{item_id}")
    expect(page.locator(f"#down-{item_id}")).to_be_focused()
    page.locator(f"#done-{item_id}").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#done-{item_id}")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#done-{item_id}")).to_be_focused()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#item-{item_id}").get_by_role("link", name=re.compile("^Slet")).click()
    expect(page.get_by_role("button", name="Fortryd")).to_be_focused()


def test_each_tick_button_is_named_by_its_item(new_page, live_server, engine):
    """Issue 15: every tick button was just "Gjort"; a screen reader's list of buttons could
    not tell them apart. Its name now ends with the item's own text."""
    page = new_page()
    victim, plan_id = person(engine, Role.victim, "Maja")
    sign_in(page, live_server.url, victim)
    page.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
    items = edit_plan(page).locator(".item")
    for i in range(2):
        text = items.nth(i).locator(".item-text").inner_text().strip()
        button = items.nth(i).get_by_role("button", name=f"Gjort {text}", exact=True)
        expect(button).to_have_count(1)
