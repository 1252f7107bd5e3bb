"""Passkeys in real Chromium with its virtual authenticator (docs/design.md §8)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from app import db
from app.auth import codes
from app.auth.models import Passkey, Role, User
from app.contacts.models import Contact
from tests.browser.people import passkey_checked, person, sign_in

AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}
PLAN_URL = re.compile(r"/plans/\d+$")


class Authenticator:
    """A CDP virtual authenticator attached to one page's browser context."""

    def __init__(self, page: Page, **options: Any) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        self.id = self.add(**options)

    def add(self, **options: Any) -> str:
        reply = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR | options}
        )
        return reply["authenticatorId"]

    def replace(self, **options: Any) -> None:
        """Swap in a new device (another phone, a security key)."""
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})
        self.id = self.add(**options)

    def credentials(self) -> list[dict[str, Any]]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]


def new_code(engine, settings, user: User) -> str:
    """A code issued at the server console: it needs no meeting handshake."""
    with db.write_session(engine) as session:
        return codes.issue(session, settings.secret_key, user.id, None)[1]  # type: ignore[arg-type]


def enrol_in_browser(page: Page, base: str, code: str, nickname: str = "Min telefon") -> None:
    page.goto(f"{base}/enrol")
    page.get_by_label("Kode (skal udfyldes)", exact=True).fill(code)
    page.get_by_label("Navn på denne adgangsnøgle").fill(nickname)
    page.get_by_role("button", name="Opret adgangsnøgle").click()
    # A victim's first sign-in lands on the quick-exit explanation, which leads on to the plan.
    page.wait_for_url(f"{base}/quick-exit")
    explanation = page.locator("[data-exit-explanation]")
    expect(explanation).to_contain_text("ikke sletter din browserhistorik")
    page.get_by_role("link", name="Fortsæt").click()
    page.wait_for_url(PLAN_URL)
    page.goto(f"{base}/account")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Log ud").first.click()
    page.wait_for_url(re.compile(r"/$"))


def test_enrol_sign_out_sign_in_second_passkey_rename_and_last_one_kept(page, live_server, engine):
    base = live_server.url
    victim = person(engine, Role.victim, "Maja")[0]
    auth = Authenticator(page)
    enrol_in_browser(page, base, new_code(engine, live_server.settings, victim))
    expect(page.get_by_role("heading", name="Min konto")).to_be_visible()
    expect(page.locator("#main")).to_contain_text("Min telefon")
    assert len(auth.credentials()) == 1
    assert auth.credentials()[0]["isResidentCredential"] is True

    sign_out(page)
    page.goto(f"{base}/account")
    page.wait_for_url(f"{base}/login")
    page.get_by_role("button", name="Log ind med adgangsnøgle").click()
    page.wait_for_url(PLAN_URL)
    page.goto(f"{base}/account")

    # A second passkey, from another device (a new virtual authenticator).
    auth.replace()
    page.get_by_label("Navn på den nye adgangsnøgle").fill("Sikkerhedsnøgle")
    page.get_by_role("button", name="Tilføj en adgangsnøgle").click()
    expect(page.locator(".item-list > li")).to_have_count(2)
    expect(page.locator("#main")).to_contain_text("Sikkerhedsnøgle")

    # Rename the first.
    first = page.locator(".item-list > li").first
    first.get_by_label("Nyt navn").fill("Gammel telefon")
    first.get_by_role("button", name="Omdøb").click()
    expect(page.locator("#main")).to_contain_text("Gammel telefon")

    # Remove it (the session's passkey check is fresh), then try to remove the last one.
    page.locator(".item-list > li").first.get_by_role("button", name="Fjern").click()
    expect(page.locator(".item-list > li")).to_have_count(1)
    page.locator(".item-list > li").first.get_by_role("button", name="Fjern").click()
    expect(page.get_by_role("alert").filter(has_text="sidste adgangsnøgle")).to_be_visible()
    with db.read_session(engine) as session:
        left = session.exec(select(Passkey).where(Passkey.user_id == victim.id)).all()
    assert [p.nickname for p in left] == ["Sikkerhedsnøgle"]

    # The new device still signs in.
    sign_out(page)
    page.goto(f"{base}/login")
    page.get_by_role("button", name="Log ind med adgangsnøgle").click()
    page.wait_for_url(PLAN_URL)


