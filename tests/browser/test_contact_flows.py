"""Contacts and the alarm on a phone, with htmx and without JavaScript, in real Chromium.

An ``sms:`` address cannot open anything in headless Chromium, but the browser still requests
the navigation: the tests read it from the DevTools protocol (``Page.frameRequestedNavigation``),
so they check the address the phone would really be sent to — for a plain link click as well as
for the one ``alarm.js`` builds with the position.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import select

from app import db
from app.auth.models import Role, User
from app.contacts.models import Contact, Hotline
from tests.browser import people
from tests.browser.people import passkey_checked, person, sign_in

POSITION = {"latitude": 55.47664, "longitude": 8.45939}  # Esbjerg, Torvet
MAP_LINK = "https://www.openstreetmap.org/?mlat=55.47664&mlon=8.45939#map=17/55.47664/8.45939"

# Counts calls to the geolocation API, so a test can see that nothing asked for the position.
COUNT_GEOLOCATION = """
(() => {
  window.__geolocationCalls = 0;
  const geo = navigator.geolocation;
  const original = geo.getCurrentPosition.bind(geo);
  geo.getCurrentPosition = (...args) => {
    window.__geolocationCalls += 1;
    return original(...args);
  };
})();
"""


def with_contacts(engine, plan_id: int, *rows: tuple[str, str, str, bool]) -> list[Contact]:
    """(name, E.164 phone, code word, alarm) per contact, in this order."""
    with db.write_session(engine) as session:
        made = [
            Contact(plan_id=plan_id, name=n, phone=p, code_word=w, alarm=a, position=i)
            for i, (n, p, w, a) in enumerate(rows)
        ]
        session.add_all(made)
        session.flush()
        return made


def navigations(page: Page) -> list[str]:
    """Every navigation the page asks for, ``sms:`` and ``tel:`` included."""
    seen: list[str] = []
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.on("Page.frameRequestedNavigation", lambda params: seen.append(params["url"]))
    return seen


def requested_after(page: Page, seen: list[str], timeout_ms: int = 10_000) -> list[str]:
    """``seen`` once the first navigation arrived (and a moment for any second one)."""
    waited = 0
    while not seen and waited < timeout_ms:
        page.wait_for_timeout(50)
        waited += 50
    page.wait_for_timeout(200)
    return seen


def contact(page: Page, name: str) -> Locator:
    return page.locator("li.contact.card").filter(has=page.locator("h3", has_text=name))


def names(page: Page) -> list[str]:
    return [
        re.sub(r"\s+Alarm$", "", t.strip())
        for t in page.locator("li.contact.card h3").all_inner_texts()
    ]


def fill_contact(scope: Locator, **values: str | bool) -> None:
    labels = {
        "name": "Navn",
        "relation": "Relation",
        "phone": "Telefonnummer",
        "knows": "Hvad ved personen?",
        "code_word": "Kodeord",
    }
    for field, value in values.items():
        if field == "alarm":
            scope.get_by_label("Får alarm-sms").set_checked(bool(value))
        else:
            scope.get_by_label(labels[field]).fill(str(value))


def body(text: str) -> str:
    return quote(text, safe="")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_victim_adds_edits_reorders_and_deletes_a_contact(
    new_page, live_server, engine, browser_log, javascript
):
    page = new_page(java_script_enabled=javascript)
    victim, plan_id = person(engine, Role.victim, "Maja")
    base = live_server.url
    sign_in(page, base, victim)
    passkey_checked(engine, victim)  # she decides who gets the alarm (issue 12 point 1)
    page.get_by_role("link", name="Mine kontakter").click()
    page.wait_for_url(f"{base}/plans/{plan_id}/contacts")
    expect(page.locator("h1")).to_have_text("Mine kontakter")
    expect(page.get_by_role("link", name="Ring 112")).to_have_attribute("href", "tel:112")
    expect(page.get_by_role("link", name="Ring 114")).to_have_attribute("href", "tel:114")
    expect(page.locator("#alarm")).to_contain_text("Ingen får alarmen endnu")
    history_before = page.evaluate("history.length") if javascript else None
    add_form = page.locator("#contacts > form")

    # Add two contacts
    fill_contact(
        add_form,
        name="Mor",
        relation="mor",
        phone="12 34 56 78",
        knows="Alt om sagen",
        code_word="blå cykel",
        alarm=True,
    )
    add_form.get_by_role("button", name="Tilføj kontakt").click()
    expect(contact(page, "Mor").locator(".contact-phone")).to_have_text("+45 12 34 56 78")
    fill_contact(add_form, name="Far", phone="+46 70 123 45 67", code_word="R&D", alarm=True)
    add_form.get_by_role("button", name="Tilføj kontakt").click()
    expect(contact(page, "Far")).to_have_count(1)
    assert names(page) == ["Mor", "Far"]

    # A bad number is explained in Danish and what was typed stays
    fill_contact(add_form, name="Bror", phone="ring til mig")
    add_form.get_by_role("button", name="Tilføj kontakt").click()
    expect(page.locator("#new-phone-error")).to_contain_text("Det er ikke et telefonnummer")
    expect(page.locator("#new-name")).to_have_value("Bror")
    assert names(page) == ["Mor", "Far"]

    # Edit
    mor = contact(page, "Mor")
    mor.locator("summary", has_text="Ret").click()
    fill_contact(mor, relation="mor (mobil)", phone="0045 20 30 40 50")
    mor.get_by_role("button", name="Gem").click()
    expect(contact(page, "Mor").locator(".contact-phone")).to_have_text("+45 20 30 40 50")
    expect(contact(page, "Mor").locator(".contact-relation")).to_have_text("mor (mobil)")

    # Reorder: Far up
    contact(page, "Far").get_by_role("button", name="Flyt op: Far").click()
    expect(page.locator("li.contact.card h3").first).to_contain_text("Far")
    assert names(page) == ["Far", "Mor"]

    # Ring and SMS are real links to the normalised number
    far = contact(page, "Far")
    expect(far.get_by_role("link", name="Ring til Far")).to_have_attribute(
        "href", "tel:+46701234567"
    )
    expect(far.get_by_role("link", name="sms til Far")).to_have_attribute(
        "href", "sms:+46701234567"
    )
    box = far.get_by_role("link", name="Ring til Far").bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44

    # The alarm: both alarm contacts, in list order, with both code words
    expect(page.get_by_role("link", name="Send alarm-sms")).to_have_attribute(
        "href",
        "sms:+46701234567,+4520304050?&body="
        + body("Jeg har brug for hjælp. Kodeord: R&D, blå cykel"),
    )

    # Delete, with confirmation, then undo
    target = contact(page, "Far")
    if javascript:
        page.once("dialog", lambda dialog: dialog.accept())
        target.get_by_role("link", name=re.compile("^Slet")).click()
    else:
        target.get_by_role("link", name=re.compile("^Slet")).click()
        expect(page.locator("h1")).to_have_text("Slet denne kontakt?")
        page.get_by_role("button", name="Slet").click()
    expect(page.get_by_text("Far blev slettet.")).to_be_visible()
    expect(contact(page, "Far")).to_have_count(0)
    expect(page.get_by_role("link", name="Send alarm-sms")).to_have_attribute(
        "href", "sms:+4520304050?&body=" + body("Jeg har brug for hjælp. Kodeord: blå cykel")
    )
    page.get_by_role("button", name="Fortryd").click()
    expect(contact(page, "Far")).to_have_count(1)
    assert names(page) == ["Far", "Mor"]

    with db.read_session(engine) as session:
        saved = session.exec(
            select(Contact).where(Contact.plan_id == plan_id).order_by(Contact.position)
        ).all()
    assert [(c.name, c.phone, c.deleted_at) for c in saved] == [
        ("Far", "+46701234567", None),
        ("Mor", "+4520304050", None),
    ]
    if javascript:
        # htmx swapped the list in place: no page loads, one history entry (docs/design.md §5).
        assert page.evaluate("history.length") == history_before
        assert not browser_log.csp_violations(), str(browser_log)
        # (The 422 of the bad number is a console "error" by Chromium's standards.)
        assert not [e for e in browser_log.errors() if e.kind == "pageerror"], str(browser_log)
    else:
        # Without JavaScript there is no position checkbox to tick in vain.
        expect(page.get_by_label("Tilføj min position")).to_be_hidden()


def test_without_javascript_the_alarm_is_a_plain_sms_link(new_page, live_server, engine):
    victim, plan_id = person(engine, Role.victim, "Maja")
    with_contacts(engine, plan_id, ("Mor", "+4512345678", "æble", True))
    page = new_page(java_script_enabled=False)
    sign_in(page, live_server.url, victim)
    page.goto(f"{live_server.url}/plans/{plan_id}/contacts")
    requested = navigations(page)
    page.get_by_role("link", name="Send alarm-sms").click()
    expected = "sms:+4512345678?&body=" + body("Jeg har brug for hjælp. Kodeord: æble")
    assert requested_after(page, requested) == [expected]


@pytest.mark.parametrize(
    ("allowed", "ticked"),
    [(True, True), (True, False), (False, True)],
    ids=["position-shared", "box-not-ticked", "permission-refused"],
)
def test_alarm_adds_the_position_only_when_ticked_and_allowed(
    new_page, live_server, engine, browser_log, allowed, ticked
):
    victim, plan_id = person(engine, Role.victim, "Maja")
    with_contacts(
        engine,
        plan_id,
        ("Mor", "+4512345678", "blå cykel", True),
        ("Naboen", "+4520304050", "", False),
        ("Far", "+4587654321", "", True),
    )
    extra: dict[str, Any] = {"geolocation": POSITION}
    if allowed:
        extra["permissions"] = ["geolocation"]
    page = new_page(**extra)
    page.add_init_script(COUNT_GEOLOCATION)
    sign_in(page, live_server.url, victim)
    page.goto(f"{live_server.url}/plans/{plan_id}/contacts")
    requested = navigations(page)

    alarm = page.get_by_role("link", name="Send alarm-sms")
    plain = "sms:+4512345678,+4587654321?&body=" + body(
        "Jeg har brug for hjælp. Kodeord: blå cykel"
    )
    expect(alarm).to_have_attribute("href", plain)
    checkbox = page.get_by_label("Tilføj min position")
    expect(checkbox).to_be_visible()
    expect(checkbox).not_to_be_checked()
    assert page.evaluate("window.__geolocationCalls") == 0  # nothing asked on page load
    if ticked:
        checkbox.check()
    alarm.click()

    expected = plain + (body("\nMin position: " + MAP_LINK) if allowed and ticked else "")
    expect(alarm).to_have_attribute("data-alarm-url", expected)
    assert requested_after(page, requested) == [expected]
    assert page.evaluate("window.__geolocationCalls") == (1 if ticked else 0)
    assert not browser_log.csp_violations(), str(browser_log)


def test_caseworker_edit_meets_a_conflict_and_sees_both(new_page, live_server, engine):
    anna, _ = person(engine, Role.caseworker, "Anna", org="Esbjerg Lokalpoliti")
    _victim, plan_id = person(engine, Role.victim, "Maja", caseworker=anna)
    (mor,) = with_contacts(engine, plan_id, ("Mor", "+4512345678", "", False))
    laptop = new_page(viewport={"width": 1280, "height": 800})
    sign_in(laptop, live_server.url, anna)
    laptop.goto(f"{live_server.url}/plans/{plan_id}/contacts")
    expect(laptop.locator("h1")).to_have_text("Kontakter for Maja")
    expect(laptop.get_by_role("link", name="Send alarm-sms")).to_have_count(0)
    row = contact(laptop, "Mor")
    row.locator("summary", has_text="Ret").click()
    fill_contact(row, knows="Skrevet af Anna")
    with db.write_session(engine) as session:  # the victim saves first
        current = session.get(Contact, mor.id)
        current.knows, current.version = "Skrevet af Maja", current.version + 1
        session.add(current)
    row.get_by_role("button", name="Gem").click()
    expect(laptop.locator("h1")).to_have_text("En anden har ændret denne kontakt")
    expect(laptop.locator("#main")).to_contain_text("Skrevet af Maja")
    expect(laptop.locator("#mine-knows")).to_have_value("Skrevet af Anna")
    laptop.get_by_role("button", name="Gem det, jeg skrev").click()
    expect(contact(laptop, "Mor").locator(".contact-knows")).to_contain_text("Skrevet af Anna")


def test_org_admin_adds_and_deletes_a_hotline(page, live_server, engine):
    admin, _ = person(engine, Role.org_admin, "Admin", org="Dansk Stalking Center")
    sign_in(page, live_server.url, admin)
    page.get_by_role("link", name="Telefonlinjer").click()
    expect(page.locator("h1")).to_have_text("Telefonlinjer")
    page.get_by_label("Navn").fill("Rådgivning")
    page.get_by_label("Telefonnummer").fill("12")
    page.get_by_role("button", name="Tilføj linje").click()
    expect(page.locator("#hotline-phone-error")).to_contain_text("Det er ikke et telefonnummer")
    page.get_by_label("Telefonnummer").fill("70 20 20 05")
    page.get_by_role("button", name="Tilføj linje").click()
    expect(page.locator(".item-list")).to_contain_text("Rådgivning · +45 70 20 20 05")
    page.get_by_role("button", name=re.compile(r"^Slet\W+Rådgivning$")).click()
    expect(page.locator(".item-list")).to_have_count(0)


# ---------------------------------------------------------------- accessibility


def _world(engine) -> tuple[User, User, User, int, Contact, Contact]:
    anna, _ = person(engine, Role.caseworker, "Anna", org="Politi")
    admin, _ = person(engine, Role.org_admin, "Admin", org="Center")
    victim, plan_id = person(engine, Role.victim, "Maja", caseworker=anna)
    mor, far = with_contacts(
        engine,
        plan_id,
        ("Mor", "+4512345678", "blå cykel", True),
        ("Far", "+46701234567", "", False),
    )
    with db.write_session(engine) as session:
        session.add(
            Hotline(organisation_id=anna.organisation_id, name="Vagten", phone="+4570101010")
        )
        session.add(
            Hotline(organisation_id=admin.organisation_id, name="Rådgivning", phone="+4570202005")
        )
    return victim, anna, admin, plan_id, mor, far


def test_axe_on_the_contact_pages(axe, live_server, engine):
    victim, anna, admin, plan_id, mor, far = _world(engine)
    base = live_server.url
    contacts = f"{base}/plans/{plan_id}/contacts"

    def visit(user: User, url: str, then=None):  # type: ignore[no-untyped-def]
        return people.visit(base, user, url, then)

    def open_editor(page: Page) -> None:
        contact(page, "Mor").locator("summary", has_text="Ret").click()
        contact(page, "Mor").locator("summary", has_text="Vis kodeord").click()

    def bad_input(page: Page) -> None:
        form = page.locator("#contacts > form")
        fill_contact(form, name="", phone="nej")
        form.get_by_role("button", name="Tilføj kontakt").click()
        expect(page.locator("#new-phone-error")).to_be_visible()

    def conflict(page: Page) -> None:
        row = contact(page, "Far")
        row.locator("summary", has_text="Ret").click()
        fill_contact(row, knows="Min version")
        with db.write_session(engine) as session:
            current = session.get(Contact, far.id)
            current.version += 1
            session.add(current)
        row.get_by_role("button", name="Gem").click()
        expect(page.locator("h1")).to_have_text("En anden har ændret denne kontakt")

    def bad_hotline(page: Page) -> None:
        page.get_by_role("button", name="Tilføj linje").click()
        expect(page.locator("#hotline-name-error")).to_be_visible()

    axe(f"{base}/login", setup=visit(victim, contacts, open_editor))
    axe(f"{base}/login", setup=visit(victim, contacts, bad_input))
    axe(f"{base}/login", setup=visit(anna, contacts))
    axe(f"{base}/login", setup=visit(victim, f"{contacts}/{mor.id}/delete"))
    axe(f"{base}/login", setup=visit(anna, contacts, conflict))
    axe(f"{base}/login", setup=visit(admin, f"{base}/admin/hotlines"))
    axe(f"{base}/login", setup=visit(admin, f"{base}/admin/hotlines", bad_hotline))
    axe(f"{base}/login", setup=visit(victim, contacts), color_scheme="dark")
