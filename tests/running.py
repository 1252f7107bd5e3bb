"""Helpers for tests that drive a real server over HTTP (the kill drill, nginx): the demo data,
and a client signed in as its victim."""

from __future__ import annotations

from typing import Any

import httpx2
from sqlmodel import select

from app import db, demo
from app.auth.models import Role
from app.plans.models import Item, Plan, Section
from app.settings import Settings


def prepared(url: str) -> tuple[int, int]:
    """The demo data (its victim signs in with the demo password); her plan and a section."""
    engine = db.make_engine(url)
    try:
        db.migrate(engine)
        people = demo.load(engine, Settings(database_url=url))
        with db.read_session(engine) as session:
            plan = session.exec(select(Plan).where(Plan.victim_id == people.victim.id)).one()
            section = session.exec(select(Section).where(Section.plan_id == plan.id)).first()
            assert section is not None
            return plan.id, section.id  # type: ignore[return-value]
    finally:
        engine.dispose()


def stored_texts(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        with db.read_session(engine) as session:
            return {item.text for item in session.exec(select(Item))}
    finally:
        engine.dispose()


def csrf(client: httpx2.Client) -> str:
    """The CSRF cookie's value (``__Host-tryg_csrf`` on https), which a form may send back."""
    return next(v for k, v in client.cookies.items() if k.endswith("tryg_csrf"))


def signed_in_client(base: str, **options: Any) -> httpx2.Client:
    """An HTTP client signed in as the demo victim (with the demo password)."""
    client = httpx2.Client(base_url=base, timeout=5.0, follow_redirects=False, **options)
    client.get("/login")
    r = client.post(
        "/login/password",
        data={
            "username": demo.DEMO_USERNAMES[Role.victim],
            "password": demo.DEMO_PASSWORD,
            "csrftoken": csrf(client),
        },
    )
    assert r.status_code == 303, r.text
    return client