def test_synced_passkey_is_named_plainly(page, live_server, engine):
    victim = person(engine, Role.victim, "Synk")[0]
    Authenticator(page, defaultBackupEligibility=True, defaultBackupState=True)
    enrol_in_browser(page, live_server.url, new_code(engine, live_server.settings, victim))
    warning = page.get_by_role("note")
    expect(warning).to_contain_text("kan logge ind her som dig")
    expect(page.locator("#main")).to_contain_text("synkroniseret til en cloudkonto")


def test_qr_link_fills_the_code_and_drops_it_from_the_address(page, live_server, engine):
    victim = person(engine, Role.victim, "QR")[0]
    code = new_code(engine, live_server.settings, victim)
    page.goto(f"{live_server.url}/enrol#{code}")
    expect(page.get_by_label("Kode (skal udfyldes)", exact=True)).to_have_value(code)
    assert "#" not in page.url


def test_wrong_code_is_explained_in_danish(page, live_server):
    Authenticator(page)
    page.goto(f"{live_server.url}/enrol")
    page.get_by_label("Kode (skal udfyldes)", exact=True).fill("ACDEF-GHJKM")
    page.get_by_role("button", name="Opret adgangsnøgle").click()
    expect(page.locator("form[data-passkey=enrol] [data-passkey-status]")).to_contain_text(
        "Koden er forkert"
    )


def test_passkey_without_user_verification_is_refused(page, live_server, engine):
    victim = person(engine, Role.victim, "UV")[0]
    Authenticator(page, hasUserVerification=False, isUserVerified=False)
    page.goto(f"{live_server.url}/enrol")
    page.get_by_label("Kode (skal udfyldes)", exact=True).fill(
        new_code(engine, live_server.settings, victim)
    )
    page.get_by_role("button", name="Opret adgangsnøgle").click()
    expect(page.locator("form[data-passkey=enrol] [data-passkey-status]")).not_to_be_empty()
    assert page.url.endswith("/enrol")
    with db.read_session(engine) as session:
        assert session.exec(select(Passkey).where(Passkey.user_id == victim.id)).all() == []


def test_session_signed_out_from_another_device_is_dead(new_page, live_server, engine):
    someone = person(engine, Role.victim, "To enheder")[0]
    phone, laptop = new_page(), new_page()
    sign_in(phone, live_server.url, someone)
    phone.wait_for_url(PLAN_URL)
    Authenticator(laptop)
    enrol_in_browser(laptop, live_server.url, new_code(engine, live_server.settings, someone))
    # With the password alone the phone cannot sign the laptop out: it is sent to a passkey check.
    phone.goto(f"{live_server.url}/account/sessions")
    other = phone.locator(".item-list > li").filter(has_not_text="denne enhed")
    other.get_by_role("button", name="Log ud").click()
    phone.wait_for_url(re.compile(r"/account/verify"))
    # The laptop signed in with a passkey a moment ago: it can.
    laptop.goto(f"{live_server.url}/account/sessions")
    other = laptop.locator(".item-list > li").filter(has_not_text="denne enhed")
    other.get_by_role("button", name="Log ud").click()
    expect(laptop.locator(".item-list > li")).to_have_count(1)
    phone.goto(f"{live_server.url}/account")
    assert phone.url == f"{live_server.url}/login"


SIGNED_IN_PAGES = ["/account", "/account/sessions", "/account/password", "/account/verify"]


@pytest.mark.parametrize("path", ["/login", "/enrol", *SIGNED_IN_PAGES, "/people", "/admin"])
def test_axe_on_sign_in_and_account_pages(axe, live_server, engine, path):
    role = {"/people": Role.caseworker, "/admin": Role.org_admin}.get(path, Role.victim)
    org = f"Org {path}" if role != Role.victim else None
    someone = person(engine, role, f"Axe {path}", org=org)[0]

    def go(page: Page) -> None:
        if path in ("/login", "/enrol"):
            return
        if path == "/account/password":  # needs a fresh passkey check: sign in with one
            Authenticator(page)
            enrol_in_browser(page, live_server.url, new_code(engine, live_server.settings, someone))
            page.goto(f"{live_server.url}{path}")
            assert page.url.endswith(path)
            return
        sign_in(page, live_server.url, someone)
        page.wait_for_load_state()
        page.goto(f"{live_server.url}{path}")
        assert page.url.endswith(path)

    start = path if path in ("/login", "/enrol") else "/login"
    axe(f"{live_server.url}{start}", setup=go)


