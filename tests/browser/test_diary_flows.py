"""The stalking log in a real browser on a 390 px phone (issue 16): quick entry on one screen
and one tap, with and without JavaScript; evidence uploaded from a file; axe on every page."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from app import db
from app.auth.models import Role
from app.clock import now
from app.diary.models import DiaryEntry, DiaryShare, Evidence
from tests.browser.people import person, sign_in

PHONE = {"width": 390, "height": 844}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"\x00" * 17 + b"\x00\x00\x00\x00IEND"


def on_screen(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_quick_entry_on_a_phone_is_one_screen_and_one_tap(
    new_page, live_server, engine, browser_log, javascript
):
    page = new_page(viewport=PHONE, java_script_enabled=javascript)
    victim, _plan = person(engine, Role.victim, "Maja")
    base = live_server.url
    sign_in(page, base, victim)
    page.get_by_role("link", name="Min log").click()
    page.wait_for_url(f"{base}/diary")
    # The time is filled in; the text field and the button are on the first screen.
    expect(page.locator("#new-when")).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$"))
    assert on_screen(page, "#new-what") and on_screen(page, "#save-entry")
    if javascript:
        page.evaluate("window.stayed = true")  # gone if the page were loaded again
    page.locator("#new-what").fill("Han stod ved lågen kl. 7 og råbte mit navn")
    page.locator("#save-entry").click()  # the one tap
    entry = page.locator(".diary-entry").first
    expect(entry).to_contain_text("Han stod ved lågen kl. 7 og råbte mit navn")
    if javascript:
        expect(page.get_by_text("Gemt i din log.")).to_be_visible()
        assert page.evaluate("window.stayed === true")  # updated in place
        expect(page.locator("#new-what")).to_have_value("")  # ready for the next one
    with db.read_session(engine) as session:
        saved = session.exec(select(DiaryEntry).where(DiaryEntry.victim_id == victim.id)).all()
    assert [e.what for e in saved] == ["Han stod ved lågen kl. 7 og råbte mit navn"]
    assert not browser_log.errors() and not browser_log.csp_violations(), str(browser_log)


def test_quick_entry_refuses_an_empty_text_in_danish(new_page, live_server, engine):
    page = new_page(viewport=PHONE)
    victim, _plan = person(engine, Role.victim, "Maja")
    sign_in(page, live_server.url, victim)
    page.goto(f"{live_server.url}/diary")
    page.locator("#save-entry").click()
    expect(page.locator("#what-error")).to_have_text("Skriv, hvad der skete.")
    expect(page.locator("#new-what")).to_be_focused()


def test_evidence_from_a_file_is_numbered_and_hashed(new_page, live_server, engine, tmp_path):
    page = new_page(viewport=PHONE)
    victim, _plan = person(engine, Role.victim, "Maja")
    sign_in(page, live_server.url, victim)
    page.goto(f"{live_server.url}/diary/evidence")
    photo = tmp_path / "skaermbillede.png"
    photo.write_bytes(PNG)
    page.locator("#file").set_input_files(str(photo))
    page.get_by_label("Hvad viser den?").fill("Sms fra ham")
    page.get_by_role("button", name="Læg op").click()
    expect(page.get_by_text("Bilag 1 er gemt.")).to_be_visible()
    expect(page.get_by_text("Du kan nu slette originalen fra din telefon.")).to_be_visible()
    expect(page.locator("#bilag-1")).to_contain_text(hashlib.sha256(PNG).hexdigest())

    fake = tmp_path / "ikke-et-billede.jpg"
    fake.write_text("<script>alert(1)</script>")
    page.locator("#file").set_input_files(str(fake))
    page.get_by_label("Hvad viser den?").fill("Falsk")
    page.get_by_role("button", name="Læg op").click()
    expect(page.locator("#file-error")).to_contain_text("Den fil kan ikke gemmes her")
    with db.read_session(engine) as session:
        assert len(session.exec(select(Evidence).where(Evidence.victim_id == victim.id)).all()) == 1


def test_axe_on_the_log_pages(axe, live_server, engine, tmp_path: Path):
    anna, _none = person(engine, Role.caseworker, "Anna", org="Esbjerg Lokalpoliti")
    victim, plan_id = person(engine, Role.victim, "Maja", caseworker=anna)
    base = live_server.url
    with db.write_session(engine) as session:
        entry = DiaryEntry(
            victim_id=victim.id,
            happened_at=now() - timedelta(hours=2),
            what="Han ringede 14 gange",
            witnesses="Søren",
            key_example=True,
        )
        session.add_all([entry, DiaryShare(victim_id=victim.id, mode="all")])
        session.flush()
        entry_id = entry.id

    def visit(url: str, then=None, who=victim):  # type: ignore[no-untyped-def]
        def setup(page: Page) -> None:
            sign_in(page, base, who)
            page.goto(url)
            if then:
                then(page)

        return setup

    def edit(page: Page) -> None:
        page.get_by_label("Hvad skete der?").fill("Han ringede 15 gange")
        page.get_by_role("button", name="Gem ændringerne").click()
        page.wait_for_url(re.compile(r"/diary(#entry-\d+)?$"))
        page.goto(f"{base}/diary/{entry_id}")
        expect(page.get_by_text("Tidligere tekst", exact=False)).to_be_visible()

    def bad_upload(page: Page) -> None:
        page.get_by_role("button", name="Læg op").click()
        expect(page.locator("#file-error")).to_be_visible()

    def open_more(page: Page) -> None:
        page.get_by_text("Flere oplysninger").click()

    axe(f"{base}/login", setup=visit(f"{base}/diary", open_more))
    axe(f"{base}/login", setup=visit(f"{base}/diary/new"))
    axe(f"{base}/login", setup=visit(f"{base}/diary/{entry_id}", edit))
    axe(f"{base}/login", setup=visit(f"{base}/diary/evidence", bad_upload))
    axe(f"{base}/login", setup=visit(f"{base}/diary/export"))
    axe(f"{base}/login", setup=visit(f"{base}/diary/sharing"))
    axe(f"{base}/login", setup=visit(f"{base}/plans/{plan_id}/diary", who=anna))
