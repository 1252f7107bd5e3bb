"""Forms on a phone that never lose or double anything (issue 14 points 3–5): a double tap adds
once, a refused field keeps what was typed and takes the focus, a long paste is not cut, the
conflict page's choices all work, the editors fit 320 px, focus follows every swap."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from app import db
from app.auth.models import Role
from app.contacts.models import Contact
from app.plans.models import Item
from tests.browser.people import person, sign_in

NARROW = {"width": 320, "height": 640}


def items_with(engine, text: str) -> int:
    with db.read_session(engine) as session:
        rows = session.exec(select(Item).where(Item.deleted_at.is_(None))).all()  # type: ignore[union-attr]
    return sum(1 for r in rows if r.text == text)


def contacts_named(engine, plan_id: int, name: str) -> int:
    with db.read_session(engine) as session:
        rows = session.exec(select(Contact).where(Contact.plan_id == plan_id)).all()
    return sum(1 for c in rows if c.name == name)


def add_contact(page: Page, name: str, *, double: bool = False) -> None:
    add = page.locator("form.add-contact")
    add.get_by_label("Navn").fill(name)
    add.get_by_label("Telefonnummer").fill("20304050")
    button = add.get_by_role("button", name="Tilføj kontakt")
    button.dblclick() if double else button.click()


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width} px wide"


def not_covered(page: Page, selector: str) -> None:
    """The element at the middle of ``selector`` is that element (or inside it): a tap lands."""
    assert page.evaluate(
        """sel => { const el = document.querySelector(sel); const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return !!hit && (hit === el || el.contains(hit)); }""",
        selector,
    ), f"{selector} is covered"


# ---------------------------------------------------------------- a double tap adds once


def test_double_click_on_add_adds_one_item_with_javascript(page, live_server, engine, browser_log):
    victim, _plan = person(engine, Role.victim, "Dobbelt")
    sign_in(page, live_server.url, victim)
    section = page.locator(".plan-section").first
    section.get_by_label("Nyt punkt").fill("Kun én gang")
    section.get_by_role("button", name="Tilføj", exact=True).dblclick()
    expect(page.locator(".item-text", has_text="Kun én gang")).to_have_count(1)
    page.wait_for_timeout(500)  # a second request, had one gone, would have come back by now
    expect(page.locator(".item-text", has_text="Kun én gang")).to_have_count(1)
    assert items_with(engine, "Kun én gang") == 1
    # Focus stays on the button pressed; the add is said once in the one live region.
    expect(section.get_by_role("button", name="Tilføj", exact=True)).to_be_focused()
    expect(page.locator("#announce")).to_have_text("Punktet er tilføjet.")
    assert not browser_log.errors(), str(browser_log)


def test_submitting_twice_without_javascript_adds_one_item(new_page, live_server, engine):
    page = new_page(java_script_enabled=False)
    victim, plan_id = person(engine, Role.victim, "UdenJS")
    sign_in(page, live_server.url, victim)
    form = page.locator("form.add-item").first
    fields = {
        name: form.locator(f"input[name={name}]").get_attribute("value")
        for name in ("csrftoken", "form_key")
    }
    action = form.get_attribute("action")
    # The same form sent twice (a double tap, or a resend after a slow answer) ...
    for _ in range(2):
        answer = page.request.post(
            live_server.url + action, form={**fields, "text": "Sendt to gange"}, max_redirects=0
        )
        assert answer.status == 303
    # ... and once more by the button itself, still with the same key.
    form.get_by_label("Nyt punkt").fill("Sendt to gange")
    form.get_by_role("button", name="Tilføj", exact=True).click()
    page.wait_for_url(re.compile(rf"/plans/{plan_id}#section-\d+$"))
    expect(page.locator(".item-text", has_text="Sendt to gange")).to_have_count(1)
    assert items_with(engine, "Sendt to gange") == 1


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_double_click_on_add_contact_adds_one_contact(new_page, live_server, engine, javascript):
    page = new_page(java_script_enabled=javascript)
    victim, plan_id = person(engine, Role.victim, "Kontakt")
    sign_in(page, live_server.url, victim)
    page.goto(f"{live_server.url}/plans/{plan_id}/contacts")
    add_contact(page, "Moster Inge", double=True)
    expect(page.locator("li.contact.card h3", has_text="Moster Inge")).to_have_count(1)
    page.wait_for_timeout(500)
    expect(page.locator("li.contact.card h3", has_text="Moster Inge")).to_have_count(1)
    assert contacts_named(engine, plan_id, "Moster Inge") == 1


# ---------------------------------------------------------------- nothing typed is lost


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_a_refused_contact_takes_the_focus_to_its_field(new_page, live_server, engine, javascript):
    page = new_page(java_script_enabled=javascript)
    victim, plan_id = person(engine, Role.victim, "Felt")
    sign_in(page, live_server.url, victim)
    page.goto(f"{live_server.url}/plans/{plan_id}/contacts")
    add = page.locator("form.add-contact")
    add.get_by_label("Relation").fill("Nabo")
    add.get_by_label("Telefonnummer").fill("20304050")
    add.get_by_role("button", name="Tilføj kontakt").click()
    name = page.locator("form.add-contact").get_by_label("Navn")
    expect(name).to_be_focused()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("Skriv et navn"))
    expect(page.locator("form.add-contact").get_by_label("Relation")).to_have_value("Nabo")
    if javascript:
        expect(page.locator("#announce")).to_have_text("Skriv et navn.")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_a_bad_review_date_keeps_the_form_open_and_takes_the_focus(
    new_page, live_server, engine, javascript
):
    page = new_page(java_script_enabled=javascript)
    victim, _plan = person(engine, Role.victim, "Dato")
    sign_in(page, live_server.url, victim)
    section = page.locator(".plan-section").first
    section.locator(".section-edit summary").click()
    section.get_by_label("Overskrift").fill("Når det brænder på")
    section.get_by_label(re.compile("^Gennemgås senest")).fill("næste uge")
    section.locator(".section-edit").get_by_role("button", name="Gem").click()
    section = page.locator(".plan-section").first
    review = section.get_by_label(re.compile("^Gennemgås senest"))
    expect(review).to_be_visible()  # the form is still open
    expect(review).to_have_value("næste uge")
    expect(section.get_by_label("Overskrift")).to_have_value("Når det brænder på")
    expect(review).to_have_attribute("aria-invalid", "true")
    expect(review).to_be_focused()
    message = section.locator(".error-message")
    expect(message).to_contain_text("dag-måned-år")
    expect(review).to_have_accessible_description(re.compile("dag-måned-år"))
    if javascript:
        expect(page.locator("#announce")).to_contain_text("dag-måned-år")


def test_an_empty_new_section_takes_the_focus_to_its_field(page, live_server, engine):
    victim, _plan = person(engine, Role.victim, "Afsnit")
    sign_in(page, live_server.url, victim)
    page.get_by_role("button", name="Tilføj afsnit").click()  # a plain form: the page again
    field = page.locator("#new-section")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("Skriv noget først"))


def test_axe_on_a_refused_heading_form(axe, live_server, engine):
    victim, _plan = person(engine, Role.victim, "AxeDato")

    def refused(page: Page) -> None:
        sign_in(page, live_server.url, victim)
        section = page.locator(".plan-section").first
        section.locator(".section-edit summary").click()
        section.get_by_label(re.compile("^Gennemgås senest")).fill("i morgen")
        section.locator(".section-edit").get_by_role("button", name="Gem").click()
        expect(section.locator(".error-message")).to_be_visible()

    axe(f"{live_server.url}/login", setup=refused)


def test_a_long_paste_is_kept_counted_and_explained(page, live_server, engine):
    victim, _plan = person(engine, Role.victim, "Lang")
    sign_in(page, live_server.url, victim)
    section = page.locator(".plan-section").first
    field = section.get_by_label("Nyt punkt")
    count = section.locator(".count").first
    expect(count).to_have_text("0 / 500 tegn")
    field.fill("Fem t")
    expect(count).to_have_text("5 / 500 tegn")
    long_text = ("Jeg skriver meget. " * 526).strip()  # 9,993 characters
    field.fill(long_text)
    expect(count).to_have_text(f"{len(long_text)} / 500 tegn")
    section.get_by_role("button", name="Tilføj", exact=True).click()
    section = page.locator(".plan-section").first
    field = section.get_by_label("Nyt punkt")
    expect(section.locator(".error-message")).to_contain_text("højst være 500 tegn")
    expect(field).to_have_value(long_text)  # not one character cut
    expect(field).to_be_focused()
    assert items_with(engine, long_text) == 0


def test_a_body_too_large_becomes_a_message_at_the_field(page, live_server, engine):
    victim, _plan = person(engine, Role.victim, "Stor")
    sign_in(page, live_server.url, victim)
    section = page.locator(".plan-section").first
    heading = section.locator("h2").inner_text()
    huge = "ø" * 40_000  # 80,000 bytes in UTF-8, more for the form encoding: over the limit
    field = section.get_by_label("Nyt punkt")
    field.fill(huge)
    section.get_by_role("button", name="Tilføj", exact=True).click()
    message = page.locator(".error-message", has_text="for lang til at blive sendt")
    expect(message).to_be_visible()
    expect(field).to_have_value(huge)  # the section was not replaced: the text is all there
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#announce")).to_contain_text("for lang til at blive sendt")
    expect(page.locator(".plan-section h2").first).to_have_text(heading)


# ---------------------------------------------------------------- the conflict page


def make_conflict(page: Page, engine, plan_id: int, mine: str) -> int:
    """Open the first item's editor, let someone else save first, then save: the conflict."""
    item = page.locator(".item").first
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
    item = page.locator(".item").first
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
    item_id = page.locator(".item").first.get_attribute("id").removeprefix("item-")
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
    section = page.locator(".plan-section").first
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
