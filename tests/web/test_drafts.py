"""Text typed when the session ended is not lost (issue 14 point 6): kept sealed on the server
for the same user, offered back on the plan page after she signs in again."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import select

from app import db
from app.auth import drafts
from app.auth.models import AuthSession, Draft
from app.plans.models import Item, Section
from tests.conftest import csrf_token
from tests.factories import engine_of, form, login, make_victim, signed_in

SECRET = "Nøglen ligger under den blå potte"


def idle_out(client, settings):
    with db.write_session(engine_of(client)) as session:
        for row in session.exec(select(AuthSession)).all():
            row.last_seen_at -= timedelta(seconds=settings.idle_timeout_victim_s + 1)
            session.add(row)


def first_section(client, victim):
    with db.read_session(engine_of(client)) as session:
        section = session.exec(select(Section)).first()
        return section.plan_id, section.id


def typed_after_the_timeout(client, settings, **headers):
    victim = make_victim(client)
    auth = signed_in(client, victim)
    plan_id, section_id = first_section(client, victim)
    idle_out(client, settings)
    r = form(client, f"/plans/{plan_id}/sections/{section_id}/items", headers, text=SECRET)
    return victim, auth, plan_id, section_id, r


def test_the_text_is_kept_sealed_and_the_sign_in_page_says_so(client, settings):
    _victim, _auth, _plan, _section, r = typed_after_the_timeout(client, settings)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    with engine_of(client).connect() as conn:
        blobs = [bytes(b) for (b,) in conn.execute(text("SELECT fields FROM draft"))]
    assert len(blobs) == 1
    assert SECRET.encode() not in blobs[0] and b"potte" not in blobs[0]  # sealed at rest
    assert all(SECRET not in value for value in client.cookies.values())
    page = client.get("/login").text
    assert "Det, du skrev, er gemt" in page and SECRET not in page


def test_after_signing_in_again_the_plan_offers_it_and_it_can_be_used(client, settings):
    _victim, auth, plan_id, section_id, _r = typed_after_the_timeout(client, settings)
    assert login(client, auth).status_code == 200
    page = client.get(f"/plans/{plan_id}").text
    assert "Du skrev dette, før du blev logget ud:" in page and SECRET in page
    draft_id = int(re.search(r"/drafts/(\d+)/use", page).group(1))
    assert "Kassér" in page and "Brug teksten" in page
    used = form(client, f"/drafts/{draft_id}/use")
    assert used.status_code == 200
    assert f'action="/plans/{plan_id}/sections/{section_id}/items"' in used.text
    assert re.search(rf"<textarea[^>]*name=\"text\"[^>]*>{SECRET}</textarea>", used.text)
    with db.read_session(engine_of(client)) as session:
        assert session.exec(select(Draft)).all() == []  # taken
    saved = form(client, f"/plans/{plan_id}/sections/{section_id}/items", text=SECRET)
    assert saved.status_code in (200, 303)
    with db.read_session(engine_of(client)) as session:
        assert SECRET in [i.text for i in session.exec(select(Item)).all()]
    assert "Du skrev dette" not in client.get(f"/plans/{plan_id}").text


def test_discard_drops_it(client, settings):
    _victim, auth, plan_id, _section, _r = typed_after_the_timeout(client, settings)
    login(client, auth)
    page = client.get(f"/plans/{plan_id}").text
    draft_id = int(re.search(r"/drafts/(\d+)/discard", page).group(1))
    r = form(client, f"/drafts/{draft_id}/discard")
    assert r.status_code == 303 and r.headers["location"] == f"/plans/{plan_id}"
    assert SECRET not in client.get(f"/plans/{plan_id}").text
    assert form(client, f"/drafts/{draft_id}/use").status_code == 404


def test_an_htmx_write_is_kept_too_and_nobody_else_gets_it(client, make_client, settings):
    _victim, _auth, _plan_id, _section, r = typed_after_the_timeout(
        client, settings, **{"HX-Request": "true"}
    )
    assert r.status_code == 204 and r.headers["hx-refresh"] == "true"
    other = make_client()
    signed_in(other, make_victim(other, "Bo"))
    with db.read_session(engine_of(client)) as session:
        draft = session.exec(select(Draft)).one()
    assert form(other, f"/drafts/{draft.id}/use").status_code == 404
    assert form(other, f"/drafts/{draft.id}/discard").status_code == 404


def test_nothing_is_kept_without_an_ended_session_or_without_text(client, settings):
    victim = make_victim(client)
    plan_id, section_id = first_section(client, victim)
    anonymous = client.post(
        f"/plans/{plan_id}/sections/{section_id}/items",
        data={"csrftoken": csrf_token(client), "text": SECRET},
        follow_redirects=False,
    )
    assert anonymous.status_code == 303
    signed_in(client, victim)
    idle_out(client, settings)
    form(client, f"/plans/{plan_id}/sections/{section_id}/items", text="   ")
    with db.read_session(engine_of(client)) as session:
        assert session.exec(select(Draft)).all() == []


def test_a_draft_nobody_came_back_for_is_dropped_after_a_day(client, settings):
    victim, auth, plan_id, _section, _r = typed_after_the_timeout(client, settings)
    with db.write_session(engine_of(client)) as session:
        draft = session.exec(select(Draft)).one()
        draft.created_at -= timedelta(days=1, minutes=1)
        session.add(draft)
    login(client, auth)
    assert "Du skrev dette" not in client.get(f"/plans/{plan_id}").text
    # The next draft kept clears it away.
    drafts.keep(engine_of(client), victim.id, f"/plans/{plan_id}/sections", [("title", "Ny")])
    with db.read_session(engine_of(client)) as session:
        assert [d.path for d in session.exec(select(Draft)).all()] == [f"/plans/{plan_id}/sections"]
