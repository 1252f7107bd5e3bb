"""Issue 14 point 1 on a phone: the plan is read first — 112, 114 and the alarm on the first
screen, the items as text — and edited on demand, per section in place (htmx) or as the whole
plan in edit mode (without JavaScript)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app import db
from app.auth.models import Role
from app.contacts.models import Contact
from tests.browser.people import person, sign_in

PHONE = {"width": 390, "height": 844}
NARROW = {"width": 320, "height": 640}


def named(action: str, title: str) -> re.Pattern[str]:
    """A link's name: the action and, for a screen reader's list of links, the section's title."""
    return re.compile(rf"^{action}\s*: {re.escape(title)}$")


def fits(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll} px wide on a {width} px screen"


def test_the_first_screen_has_112_114_and_the_alarm_and_no_forms(new_page, live_server, engine):
    victim, plan_id = person(engine, Role.victim, "Første")
    with db.write_session(engine) as session:
        session.add(Contact(plan_id=plan_id, name="Mor", phone="+4512345678", alarm=True))
    page = new_page(viewport=PHONE)
    sign_in(page, live_server.url, victim)
    page.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
    for name, href in (("Ring 112", "tel:112"), ("Politiet, ikke akut: 114", "tel:114")):
        expect(page.get_by_role("link", name=name)).to_be_in_viewport()
        expect(page.get_by_role("link", name=name)).to_have_attribute("href", href)
    alarm = page.get_by_role("link", name="Send alarm-sms")
    expect(alarm).to_be_in_viewport()
    expect(alarm).to_have_attribute("href", re.compile(r"^sms:\+4512345678\?&body="))
    sections = page.locator("#plan-sections")
    expect(sections.locator("form")).to_have_count(0)
    expect(sections.locator(".item").first.locator(".tag")).to_have_text("Fra skabelonen")
    fits(page, PHONE["width"])


@pytest.mark.parametrize("width", [390, 320])
def test_a_section_opens_for_editing_in_place_and_closes_again(
    new_page, live_server, engine, browser_log, width
):
    victim, plan_id = person(engine, Role.victim, f"Læser {width}")
    page = new_page(viewport={"width": width, "height": 700})
    sign_in(page, live_server.url, victim)
    page.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
    page.wait_for_function("typeof window.htmx === 'object'")
    history = page.evaluate("history.length")
    fits(page, width)
    section = page.locator(".plan-section").first
    title = section.locator("h2").inner_text()
    edit = section.get_by_role("link", name=named("Ret", title))
    edit.click()
    # In place: the same address, the section's editor, focus at the top of the section.
    expect(section.get_by_label("Nyt punkt")).to_be_visible()
    expect(section.locator("summary").first).to_be_focused()
    expect(page.locator(".plan-section").nth(1).locator("form")).to_have_count(0)
    assert page.url.endswith(f"/plans/{plan_id}")
    fits(page, width)
    # Ticking an item works there, and "done editing" goes back to reading, focus on "Ret".
    section.locator(".item").first.get_by_role("button", name=re.compile("^Gjort")).click()
    expect(
        section.locator(".item").first.get_by_role("button", name=re.compile("^Gjort"))
    ).to_have_attribute("aria-pressed", "true")
    section.get_by_role("link", name=named("Færdig med at redigere", title)).click()
    expect(section.locator("form")).to_have_count(0)
    expect(section.locator(".item").first).to_have_class(re.compile("is-done"))
    expect(section.get_by_role("link", name=named("Ret", title))).to_be_focused()
    assert page.evaluate("history.length") == history
    assert not browser_log.csp_violations(), str(browser_log)


def test_without_javascript_edit_opens_the_whole_plan_and_done_returns(
    new_page, live_server, engine
):
    victim, plan_id = person(engine, Role.victim, "UdenJS")
    page = new_page(viewport=NARROW, java_script_enabled=False)
    sign_in(page, live_server.url, victim)
    section = page.locator(".plan-section").first
    section.get_by_role("link", name=re.compile(r"^Ret\s*: ")).click()
    page.wait_for_url(re.compile(rf"/plans/{plan_id}/edit#section-\d+$"))
    expect(page.locator(".plan-section").first.get_by_label("Nyt punkt")).to_be_visible()
    expect(page.get_by_role("button", name="Tilføj afsnit")).to_be_visible()
    fits(page, NARROW["width"])
    page.get_by_role("link", name="Færdig med at redigere", exact=True).click()
    page.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
    expect(page.locator("#plan-sections form")).to_have_count(0)


def test_axe_on_a_section_open_for_editing_at_320(axe, live_server, engine):
    victim, _plan_id = person(engine, Role.victim, "AxeLæser")

    def opened(page: Page) -> None:
        sign_in(page, live_server.url, victim)
        page.locator(".plan-section").first.get_by_role(
            "link", name=re.compile(r"^Ret\s*: ")
        ).click()
        expect(page.locator(".plan-section").first.get_by_label("Nyt punkt")).to_be_visible()

    axe(f"{live_server.url}/login", setup=opened, viewport=NARROW)
