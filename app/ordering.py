"""Positions in an ordered list (plan sections and items, contacts, hotlines): the next free
position and a swap with a neighbour, one way for every list.

A swap is two versioned writes through :func:`app.versions.conditional_update`: the moved row
on the version its mover saw, the neighbour on the version just read. Another write to either
in between is a :class:`~app.versions.StaleWrite`, never a silent reorder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, select

from app.versions import Changer, StaleWrite, conditional_update

Row = TypeVar("Row", bound=Any)


def next_position(session: Session, column: Any, *where: ColumnElement[bool]) -> int:
    """One past the highest position among the rows ``where`` selects (0 for none)."""
    last = session.exec(select(func.max(column)).where(*where)).one()
    return (last if last is not None else -1) + 1


def swap(
    session: Session,
    siblings: Sequence[Row],
    row: Row,
    seen_version: int,
    direction: int,
    by: Changer,
) -> Row:
    """Swap ``row`` with its neighbour above (``-1``) or below (``+1``) in ``siblings`` (the
    list as shown, in order). At either end nothing moves, but the version is still checked.
    A row no longer in the list (deleted in another tab) is a stale write like a stale edit."""
    index = next((i for i, s in enumerate(siblings) if s.id == row.id), None)
    if index is None:
        raise StaleWrite(None)
    other_index = index + direction
    if not 0 <= other_index < len(siblings):
        return conditional_update(session, row, seen_version, by)
    if len({s.position for s in siblings}) != len(siblings):  # legacy ties: spread them first
        model = type(row)
        for i, sibling in enumerate(siblings):
            session.execute(update(model).where(model.id == sibling.id).values(position=i))
        for sibling in siblings:
            session.refresh(sibling)
    other = siblings[other_index]
    mine, theirs = row.position, other.position
    conditional_update(session, row, seen_version, by, position=theirs)
    conditional_update(session, other, other.version, by, stamp=False, position=mine)
    return row
