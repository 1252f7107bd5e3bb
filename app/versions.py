"""No lost update (DESIGN §4): every editable row has a ``version``; a write names the version it
saw and is ``UPDATE … WHERE id = … AND version = … AND deleted_at IS NULL``. Zero rows means
someone else came first: :class:`StaleWrite`, never an overwrite."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session

from app.auth.models import User
from app.clock import now

Row = TypeVar("Row", bound=Any)


class StaleWrite(Exception):
    """Someone else saved first. ``current`` is the row as it is now (None if deleted)."""

    def __init__(self, current: Any | None) -> None:
        super().__init__("stale write")
        self.current = current


def conditional_update(
    session: Session, row: Row, seen_version: int, by: User, **values: object
) -> Row:
    model = type(row)
    result = session.execute(
        update(model)
        .where(model.id == row.id, model.version == seen_version, model.deleted_at.is_(None))
        .values(version=seen_version + 1, changed_by_id=by.id, changed_at=now(), **values)
    )
    session.refresh(row)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleWrite(None if row.deleted_at else row)
    return row
