"""No lost update (docs/design.md §4): every editable row has a ``version``; a write names the
version it
saw and is ``UPDATE … WHERE id = … AND version = … AND deleted_at IS NULL`` (``IS NOT NULL`` for
a restore). Zero rows means
someone else came first: :class:`StaleWrite`, never an overwrite."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import update
from sqlmodel import Session

from app.clock import now

Row = TypeVar("Row", bound=Any)


class Changer(Protocol):
    """Who saves: any row with an id (a user). A protocol, so this foundation module needs no
    import from the accounts package above it."""

    @property
    def id(self) -> int | None: ...


class StaleWrite(Exception):
    """Someone else saved first. ``current`` is the row as it is now (None if deleted)."""

    def __init__(self, current: Any | None) -> None:
        super().__init__("stale write")
        self.current = current


def conditional_update(
    session: Session,
    row: Row,
    seen_version: int,
    by: Changer,
    *,
    restore: bool = False,
    stamp: bool = True,
    **values: object,
) -> Row:
    """``restore=True`` is the one write on a deleted row: it must still be deleted (and at the
    version seen), so of two restores one wins and the other is a :class:`StaleWrite`.
    ``stamp=False`` leaves "changed by" alone: a neighbour moved by a swap was not edited.
    Rows without ``deleted_at`` (sections) are never deleted."""
    model = type(row)
    conditions = [model.id == row.id, model.version == seen_version]
    if hasattr(model, "deleted_at"):
        deleted = model.deleted_at
        conditions.append(deleted.is_not(None) if restore else deleted.is_(None))
    if stamp:
        values = {"changed_by_id": by.id, "changed_at": now(), **values}
    result = session.execute(
        update(model).where(*conditions).values(version=seen_version + 1, **values)
    )
    session.refresh(row)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleWrite(None if getattr(row, "deleted_at", None) else row)
    return row
