"""Account notices in real Chromium (issue 12 point 4): a password sign-in on one device is
shown on the other at its next page, and dismissed there, with htmx and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from app import audit, db
from app.auth.models import Role
from tests.browser.people import person, sign_in

SIGNED_IN_ELSEWHERE = "Nogen loggede ind med din adgangskode på"
NARROW = {"width": 320, "height": 640}


def region(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#account-notices")


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_a_password_sign_in_is_shown_on_the_other_device_and_dismissed(
    new_page, live_server, engine, browser_log, javascript
):
    victim, _plan = person(engine, Role.victim, "Maja")
    base = live_server.url
    phone = new_page(java_script_enabled=javascript, viewport=NARROW)
    sign_in(phone, base, victim)
    expect(region(phone)).to_have_count(0)
    laptop = new_page()
    sign_in(laptop, base, victim)
    expect(region(laptop)).to_have_count(0)  # not on the device that signed in

    phone.goto(f"{base}/account")
    notice = region(phone)
    expect(notice).to_contain_text(SIGNED_IN_ELSEWHERE)
    expect(notice).to_contain_text("Var det ikke dig?")
    expect(notice.get_by_role("link", name="Hvor er jeg logget ind?")).to_be_visible()
    # Readable at 320 px: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    # Reachable by keyboard: Tab from the top of the page reaches the dismiss button.
    dismiss = notice.get_by_role("button", name="Jeg har læst det – skjul")
    for _ in range(40):
        phone.keyboard.press("Tab")
        if dismiss.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail("the dismiss button was not reached with Tab")
    if javascript:
        phone.evaluate("window.sameDocument = true")
    phone.keyboard.press("Enter")

    expect(phone.get_by_text(SIGNED_IN_ELSEWHERE)).to_have_count(0)
    expect(phone.locator("h1")).to_have_text("Min konto")  # still on the same page
    if javascript:  # removed in place (no new page); the status region says so
        expect(region(phone)).to_have_text("Beskederne er skjult.")
        expect(region(phone)).to_have_attribute("role", "status")
        assert phone.evaluate("window.sameDocument === true")
    phone.reload()
    expect(region(phone)).to_have_count(0)
    assert not browser_log.errors(), str(browser_log)


def test_a_page_with_a_notice_passes_axe(live_server, engine, axe):
    victim, _plan = person(engine, Role.victim, "Maja")

    def with_notice(page: Page) -> None:
        sign_in(page, live_server.url, victim)
        with db.write_session(engine) as session:  # as if another device added a passkey
            audit.record(
                session, "passkey_added", actor_id=victim.id, subject_id=victim.id, detail="x"
            )
        page.goto(f"{live_server.url}/account")
        expect(region(page)).to_contain_text("En ny adgangsnøgle blev tilføjet.")

    axe(f"{live_server.url}/login", setup=with_notice)
    axe(f"{live_server.url}/login", setup=with_notice, viewport=NARROW, color_scheme="dark")
