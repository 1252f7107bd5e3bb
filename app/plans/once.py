"""A double tap adds once (issue 14 point 3): every add form carries a random key, made when
the form is rendered (``form_key()`` in templates, :mod:`app.web`); the first request with a
key records it with what it made, a repeat answers like that first success and adds nothing.

Keys live in the database (per user), so the rule holds across app processes. On SQLite the
write lock is taken first (``BEGIN IMMEDIATE``); on PostgreSQL a second insert of the same key
waits for the first transaction and then fails on the primary key: either way one request
adds and the other sees the key. Keys are forgotten after :data:`KEEP`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select
from starlette.datastructures import FormData

from app.clock import now

FIELD = "form_key"
KEEP = timedelta(days=1)
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


class FormKey(SQLModel, table=True):
    __tablename__ = "form_key"
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    key: str = Field(max_length=64, primary_key=True)
    used_at: datetime = Field(default_factory=now, index=True)
    made: str = Field(default="", max_length=64)  # what the first request made, e.g. "12"


def key_of(form: FormData) -> str | None:
    """The form's key, or None (a form rendered before keys existed, or junk)."""
    raw = form.get(FIELD)
    return raw if isinstance(raw, str) and _KEY_RE.fullmatch(raw) else None


class Once:
    """One add request's key: :meth:`seen` says what a repeat's first request made (``None``
    for a first request, which then claims the key); :meth:`made` records the result."""

    def __init__(self, session: Session, user_id: int, form: FormData) -> None:
        self.session, self.user_id, self.key = session, user_id, key_of(form)

    def seen(self) -> str | None:
        if self.key is None:
            return None
        session = self.session
        session.execute(delete(FormKey).where(col(FormKey.used_at) < now() - KEEP))
        found = self._made()
        if found is not None:
            return found
        try:
            with session.begin_nested():
                session.add(FormKey(user_id=self.user_id, key=self.key))
        except IntegrityError:  # another process claimed it meanwhile (and has committed)
            return self._made() or ""
        return None

    def made(self, what: object) -> None:
        if self.key is None:
            return
        row = self.session.get(FormKey, (self.user_id, self.key))
        if row is not None:
            row.made = str(what)
            self.session.add(row)

    def _made(self) -> str | None:
        return self.session.exec(
            select(FormKey.made).where(FormKey.user_id == self.user_id, FormKey.key == self.key)
        ).first()
