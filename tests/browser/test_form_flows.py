"""Forms on a phone that never lose or double anything (issue 14 point 3): a double tap adds
once, a refused field keeps what was typed and takes the focus, a long paste is not cut. The
conflict page, the editors at 320 px and focus after swaps: test_form_layout.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from app import db
from app.auth.models import Role
from app.contacts.models import Contact
from app.plans.models import Item
from tests.browser.people import edit_plan, person, sign_in

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
    section = edit_plan(page)
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
    edit_plan(page)
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
    page.wait_for_url(re.compile(rf"/plans/{plan_id}/edit#section-\d+$"))
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
    section = edit_plan(page)
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
    page.get_by_role("link", name="Rediger hele planen").click()
    page.get_by_role("button", name="Tilføj afsnit").click()  # a plain form: the page again
    field = page.locator("#new-section")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("Skriv noget først"))


def test_axe_on_a_refused_heading_form(axe, live_server, engine):
    victim, _plan = person(engine, Role.victim, "AxeDato")

    def refused(page: Page) -> None:
        sign_in(page, live_server.url, victim)
        section = edit_plan(page)
        section.locator(".section-edit summary").click()
        section.get_by_label(re.compile("^Gennemgås senest")).fill("i morgen")
        section.locator(".section-edit").get_by_role("button", name="Gem").click()
        expect(section.locator(".error-message")).to_be_visible()

    axe(f"{live_server.url}/login", setup=refused)


def test_a_long_paste_is_kept_counted_and_explained(page, live_server, engine):
    victim, _plan = person(engine, Role.victim, "Lang")
    sign_in(page, live_server.url, victim)
    section = edit_plan(page)
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
    section = edit_plan(page)
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