@pytest.mark.parametrize("where", ["contacts", "sharing", "verify"])
def test_axe_when_the_passkey_check_is_missing(axe, live_server, engine, where):
    """The refused form with its notice (a password session), and the check page with next."""
    victim, plan_id = person(engine, Role.victim, f"Axe {where}")
    base = live_server.url

    def refused(page: Page) -> None:
        sign_in(page, base, victim)
        if where == "verify":
            page.goto(f"{base}/account/verify?next=/plans/{plan_id}/contacts")
            expect(page.get_by_role("link", name="Tilbage")).to_be_visible()
            return
        if where == "sharing":
            page.goto(f"{base}/plan/sharing")
            page.get_by_label("Kode").fill("ABCDE-FGHJK")
            page.get_by_role("button", name="Giv adgang").click()
        else:
            page.goto(f"{base}/plans/{plan_id}/contacts")
            page.locator("#new-name").fill("Mor")
            page.locator("#new-phone").fill("12 34 56 78")
            page.locator("#new-alarm").check()
            page.locator("#add-contact").click()
        expect(page.get_by_role("link", name="Bekræft med adgangsnøgle")).to_be_visible()

    axe(f"{base}/login", setup=refused)


def test_axe_on_the_code_page(axe, live_server, engine):
    someone = person(engine, Role.caseworker, "Kode-axe", org="Org kode")[0]

    def show_code(page: Page) -> None:
        sign_in(page, live_server.url, someone)
        page.wait_for_url(f"{live_server.url}/people")
        page.get_by_label("Det navn, personen vil vises med").fill("Ny borger")
        page.get_by_role("button", name="Opret og vis kode").click()
        expect(page.locator(".code")).to_have_text(re.compile(r"[A-Z0-9]{5}-[A-Z0-9]{5}"))

    axe(f"{live_server.url}/login", setup=show_code)


def test_a_code_works_only_when_the_issuer_confirms_the_phone(new_page, live_server, engine):
    """The meeting handshake (docs/design.md §2, "two people, one room") in real Chromium: a
    redeemed
    code gives no plan and no usable passkey until the caseworker types what the phone shows."""
    base = live_server.url
    caseworker = person(engine, Role.caseworker, "Anna", org="Esbjerg Lokalpoliti")[0]
    laptop, phone = new_page(viewport={"width": 1280, "height": 900}), new_page()
    sign_in(laptop, base, caseworker)
    laptop.wait_for_url(f"{base}/people")
    passkey_checked(engine, caseworker)  # confirming needs a passkey-checked session
    laptop.get_by_label("Det navn, personen vil vises med").fill("Maja")
    laptop.get_by_role("button", name="Opret og vis kode").click()
    code = laptop.locator(".code strong").inner_text()
    expect(laptop.get_by_text("Kun med telefonen foran dig.")).to_be_visible()

    authenticator = Authenticator(phone)
    phone.goto(f"{base}/enrol#{code}")
    phone.get_by_role("button", name="Opret adgangsnøgle").click()
    number = phone.locator("[data-confirmation-number]")
    expect(number).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    assert len(authenticator.credentials()) == 1
    # Before the confirmation: signing in is refused, and the plan asks for a sign-in.
    phone.get_by_role("button", name="Log ind", exact=True).click()
    expect(phone.locator("[data-confirmation] [data-passkey-status]")).to_contain_text(
        "ikke klar endnu"
    )
    check = new_page()
    check.context.add_cookies(phone.context.cookies())
    check.goto(f"{base}/plan")
    assert check.url == f"{base}/login"

    # A wrong number is refused; the right one completes the handshake.
    laptop.get_by_label("Tallet på telefonen").fill(
        "000000" if number.inner_text() != "000 000" else "111111"
    )
    laptop.get_by_role("button", name="Bekræft").click()
    expect(laptop.locator("#confirmation-error")).to_contain_text("Tallet passer ikke")
    expect(laptop.get_by_label("Tallet på telefonen")).to_have_attribute("aria-invalid", "true")
    laptop.get_by_label("Tallet på telefonen").fill(number.inner_text())
    laptop.get_by_role("button", name="Bekræft").click()
    expect(laptop.get_by_role("status").filter(has_text="Telefonen er klar")).to_be_visible()

    phone.get_by_role("button", name="Log ind", exact=True).click()
    phone.wait_for_url(f"{base}/quick-exit")
    phone.goto(f"{base}/plan")
    phone.wait_for_url(PLAN_URL)


