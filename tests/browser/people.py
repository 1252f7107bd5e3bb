"""People for browser tests: created in the live server's database, signed in with the
password fallback (passkey flows are tested on their own in test_passkey_flows.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import update
from sqlmodel import col

from app import db
from app.auth import identity, passwords
from app.auth.models import AuthSession, Organisation, Role, User
from app.clock import now
from app.plans.queries import create_plan
from app.plans.template import DEFAULT_TEMPLATE
from app.settings import Settings

PASSWORD = "en lang og god sætning 42"
_numbers = itertools.count()
_HASH = passwords.hash_password(PASSWORD)  # once: argon2 is slow on purpose


def person(
    engine,
    role: Role,
    name: str,
    *,
    org: str | None = None,  # type: ignore[no-untyped-def]
    caseworker: User | None = None,
    sections: int = 3,
) -> tuple[User, int | None]:
    """A user who signs in with a password; a victim gets a plan of the first ``sections``
    template sections, granted to ``caseworker``."""
    n = next(_numbers)
    with db.write_session(engine) as session:
        org_id = None
        if org:
            row = Organisation(name=f"{org} {n}")
            session.add(row)
            session.flush()
            org_id = row.id
        user = User(
            role=role,
            display_name=name,
            organisation_id=org_id,
            password_hash=_HASH,
        )
        # The live servers run with the default TRYG_SECRET_KEY, which keys the look-up.
        identity.set_username(user, Settings(), f"bruger{n}")
        session.add(user)
        session.flush()
        plan_id = None
        if role == Role.victim:
            plan_id = create_plan(session, user, DEFAULT_TEMPLATE[:sections], "da", caseworker).id
        return user, plan_id


def sign_in(page: Page, base: str, user: User) -> None:
    page.goto(f"{base}/login")
    page.get_by_text("Log ind med adgangskode i stedet").click()
    page.get_by_label("Brugernavn").fill(user.username)  # type: ignore[arg-type]
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind", exact=True).click()
    # With JavaScript, history.js sends the form with fetch and then replaces the page: wait for
    # the page after the sign-in, not just for the click.
    page.wait_for_url(lambda url: not url.startswith(f"{base}/login"))


def passkey_checked(engine, user: User) -> None:  # type: ignore[no-untyped-def]
    """As if ``user`` had just confirmed with a passkey on /account/verify: her sessions count
    as fresh for five minutes (a password sign-in never does). For flows that are not about the
    check itself; the check is tested in tests/web/test_stepup.py and test_passkey_flows.py."""
    with db.write_session(engine) as session:
        session.execute(
            update(AuthSession)
            .where(col(AuthSession.user_id) == user.id, col(AuthSession.ended_at).is_(None))
            .values(verified_at=now())
        )


def edit_plan(page: Page, section: int = 0) -> Locator:
    """The plan is read first (issue 14): open a section's editor as she would, with its
    »Ret« (in place with htmx; without JavaScript the whole plan in edit mode). Returns the
    section, open for editing."""
    page.locator(".plan-section").nth(section).locator("[id^=edit-section-]").click()
    opened = page.locator(".plan-section").nth(section)
    expect(opened.get_by_label("Nyt punkt")).to_be_visible()
    return opened


def visit(base: str, user: User, url: str, then: Callable[[Page], None] | None = None):  # type: ignore[no-untyped-def]
    """An axe ``setup``: sign ``user`` in, open ``url``, then do ``then`` on the page."""

    def setup(page: Page) -> None:
        sign_in(page, base, user)
        page.goto(url)
        if then:
            then(page)

    return setup
