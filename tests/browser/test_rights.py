"""The person's data rights in real Chromium (issue 18 points 4 and 5): her data page and the
deletion pages pass axe; a wrong word erases nothing and says so; the right word erases the
account and wipes this phone (worker, caches, offline storage), and her other phone wipes
itself at its next visit."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.people import passkey_checked, sign_in
from tests.browser.test_phone import (
    CONTACT,
    ITEM,
    LEFTOVERS,
    controlled,
    set_up_offline_copy,
    victim_with_plan,
)


def test_her_data_and_the_deletion_page_pass_axe(live_server, engine, axe):
    user, _plan_id = victim_with_plan(engine, "Maja")
    for path in ("/account/data", "/account/delete"):

        def signed_in_at(page, path=path):  # type: ignore[no-untyped-def]
            sign_in(page, live_server.url, user)
            passkey_checked(engine, user)
            page.goto(f"{live_server.url}{path}")

        axe(f"{live_server.url}{path}", setup=signed_in_at)


def test_deleting_the_account_refuses_a_wrong_word_then_erases_and_wipes_both_phones(
    new_page, live_server, engine
):
    base = live_server.url
    user, _plan_id = victim_with_plan(engine, "Maja")
    other = new_page()
    sign_in(other, base, user)
    controlled(other)

    page = new_page()
    sign_in(page, base, user)
    controlled(page)
    set_up_offline_copy(page, base)
    page.goto(f"{base}/account")
    page.get_by_role("link", name="Alle mine data").click()
    expect(page.get_by_text(ITEM)).to_be_visible()
    expect(page.get_by_text(CONTACT).first).to_be_visible()

    page.get_by_role("link", name="Slet min konto").click()
    # Signed in with the password: the passkey check comes first, and no form is offered.
    expect(page.get_by_role("link", name="Bekræft med adgangsnøgle")).to_be_visible()
    expect(page.get_by_label("Skriv SLET for at slette din konto (skal udfyldes)")).to_have_count(0)
    passkey_checked(engine, user)
    page.reload()

    field = page.get_by_label("Skriv SLET for at slette din konto (skal udfyldes)")
    field.fill("slet ikke")
    page.get_by_role("button", name="Slet min konto").click()
    expect(page.get_by_text("Du skrev ikke SLET. Intet er slettet.")).to_be_visible()
    page.goto(f"{base}/account/data")
    expect(page.get_by_text(ITEM)).to_be_visible()  # nothing erased

    page.goto(f"{base}/account/delete")
    page.get_by_label("Skriv SLET for at slette din konto (skal udfyldes)").fill("SLET")
    page.get_by_role("button", name="Slet min konto").click()
    expect(page.get_by_role("heading", name="Kontoen er slettet")).to_be_visible()
    left = page.evaluate(LEFTOVERS)
    assert left == {"caches": [], "databases": [], "workers": 0}, left

    # Her other phone, at its next visit: signed out, and its worker and caches are gone.
    other.goto(f"{base}/plan")
    expect(other).to_have_url(f"{base}/login")
    left = other.evaluate(LEFTOVERS)
    assert left["caches"] == [] and left["workers"] == 0, left