def test_a_password_session_confirms_in_place_and_keeps_what_she_typed(
    page, live_server, engine, browser_log
):
    """Issue 12 point 1: with a password only, who gets the alarm does not change; the check
    runs where she is, and the form she filled in goes through afterwards, as she typed it."""
    base = live_server.url
    victim, plan_id = person(engine, Role.victim, "Maja")
    Authenticator(page)
    enrol_in_browser(page, base, new_code(engine, live_server.settings, victim))
    sign_out(page)
    sign_in(page, base, victim)  # with the password: never a fresh passkey check
    page.goto(f"{base}/plans/{plan_id}/contacts")
    page.locator("#new-name").fill("Søster Lisbeth")
    page.locator("#new-phone").fill("22 33 44 55")
    page.locator("#new-knows").fill("Ved alt om sagen")
    page.locator("#new-alarm").check()
    page.locator("#add-contact").click()

    expect(page.get_by_text("skal du først bekræfte med din adgangsnøgle")).to_be_visible()
    expect(page.locator("#new-name")).to_have_value("Søster Lisbeth")
    expect(page.locator("#new-knows")).to_have_value("Ved alt om sagen")
    expect(page.locator("#new-alarm")).to_be_checked()
    with db.read_session(engine) as session:
        assert session.exec(select(Contact).where(Contact.plan_id == plan_id)).all() == []

    page.get_by_role("link", name="Bekræft med adgangsnøgle").click()
    saved = page.locator(".contact-list h3", has_text="Søster Lisbeth")
    expect(saved).to_contain_text("Alarm")
    with db.read_session(engine) as session:
        [row] = session.exec(select(Contact).where(Contact.plan_id == plan_id)).all()
    assert (row.name, row.phone, row.knows, row.alarm) == (
        "Søster Lisbeth",
        "+4522334455",
        "Ved alt om sagen",
        True,
    )
    assert page.url == f"{base}/plans/{plan_id}/contacts"
    assert not [e for e in browser_log.errors() if e.kind == "pageerror"], str(browser_log)
    assert not browser_log.csp_violations(), str(browser_log)


def test_an_admin_code_removes_the_caseworkers_old_passkeys_and_tells_her(
    new_page, live_server, engine
):
    """An admin never holds a caseworker's sign-in: the code is shown on her own laptop at once,
    completes only with her phone in front of the admin, and then her old passkey is gone."""
    base = live_server.url
    admin = person(engine, Role.org_admin, "Henrik", org="Dansk Stalking Center")[0]
    with db.read_session(engine) as session:
        org_id = session.get(User, admin.id).organisation_id  # type: ignore[union-attr]
    sofie = person(engine, Role.caseworker, "Sofie")[0]
    with db.write_session(engine) as session:
        row = session.get(User, sofie.id)
        row.organisation_id = org_id  # type: ignore[union-attr]
        session.add(row)
    laptop, desk, phone = new_page(), new_page(), new_page()
    old_key = Authenticator(laptop)
    laptop.goto(f"{base}/enrol")
    laptop.get_by_label("Kode (skal udfyldes)", exact=True).fill(
        new_code(engine, live_server.settings, sofie)
    )
    laptop.get_by_role("button", name="Opret adgangsnøgle").click()
    laptop.wait_for_url(f"{base}/people")

    sign_in(desk, base, admin)
    desk.wait_for_url(f"{base}/admin")
    passkey_checked(engine, admin)  # confirming needs a passkey-checked session
    desk.get_by_role("button", name="Ny kode – Sofie").click()
    code = desk.locator(".code strong").inner_text()
    # Sofie is told on her own laptop at her next page.
    laptop.goto(f"{base}/people")
    expect(laptop.locator("#account-notices")).to_contain_text("Henrik")

    Authenticator(phone)
    phone.goto(f"{base}/enrol#{code}")
    phone.get_by_role("button", name="Opret adgangsnøgle").click()
    number = phone.locator("[data-confirmation-number]")
    expect(number).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    desk.get_by_label("Tallet på telefonen").fill(number.inner_text())
    desk.get_by_role("button", name="Bekræft").click()
    expect(desk.get_by_role("status").filter(has_text="Telefonen er klar")).to_be_visible()

    # Her old laptop session is over, and its passkey no longer signs in.
    laptop.goto(f"{base}/people")
    laptop.wait_for_url(f"{base}/login")
    laptop.get_by_role("button", name="Log ind med adgangsnøgle").click()
    expect(laptop.locator("[data-passkey-status]").first).to_contain_text("Vi kender ikke")
    assert len(old_key.credentials()) == 1  # still on the laptop, refused by the server
    with db.read_session(engine) as session:
        keys = session.exec(select(Passkey).where(Passkey.user_id == sofie.id)).all()
    assert len(keys) == 1 and keys[0].pending_code_id is None
    phone.get_by_role("button", name="Log ind", exact=True).click()
    phone.wait_for_url(f"{base}/people")
