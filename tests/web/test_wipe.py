"""The wipe marker (issue 12 point 6): "Slet alt på denne telefon" done offline leaves the cookie
``tryg_wiped``; the next request that carries it ends the session (app/auth/wipe.py)."""

from __future__ import annotations

from sqlmodel import select

from app import db
from app.audit import AuditEvent
from app.auth import sessions
from app.auth.models import AuthSession, Role
from tests.conftest import csrf_token
from tests.factories import engine_of, login, make_user, make_victim, signed_in

SESSION = "tryg_session"
MARKER = "tryg_wiped"


def mark(client):
    """What offline.js does: a plain cookie for this site."""
    client.cookies.set(MARKER, "1", domain="testserver.local")


def sessions_of(client, user):
    with db.read_session(engine_of(client)) as session:
        return session.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all()


def wipe_events(client):
    with db.read_session(engine_of(client)) as session:
        return session.exec(select(AuditEvent).where(AuditEvent.action == "session_ended")).all()


def deleted_cookies(response):
    """Names of the cookies the answer deletes (an empty value that expired)."""
    return {
        value.split("=", 1)[0]
        for value in response.headers.get_list("set-cookie")
        if "max-age=0" in value.lower() or "1970" in value
    }


def test_the_marker_ends_the_session_at_the_next_request(client):
    victim = make_victim(client)
    signed_in(client, victim)
    old = client.cookies[SESSION]
    assert client.get("/plan").status_code == 200
    mark(client)

    r = client.get("/plan", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"  # answered as signed out
    assert {SESSION, MARKER} <= deleted_cookies(r)
    assert r.headers["clear-site-data"] == '"cache", "cookies", "storage"'
    [row] = sessions_of(client, victim)
    assert row.ended_at is not None
    [event] = wipe_events(client)
    assert (event.actor_id, event.subject_id, event.detail) == (victim.id, victim.id, "wipe")
    assert event.session_id == row.id

    # Whoever replays the old cookie value (without the marker) is not signed in.
    client.cookies.clear()
    client.cookies.set(SESSION, old)
    r = client.get("/plan", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login"


def test_an_online_wipe_signs_out_once(client):
    """Online the wipe posts /logout with the marker: one ended session, one Clear-Site-Data."""
    victim = make_victim(client)
    signed_in(client, victim)
    token = csrf_token(client)
    mark(client)
    r = client.post("/logout", data={"csrftoken": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert r.headers.get_list("clear-site-data") == ['"cache", "cookies", "storage"']
    assert MARKER in deleted_cookies(r) and SESSION in deleted_cookies(r)
    assert all(row.ended_at is not None for row in sessions_of(client, victim))
    assert len(wipe_events(client)) == 1


def test_the_marker_without_a_session_does_nothing_harmful(client, make_client):
    someone = make_client()
    other = make_user(someone, Role.victim, "Bo")
    signed_in(someone, other)

    plain = client.get("/login")
    mark(client)
    r = client.get("/login")
    assert r.status_code == 200 and r.text.count("<form") == plain.text.count("<form")
    assert "clear-site-data" not in r.headers  # nothing of hers is wiped by a stray marker
    assert deleted_cookies(r) == {MARKER}  # the CSRF cookie stays
    assert MARKER not in client.cookies
    # Nobody else's session is touched, nothing is audited.
    assert someone.get("/account").status_code == 200
    assert wipe_events(client) == []

    # A marker next to a made-up session value: still signed out, no error, nothing ended.
    mark(client)
    client.cookies.set(SESSION, "not-a-session")
    r = client.get("/account", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert someone.get("/account").status_code == 200
    assert wipe_events(client) == []


def test_a_sign_in_that_carries_the_marker_stands(client):
    """The marker ends the session it came with; a passkey sign-in in the same request wins."""
    victim = make_user(client, Role.victim)
    auth = signed_in(client, victim)
    old = client.cookies[SESSION]
    mark(client)
    r = login(client, auth)
    assert r.status_code == 200, r.text
    assert "clear-site-data" not in r.headers
    assert MARKER not in client.cookies and client.cookies[SESSION] != old
    assert client.get("/account").status_code == 200
    rows = sessions_of(client, victim)
    assert len(rows) == 2 and len([row for row in rows if row.ended_at is None]) == 1


def test_on_https_the_marker_is_a_host_cookie_like_the_session(make_client):
    """offline.js names it ``__Host-tryg_wiped`` on https; the server honours that name."""
    client = make_client(origin="https://testserver")
    victim = make_victim(client)
    with db.write_session(engine_of(client)) as session:  # as a passkey sign-in would
        token = sessions.start(session, client.app.state.settings, victim, "pytest")
    client.cookies.set("__Host-tryg_session", token, domain="testserver.local")
    assert client.get("/account").status_code == 200
    client.cookies.set("__Host-tryg_wiped", "1", domain="testserver.local")
    r = client.get("/account", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    cleared = [v for v in r.headers.get_list("set-cookie") if v.startswith("__Host-tryg_wiped=")]
    assert len(cleared) == 1 and "secure" in cleared[0].lower() and "path=/;" in cleared[0].lower()
    assert all(row.ended_at is not None for row in sessions_of(client, victim))
