"""Targets and reflow on a small phone (issue 15 point 4): a standalone link is a 44 px target,
and with WCAG 1.4.12 text spacing nothing scrolls sideways at 320 px."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app import audit, db
from app.auth.models import Role
from tests.browser.people import person, sign_in

SMALL = {"width": 320, "height": 640}
# WCAG 1.4.12's bookmarklet values.
TEXT_SPACING = """
* { line-height: 1.5 !important; letter-spacing: 0.12em !important;
    word-spacing: 0.16em !important; }
p { margin-bottom: 2em !important; }
"""
STANDALONE_LINKS = """() => [...document.querySelectorAll("main p > a:only-child")]
  .map((a) => [a.textContent.trim(), Math.round(a.getBoundingClientRect().height)])"""


def test_standalone_links_are_44_px_tall(new_page, live_server, engine):
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    victim, plan_id = person(engine, Role.victim, "Maja")
    sign_in(page, live_server.url, victim)
    page.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
    measured = []
    for path in ("/", f"/plans/{plan_id}/contacts", "/account/sessions", "/plan/activity"):
        page.goto(f"{live_server.url}{path}")
        measured += page.evaluate(STANDALONE_LINKS)
    names = [name for name, _height in measured]
    assert "Tilbage til planen" in names and "Tilbage til min konto" in names
    assert [m for m in measured if m[1] < 44] == []


def test_text_spacing_at_320_px_scrolls_nothing_sideways(new_page, live_server, engine):
    page = new_page(viewport=SMALL, bypass_csp=True)  # to add the spacing stylesheet
    caseworker, _ = person(engine, Role.caseworker, "Anna Andersen-Kristoffersen", org="Politi")
    victim, plan_id = person(engine, Role.victim, "Maja", caseworker=caseworker)
    with db.write_session(engine) as session:  # her activity list has rows to lay out
        for action in ("grant_added", "plan_read", "plan_changed"):
            audit.record(
                session, action, actor_id=caseworker.id, subject_id=victim.id, plan_id=plan_id
            )
    sign_in(page, live_server.url, victim)
    page.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
    for path in ("/plan/activity", f"/plans/{plan_id}", f"/plans/{plan_id}/contacts", "/account"):
        page.goto(f"{live_server.url}{path}")
        if path == "/plan/activity":
            assert page.locator("table.activity tbody tr").count() >= 3
        page.add_style_tag(content=TEXT_SPACING)
        expect(page.locator("main")).to_be_visible()
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= SMALL["width"], f"{path} is {wide} px wide with text spacing"


UNMARKED = """() => [...document.querySelectorAll("main [required]")]
  .filter((field) => field.checkVisibility())
  .filter((field) => ![...field.labels].some((label) => label.querySelector(".required")
    ?.checkVisibility()))
  .map((field) => location.pathname + " #" + field.id)"""


def test_every_field_that_must_be_filled_says_so_visibly(new_page, live_server, engine):
    """WCAG 3.3.2: »(skal udfyldes)« in the label of every required field, for every role."""
    base = live_server.url
    page = new_page(viewport={"width": 390, "height": 844})
    unmarked: list[str] = []
    for path in ("/login", "/enrol"):
        page.goto(f"{base}{path}")
        if path == "/login":
            page.get_by_text("Log ind med adgangskode i stedet").click()
        unmarked += page.evaluate(UNMARKED)
    admin, _ = person(engine, Role.org_admin, "Admin", org="Politi")
    caseworker, _ = person(engine, Role.caseworker, "Anna", org="Politi")
    victim, plan_id = person(engine, Role.victim, "Maja", caseworker=caseworker)
    pages = [
        (
            victim,
            (
                f"/plans/{plan_id}/edit",
                f"/plans/{plan_id}/contacts",
                "/plan/sharing",
                "/account/password",
                "/phone",
                "/diary/new",
                "/diary/evidence",
            ),
        ),
        (caseworker, ("/people", f"/plans/{plan_id}/edit")),
        (admin, ("/admin", "/admin/hotlines")),
    ]
    for user, paths in pages:
        page.context.clear_cookies()
        sign_in(page, base, user)
        page.wait_for_load_state()
        for path in paths:
            page.goto(f"{base}{path}")
            expect(page.locator("main")).to_be_visible()
            unmarked += page.evaluate(UNMARKED)
    assert unmarked == []
    assert page.get_by_label("Telefonnummer (skal udfyldes)").count() == 1  # the name says it too
