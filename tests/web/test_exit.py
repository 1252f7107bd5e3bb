"""Quick exit on the server (docs/design.md §5): the explanation, the "sign me out" choice and its
beacon, and the redirect-as-replace answer that keeps Tryg at one history entry."""

from __future__ import annotations

import re

from sqlmodel import select

from app import db
from app.auth import sessions
from app.auth.models import AuthSession, Role, User
from app.security import token_matches
from tests.conftest import csrf_token
from tests.factories import engine_of, make_victim, signed_in


def _post(client, url, headers=None, **data):
    return client.post(
        url,
        data={"csrftoken": csrf_token(client), **data},
        headers=headers or {},
        follow_redirects=False,
    )


def _bar(html: str) -> str:
    match = re.search(r"<nav class=\"exit-bar\"[^>]*>", html)
    assert match, html[:500]
    return match.group(0)


def _open_sessions(client, user: User) -> list[AuthSession]:
    with db.read_session(engine_of(client)) as session:
        return list(
            session.exec(
                select(AuthSession).where(
                    AuthSession.user_id == user.id,
                    AuthSession.ended_at == None,  # noqa: E711
                )
            ).all()
        )


def test_the_victim_chooses_to_be_signed_out_and_the_bar_says_so(client):
    victim = make_victim(client)
    signed_in(client, victim)
    page = client.get("/quick-exit")
    assert "Log mig ud, når jeg trykker på »Forlad siden«" in page.text
    assert "data-exit-signout" not in _bar(page.text)
    assert "bliver du også logget ud" not in client.get("/account").text

    r = _post(client, "/quick-exit/setting", exit_signs_out="on")
    assert r.status_code == 303 and r.headers["location"] == "/quick-exit"
    bar = _bar(client.get("/plan", follow_redirects=True).text)
    assert 'data-exit-signout="/quick-exit/sign-out"' in bar
    token = re.search(r'data-exit-token="([^"]+)"', bar)
    assert token and token_matches(csrf_token(client), token[1])  # masked, never the cookie
    assert "bliver du også logget ud" in client.get("/account").text

    _post(client, "/quick-exit/setting")  # an unticked box is not sent at all
    assert "data-exit-signout" not in _bar(client.get("/account").text)


def test_the_exit_beacon_ends_this_session_only(client, make_client):
    victim = make_victim(client)
    signed_in(client, victim)
    other_device = make_client()
    with db.write_session(engine_of(client)) as session:
        token = sessions.start(session, client.app.state.settings, victim, "Tablet")
    other_device.cookies.set(sessions.cookie_name(client.app.state.settings), token)
    assert other_device.get("/account").status_code == 200
    assert len(_open_sessions(client, victim)) == 2

    r = _post(client, "/quick-exit/sign-out")
    assert r.status_code == 204
    cleared = [c for c in r.headers.get_list("set-cookie") if c.startswith("tryg_session=")]
    assert cleared and "max-age=0" in cleared[0].lower(), r.headers
    client.cookies.clear()
    assert len(_open_sessions(client, victim)) == 1
    assert other_device.get("/account").status_code == 200  # the other device stays signed in


def test_the_exit_beacon_needs_the_csrf_token(client):
    victim = make_victim(client)
    signed_in(client, victim)
    r = client.post("/quick-exit/sign-out", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert len(_open_sessions(client, victim)) == 1


def test_a_form_sent_by_history_js_gets_its_redirect_as_a_header(client):
    victim = make_victim(client)
    signed_in(client, victim)
    plain = _post(client, "/language", lang="en", next="/account")
    assert plain.status_code == 303 and plain.headers["location"] == "/account"

    r = _post(client, "/language", headers={"X-Tryg-Replace": "1"}, lang="da", next="/account")
    assert r.status_code == 204
    assert r.headers["x-tryg-location"] == "/account"
    assert "location" not in r.headers and r.content == b""
    assert "set-cookie" in r.headers  # the language cookie still arrives

    # Anything that is not a redirect is answered as usual (a form with errors, here a 404).
    missing = _post(client, "/plans/999999/contacts", headers={"X-Tryg-Replace": "1"})
    assert missing.status_code == 404 and "<html" in missing.text


def test_only_victims_have_the_exit_setting(client):
    caseworker = User(role=Role.caseworker, display_name="Anna")
    with db.write_session(engine_of(client)) as session:
        session.add(caseworker)
        session.flush()
    signed_in(client, caseworker)
    assert "exit_signs_out" not in client.get("/quick-exit").text
    assert _post(client, "/quick-exit/setting", exit_signs_out="on").status_code == 404


def test_an_expired_session_during_an_htmx_request_reloads_instead_of_pushing(client):
    victim = make_victim(client)
    signed_in(client, victim)
    plan_url = client.get("/plan").url.path
    client.cookies.delete("tryg_session")
    r = client.post(
        plan_url + "/sections",
        data={"csrftoken": csrf_token(client)},
        headers={"HX-Request": "true"},
        follow_redirects=False,
    )
    assert r.status_code == 204
    assert r.headers.get("hx-refresh") == "true" and "hx-redirect" not in r.headers
    assert client.get(plan_url, follow_redirects=False).headers["location"] == "/login"


def test_history_js_runs_before_any_link_or_form_exists(client):
    """A tap on a link or a form before history.js ran would add a history entry (one more Back
    to Tryg after a quick exit): it loads in the head, neither deferred nor async, so the page's
    links and forms are parsed only after it ran (a browser test caught the deferred one)."""
    html = client.get("/login").text
    tag = re.search(r"<script[^>]*/static/js/history\.js[^>]*>", html)
    assert tag, html[:800]
    assert " defer" not in tag.group(0) and " async" not in tag.group(0), tag.group(0)
    assert html.index(tag.group(0)) < html.index("<body"), "history.js must come before <body>"


def test_the_victim_can_turn_the_shift_shortcut_off_and_on(client):
    """Issue 15: the Shift×3 shortcut can be turned off (the button and the skip link stay)."""
    victim = make_victim(client)
    signed_in(client, victim)
    page = client.get("/quick-exit").text
    assert "Forlad siden, når jeg trykker tre gange på Shift" in page
    assert 'id="exit-shift" name="exit_shift" aria-describedby="exit-shift-hint" checked' in page
    assert "data-exit-shift" not in client.get("/account").text
    _post(client, "/quick-exit/setting", exit_shift_shown="1")  # the box unticked
    plan = client.get("/plan", follow_redirects=True).text
    assert 'data-exit-shift="off"' in plan.split(">", 2)[1]  # on <html>
    assert 'class="exit-button"' in plan  # the button stays
    _post(client, "/quick-exit/setting", exit_signs_out="on")  # another form: leaves it alone
    assert 'data-exit-shift="off"' in client.get("/account").text
    _post(client, "/quick-exit/setting", exit_shift_shown="1", exit_shift="on")
    assert "data-exit-shift" not in client.get("/account").text
