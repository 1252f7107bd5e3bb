"""Presence: who else has a plan open, and which item they are editing. Soft, never a lock.

One row per open stream, in the database so that every app process sees every stream. A stream
refreshes its row while it lives; a row not refreshed for :data:`FRESH` (a crashed process) no
longer counts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlmodel import Field, Session, SQLModel, col, select
from starlette.requests import Request

from app import db, state
from app.auth.labels import changer_labels
from app.auth.models import User
from app.clock import now
from app.live import shared
from app.live.broker import Event, announce

HEARTBEAT_S = 15
FRESH = timedelta(seconds=HEARTBEAT_S * 3)
FORGET = timedelta(hours=1)


class Presence(SQLModel, table=True):
    __tablename__ = "live_presence"
    id: int | None = Field(default=None, primary_key=True)
    stream: str = Field(max_length=32, unique=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    item_id: int | None = None
    seen_at: datetime = Field(default_factory=now)


@dataclass(frozen=True)
class Here:
    """Someone with the plan open: "Anna, Esbjerg Lokalpoliti", and the item they edit."""

    user_id: int
    label: str
    item_id: int | None


def join(engine: Engine, plan_id: int, user_id: int) -> str:
    """A new stream is open; returns its key. Forgets rows of long-gone streams on the way."""
    stream = secrets.token_hex(16)
    with db.write_session(engine) as session:
        session.execute(delete(Presence).where(col(Presence.seen_at) < now() - FORGET))
        # Someone reopening the plan is not editing anything yet.
        editing = session.exec(
            select(Presence.item_id).where(
                Presence.plan_id == plan_id,
                Presence.user_id == user_id,
                col(Presence.seen_at) >= now() - FRESH,
            )
        ).first()
        session.add(Presence(stream=stream, plan_id=plan_id, user_id=user_id, item_id=editing))
    return stream


def beat(engine: Engine, stream: str) -> None:
    with db.write_session(engine) as session:
        beating = update(Presence).where(col(Presence.stream) == stream)
        session.execute(beating.values(seen_at=now()))


def leave(engine: Engine, stream: str) -> None:
    with db.write_session(engine) as session:
        session.execute(delete(Presence).where(col(Presence.stream) == stream))


def editing(session: Session, plan_id: int, user_id: int, item_id: int | None) -> bool:
    """Mark (or clear) the item this user is editing on all their open streams of the plan.
    Returns whether anything changed (only then is it worth telling the others)."""
    result = session.execute(
        update(Presence)
        .where(
            col(Presence.plan_id) == plan_id,
            col(Presence.user_id) == user_id,
            col(Presence.item_id).is_distinct_from(item_id),
        )
        .values(item_id=item_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def here(session: Session, plan_id: int, except_user: int | None = None) -> list[Here]:
    """Everyone with the plan open now (one entry per person), the viewer left out."""
    rows = session.exec(
        select(Presence.user_id, Presence.item_id)
        .where(Presence.plan_id == plan_id, col(Presence.seen_at) >= now() - FRESH)
        .order_by(col(Presence.id))
    ).all()
    people: dict[int, int | None] = {}
    for user_id, item_id in rows:
        if user_id != except_user:
            people[user_id] = people.get(user_id) or item_id
    labels = changer_labels(session, set(people))
    return [Here(u, labels.get(u, "?"), item) for u, item in people.items()]


def mark_editing(request: Request, plan_id: int, user: User, item_id: int | None) -> None:
    """Tell the others which item this user has open (or that they closed it)."""
    with db.write_session(state.engine(request)) as session:
        if editing(session, plan_id, user.id, item_id):  # type: ignore[arg-type]
            announce(shared.broker(request), session, Event(plan=plan_id, kind="presence"))
