"""The conflict page, the editors at 320 px and focus after every swap, on a phone (issue 14
points 3–5; the forms themselves: test_form_flows.py). A module of its own: each module has its
own app, and one app lets one address sign in 20 times a minute."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app import db
from app.auth.models import Role
from app.plans.models import Item
from tests.browser.people import edit_plan, person, sign_in
from tests.browser.test_form_flows import NARROW, add_contact, no_horizontal_scroll, not_covered

# ---------------------------------------------------------------- the conflict page


def make_conflict(page: Page, engine, plan_id: int, mine: str) -> int:
    """Open the first item's editor, let someone else save first, then save: the conflict."""
    item = edit_plan(page).locator(".item").first
    item_id = int(item.get_attribute("id").removeprefix("item-"))
    item.get_by_role("link", name=re.compile("^Ret")).click()
    item.get_by_label("Tekst").fill(mine)
    with db.write_session(engine) as session:
        row = session.get(Item, item_id)
        row.text, row.version = "Skrevet af en anden", row.version + 1
        session.add(row)
    page.mouse.wheel(0, 400)  # she has scrolled down a little, as on a phone
    item.get_by_role("button", name="Gem").click()
    expect(page.locator("h1")).to_have_text("En anden har ændret dette punkt")
    return item_id


@pytest.mark.parametrize("choice", ["keep", "mine"])
def test_every_choice_on_the_conflict_page_works(new_page, live_server, engine, choice):
    page = new_page(viewport=NARROW)
    victim, plan_id = person(engine, Role.victim, "Valg")
    sign_in(page, live_server.url, victim)
    item_id = make_conflict(page, engine, plan_id, "Min egen tekst")
    heading = page.locator("h1")
    expect(heading).to_be_in_viewport()
    expect(heading).to_be_focused()
    no_horizontal_scroll(page)
    if choice == "keep":
        page.get_by_role("link", name="Behold punktet, som det er nu").click()
        expect(page.locator("h1")).to_have_text("Min sikkerhedsplan")
        expect(page.locator(f"#item-{item_id}-text")).to_have_text("Skrevet af en anden")
    else:
        page.get_by_role("button", name="Gem min tekst").click()
        expect(page.locator("h1")).to_have_text("Min sikkerhedsplan")
        expect(page.locator(f"#item-{item_id}-text")).to_have_text("Min egen tekst")
    expect(page.locator(f"#item-{item_id}")).to_be_in_viewport()


def test_axe_on_the_conflict_page_at_320(axe, live_server, engine):
    victim, plan_id = person(engine, Role.victim, "AxeKonflikt")

    def conflict(page: Page) -> None:
        sign_in(page, live_server.url, victim)
        make_conflict(page, engine, plan_id, "Min tekst")

    axe(f"{live_server.url}/login", setup=conflict, viewport=NARROW)


# ---------------------------------------------------------------- layout at 320 px


def test_every_editor_fits_320_px(new_page, live_server, engine):
    page = new_page(viewport=NARROW)
    victim, plan_id = person(engine, Role.victim, "Smal")
    sign_in(page, live_server.url, victim)
    no_horizontal_scroll(page)
    item = edit_plan(page).locator(".item").first
    item_id = item.get_attribute("id").removeprefix("item-")
    item.get_by_role("link", name=re.compile("^Ret")).click()
    editor = page.locator(f"#editor-{item_id}")
    expect(editor).to_be_visible()
    textarea_width = editor.locator("textarea").bounding_box()["width"]
    assert textarea_width > 250, f"the item editor's field is {textarea_width} px wide"
    no_horizontal_scroll(page)
    cancel = editor.get_by_role("link", name="Annullér")
    cancel.scroll_into_view_if_needed()
    not_covered(page, f"#editor-{item_id} .editor-buttons a")
    section = page.locator(".plan-section").first
    section.locator(".section-edit summary").click()
    no_horizontal_scroll(page)

    page.goto(f"{live_server.url}/plans/{plan_id}/contacts")
    add_contact(page, "Bror")
    row = page.locator("li.contact.card").first
    row.locator("summary", has_text="Ret").click()
    name = row.get_by_label("Navn")
    expect(name).to_be_visible()
    label_box, field_box = row.locator("label").first.bounding_box(), name.bounding_box()
    assert field_box["y"] > label_box["y"], "the label sits above its field"
    assert field_box["width"] > 200, f"the contact field is {field_box['width']} px wide"
    no_horizontal_scroll(page)


