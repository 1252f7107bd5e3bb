"""Two app processes on one PostgreSQL database: an edit saved through one appears, live, in a
browser connected to the other (LISTEN/NOTIFY carries the event between them)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app import db
from app.auth.models import Role
from tests.bench.servers import UvicornServer
from tests.browser.conftest import DESKTOP
from tests.browser.people import person, sign_in

pytestmark = pytest.mark.postgres


def test_an_edit_through_one_process_appears_in_a_browser_on_the_other(postgres_url, cdn, new_page):
    servers = [UvicornServer(f"tryg-{n}", "app.main:app", ready_path="/healthz") for n in "ab"]
    for server in servers:
        server.env.update(
            TRYG_DATABASE_URL=postgres_url,
            TRYG_ORIGIN=f"http://localhost:{server.port}",
            TRYG_HTMX_URL=cdn.htmx_url,
            TRYG_EXIT_URL=cdn.exit_url,
            TRYG_LOG_LEVEL="WARNING",
        )
    with servers[0], servers[1]:
        engine = db.make_engine(postgres_url)
        try:
            caseworker, _ = person(engine, Role.caseworker, "Anna", org="Esbjerg Lokalpoliti")
            victim, plan_id = person(engine, Role.victim, "Maja", caseworker=caseworker)
        finally:
            engine.dispose()
        a, b = (f"http://localhost:{s.port}" for s in servers)
        phone = new_page()  # the victim, on process B
        sign_in(phone, b, victim)
        phone.wait_for_url(re.compile(rf"/plans/{plan_id}$"))
        expect(phone.locator("#live")).to_have_attribute("data-live", "on")
        laptop = new_page(viewport=DESKTOP)  # the caseworker, on process A
        sign_in(laptop, a, caseworker)
        laptop.goto(f"{a}/plans/{plan_id}/edit")  # in a meeting: the plan in edit mode
        expect(phone.locator("#presence")).to_contain_text("Anna")  # presence crosses too
        section = laptop.locator(".plan-section").first
        section.get_by_label("Nyt punkt").fill("Gemt gennem proces A")
        section.get_by_role("button", name="Tilføj", exact=True).click()
        expect(phone.locator(".plan-section").first.locator(".item-text").last).to_have_text(
            "Gemt gennem proces A"
        )
