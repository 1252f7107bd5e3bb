"""A plan write commits before anything is rendered (issue 13 point 3): while Jinja works on the
answer, SQLite's write lock is free, so another person's save never waits for a render.

Every render is probed: another connection must be able to take the write lock at that moment.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlmodel import select
from starlette.requests import Request

from app import db, web
from app.plans.models import Item, Plan, Section
from tests.conftest import csrf_token
from tests.factories import engine_of, make_victim, signed_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
def held_during_render(client, monkeypatch):
    """Names of the templates rendered while the write lock was held."""
    path = engine_of(client).url.database
    held: list[str] = []
    real = web.render_text

    def probing(request, name, context=None, block=None):  # type: ignore[no-untyped-def]
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        except sqlite3.OperationalError:
            held.append(name)
        finally:
            other.close()
        return real(request, name, context, block)

    monkeypatch.setattr(web, "render_text", probing)
    return held


@pytest.fixture
def plan(client):
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    with db.read_session(engine_of(client)) as session:
        plan = session.exec(select(Plan).where(Plan.victim_id == victim.id)).one()
        section = session.exec(select(Section).where(Section.plan_id == plan.id)).first()
        item = session.exec(select(Item).where(Item.section_id == section.id)).first()
    return plan.id, section.id, item


def post(client, url, headers=None, **data):
    data = {"csrftoken": csrf_token(client), **data}
    return client.post(url, data=data, headers=headers or {}, follow_redirects=False)


def test_plan_writes_render_without_the_write_lock(client, plan, held_during_render):
    plan_id, section_id, item = plan
    base = f"/plans/{plan_id}"
    answers = [
        post(client, f"{base}/sections/{section_id}/items", HTMX, text="Ring til Sara"),
        post(client, f"{base}/items/{item.id}", HTMX, text="Ny tekst", version=item.version),
        post(client, f"{base}/items/{item.id}", HTMX, text="For sent", version=item.version),
        post(client, f"{base}/sections/{section_id}/items", HTMX, text=""),
        post(client, f"{base}/contacts", HTMX, name="Sara", phone="12345678"),
        post(client, f"{base}/contacts", name="", phone=""),
    ]
    assert [a.status_code for a in answers] == [200, 200, 409, 422, 200, 422]
    assert held_during_render == []


def test_the_probe_sees_a_held_lock(client, plan, held_during_render):
    """The probe is real: a render inside an open write transaction is caught."""
    scope = {"type": "http", "app": client.app, "path": "/", "query_string": b"", "headers": []}
    with db.write_session(engine_of(client)) as session:
        session.execute(text("SELECT 1"))  # the transaction (and its lock) begins here
        context = {"status": 500, "title": "x", "detail": None}
        web.render_text(Request({**scope, "state": {}}), "errors/error.html", context)
    assert held_during_render == ["errors/error.html"]