def test_the_editor_with_the_stale_edit_notice_fits_320_px(new_page, live_server, engine):
    victim, _plan = person(engine, Role.victim, "Note")
    phone, other = new_page(viewport=NARROW), new_page()
    for p in (phone, other):
        sign_in(p, live_server.url, victim)
        edit_plan(p)
    expect(phone.locator("#live")).to_have_attribute("data-live", "on", timeout=10_000)
    item = phone.locator(".item").first
    item_id = item.get_attribute("id").removeprefix("item-")
    item.get_by_role("link", name=re.compile("^Ret")).click()
    item.get_by_label("Tekst").fill("Min halve sætning")
    other.locator(f"#edit-{item_id}").click()
    other.locator(f"#text-{item_id}").fill("Fra den anden skærm")
    other.locator(f"#save-{item_id}").click()
    editor = phone.locator(f"#editor-{item_id}")
    expect(editor.locator("[data-live-note]")).to_contain_text("En anden har ændret punktet")
    no_horizontal_scroll(phone)
    editor.get_by_role("link", name="Annullér").scroll_into_view_if_needed()
    not_covered(phone, f"#editor-{item_id} .editor-buttons a")


def test_danger_and_primary_buttons_look_different_from_cancel(page, live_server, engine):
    victim, plan_id = person(engine, Role.victim, "Farve")
    sign_in(page, live_server.url, victim)
    item_id = edit_plan(page).locator(".item").first.get_attribute("id").removeprefix("item-")
    page.goto(f"{live_server.url}/plans/{plan_id}/items/{item_id}/delete")
    background = "el => getComputedStyle(el).backgroundColor"
    delete = page.get_by_role("button", name="Slet").evaluate(background)
    cancel = page.get_by_role("link", name="Annullér").evaluate(background)
    assert delete != cancel


def test_the_exit_bar_never_covers_the_focused_control(page, live_server, engine):
    victim, _plan = person(engine, Role.victim, "Tab")
    sign_in(page, live_server.url, victim)
    page.locator("footer button").last.focus()
    bar_bottom = page.locator(".exit-bar").bounding_box()["height"]
    for _ in range(60):  # tabbing backwards up the page
        page.keyboard.press("Shift+Tab")
        box = page.evaluate(
            """() => { const el = document.activeElement;
            if (!el || el === document.body || el.closest('.exit-bar')) return null;
            const r = el.getBoundingClientRect();
            return {top: r.top, id: el.id || el.textContent.trim().slice(0, 30)}; }"""
        )
        if box is not None:
            assert box["top"] >= bar_bottom - 1, f"{box['id']} is under the exit bar"


# ---------------------------------------------------------------- focus after every swap


def test_focus_follows_save_move_to_last_and_undo(page, live_server, engine):
    victim, _plan = person(engine, Role.victim, "Fokus2")
    sign_in(page, live_server.url, victim)
    section = edit_plan(page)
    item_id = section.locator(".item").first.get_attribute("id").removeprefix("item-")
    # Save: focus on the item's "Edit" again
    page.locator(f"#edit-{item_id}").click()
    page.locator(f"#text-{item_id}").fill("Rettet tekst")
    page.locator(f"#save-{item_id}").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#item-{item_id}-text")).to_have_text("Rettet tekst")
    expect(page.locator(f"#edit-{item_id}")).to_be_focused()
    expect(page.locator("#announce")).to_have_text("Gemt.")
    # Move to the last place: "Move down" is disabled there, focus goes to "Move up"
    count = section.locator(".item").count()
    for place in range(1, count):
        page.locator(f"#down-{item_id}").focus()
        page.keyboard.press("Enter")
        items = page.locator(".plan-section").first.locator(".item")
        expect(items.nth(place)).to_have_attribute("id", f"item-{item_id}")
    expect(page.locator(f"#down-{item_id}")).to_be_disabled()
    expect(page.locator(f"#up-{item_id}")).to_be_focused()
    # Delete, then undo: focus on the restored item's "Edit"
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#item-{item_id}").get_by_role("link", name=re.compile("^Slet")).click()
    undo = page.get_by_role("button", name="Fortryd")
    expect(undo).to_be_focused()
    expect(undo).to_have_accessible_description("Punktet blev slettet.")  # said with the focus
    page.keyboard.press("Enter")
    expect(page.locator(f"#edit-{item_id}")).to_be_focused()


def test_focus_after_saving_a_contact(page, live_server, engine):
    victim, plan_id = person(engine, Role.victim, "Fokus3")
    sign_in(page, live_server.url, victim)
    page.goto(f"{live_server.url}/plans/{plan_id}/contacts")
    add_contact(page, "Søster")
    expect(page.locator("#announce")).to_have_text("Kontakten er tilføjet.")
    expect(page.locator("#add-contact")).to_be_focused()
    row = page.locator("li.contact.card").first
    contact_id = row.get_attribute("id").removeprefix("contact-")
    row.locator("summary", has_text="Ret").click()
    row.get_by_label("Relation").fill("Storesøster")
    page.locator(f"#save-c{contact_id}").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".contact-relation")).to_have_text("Storesøster")
    expect(page.locator(f"#edit-c{contact_id}")).to_be_focused()
    expect(page.locator("#announce")).to_have_text("Gemt.")
