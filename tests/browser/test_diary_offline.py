"""The log written offline, in real Chromium on a 390 px phone (issue 16 point 5): the entry is
sealed and queued with nothing readable on the phone, listed as »Venter på netværk«, and sent
once, with the time she gave it, when the phone is online again (at once, or at the next visit).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect
from sqlmodel import select

from app import db
from app.auth.models import Role
from app.clock import now
from app.diary.forms import local_input
from app.diary.models import DiaryEntry
from app.web import LOCAL_ZONE, local_time
from tests.browser.people import person, sign_in
from tests.browser.test_phone import DUMP_STORAGE, controlled

PHONE = {"width": 390, "height": 844}
FIRST = "Han sad i den blå Volvo uden for Æblehaven"
PLACE = "Skovbrynet 12"
SECOND = "Sms'er fra ukendt nummer om natten"
DATABASES = "indexedDB.databases().then((all) => all.map((d) => d.name))"


def write_offline(page: Page, what: str, when: str) -> None:
    page.locator("#new-when").fill(when)
    page.locator("#new-what").fill(what)
    page.get_by_role("button", name="Gem i loggen").click()
    expect(page.get_by_text("Gemt krypteret på telefonen.", exact=False)).to_be_visible()


def her_log(new_page, live_server, engine) -> tuple[Page, Any, str]:
    """A victim signed in on a phone at her log, the page controlled by the service worker."""
    page = new_page(viewport=PHONE)
    victim, _plan = person(engine, Role.victim, "Maja")
    base = live_server.url
    sign_in(page, base, victim)
    page.goto(f"{base}/diary")
    controlled(page)
    return page, victim, base


def saved(engine, victim_id: int) -> list[tuple[str, str]]:
    with db.read_session(engine) as session:
        rows = session.exec(select(DiaryEntry).where(DiaryEntry.victim_id == victim_id)).all()
    return sorted((e.what, local_input(e.happened_at)) for e in rows)


def shown(when: str) -> str:
    return local_time(datetime.fromisoformat(when).replace(tzinfo=LOCAL_ZONE))


def test_an_entry_written_offline_is_sealed_queued_and_sent_once(
    new_page, live_server, engine, browser_log
):
    page, victim, base = her_log(new_page, live_server, engine)
    first_when = local_input(now() - timedelta(minutes=45))

    # Offline: written, sealed, queued; the form is ready for the next one.
    page.context.set_offline(True)
    expect(page.locator("[data-offline-notice]")).to_have_text(
        "Du er offline – et nyt notat i loggen venter på telefonen; andre ændringer kan ikke gemmes"
    )
    page.get_by_text("Flere oplysninger").click()
    page.get_by_label("Hvor?").fill(PLACE)
    write_offline(page, FIRST, first_when)
    queued = page.locator("[data-queued]")
    expect(queued).to_have_count(1)
    expect(queued).to_contain_text("Venter på netværk")
    expect(page.locator("#new-what")).to_have_value("")
    expect(page.get_by_label("Hvor?")).to_have_value("")

    # Nothing readable on the phone: not the text, the place or the time she gave it.
    dump = page.evaluate(DUMP_STORAGE)
    assert '"kid":' in dump  # the sealed entry is there
    for secret in (FIRST, "Volvo", "Æblehaven", "blå", PLACE, "Skovbrynet", first_when):
        assert secret not in dump, secret

    # Online again: sent by itself, shown in the log once, with her time; the queue is gone.
    page.context.set_offline(False)
    page.wait_for_selector("html[data-queue-sent]", state="attached")
    entry = page.locator("ol.diary-list .diary-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(FIRST)
    expect(entry.locator("time")).to_have_text(shown(first_when))
    expect(queued).to_have_count(0)
    assert "tryg-queue" not in page.evaluate(DATABASES)
    assert saved(engine, victim.id) == [(FIRST, first_when)]

    # The app opened offline (the unlock screen, with the log's form), then the next visit online.
    second_when = local_input(now() - timedelta(minutes=10))
    page.context.set_offline(True)
    page.goto(f"{base}/diary")
    expect(page.get_by_role("heading", name="Du er offline")).to_be_visible()
    expect(page.locator("#new-when")).to_have_value(re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d$"))
    write_offline(page, SECOND, second_when)
    expect(page.locator("[data-queued]")).to_have_count(1)
    assert SECOND not in page.evaluate(DUMP_STORAGE)
    page.context.set_offline(False)
    page.goto(f"{base}/plan")
    page.wait_for_selector("html[data-queue-sent]", state="attached")
    assert "tryg-queue" not in page.evaluate(DATABASES)
    page.goto(f"{base}/diary")
    expect(page.locator("ol.diary-list .diary-entry")).to_have_count(2)
    expect(page.locator("[data-queued]")).to_have_count(0)
    assert saved(engine, victim.id) == sorted([(FIRST, first_when), (SECOND, second_when)])
    assert not browser_log.errors() and not browser_log.csp_violations(), str(browser_log)


def test_the_wipe_deletes_what_waits_for_network(new_page, live_server, engine):
    page, victim, base = her_log(new_page, live_server, engine)
    page.context.set_offline(True)
    write_offline(page, FIRST, local_input(now() - timedelta(minutes=5)))
    page.goto(f"{base}/diary")  # the offline page
    page.get_by_role("button", name="Slet alt på denne telefon").click()
    expect(page.get_by_text("Alt er slettet fra denne telefon.")).to_be_visible()
    assert page.evaluate(DATABASES) == []
    page.context.set_offline(False)
    assert saved(engine, victim.id) == []


def test_on_the_quick_entry_page_she_is_told_when_it_arrived(new_page, live_server, engine):
    page, victim, base = her_log(new_page, live_server, engine)
    page.goto(f"{base}/diary/new")
    when = local_input(now() - timedelta(minutes=3))
    page.context.set_offline(True)
    # What the server would refuse is refused here: the phone could not fix it later.
    status = page.locator("[data-queue-status]")
    page.locator("#new-when").fill(local_input(now() + timedelta(hours=2)))
    page.locator("#new-what").fill(FIRST)
    page.get_by_role("button", name="Gem i loggen").click()
    expect(status).to_have_text("Det tidspunkt er ikke kommet endnu. Skriv, hvornår det skete.")
    expect(page.locator("#new-when")).to_be_focused()
    page.locator("#new-what").fill("")
    page.get_by_role("button", name="Gem i loggen").click()
    expect(status).to_have_text("Skriv, hvad der skete.")
    page.get_by_label("Hvor?").evaluate("(field) => { field.value = 'x'.repeat(1001); }")
    page.locator("#new-what").fill(FIRST)
    page.locator("#new-when").fill(when)
    page.get_by_role("button", name="Gem i loggen").click()
    expect(status).to_have_text("Teksten må højst være 1000 tegn.")
    expect(page.get_by_label("Hvor?")).to_be_focused()
    assert "tryg-queue" not in page.evaluate(DATABASES)
    page.get_by_label("Hvor?").fill("")
    write_offline(page, FIRST, when)
    page.context.set_offline(False)
    expect(page.locator("[data-queue-status]")).to_have_text("Gemt i din log.")
    assert "tryg-queue" not in page.evaluate(DATABASES)
    assert saved(engine, victim.id) == [(FIRST, when)]
