"""The handleplan in a meeting (issue 17): the caseworker on a laptop agrees and completes an
action, the victim's phone (390 px) shows it live; she adds her own; a concurrent edit meets the
conflict choice; the page works at 320 px and has no axe violations. Real Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.auth.models import Role
from tests.browser import people
from tests.browser.conftest import DESKTOP
from tests.browser.people import person, sign_in

AGREED = "Anna ringer til boligselskabet om ny lås"
MINE = "Jeg gemmer alle sms'er fra ham"


def connected(page: Page) -> None:
    expect(page.locator("#live")).to_have_attribute("data-live", "on", timeout=10_000)


def action(page: Page, what: str):  # type: ignore[no-untyped-def]
    return page.locator("li.action").filter(has=page.locator("h3", has_text=what))


@pytest.fixture
def meeting(new_page, live_server, engine):  # type: ignore[no-untyped-def]
    """The victim's phone and the caseworker's laptop with her handleplan open, both live."""
    anna, _ = person(engine, Role.caseworker, "Anna", org="Esbjerg Kommune")
    maja, plan_id = person(engine, Role.victim, "Maja", caseworker=anna, sections=1)
    base = live_server.url
    phone, laptop = new_page(), new_page(viewport=DESKTOP)
    sign_in(phone, base, maja)
    sign_in(laptop, base, anna)
    url = f"{base}/plans/{plan_id}/actions"
    phone.goto(f"{base}/plans/{plan_id}")
    phone.get_by_role("link", name="Handleplan").first.click()  # the plan links to it
    phone.wait_for_url(url)
    laptop.goto(url)
    connected(phone)
    connected(laptop)
    return phone, laptop, url, anna


def test_agreed_in_the_meeting_and_seen_live_on_her_phone(meeting, browser_log):  # type: ignore[no-untyped-def]
    phone, laptop, _url, anna = meeting
    # The caseworker makes herself the fixed contact person.
    laptop.locator("#helpers summary", has_text="Ret rolle").click()
    laptop.get_by_label("Rolle i denne sag").select_option(label="Fast kontaktperson")
    laptop.get_by_label("Sådan får personen fat i dem (valgfrit)").fill("Ring 76 16 00 00 kl. 9-12")
    laptop.locator("#helpers").get_by_role("button", name="Gem").click()
    expect(phone.locator("#contact-person")).to_contain_text("Ring 76 16 00 00 kl. 9-12")

    # She agrees an action for herself, due in December; the phone shows it without a reload.
    new = laptop.locator("#new-action")
    new.get_by_label("Hvad skal gøres").fill(AGREED)
    new.get_by_label("Hvem gør det").select_option(value=f"cw-{anna.id}")
    new.get_by_label("Senest hvornår (valgfrit)").fill("2030-12-10")
    new.get_by_role("button", name="Tilføj").click()
    expect(action(laptop, AGREED)).to_contain_text("Aftalt")
    expect(action(phone, AGREED)).to_contain_text("Senest 10-12-2030")
    expect(action(phone, AGREED)).to_contain_text("Anna")

    # Completed: the phone shows it done.
    row = action(laptop, AGREED)
    row.locator("form.action-status select").select_option(label="Gjort")
    row.get_by_role("button", name="Sæt status").click()
    expect(action(phone, AGREED).locator(".tag")).to_have_text("Gjort")
    expect(action(phone, AGREED)).to_have_class(re.compile("is-done"))

    # She adds her own; the laptop shows it, as hers.
    mine = phone.locator("#new-action")
    expect(mine.get_by_role("heading")).to_have_text("Tilføj noget, jeg selv gør")
    mine.get_by_label("Hvad skal gøres").fill(MINE)
    mine.get_by_role("button", name="Tilføj").click()
    expect(action(phone, MINE)).to_contain_text("Mig")
    expect(action(laptop, MINE)).to_contain_text("Maja")
    # …and comments on the caseworker's action.
    theirs = action(phone, AGREED)
    theirs.locator("summary", has_text="Kommentar").click()
    theirs.get_by_label("Din kommentar").fill("Låsesmeden kan torsdag")
    theirs.get_by_role("button", name="Tilføj kommentar").click()
    expect(action(laptop, AGREED)).to_contain_text("Låsesmeden kan torsdag")
    assert not browser_log.errors(), browser_log


def test_a_concurrent_edit_meets_the_conflict_choice(meeting):  # type: ignore[no-untyped-def]
    phone, laptop, url, _anna = meeting
    mine = phone.locator("#new-action")
    mine.get_by_label("Hvad skal gøres").fill(MINE)
    mine.get_by_role("button", name="Tilføj").click()
    expect(action(laptop, MINE)).to_be_visible()
    # Both open the same action's editor.
    action(phone, MINE).locator("summary", has_text="Ret").click()
    action(laptop, MINE).locator("summary", has_text="Ret").click()
    phone_editor = phone.locator("details[open] form.action-edit")
    phone_editor.get_by_label("Hvad skal gøres").fill("Jeg gemmer sms'er og skærmbilleder")
    # The caseworker saves first; the phone's open editor stays open with her words.
    laptop_editor = laptop.locator("details[open] form.action-edit")
    laptop_editor.get_by_label("Hvad skal gøres").fill("Maja gemmer sms'er i en mappe")
    laptop_editor.get_by_role("button", name="Gem").click()
    expect(laptop.locator("li.action h3").first).to_have_text("Maja gemmer sms'er i en mappe")
    expect(phone.locator("li.action h3").first).to_have_text("Maja gemmer sms'er i en mappe")
    expect(phone_editor.get_by_label("Hvad skal gøres")).to_have_value(
        "Jeg gemmer sms'er og skærmbilleder"
    )
    # Her save: both versions side by side, nothing overwritten.
    phone_editor.get_by_role("button", name="Gem").click()
    expect(phone.locator("h1")).to_have_text("En anden har ændret denne aftale")
    expect(phone.locator(".compare")).to_contain_text("Maja gemmer sms'er i en mappe")
    field = phone.locator("#mine-what")
    expect(field).to_have_value("Jeg gemmer sms'er og skærmbilleder")
    field.fill("Jeg gemmer sms'er og skærmbilleder i en mappe")
    phone.get_by_role("button", name="Gem min udgave").click()
    phone.wait_for_url(re.compile(re.escape(url)))
    expect(phone.locator("li.action h3").first).to_have_text(
        "Jeg gemmer sms'er og skærmbilleder i en mappe"
    )
    expect(laptop.locator("li.action h3").first).to_have_text(
        "Jeg gemmer sms'er og skærmbilleder i en mappe"
    )


def test_without_javascript_and_at_320_px(new_page, live_server, engine):  # type: ignore[no-untyped-def]
    anna, _ = person(engine, Role.caseworker, "Anna", org="Esbjerg Kommune")
    maja, plan_id = person(engine, Role.victim, "Maja", caseworker=anna, sections=1)
    phone = new_page(viewport={"width": 320, "height": 640}, java_script_enabled=False)
    sign_in(phone, live_server.url, maja)
    phone.goto(f"{live_server.url}/plans/{plan_id}/actions")
    mine = phone.locator("#new-action")
    mine.get_by_label("Hvad skal gøres").fill("x" * 201)
    mine.get_by_role("button", name="Tilføj").click()
    expect(phone.locator("#new-what-error")).to_have_text("Teksten må højst være 200 tegn.")
    expect(phone.locator("#new-what")).to_have_value("x" * 201)  # nothing lost
    phone.locator("#new-what").fill(MINE)
    phone.locator("#new-action").get_by_role("button", name="Tilføj").click()
    expect(action(phone, MINE)).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 320


def test_axe_on_the_handleplan(axe, live_server, engine):  # type: ignore[no-untyped-def]
    anna, _ = person(engine, Role.caseworker, "Anna", org="Esbjerg Kommune")
    maja, plan_id = person(engine, Role.victim, "Maja", caseworker=anna, sections=1)
    base = live_server.url
    url = f"{base}/plans/{plan_id}/actions"

    def visit(user, then=None):  # type: ignore[no-untyped-def]
        return people.visit(base, user, url, then)

    def add_and_open(page: Page) -> None:
        page.locator("#new-action").get_by_label("Hvad skal gøres").fill(AGREED)
        page.locator("#new-action").get_by_role("button", name="Tilføj").click()
        action(page, AGREED).locator("summary", has_text="Ret").click()

    def bad_input(page: Page) -> None:
        page.locator("#new-action").get_by_role("button", name="Tilføj").click()
        expect(page.locator("#new-what-error")).to_be_visible()

    axe(f"{base}/login", setup=visit(anna, add_and_open))
    axe(f"{base}/login", setup=visit(maja))
    axe(f"{base}/login", setup=visit(maja, bad_input))
    axe(f"{base}/login", setup=visit(anna), color_scheme="dark")
