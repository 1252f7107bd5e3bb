"""Reads and writes of the log. Every write names the version it saw (app/versions.py); an edit
first keeps the entry as it was (:class:`DiaryVersion`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.models import User
from app.clock import now
from app.diary.forms import day_start, sealed
from app.diary.models import TEXT_FIELDS, DiaryEntry, DiaryShare, DiaryVersion, Evidence, Share
from app.versions import conditional_update


def entries(
    session: Session,
    victim_id: int,
    *,
    start: date | None = None,
    end: date | None = None,
    deleted: bool = False,
) -> list[DiaryEntry]:
    """Her entries, newest first; ``start``/``end`` are Danish calendar days, both included."""
    query = select(DiaryEntry).where(DiaryEntry.victim_id == victim_id)
    query = query.where(
        col(DiaryEntry.deleted_at).is_not(None) if deleted else col(DiaryEntry.deleted_at).is_(None)
    )
    if start is not None:
        query = query.where(col(DiaryEntry.happened_at) >= day_start(start))
    if end is not None:
        query = query.where(col(DiaryEntry.happened_at) < day_start(end + timedelta(days=1)))
    order = (col(DiaryEntry.happened_at).desc(), col(DiaryEntry.id).desc())
    return list(session.exec(query.order_by(*order)).all())


def entry_of(session: Session, victim_id: int, entry_id: int | None) -> DiaryEntry | None:
    entry = session.get(DiaryEntry, entry_id) if entry_id is not None else None
    return entry if entry is not None and entry.victim_id == victim_id else None


def add_entry(
    session: Session, victim_id: int, values: dict[str, Any], by: User, *, shared: bool = False
) -> DiaryEntry:
    """``shared``: written by a caseworker in a meeting (so her caseworkers see it too)."""
    fields = {f: values[f] for f in (*TEXT_FIELDS, "key_example", "leave_out", "happened_at")}
    entry = DiaryEntry(
        victim_id=victim_id, created_by_id=by.id, changed_by_id=by.id, shared=shared, **fields
    )
    session.add(entry)
    session.flush()
    return entry


def edit_entry(
    session: Session, entry: DiaryEntry, seen_version: int, values: dict[str, Any], by: User
) -> DiaryEntry:
    """Never a silent change: the entry as it was is kept, then the conditional update."""
    if entry.version == seen_version and entry.deleted_at is None:
        kept = DiaryVersion(
            entry_id=entry.id,  # type: ignore[arg-type]
            version=entry.version,
            data=sealed(entry),
            replaced_by_id=by.id,
        )
        session.add(kept)
    fields = {f: values[f] for f in (*TEXT_FIELDS, "key_example", "leave_out", "happened_at")}
    return conditional_update(session, entry, seen_version, by, **fields)


def delete_entry(session: Session, entry: DiaryEntry, seen_version: int, by: User) -> DiaryEntry:
    return conditional_update(session, entry, seen_version, by, deleted_at=now())


def restore_entry(session: Session, entry: DiaryEntry, seen_version: int, by: User) -> DiaryEntry:
    return conditional_update(session, entry, seen_version, by, restore=True, deleted_at=None)


def history(session: Session, entry_id: int) -> list[DiaryVersion]:
    """The versions an edit replaced, newest first."""
    query = select(DiaryVersion).where(DiaryVersion.entry_id == entry_id)
    return list(session.exec(query.order_by(col(DiaryVersion.version).desc())).all())


def evidence(session: Session, victim_id: int) -> list[Evidence]:
    query = select(Evidence).where(Evidence.victim_id == victim_id)
    return list(session.exec(query.order_by(col(Evidence.number))).all())


def evidence_of(session: Session, victim_id: int, evidence_id: int | None) -> Evidence | None:
    row = session.get(Evidence, evidence_id) if evidence_id is not None else None
    return row if row is not None and row.victim_id == victim_id else None


def next_number(session: Session, victim_id: int) -> int:
    """Bilag numbers run per victim: 1, 2, … (the write lock makes two uploads wait)."""
    top = session.exec(
        select(func.max(Evidence.number)).where(Evidence.victim_id == victim_id)
    ).one()
    return int(top or 0) + 1


def share_mode(session: Session, victim_id: int) -> Share:
    row = session.get(DiaryShare, victim_id)
    return Share(row.mode) if row is not None else Share.none


def set_share(session: Session, victim_id: int, mode: Share, chosen: set[int]) -> None:
    row = session.get(DiaryShare, victim_id) or DiaryShare(victim_id=victim_id)
    row.mode, row.changed_at = mode, now()
    session.add(row)
    for entry in entries(session, victim_id):
        if mode == Share.chosen and entry.shared != (entry.id in chosen):
            entry.shared = entry.id in chosen
            session.add(entry)


def shared_entries(session: Session, victim_id: int) -> list[DiaryEntry]:
    """What her granted caseworkers see (nothing when she shares nothing)."""
    mode = share_mode(session, victim_id)
    if mode == Share.none:
        return []
    found = entries(session, victim_id)
    return found if mode == Share.all else [e for e in found if e.shared]
