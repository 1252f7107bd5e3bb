"""Sessions that don't strand anyone (issue 14 point 6) on a 390 px phone: the signed-out page
says why, and two minutes before the idle timeout a warning offers "Bliv logget ind"."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlmodel import col, select

from app import db
from app.auth.models import AuthSession, Draft, Role
from tests.browser.conftest import LiveServer, LiveServerFactory, server_engine
from tests.browser.people import person, sign_in

IDLE_S = 125  # the warning comes two minutes before the end: five seconds after a page loads
TYPED = "Pak en taske med pas og den blå kjole"
SHORT_S = 20  # a caseworker's page here warns at once and ends 20 s after its last use


@pytest.fixture(scope="module")
def short(live_server_factory: LiveServerFactory) -> LiveServer:
    return live_server_factory(idle_timeout_victim_s=IDLE_S, idle_timeout_caseworker_s=SHORT_S)


@pytest.fixture(scope="module")
def short_engine(short: LiveServer) -> Iterator[Any]:
    yield from server_engine(short)


def age_sessions(engine: Any, user_id: int, seconds: int) -> None:
    """As if the last use had been ``seconds`` earlier (instead of waiting)."""
    with db.write_session(engine) as session:
        for row in session.exec(select(AuthSession).where(AuthSession.user_id == user_id)):
            session.execute(
                update(AuthSession)
                .where(col(AuthSession.id) == row.id)
                .values(last_seen_at=row.last_seen_at - timedelta(seconds=seconds))
            )


def test_after_the_idle_timeout_the_page_says_why_and_offers_sign_in(  # type: ignore[no-untyped-def]
    new_page, live_server, engine, axe
):
    victim, _plan = person(engine, Role.victim, "Udløbet")
    page: Page = new_page()
    sign_in(page, live_server.url, victim)
    age_sessions(engine, victim.id, live_server.settings.idle_timeout_victim_s + 5)  # type: ignore[arg-type]
    page.goto(f"{live_server.url}/plan")  # e.g. the installed app, opened again
    page.wait_for_url(re.compile(r"/login$"))
    expect(page.locator("[data-signed-out]")).to_have_text(
        "Du blev logget ud, fordi du ikke havde brugt siden i 15 minutter."
    )
    expect(page.get_by_role("button", name="Log ind med adgangsnøgle")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The front page a signed-out person meets has the sign-in link.
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Log ind", exact=True).click()
    page.wait_for_url(re.compile(r"/login$"))

    other, _plan = person(engine, Role.victim, "Udløbet axe")

    def expired(p: Page) -> None:
        sign_in(p, live_server.url, other)
        age_sessions(engine, other.id, live_server.settings.idle_timeout_victim_s + 5)  # type: ignore[arg-type]
        p.goto(f"{live_server.url}/plan")
        p.wait_for_url(re.compile(r"/login$"))
        expect(p.locator("[data-signed-out]")).to_be_visible()

    axe(f"{live_server.url}/login", setup=expired)


@pytest.mark.parametrize("width", [390, 320])
def test_the_idle_warning_renews_the_session(new_page, short, short_engine, browser_log, width):  # type: ignore[no-untyped-def]
    victim, plan_id = person(short_engine, Role.victim, f"Advarsel {width}")
    page: Page = new_page(viewport={"width": width, "height": 640})
    sign_in(page, short.url, victim)
    page.goto(f"{short.url}/plans/{plan_id}")
    warning = page.locator("form[data-idle]")
    expect(warning).to_be_hidden()
    focused = page.evaluate("document.activeElement && document.activeElement.tagName")
    expect(warning).to_be_visible(timeout=15_000)
    expect(warning.get_by_role("alert")).to_have_text(
        "Om 2 minutter bliver du logget ud, fordi siden ikke har været brugt."
    )
    # Not modal: focus stays where it was, and the page is as wide as the phone.
    assert page.evaluate("document.activeElement && document.activeElement.tagName") == focused
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    button = warning.get_by_role("button", name="Bliv logget ind")
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    with page.expect_request(lambda r: r.url.endswith("/session/renew")) as sent:
        warning.get_by_role("button", name="Bliv logget ind").click()
    assert sent.value.method == "POST"
    expect(warning).to_be_hidden()
    left = page.evaluate("fetch('/session/left').then(r => r.json()).then(d => d.left)")
    assert IDLE_S - 5 <= left <= IDLE_S
    assert not browser_log.csp_violations(), str(browser_log)


def test_when_the_time_is_up_the_page_goes_to_sign_in_and_says_why(  # type: ignore[no-untyped-def]
    new_page, short, short_engine, axe
):
    worker, _plan = person(short_engine, Role.caseworker, "Tiden er gået", org="Krisecenter")
    page: Page = new_page()
    sign_in(page, short.url, worker)
    page.wait_for_url(re.compile(r"/people$"))
    expect(page.locator("form[data-idle]")).to_be_visible()
    # Nobody renews it: when the time is up the page loads itself again and is told why.
    page.wait_for_url(re.compile(r"/login$"), timeout=(SHORT_S + 10) * 1000)
    expect(page.locator("[data-signed-out]")).to_have_text(
        "Du blev logget ud, fordi du ikke havde brugt siden i 1 minut."
    )

    other, _plan = person(short_engine, Role.victim, "Advarsel axe")

    def warned(p: Page) -> None:
        sign_in(p, short.url, other)
        p.goto(f"{short.url}/account")
        expect(p.locator("form[data-idle]")).to_be_visible(timeout=15_000)

    axe(f"{short.url}/login", setup=warned)


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_text_typed_when_the_session_ended_comes_back_after_signing_in(  # type: ignore[no-untyped-def]
    new_page, live_server, engine, axe, js
):
    victim, plan_id = person(engine, Role.victim, "Skrev videre")
    page: Page = new_page(java_script_enabled=js)
    sign_in(page, live_server.url, victim)
    page.goto(f"{live_server.url}/plans/{plan_id}/edit")
    add = page.locator("form.add-item").first
    add.locator("textarea").fill(TYPED)
    age_sessions(engine, victim.id, live_server.settings.idle_timeout_victim_s + 5)  # type: ignore[arg-type]
    add.get_by_role("button", name="Tilføj").click()
    page.wait_for_url(re.compile(r"/login$"))
    expect(page.locator("[data-signed-out]")).to_contain_text("Du blev logget ud, fordi")
    expect(page.locator("[data-kept]")).to_contain_text("Det, du skrev, er gemt")
    assert TYPED not in page.content()
    # Nothing of it on the phone: not in a cookie, not in the address, not in storage.
    cookies = " ".join(c["value"] for c in page.context.cookies())
    assert "kjole" not in cookies and "kjole" not in page.url
    if js:
        stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage, sessionStorage))")
        assert "kjole" not in stored

    sign_in(page, live_server.url, victim)
    page.goto(f"{live_server.url}/plans/{plan_id}")
    offer = page.locator("[data-draft]")
    expect(offer.get_by_role("heading")).to_have_text("Du skrev dette, før du blev logget ud:")
    expect(offer).to_contain_text(TYPED)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    offer.get_by_role("button", name="Brug teksten").click()
    expect(page.get_by_label("Tekst")).to_have_value(TYPED)
    page.get_by_role("button", name="Gem").click()
    page.wait_for_url(re.compile(rf"/plans/{plan_id}"))
    expect(page.locator(".item-text", has_text=TYPED)).to_have_count(1)
    expect(page.locator("[data-draft]")).to_have_count(0)


def test_the_offered_text_is_accessible(axe, live_server, engine):  # type: ignore[no-untyped-def]
    victim, plan_id = person(engine, Role.victim, "Skrev axe")
    with db.write_session(engine) as session:
        session.add(
            Draft(
                user_id=victim.id,  # type: ignore[arg-type]
                path=f"/plans/{plan_id}/sections/1/items",
                fields=json.dumps([["text", TYPED]]),
            )
        )

    def offered(p: Page) -> None:
        sign_in(p, live_server.url, victim)
        p.goto(f"{live_server.url}/plans/{plan_id}")
        expect(p.locator("[data-draft]")).to_be_visible()
        # On the narrowest phone too: the offer and its two buttons fit, nothing to scroll.
        assert p.evaluate("document.documentElement.scrollWidth") <= 320
        for name in ("Brug teksten", "Kassér"):
            box = p.locator("[data-draft]").get_by_role("button", name=name).bounding_box()
            assert box is not None and box["x"] + box["width"] <= 320, name

    axe(f"{live_server.url}/login", setup=offered, viewport={"width": 320, "height": 640})


def test_a_live_refresh_after_the_session_ended_keeps_what_she_is_typing(
    new_page, live_server, engine
):
    """A background refresh (another screen's change) that meets an ended session no longer
    reloads the page under her fingers: the typed text stays, she is told to save it, and saving
    keeps it for after the sign-in."""
    caseworker, _ = person(engine, Role.caseworker, "Anna", org="Politi")
    victim, plan_id = person(engine, Role.victim, "Skriver", caseworker=caseworker)
    phone: Page = new_page()
    sign_in(phone, live_server.url, victim)
    phone.goto(f"{live_server.url}/plans/{plan_id}/edit")
    expect(phone.locator("[data-live='on']")).to_have_count(1, timeout=15_000)
    add = phone.locator("form.add-item").first
    add.locator("textarea").fill(TYPED)
    age_sessions(engine, victim.id, live_server.settings.idle_timeout_victim_s + 5)  # type: ignore[arg-type]
    laptop: Page = new_page()
    sign_in(laptop, live_server.url, caseworker)
    laptop.goto(f"{live_server.url}/plans/{plan_id}/edit")
    laptop.locator("form.add-item").first.locator("textarea").fill("Fra mødet")
    laptop.locator("form.add-item").first.get_by_role("button", name="Tilføj").click()
    expect(phone.locator("form[data-idle]")).to_contain_text(
        "Gem det, du har skrevet", timeout=20_000
    )
    expect(phone.locator("form.add-item").first.locator("textarea")).to_have_value(TYPED)
    phone.locator("form.add-item").first.get_by_role("button", name="Tilføj").click()
    phone.wait_for_url(re.compile(r"/login$"))
    expect(phone.locator("[data-kept]")).to_contain_text("Det, du skrev, er gemt")
