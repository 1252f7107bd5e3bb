"""Sessions that don't strand anyone (issue 14 point 6): the signed-out page says why, the front
page has the sign-in link, the installed app starts at the plan, and the idle warning's two
routes (how long is left, "Bliv logget ind")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app import db
from app.auth.models import AuthSession, Role
from tests.conftest import csrf_token
from tests.factories import engine_of, make_org, make_user, make_victim, signed_in


def shift(client, field, delta):
    with db.write_session(engine_of(client)) as session:
        for row in session.exec(select(AuthSession)).all():
            setattr(row, field, getattr(row, field) - delta)
            session.add(row)


def last_seen(client):
    with db.read_session(engine_of(client)) as session:
        return session.exec(select(AuthSession)).one().last_seen_at


def signed_out_notice(html: str) -> str | None:
    match = re.search(r"<p class=\"notice\" role=\"status\" data-signed-out>([^<]*)</p>", html)
    return match.group(1) if match else None


def test_after_the_idle_timeout_the_next_page_says_why(client, settings):
    victim = make_victim(client)
    signed_in(client, victim)
    shift(client, "last_seen_at", timedelta(seconds=settings.idle_timeout_victim_s + 1))
    r = client.get("/plan", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    page = client.get("/login")
    assert signed_out_notice(page.text) == (
        "Du blev logget ud, fordi du ikke havde brugt siden i 15 minutter."
    )
    assert "Log ind med adgangsnøgle" in page.text
    # Until she signs in again, the sign-in page keeps saying why.
    assert signed_out_notice(client.get("/login").text) is not None


def test_the_absolute_lifetime_is_named(client, settings):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    shift(client, "expires_at", timedelta(seconds=settings.session_lifetime_s))
    assert signed_out_notice(client.get("/login").text) == (
        "Du blev logget ud, fordi du havde været logget ind i 12 timer, "
        "og længere varer et login ikke."
    )


def test_a_session_ended_elsewhere_is_named(client):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    with db.write_session(engine_of(client)) as session:
        row = session.exec(select(AuthSession)).one()
        row.ended_at = row.last_seen_at
        session.add(row)
    notice = signed_out_notice(client.get("/").text)
    assert notice == "Du blev logget ud, fordi dette login blev afsluttet på en anden enhed."


def test_a_disabled_account_is_told_nothing(client):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    with db.write_session(engine_of(client)) as session:
        user = session.get(type(victim), victim.id)
        user.disabled = True
        session.add(user)
    assert signed_out_notice(client.get("/login").text) is None


def test_the_anonymous_front_page_has_a_sign_in_link(client):
    page = client.get("/").text
    assert re.search(r'<a class="button button-primary" href="/login">Log ind</a>', page)
    assert signed_out_notice(page) is None


def test_the_installed_app_starts_at_the_plan_or_the_roles_home(client, make_client):
    assert client.get("/manifest.webmanifest").json()["start_url"] == "/plan"
    assert client.get("/plan", follow_redirects=False).headers["location"] == "/login"
    victim = make_victim(client)
    signed_in(client, victim)
    assert client.get("/manifest.webmanifest").json()["start_url"] == "/plan"
    laptop = make_client()
    worker = make_user(laptop, Role.caseworker, org=make_org(laptop))
    signed_in(laptop, worker)
    assert laptop.get("/manifest.webmanifest").json()["start_url"] == "/people"


def test_a_signed_in_page_knows_its_idle_timeout(client, settings):
    assert "data-idle" not in client.get("/").text
    victim = make_victim(client)
    signed_in(client, victim)
    page = client.get("/account").text
    timeout = int(re.search(r'data-idle-timeout="(\d+)"', page).group(1))
    left = int(re.search(r'data-idle-left="(\d+)"', page).group(1))
    assert timeout == settings.idle_timeout_victim_s
    assert timeout - 5 <= left <= timeout
    assert "Bliv logget ind" in page and '<script src="/static/js/idle.js?v=' in page
    # The cached offline page holds nobody's session.
    assert "data-idle" not in client.get("/offline").text


def test_asking_how_long_is_left_is_not_use_and_renewing_is(client, settings):
    assert client.get("/session/left").json() == {"left": 0}
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    timeout = settings.idle_timeout_victim_s
    shift(client, "last_seen_at", timedelta(seconds=timeout - 100))
    before = last_seen(client)
    left = client.get("/session/left").json()["left"]
    assert 95 <= left <= 100
    assert last_seen(client) == before  # asking did not renew it
    refused = client.post("/session/renew", follow_redirects=False)
    assert refused.status_code == 403 and last_seen(client) == before
    r = client.post("/session/renew", data={"csrftoken": csrf_token(client)})
    assert r.status_code == 200 and timeout - 5 <= r.json()["left"] <= timeout
    assert last_seen(client) > before


def test_renewing_an_ended_session_sends_to_sign_in(client, settings):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    shift(client, "last_seen_at", timedelta(seconds=settings.idle_timeout_victim_s + 1))
    r = client.post(
        "/session/renew", data={"csrftoken": csrf_token(client)}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_the_sessions_page_shows_danish_time(client):
    victim = make_user(client, Role.victim)
    signed_in(client, victim)
    with db.write_session(engine_of(client)) as session:
        row = session.exec(select(AuthSession)).one()
        # 23:30 UTC on a summer night is 01:30 the next day in Copenhagen.
        row.created_at = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
        session.add(row)
    page = client.get("/account/sessions").text
    assert "Logget ind 02-07-2026 01:30" in page and "(UTC)" not in page
